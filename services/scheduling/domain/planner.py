"""The visit planner: which unit visits which school on which day.

Rules (hard): a unit's daily recording capacity is never exceeded; a unit's day holds one
school (full day) or two (morning and afternoon sessions); no visit on a holiday, an
area-wide closure, a school's or its kecamatan's closure, or a day the unit does not work.
Objective, in order: earliest finish (makespan, in programme working days), fewest visit
days per school, least travel (days are shared inside a kecamatan first; across kecamatan
only with the nearest school and only when the finish date needs it; see
``PlannerSettings.share_across_kecamatan``).

How: the lower bound is ceil(total ready / combined daily capacity). For a horizon of H
working days (the first H whose unit days can hold everyone, then H + 1, ...) the units are
grouped by capacity and the schools, ordered by kecamatan along a Hilbert curve, dealt to the
groups in proportion. In a group, whole schools are paired two per day (inside a kecamatan
first; large schools take consecutive full days and pair their remainder) when that fits in
H; otherwise near-exact pairs stay and every other school goes into a chain whose days hold
the end of one school and the start of the next. What could not be placed goes into any free
day or session within H. The first H at which everything is placed is the plan
(docs/scheduling.md has the details and the measured behaviour).
"""

from __future__ import annotations

import heapq
import math
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from .calendar import ProgrammeCalendar
from .geography import distance_km, hilbert_key
from .school import School
from .unit import MobileUnit
from .visit_plan import Plan, PlannedVisit, PlanStats, Session, SessionTimes, Unplaced

PLAN_NAMESPACE = uuid.UUID("1b4e28ba-2fa1-11d2-883f-0016d3cca427")


class PlannerSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    share_across_kecamatan: bool = Field(
        True,
        description="let two schools of neighbouring kecamatan share a unit's day when the "
        "earliest finish needs it (the nearest school is chosen); False keeps shared days "
        "strictly inside one kecamatan",
    )
    max_extra_days: int = Field(
        120, ge=0, description="how far past the lower bound the planner searches"
    )
    min_split_students: int = Field(
        10, ge=1, description="smallest part of a school worth a separate session"
    )
    lookahead: int = Field(64, ge=1, description="schools scanned when filling a unit's run")
    sessions: SessionTimes = SessionTimes()


class PlanningError(ValueError):
    pass


@dataclass(slots=True, eq=False)
class _Demand:
    npsn: str
    name: str
    kecamatan: str
    remaining: int
    ready: int
    point: tuple[float, float] | None
    closed: frozenset[date]
    kec_key: str = ""

    def __post_init__(self) -> None:
        self.kec_key = " ".join(self.kecamatan.split()).casefold()


@dataclass(slots=True, eq=False)
class _Piece:
    demand: _Demand
    unit: int
    day: int
    count: int


@dataclass(slots=True)
class _DayLoad:
    used: int = 0
    demands: list[_Demand] = field(default_factory=list)


@dataclass(slots=True)
class _Unit:
    unit_id: str
    capacity: int
    days: list[int]  # indices into the horizon's working days
    order_key: tuple


def lower_bound_days(total_ready: int, units: Sequence[MobileUnit]) -> int:
    combined = sum(u.recording_capacity for u in units)
    if total_ready <= 0:
        return 0
    if combined <= 0:
        raise PlanningError("no mobile unit: nothing can be planned")
    return math.ceil(total_ready / combined)


