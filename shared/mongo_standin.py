"""Run the wire-compatible MongoDB stand-in (``mongoeco[wire]``) as a local server.

No MongoDB server package exists in Debian, and Docker images cannot be pulled everywhere, so
tests and ``jemput demo`` start this when ``MONGODB_URL`` names no real MongoDB (DESIGN.md). Code
must stay within what real MongoDB does; this is only a server to talk to.

    python -m shared.mongo_standin [--port 0] [--sqlite PATH]

Prints ``READY <mongodb url>`` on stdout once it accepts connections; runs until SIGTERM.
``--sqlite`` keeps data across restarts (slow on bulk inserts); the default engine is in memory.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys


async def run(host: str, port: int, sqlite_path: str | None) -> None:
    from mongoeco.engines import MemoryEngine, SQLiteEngine
    from mongoeco.wire import AsyncMongoEcoProxyServer

    engine = SQLiteEngine(sqlite_path) if sqlite_path else MemoryEngine()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with AsyncMongoEcoProxyServer(engine=engine, host=host, port=port) as server:
        print(f"READY {server.address.uri}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--sqlite", default=None, help="keep data in this SQLite file")
    args = parser.parse_args(argv)
    try:
        asyncio.run(run(args.host, args.port, args.sqlite))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
