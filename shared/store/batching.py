"""Group commit: calls made at about the same time share one database command.

A ``Batcher`` wraps a function that does a whole batch in one command (``find`` with ``$in``,
``bulk_write``, ``insert_many``). Each caller awaits its own item's result; the items of callers
that arrive while a batch is gathering (``linger_s``, or the same turn of the event loop) or
while the previous batch is running go together in the next one. One caller alone pays one
command and no wait beyond ``linger_s``; under load the commands per item fall with the batch
size (bench/e2e.py counts them).

A batch runs in its own task, so a caller that is cancelled does not cancel the others' write;
if the batch function raises, every caller of that batch gets the error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    def __init__(self, fn: Callable[[list[T]], Awaitable[Sequence[R]]], *, max_batch: int = 256,
                 linger_s: float = 0.0, name: str = "batch") -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.fn = fn
        self.max_batch = max_batch
        self.linger_s = linger_s
        self.name = name
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None
        self.batches = 0  # how many calls of fn so far (tests and benchmarks read it)
        self.items = 0

    async def __call__(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=f"batcher-{self.name}")
        return await future

    async def idle(self) -> None:
        """Wait until every item handed in so far has been done (shutdown, tests)."""
        while self._task is not None and not self._task.done():
            await asyncio.wait({self._task})

    async def _run(self) -> None:
        while self._pending:
            # let the callers of this turn (and of the linger) join the batch
            await asyncio.sleep(self.linger_s)
            batch, self._pending = self._pending[:self.max_batch], self._pending[self.max_batch:]
            live = [(item, f) for item, f in batch if not f.cancelled()]
            if not live:
                continue
            self.batches += 1
            self.items += len(live)
            try:
                results = await self.fn([item for item, _ in live])
                if len(results) != len(live):
                    raise RuntimeError(f"{self.name}: {len(results)} results for {len(live)} items")
            except BaseException as error:  # noqa: BLE001 - handed to every caller of the batch
                for _, f in live:
                    if not f.done():
                        f.set_exception(error)
                if isinstance(error, asyncio.CancelledError):
                    for _, f in self._pending:
                        if not f.done():
                            f.set_exception(error)
                    self._pending = []
                    raise
                continue
            for (_, f), result in zip(live, results, strict=True):
                if not f.done():
                    f.set_result(result)