def plan_visits(
    schools: Sequence[School],
    units: Sequence[MobileUnit],
    calendar: ProgrammeCalendar,
    start: date,
    *,
    settings: PlannerSettings = PlannerSettings(),
    plan_id: str | None = None,
) -> Plan:
    plan_id = plan_id or str(uuid.uuid4())
    _check_unique(schools, units)
    demands = [
        _Demand(
            s.npsn,
            s.name,
            s.kecamatan,
            s.ready_students,
            s.ready_students,
            (s.coordinates.lat, s.coordinates.lon) if s.coordinates else None,
            calendar.school_closed_days(s.npsn, s.kecamatan),
        )
        for s in schools
        if s.ready_students > 0
    ]
    total = sum(d.ready for d in demands)
    lb = lower_bound_days(total, units)
    if total == 0:
        return Plan(plan_id=plan_id, start=start, working_days=[], lower_bound_days=0,
                    makespan_days=0, total_ready=0, visits=[], stats=_stats([], [], {}))
    ordered = _stream_order(demands)
    unit_specs = sorted(units, key=_unit_order_key)
    # First horizon worth trying: the units' own working days must hold everyone.
    first = _capacity_horizon(total, unit_specs, calendar, start, lb + 3660)
    if first is None:
        raise PlanningError("the units do not work on any programme day within ten years")
    horizon_max = first + settings.max_extra_days
    all_days = calendar.first_working_days(start, horizon_max)
    best_unplaced: list[_Demand] = []
    pieces: list[_Piece] = []
    for horizon in range(first, horizon_max + 1):
        days = all_days[:horizon]
        for d in ordered:
            d.remaining = d.ready
        plan_units = [
            _Unit(u.unit_id, u.recording_capacity,
                  [i for i, day in enumerate(days) if u.works_on(day)], _unit_order_key(u))
            for u in unit_specs
        ]
        pieces, unplaced = _attempt(ordered, plan_units, days, settings)
        if not unplaced:
            return _build_plan(plan_id, start, lb, days, pieces, plan_units, settings, total, [])
        best_unplaced = unplaced
    # Could not place everything within the search window: report what is left.
    plan_units = [
        _Unit(u.unit_id, u.recording_capacity,
              [i for i, day in enumerate(all_days) if u.works_on(day)], _unit_order_key(u))
        for u in unit_specs
    ]
    left = [
        Unplaced(npsn=d.npsn, students=d.remaining,
                 reason=f"no open day with free capacity within {horizon_max} working days")
        for d in best_unplaced
    ]
    return _build_plan(plan_id, start, lb, all_days, pieces, plan_units, settings, total, left)


def _capacity_horizon(
    total: int, units: Sequence[MobileUnit], calendar: ProgrammeCalendar, start: date, limit: int
) -> int | None:
    held = 0
    for n, day in enumerate(calendar.working_days(start), start=1):
        held += sum(u.recording_capacity for u in units if u.works_on(day))
        if held >= total:
            return n
        if n >= limit:
            return None
    return None  # pragma: no cover - working_days is endless


def _check_unique(schools: Sequence[School], units: Sequence[MobileUnit]) -> None:
    seen: set[str] = set()
    for s in schools:
        if s.npsn in seen:
            raise PlanningError(f"school {s.npsn} is listed twice")
        seen.add(s.npsn)
    ids = [u.unit_id for u in units]
    if len(set(ids)) != len(ids):
        raise PlanningError("a mobile unit is listed twice")


def _unit_order_key(u: MobileUnit) -> tuple:
    if u.base_coordinates is not None:
        return (0, hilbert_key(u.base_coordinates.lat, u.base_coordinates.lon), u.unit_id)
    return (1, 0, u.unit_id)


def _stream_order(demands: list[_Demand]) -> list[_Demand]:
    """Kecamatan groups along a Hilbert curve (by centroid), largest school first in a group."""
    groups: dict[str, list[_Demand]] = defaultdict(list)
    for d in demands:
        groups[d.kec_key].append(d)

    def group_key(item: tuple[str, list[_Demand]]) -> tuple:
        name, members = item
        points = [m.point for m in members if m.point is not None]
        if points:
            lat = sum(p[0] for p in points) / len(points)
            lon = sum(p[1] for p in points) / len(points)
            return (0, hilbert_key(lat, lon), name)
        return (1, 0, name)

    out: list[_Demand] = []
    for _, members in sorted(groups.items(), key=group_key):
        members.sort(key=lambda m: (-m.ready, m.npsn))
        out.extend(members)
    return out


@dataclass(slots=True, eq=False)
class _Item:
    """Part of a school to place on one day: a small school whole, or a large school's tail."""

    demand: _Demand
    count: int
    pos: int  # position in the stream order (geography)
    block: _Run | None = None  # the large school's run this tail belongs after


@dataclass(slots=True, eq=False)
class _Job:
    """What one unit does on one day: one or two (school, students) pieces."""

    pieces: list[tuple[_Demand, int]]

    @property
    def load(self) -> int:
        return sum(c for _, c in self.pieces)


@dataclass(slots=True, eq=False)
class _Run:
    """Jobs that must happen on consecutive days of one unit."""

    jobs: list[_Job]
    pos: int


