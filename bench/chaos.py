"""The fault-injection run (docs/reliability.md): the programme on every service as its own
process, on the real broker and a database that keeps its data across a restart, while each
service is killed once, the broker and the database are restarted once, the SMTP server, the SMS
gateway and the central-registry simulator are each down for 30 s and 50 poison messages go into
each service's queue.

    python bench/chaos.py                                  # the full run: 9 schools, 1,000 students
    python bench/chaos.py --schools 2 --students 100 --window 40 --outage 4   # quick

Last line: {"students", "lost", "duplicates", "poison_in_dlq", "poison_injected", "faults", "drain_s"}.
Exit status 0 when every pass condition holds. Same as `jemput chaos`.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from programme.chaos.run import ChaosOptions, run  # noqa: E402
from programme.chaos.show import lines  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = ChaosOptions()
    parser.add_argument("--schools", type=int, default=defaults.schools)
    parser.add_argument("--students", type=int, default=defaults.students)
    parser.add_argument("--seed", type=int, default=defaults.seed, help="the programme and the fault plan")
    parser.add_argument("--window", type=float, default=defaults.window_s,
                        help="seconds, from the first visit day, in which the faults fall")
    parser.add_argument("--outage", type=float, default=defaults.outage_s,
                        help="seconds each of SMTP, SMS gateway and central registry is down")
    parser.add_argument("--poison", type=int, default=defaults.poison_per_queue, help="poison messages per queue")
    parser.add_argument("--no-broker-restart", action="store_true", help="leave RabbitMQ alone (a shared broker)")
    parser.add_argument("--db-restart-command", default="", help="with MONGODB_URL: the command that restarts it")
    args = parser.parse_args()
    result = run(ChaosOptions(schools=args.schools, students=args.students, seed=args.seed, window_s=args.window,
                              outage_s=args.outage, poison_per_queue=args.poison,
                              broker=not args.no_broker_restart, db_restart_command=args.db_restart_command))
    for line in lines(result):
        print(line, flush=True)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
