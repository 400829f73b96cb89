"""A local stand-in for the central population system, as a real HTTP server.

Used by the demo and the tests. Latency and outcome rates are configurable; a second
recording of a NIK that is already recorded comes back as a duplicate; a resubmission
of the same submission id gets the same answer; the lookup endpoint answers "already
recorded". `PUT /admin/availability` takes it down (503) and up again.

Run: python -m services.enrollment.adapters.registry_simulator --port 8090 --latency 0.2
"""

from __future__ import annotations

import argparse
import asyncio
import random
from collections import Counter
from collections.abc import Iterable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from .central_registry import RegistryAnswer, Submission


class SimulatorConfig(BaseModel):
    latency_s: float = Field(0.0, ge=0)
    jitter_s: float = Field(0.0, ge=0)
    failed_rate: float = Field(0.0, ge=0, le=1)
    duplicate_rate: float = Field(0.0, ge=0, le=1)  # beyond real duplicates
    seed: int | None = None
    recorded_niks: list[str] = Field(default_factory=list)


class Availability(BaseModel):
    up: bool


class LookupIn(BaseModel):
    niks: list[str] = Field(max_length=5000)


class SimulatorState:
    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.random = random.Random(config.seed)
        self.up = True
        self.recorded: set[str] = set(config.recorded_niks)
        self.answers: dict[str, RegistryAnswer] = {}
        self.received: Counter[str] = Counter()  # submission id -> requests seen
        self.refused = 0  # requests answered 503 while down

    def answer(self, submission: Submission) -> RegistryAnswer:
        self.received[submission.submission_id] += 1
        known = self.answers.get(submission.submission_id)
        if known is not None:
            return known
        roll = self.random.random()
        if submission.nik in self.recorded:
            answer = RegistryAnswer(submission_id=submission.submission_id, outcome="duplicate",
                                    reason="NIK already recorded in the central population data")
        elif roll < self.config.failed_rate:
            answer = RegistryAnswer(submission_id=submission.submission_id, outcome="failed",
                                    reason="biometric quality rejected by the central system")
        elif roll < self.config.failed_rate + self.config.duplicate_rate:
            answer = RegistryAnswer(submission_id=submission.submission_id, outcome="duplicate",
                                    reason="biometrics match another person's record")
        else:
            answer = RegistryAnswer(submission_id=submission.submission_id, outcome="print_ready")
            self.recorded.add(submission.nik)
        self.answers[submission.submission_id] = answer
        return answer


def build_simulator(config: SimulatorConfig | None = None) -> FastAPI:
    state = SimulatorState(config or SimulatorConfig())
    app = FastAPI(title="Central registry simulator", version="1.0.0")
    app.state.sim = state

    @app.middleware("http")
    async def availability(request: Request, call_next):  # type: ignore[no-untyped-def]
        if not state.up and not request.url.path.startswith("/admin"):
            state.refused += 1
            return JSONResponse({"detail": "central system unavailable"}, status_code=503)
        return await call_next(request)

    async def delay() -> None:
        wait = state.config.latency_s + state.random.uniform(0, state.config.jitter_s)
        if wait:
            await asyncio.sleep(wait)

    @app.post("/v1/enrollments", response_model=RegistryAnswer)
    async def enroll(submission: Submission) -> RegistryAnswer:
        await delay()
        return state.answer(submission)

    @app.post("/v1/lookup")
    async def lookup(body: LookupIn) -> dict[str, list[str]]:
        await delay()
        return {"recorded": [n for n in body.niks if n in state.recorded]}

    @app.put("/admin/availability")
    async def set_availability(body: Availability) -> Availability:
        state.up = body.up
        return body

    @app.post("/admin/recorded")
    async def seed(body: LookupIn) -> dict[str, int]:
        state.recorded.update(body.niks)
        return {"recorded": len(state.recorded)}

    @app.get("/admin/stats")
    async def stats() -> dict[str, object]:
        return {"answers": len(state.answers), "requests": sum(state.received.values()),
                "refused": state.refused, "up": state.up,
                "outcomes": dict(Counter(a.outcome for a in state.answers.values()))}

    return app


def seed_recorded(app: FastAPI, niks: Iterable[str]) -> None:
    app.state.sim.recorded.update(niks)


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--jitter", type=float, default=0.0)
    parser.add_argument("--failed-rate", type=float, default=0.0)
    parser.add_argument("--duplicate-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    config = SimulatorConfig(latency_s=args.latency, jitter_s=args.jitter,
                             failed_rate=args.failed_rate, duplicate_rate=args.duplicate_rate,
                             seed=args.seed)
    uvicorn.run(build_simulator(config), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()


class RunningSimulator(BaseModel):
    model_config = {"arbitrary_types_allowed": True}

    url: str
    app: FastAPI

    @property
    def state(self) -> SimulatorState:
        return self.app.state.sim


def running_simulator(config: SimulatorConfig | None = None, *, port: int = 0):  # type: ignore[no-untyped-def]
    """`async with running_simulator(cfg) as sim:` a real server on 127.0.0.1 (free port)."""
    import contextlib

    import uvicorn

    from shared.infra import free_port

    @contextlib.asynccontextmanager
    async def run():  # type: ignore[no-untyped-def]
        app = build_simulator(config)
        chosen = port or free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=chosen,
                                               log_config=None, lifespan="off"))
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("registry simulator stopped during start-up")
            await asyncio.sleep(0.01)
        try:
            yield RunningSimulator(url=f"http://127.0.0.1:{chosen}", app=app)
        finally:
            server.should_exit = True
            await task

    return run()