def _attempt(
    ordered: list[_Demand], units: list[_Unit], days: list[date], settings: PlannerSettings
) -> tuple[list[_Piece], list[_Demand]]:
    pools: dict[int, list[int]] = defaultdict(list)
    for ui, unit in enumerate(units):
        if unit.days:
            pools[unit.capacity].append(ui)
    if not pools:
        return [], [d for d in ordered if d.ready > 0]
    shares = _deal_to_pools(ordered, pools, units)
    taken: list[bytearray] = [bytearray(len(days)) for _ in units]
    loads: dict[tuple[int, int], _DayLoad] = {}
    pieces: list[_Piece] = []
    homeless: list[_Job] = []
    for capacity, members in sorted(pools.items()):
        pool_units = [units[i] for i in members]
        slots = sum(len(u.days) for u in pool_units)
        runs, singles, chain = _pool_runs(shares[capacity], capacity, slots, settings)
        rest = _fill_chain(chain, members, units, days, taken, loads, pieces, settings)
        homeless += _place(runs, singles, members, units, days, taken, loads, pieces, settings)
        homeless += [_Job([(it.demand, it.count)]) for it in rest]
    left = _spill(homeless, units, days, taken, loads, pieces, settings)
    return pieces, left


def _deal_to_pools(
    ordered: list[_Demand], pools: dict[int, list[int]], units: list[_Unit]
) -> dict[int, list[tuple[_Demand, int]]]:
    """Give each capacity class a run of the school order in proportion to what it can record."""
    out: dict[int, list[tuple[_Demand, int]]] = {c: [] for c in pools}
    if len(pools) == 1:
        (c,) = pools
        out[c] = [(d, d.ready) for d in ordered]
        return out
    power = {c: c * sum(len(units[i].days) for i in members) for c, members in pools.items()}
    total_power = sum(power.values())
    total = sum(d.ready for d in ordered)
    classes = sorted(pools, reverse=True)  # big units take the first (and largest) schools
    quota = {c: total * power[c] / total_power for c in classes}
    ci = 0
    for d in ordered:
        while ci < len(classes) - 1 and quota[classes[ci]] <= 0:
            ci += 1
        c = classes[ci]
        out[c].append((d, d.ready))
        quota[c] -= d.ready
    return out


