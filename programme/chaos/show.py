"""What a fault-injection run prints: the faults, every pass condition, and the figures."""

from __future__ import annotations

import json

from programme.chaos.run import ChaosResult


def lines(result: ChaosResult) -> list[str]:
    out = ["faults carried out:"]
    out += [f"  {f['at_s']:7.1f} s  {f['kind']:<8} {f['target']:<14} {f['took_s']:5.1f} s  {f['note']}"
            for f in result.faults.done]
    out.append("pass conditions:")
    for title, counts in (("lost", result.verdict.lost), ("twice", result.verdict.duplicates)):
        out += [f"  {'ok  ' if not n else 'FAIL'} {title}: {what}: {n}" for what, n in counts.items()]
    v = result.verdict
    out.append(f"  {'ok  ' if not v.poison_without_reason else 'FAIL'} poison in a DLQ with its reason: "
               f"{v.poison_in_dlq} of {result.figures['poison_injected']} ({v.poison_without_reason} without)")
    out.append(f"  note: second copies of a poison message in a DLQ (a crash between copy and ack): "
               f"{v.dlq_second_copies}")
    out.append(f"  {'ok  ' if not v.unhealthy else 'FAIL'} services ready at the end"
               + (f": not {', '.join(v.unhealthy)}" if v.unhealthy else ""))
    out += [f"  note: {e}" for e in v.examples]
    out += [f"  FAIL fault not carried out: {f}" for f in result.faults.failed]
    if result.error:
        out.append(f"  FAIL {result.error}")
    out.append(f"details: {json.dumps(result.details)}")
    out.append("PASSED" if result.ok else "FAILED")
    out.append(json.dumps(result.figures))  # the last line: the figures
    return out
