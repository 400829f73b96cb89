"""Group commit (shared/store/batching.py): callers at about the same time share one call."""

from __future__ import annotations

import asyncio

import pytest

from shared.store.batching import Batcher


class Recorder:
    def __init__(self, fail_on: object = None, delay: float = 0.0) -> None:
        self.calls: list[list[int]] = []
        self.fail_on = fail_on
        self.delay = delay

    async def __call__(self, items: list[int]) -> list[int]:
        self.calls.append(list(items))
        await asyncio.sleep(self.delay)
        if self.fail_on in items:
            raise RuntimeError(f"batch with {self.fail_on} failed")
        return [i * 10 for i in items]


async def test_callers_of_one_turn_share_one_call_and_each_gets_its_own_result() -> None:
    fn = Recorder()
    batcher = Batcher(fn)
    results = await asyncio.gather(*(batcher(i) for i in range(5)))
    assert results == [0, 10, 20, 30, 40]
    assert fn.calls == [[0, 1, 2, 3, 4]]
    assert (batcher.batches, batcher.items) == (1, 5)


async def test_a_lone_caller_pays_one_call_without_waiting_for_company() -> None:
    fn = Recorder()
    batcher = Batcher(fn)
    assert await batcher(7) == 70
    assert await batcher(8) == 80
    assert fn.calls == [[7], [8]]


async def test_callers_arriving_while_a_batch_runs_go_together_in_the_next() -> None:
    fn = Recorder(delay=0.05)
    batcher = Batcher(fn)
    first = asyncio.create_task(batcher(1))
    await asyncio.sleep(0.01)  # the first batch is running
    later = await asyncio.gather(*(batcher(i) for i in (2, 3, 4)))
    assert await first == 10 and later == [20, 30, 40]
    assert fn.calls == [[1], [2, 3, 4]]


async def test_batches_are_no_larger_than_max_batch() -> None:
    fn = Recorder()
    batcher = Batcher(fn, max_batch=2)
    assert await asyncio.gather(*(batcher(i) for i in range(5))) == [0, 10, 20, 30, 40]
    assert fn.calls == [[0, 1], [2, 3], [4]]


async def test_a_failed_batch_fails_each_of_its_callers_and_not_the_next_batch() -> None:
    fn = Recorder(fail_on=2, delay=0.02)
    batcher = Batcher(fn)
    doomed = [asyncio.create_task(batcher(i)) for i in (1, 2)]
    await asyncio.sleep(0.005)
    survivor = asyncio.create_task(batcher(3))
    for task in doomed:
        with pytest.raises(RuntimeError, match="batch with 2 failed"):
            await task
    assert await survivor == 30


async def test_a_cancelled_caller_does_not_cancel_the_others_write() -> None:
    fn = Recorder(delay=0.05)
    batcher = Batcher(fn)
    leaving = asyncio.create_task(batcher(1))
    staying = asyncio.create_task(batcher(2))
    await asyncio.sleep(0.01)
    leaving.cancel()
    assert await staying == 20
    assert fn.calls == [[1, 2]]  # the batch went through for both


async def test_a_caller_cancelled_before_its_batch_starts_is_left_out() -> None:
    fn = Recorder()
    batcher = Batcher(fn, linger_s=0.05)
    leaving = asyncio.create_task(batcher(1))
    staying = asyncio.create_task(batcher(2))
    await asyncio.sleep(0.01)
    leaving.cancel()
    assert await staying == 20
    assert fn.calls == [[2]]


async def test_a_wrong_number_of_results_is_an_error_not_a_silent_mismatch() -> None:
    async def short(items: list[int]) -> list[int]:
        return items[:-1]

    batcher = Batcher(short, name="short")
    with pytest.raises(RuntimeError, match="short: 1 results for 2 items"):
        await asyncio.gather(batcher(1), batcher(2))


async def test_idle_waits_for_everything_handed_in() -> None:
    fn = Recorder(delay=0.02)
    batcher = Batcher(fn)
    tasks = [asyncio.create_task(batcher(i)) for i in range(3)]
    await asyncio.sleep(0)
    await batcher.idle()
    assert all(t.done() for t in tasks) and fn.calls == [[0, 1, 2]]


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        Batcher(Recorder(), max_batch=0)