def _pool_runs(
    share: list[tuple[_Demand, int]], capacity: int, slots: int, settings: PlannerSettings
) -> tuple[list[_Run], list[_Run], list[_Item]]:
    """Pack one capacity class's schools: runs (consecutive days), single days, chain items."""
    blocks: list[_Run] = []
    items: list[_Item] = []
    for pos, (d, n) in enumerate(share):
        if n <= 0:
            continue
        if n < capacity or (n == capacity):
            if n == capacity:
                blocks.append(_Run([_Job([(d, n)])], pos))
            else:
                items.append(_Item(d, n, pos))
            continue
        full, tail = divmod(n, capacity)
        run = _Run([_Job([(d, capacity)]) for _ in range(full)], pos)
        blocks.append(run)
        if tail:
            items.append(_Item(d, tail, pos, run))
    full_days = sum(len(r.jobs) for r in blocks)
    bins = _pair_by_kecamatan(items, capacity, settings)
    if full_days + len(bins) > slots and settings.share_across_kecamatan:
        bins = _pair_kecamatan_first(items, capacity)
    if full_days + len(bins) > slots and settings.share_across_kecamatan:
        bins = _pair_greedy(items, capacity)
    if full_days + len(bins) > slots:
        # Pairing whole schools needs more days than there are. Days where two whole schools
        # fill the unit (almost) exactly stay; every other school goes into one chain (each
        # day = end of one school + start of the next), large schools serving as filler.
        keep = _tight_pairs([it for it in items if it.block is None], capacity, max(1, capacity // 50),
                            same_kecamatan_only=not settings.share_across_kecamatan)
        kept = {id(it.demand) for b in keep for it in b}
        chain = [_Item(d, n, pos) for pos, (d, n) in enumerate(share) if n > 0 and id(d) not in kept]
        singles = [_Run([_Job([(it.demand, it.count) for it in b])], min(it.pos for it in b)) for b in keep]
        singles.sort(key=lambda r: r.pos)
        return [], singles, chain
    if settings.share_across_kecamatan:
        bins = _improve_locality(bins, capacity)
    chain: list[_Item] = []
    singles: list[_Run] = []
    for b in bins:
        tails = [it for it in b if it.block is not None]
        job = _Job([(it.demand, it.count) for it in b])
        if len(tails) == 2:
            # A's days, the shared day (A's tail morning, B's tail afternoon), then B's days
            a, bb = tails
            a.block.jobs.append(job)  # type: ignore[union-attr]
            a.block.jobs.extend(bb.block.jobs)  # type: ignore[union-attr]
            bb.block.jobs = []  # type: ignore[union-attr]
        elif tails:
            tail = tails[0]
            job.pieces.sort(key=lambda p: p[0] is not tail.demand)  # the tail in the morning
            tail.block.jobs.append(job)  # type: ignore[union-attr]
        else:
            singles.append(_Run([job], min(it.pos for it in b)))
    runs = [r for r in blocks if r.jobs]
    runs.sort(key=lambda r: (-len(r.jobs), r.pos))
    singles.sort(key=lambda r: r.pos)
    chain.sort(key=lambda it: (it.pos, -it.count))
    return runs, singles, chain


def _two_pointer(items: list[_Item], capacity: int) -> tuple[list[list[_Item]], list[_Item]]:
    """Optimal pairing for two-per-day bins: largest with smallest when they fit."""
    ordered = sorted(items, key=lambda it: (-it.count, it.pos))
    i, j = 0, len(ordered) - 1
    pairs: list[list[_Item]] = []
    alone: list[_Item] = []
    while i <= j:
        if i < j and ordered[i].count + ordered[j].count <= capacity:
            pairs.append([ordered[i], ordered[j]])
            j -= 1
        else:
            alone.append(ordered[i])
        i += 1
    return pairs, alone


def _tight_pairs(
    items: list[_Item], capacity: int, slack: int, *, same_kecamatan_only: bool = False
) -> list[list[_Item]]:
    """Pairs of whole schools that fill a day to within ``slack`` students (largest first,
    the partner from the same kecamatan when there is one of the right size)."""
    buckets: dict[int, list[_Item]] = defaultdict(list)
    for it in sorted(items, key=lambda it: (it.count, -it.pos)):
        buckets[it.count].append(it)
    used: set[int] = set()
    pairs: list[list[_Item]] = []
    for it in sorted(items, key=lambda it: (-it.count, it.pos)):
        if id(it) in used:
            continue
        for target in range(capacity - it.count, capacity - it.count - slack - 1, -1):
            bucket = buckets.get(target)
            if not bucket:
                continue
            while bucket and id(bucket[-1]) in used:
                bucket.pop()
            candidates = [b for b in (bucket if same_kecamatan_only else bucket[-8:])
                          if b is not it and id(b) not in used
                          and (not same_kecamatan_only or b.demand.kec_key == it.demand.kec_key)]
            if not candidates:
                continue
            partner = next((b for b in candidates if b.demand.kec_key == it.demand.kec_key), candidates[-1])
            used.add(id(it))
            used.add(id(partner))
            pairs.append([it, partner])
            break
    return pairs


def _pair_by_kecamatan(items: list[_Item], capacity: int, settings: PlannerSettings) -> list[list[_Item]]:
    groups: dict[str, list[_Item]] = defaultdict(list)
    for it in items:
        groups[it.demand.kec_key].append(it)
    bins: list[list[_Item]] = []
    for members in groups.values():
        pairs, alone = _two_pointer(members, capacity)
        bins += pairs
        bins += [[a] for a in alone]
    return bins


def _pair_kecamatan_first(items: list[_Item], capacity: int) -> list[list[_Item]]:
    """Largest school first; its partner is the largest school of its own kecamatan that fits,
    else the smallest school anywhere (the optimal pairing's choice)."""
    ordered = sorted(items, key=lambda it: (-it.count, it.pos))
    groups: dict[str, list[int]] = defaultdict(list)
    for k, it in enumerate(ordered):
        groups[it.demand.kec_key].append(k)
    paired = [False] * len(ordered)
    bins: list[list[_Item]] = []
    j = len(ordered) - 1
    for i, it in enumerate(ordered):
        if paired[i]:
            continue
        paired[i] = True
        room = capacity - it.count
        partner = -1
        for k in groups[it.demand.kec_key]:
            if not paired[k] and ordered[k].count <= room:
                partner = k
                break
        if partner < 0:
            while j > i and paired[j]:
                j -= 1
            if j > i and ordered[j].count <= room:
                partner = j
        if partner >= 0:
            paired[partner] = True
            bins.append([it, ordered[partner]])
        else:
            bins.append([it])
    return bins


def _same(a: _Item, b: _Item) -> int:
    return 1 if a.demand.kec_key == b.demand.kec_key else 0


def _apart(a: _Item, b: _Item) -> float:
    """Travel between two schools sharing a day (km; 0 inside a kecamatan or without coordinates)."""
    if _same(a, b) or a.demand.point is None or b.demand.point is None:
        return 0.0
    return distance_km(a.demand.point, b.demand.point)


def _score(p: tuple[_Item, _Item], q: tuple[_Item, _Item]) -> tuple[int, float]:
    return (_same(*p) + _same(*q), -round(_apart(*p) + _apart(*q), 3))


def _improve_locality(bins: list[list[_Item]], capacity: int, distance_limit: int = 200) -> list[list[_Item]]:
    """Swap partners between shared days while that puts more days inside one kecamatan, or
    (for small plans, as many inside) shortens the trips between schools of different
    kecamatan. Same number of days, capacity kept."""
    pairs = [(b[0], b[1]) for b in bins if len(b) == 2]
    by_kec: dict[str, set[int]] = defaultdict(set)
    for k, (a, b) in enumerate(pairs):
        by_kec[a.demand.kec_key].add(k)
        by_kec[b.demand.kec_key].add(k)
    use_distance = len(pairs) <= distance_limit
    for _ in range(20):
        improved = False
        for x in range(len(pairs)):
            a, b = pairs[x]
            if _same(a, b):
                continue
            if use_distance:
                candidates = range(len(pairs))
            else:  # only days holding a school of a's or b's kecamatan can help
                candidates = sorted(by_kec[a.demand.kec_key] | by_kec[b.demand.kec_key])
            for y in candidates:
                if y == x:
                    continue
                c, d = pairs[y]
                now = _score(pairs[x], pairs[y])
                for p1, p2 in (((a, c), (b, d)), ((a, d), (b, c))):
                    if (p1[0].count + p1[1].count <= capacity and p2[0].count + p2[1].count <= capacity
                            and _score(p1, p2) > now):
                        for k, pair in ((x, pairs[x]), (y, pairs[y])):
                            for it in pair:
                                by_kec[it.demand.kec_key].discard(k)
                        pairs[x], pairs[y] = p1, p2
                        for k, pair in ((x, p1), (y, p2)):
                            for it in pair:
                                by_kec[it.demand.kec_key].add(k)
                        a, b = p1
                        improved = True
                        break
                if _same(a, b):
                    break
        if not improved:
            break
    return [b for b in bins if len(b) != 2] + [list(p) for p in pairs]


def _pair_greedy(items: list[_Item], capacity: int) -> list[list[_Item]]:
    """Fewest days: pair within a kecamatan where that costs no day, then across (nearest first)."""
    pairs, alone = _two_pointer(items, capacity)
    best = len(pairs) + len(alone)
    # Keep kecamatan pairs that the optimum can afford: pair inside groups first, then the rest.
    groups: dict[str, list[_Item]] = defaultdict(list)
    for it in items:
        groups[it.demand.kec_key].append(it)
    local: list[list[_Item]] = []
    rest: list[_Item] = []
    for members in groups.values():
        p, a = _two_pointer(members, capacity)
        local += p
        rest += a
    p2, a2 = _two_pointer(rest, capacity)
    if len(local) + len(p2) + len(a2) <= best:
        return local + p2 + [[x] for x in a2]
    return pairs + [[x] for x in alone]


def _fill_chain(
    chain: list[_Item],
    members: list[int],
    units: list[_Unit],
    days: list[date],
    taken: list[bytearray],
    loads: dict[tuple[int, int], _DayLoad],
    pieces: list[_Piece],
    settings: PlannerSettings,
) -> list[_Item]:
    """Lay the chain over whole units, day by day, in a snake: every other unit runs backwards
    in time so a school cut at a unit's end continues on the next unit the same day."""
    pool = [[it.demand, it.count] for it in chain]
    head = 0
    compact = 0
    reverse = False
    for ui in sorted(members, key=lambda i: units[i].order_key):
        if head >= len(pool):
            break
        udays = units[ui].days
        order = list(reversed(udays)) if reverse else list(udays)
        cap = units[ui].capacity
        current: list | None = None  # [demand, left] continuing from the previous day
        for di in order:
            if taken[ui][di]:
                continue
            compact += 1
            if compact >= 128:  # drop consumed entries so scans stay short
                compact = 0
                pool = [p for p in pool[head:] if p[1] > 0]
                head = 0
            day = days[di]
            job: list[tuple[_Demand, int]] = []
            room = cap
            if current is not None and day in current[0].closed:
                pool.insert(head, current)
                current = None
            if current is None:
                # skip consumed entries
                while head < len(pool) and pool[head][1] <= 0:
                    head += 1
                k = _next_open(pool, head, day, settings.lookahead)
                if k < 0:
                    continue
                current = pool[k]
                if k == head:
                    head += 1
                else:
                    pool[k] = [current[0], 0]
            take = min(current[1], room)
            job.append((current[0], take))
            current[1] -= take
            room -= take
            if current[1] == 0:
                current = None
                if room > 0:
                    while head < len(pool) and pool[head][1] <= 0:
                        head += 1
                    k = _chain_partner(pool, head, day, room, job[0][0], settings)
                    if k >= 0:
                        partner = pool[k]
                        pool[k] = [partner[0], 0]
                        if k == head:
                            head += 1
                        take = min(partner[1], room)
                        job.append((partner[0], take))
                        room -= take
                        left = partner[1] - take
                        if left > 0:
                            current = [partner[0], left]
            _commit(ui, di, _Job(job), taken, loads, pieces)
            if current is None and head >= len(pool):
                break
        if current is not None:
            pool.insert(head, current)  # continues on the next unit, same day thanks to the snake
        reverse = not reverse
    return [_Item(d, n, 0) for d, n in pool[head:] if n > 0]


def _next_open(pool: list[list], head: int, day: date, lookahead: int) -> int:
    """Morning school of a fresh chain day: the smallest open one nearby, so that the larger
    schools remain to fill afternoons (a school bigger than the room continues next day)."""
    best = -1
    scanned = 0
    for k in range(head, len(pool)):
        d, n = pool[k]
        if n <= 0:
            continue
        if day not in d.closed and (best < 0 or n < pool[best][1]):
            best = k
        scanned += 1
        if scanned >= lookahead:
            break
    return best


def _chain_partner(
    pool: list[list], head: int, day: date, room: int, first: _Demand, settings: PlannerSettings
) -> int:
    """Afternoon school on a chain day: an exact fit; else the largest school bigger than the
    room (it continues next morning; same kecamatan first); else the largest that fits (the
    day then wastes a little)."""
    exact = split_same = split_other = best_small = -1
    scanned = 0
    for k in range(head, len(pool)):
        d, n = pool[k]
        if n <= 0 or day in d.closed or d is first:
            continue
        same = d.kec_key == first.kec_key
        if not same and not settings.share_across_kecamatan:
            continue
        if n == room:
            exact = k
            break
        if n > room:
            if room >= settings.min_split_students:
                if same:
                    if split_same < 0 or n > pool[split_same][1]:
                        split_same = k
                elif split_other < 0 or n > pool[split_other][1]:
                    split_other = k
        elif best_small < 0 or n > pool[best_small][1]:
            best_small = k
        scanned += 1
        if scanned >= settings.lookahead:
            break
    for k in (exact, split_same, split_other, best_small):
        if k >= 0:
            return k
    return -1


def _place(
    runs: list[_Run],
    singles: list[_Run],
    members: list[int],
    units: list[_Unit],
    days: list[date],
    taken: list[bytearray],
    loads: dict[tuple[int, int], _DayLoad],
    pieces: list[_Piece],
    settings: PlannerSettings,
) -> list[_Job]:
    """Put runs on units (earliest free start first), then single days in geographic order."""
    frontier = {ui: _first_free(taken[ui], units[ui].days, 0) for ui in members}
    homeless: list[_Job] = []
    heap = [(frontier[ui], k, ui) for k, ui in enumerate(members) if frontier[ui] < len(units[ui].days)]
    heapq.heapify(heap)
    for run in runs:
        tried: list[tuple[int, int, int]] = []
        placed = False
        while heap and len(tried) < 16:
            entry = heapq.heappop(heap)
            ui = entry[2]
            f = frontier[ui]
            udays = units[ui].days
            n = len(run.jobs)
            if f + n <= len(udays) and all(
                not taken[ui][udays[f + k]] and _open(job, days[udays[f + k]])
                for k, job in enumerate(run.jobs)
            ):
                for k, job in enumerate(run.jobs):
                    _commit(ui, udays[f + k], job, taken, loads, pieces)
                frontier[ui] = _first_free(taken[ui], udays, f + n)
                if frontier[ui] < len(udays):
                    heapq.heappush(heap, (frontier[ui], entry[1], ui))
                placed = True
                break
            tried.append(entry)
        for entry in tried:
            heapq.heappush(heap, entry)
        if not placed:
            homeless.extend(run.jobs)
    # single days: each unit in turn takes the next stretch of the geographic order
    queue: list[_Run | None] = list(singles)
    qi = 0
    for ui in sorted(members, key=lambda i: units[i].order_key):
        udays = units[ui].days
        for k in range(frontier[ui], len(udays)):
            di = udays[k]
            if taken[ui][di]:
                continue
            while qi < len(queue) and queue[qi] is None:
                qi += 1
            if qi >= len(queue):
                break
            found = -1
            for j in range(qi, min(len(queue), qi + settings.lookahead)):
                cand = queue[j]
                if cand is not None and _open(cand.jobs[0], days[di]):
                    found = j
                    break
            if found < 0:
                continue
            _commit(ui, di, queue[found].jobs[0], taken, loads, pieces)  # type: ignore[union-attr]
            queue[found] = None
    homeless.extend(run.jobs[0] for run in queue if run is not None)
    return homeless


def _open(job: _Job, day: date) -> bool:
    return all(day not in d.closed for d, _ in job.pieces)


def _first_free(row: bytearray, udays: list[int], start: int) -> int:
    k = start
    while k < len(udays) and row[udays[k]]:
        k += 1
    return k


def _commit(
    ui: int, di: int, job: _Job, taken: list[bytearray], loads: dict[tuple[int, int], _DayLoad],
    pieces: list[_Piece],
) -> None:
    taken[ui][di] = 1
    load = loads.setdefault((ui, di), _DayLoad())
    for d, count in job.pieces:
        load.used += count
        load.demands.append(d)
        pieces.append(_Piece(d, ui, di, count))


def _spill(
    homeless: list[_Job],
    units: list[_Unit],
    days: list[date],
    taken: list[bytearray],
    loads: dict[tuple[int, int], _DayLoad],
    pieces: list[_Piece],
    settings: PlannerSettings,
) -> list[_Demand]:
    """Place what did not fit where it was packed: a free day anywhere, else free sessions."""
    if not homeless:
        return []
    free_days: list[list[int]] = [[] for _ in days]  # units with nothing on that day
    open_sessions: list[list[int]] = [[] for _ in days]  # units with one school and room left
    room_left = 0
    for ui, unit in enumerate(units):
        for di in unit.days:
            load = loads.get((ui, di))
            if not taken[ui][di] and (load is None or not load.demands):
                free_days[di].append(ui)
                room_left += unit.capacity
            elif load is not None and len(load.demands) == 1 and load.used < unit.capacity:
                open_sessions[di].append(ui)
                room_left += unit.capacity - load.used
    if room_left < sum(job.load for job in homeless):
        # hopeless within this horizon: say so at once (the caller tries a longer one)
        return _leftover_demands(homeless)
    left: dict[int, tuple[_Demand, int]] = {}
    for job in homeless:
        placed = False
        for di, day in enumerate(days):
            if not free_days[di] or not _open(job, day):
                continue
            for k, ui in enumerate(free_days[di]):
                if units[ui].capacity >= job.load:
                    _commit(ui, di, job, taken, loads, pieces)
                    free_days[di].pop(k)
                    if len(job.pieces) == 1 and job.load < units[ui].capacity:
                        open_sessions[di].append(ui)
                    placed = True
                    break
            if placed:
                break
        if not placed:
            for d, count in job.pieces:
                prev = left.get(id(d))
                left[id(d)] = (d, count + (prev[1] if prev else 0))
    still: list[_Demand] = []
    for d, count in left.values():
        for di, day in enumerate(days):
            if count <= 0:
                break
            if day in d.closed:
                continue
            for ui in list(open_sessions[di]) + list(free_days[di]):
                cap = units[ui].capacity
                load = loads.get((ui, di))
                if load is None:
                    load = loads[(ui, di)] = _DayLoad()
                if load.used >= cap or len(load.demands) >= 2 or any(x is d for x in load.demands):
                    continue
                if load.demands and not settings.share_across_kecamatan and (
                    load.demands[0].kec_key != d.kec_key
                ):
                    continue
                take = min(count, cap - load.used)
                if load.demands and take < min(settings.min_split_students, count):
                    continue
                was_free = not load.demands
                taken[ui][di] = 1
                count -= take
                load.used += take
                load.demands.append(d)
                pieces.append(_Piece(d, ui, di, take))
                if was_free:
                    free_days[di].remove(ui)
                    if load.used < cap:
                        open_sessions[di].append(ui)
                elif ui in open_sessions[di]:
                    open_sessions[di].remove(ui)
                if count <= 0:
                    break
        if count > 0:
            d.remaining = count
            still.append(d)
    return still


def _leftover_demands(jobs: list[_Job]) -> list[_Demand]:
    left: dict[int, _Demand] = {}
    counts: dict[int, int] = defaultdict(int)
    for job in jobs:
        for d, count in job.pieces:
            left[id(d)] = d
            counts[id(d)] += count
    for key, d in left.items():
        d.remaining = counts[key]
    return list(left.values())


def _build_plan(
    plan_id: str,
    start: date,
    lb: int,
    days: list[date],
    pieces: list[_Piece],
    units: list[_Unit],
    settings: PlannerSettings,
    total: int,
    unplaced: list[Unplaced],
) -> Plan:
    per_day: dict[tuple[int, int], list[_Piece]] = defaultdict(list)
    for p in pieces:
        per_day[(p.unit, p.day)].append(p)
    visits: list[PlannedVisit] = []
    seq: dict[str, int] = defaultdict(int)
    times = settings.sessions
    last = -1
    for (ui, di), group in sorted(per_day.items(), key=lambda kv: (kv[0][1], units[kv[0][0]].unit_id)):
        last = max(last, di)
        sessions = [Session.FULL_DAY] if len(group) == 1 else [Session.MORNING, Session.AFTERNOON]
        for piece, session in zip(group, sessions, strict=True):
            d = piece.demand
            seq[d.npsn] += 1
            window = times.window(session)
            visits.append(
                PlannedVisit.model_construct(
                    visit_id=str(uuid.uuid5(PLAN_NAMESPACE, f"{plan_id}/{d.npsn}/{seq[d.npsn]}")),
                    plan_id=plan_id,
                    npsn=d.npsn,
                    school_name=d.name,
                    kecamatan=d.kecamatan,
                    unit_id=units[ui].unit_id,
                    date=days[di],
                    session=session,
                    start=window[0],
                    end=window[1],
                    expected_students=piece.count,
                )
            )
    capacity = {u.unit_id: u.capacity for u in units}
    plan = Plan.model_construct(
        plan_id=plan_id,
        start=start,
        working_days=days[: last + 1],
        lower_bound_days=lb,
        makespan_days=last + 1,
        total_ready=total,
        visits=visits,
        unplaced=unplaced,
        stats=None,
    )
    plan.stats = _stats(visits, days[: last + 1], capacity)
    return plan


def _stats(visits: list[PlannedVisit], days: list[date], capacity: dict[str, int]) -> PlanStats:
    index = {d: i for i, d in enumerate(days)}
    by_school: dict[str, list[PlannedVisit]] = defaultdict(list)
    by_unit_day: dict[tuple[str, date], list[PlannedVisit]] = defaultdict(list)
    for v in visits:
        by_school[v.npsn].append(v)
        by_unit_day[(v.unit_id, v.date)].append(v)
    shared = [g for g in by_unit_day.values() if len(g) > 1]
    cross = sum(1 for g in shared if len({v.kecamatan.casefold() for v in g}) > 1)
    extra = 0
    non_consecutive = 0
    day_counts = []
    for vs in by_school.values():
        dates = sorted({v.date for v in vs})
        day_counts.append(len(dates))
        cap = max(capacity[v.unit_id] for v in vs)
        if len(dates) > math.ceil(sum(v.expected_students for v in vs) / cap):
            extra += 1
        idx = [index[d] for d in dates]
        if idx[-1] - idx[0] + 1 != len(idx):
            non_consecutive += 1
    return PlanStats(
        schools=len(by_school),
        visits=len(visits),
        shared_days=len(shared),
        cross_kecamatan_shared_days=cross,
        mean_visit_days_per_school=round(sum(day_counts) / len(day_counts), 3) if day_counts else 0.0,
        schools_with_extra_days=extra,
        non_consecutive_schools=non_consecutive,
    )
