"""The operations page renders every section from an Overview, escaped, with local assets only."""

from __future__ import annotations

import datetime as dt
import re
from datetime import UTC

from services.dashboard.domain.overview import Projections, QueueDepth, build_overview
from services.dashboard.web.page import percent, render_page

from .test_overview import QUEUES, projections

NOW = dt.datetime(2026, 5, 7, 3, 0, tzinfo=UTC)


def test_every_section_is_on_the_page() -> None:
    html = render_page(build_overview(projections(), QUEUES, now=NOW, timezone="Asia/Jakarta"), refresh_s=15)
    for section in ("totals", "schools", "days", "units", "visits", "queues", "unknowns"):
        assert f'id="{section}"' in html
    assert "SMAN 1 Contoh" in html and "<svg" in html and 'content="15"' in html
    assert "t.printing.restricted.dlq" in html and 'class="alarm"' in html
    assert "width:70.0%" in html  # 70 printed of a target of 100


def test_no_external_asset_is_referenced() -> None:
    html = render_page(build_overview(projections(), QUEUES, now=NOW, timezone="UTC"), refresh_s=0)
    urls = re.findall(r'(?:href|src)="([^"]+)"', html)
    assert urls and all(u.startswith("/") for u in urls), urls
    assert "http-equiv" not in html  # refresh 0: no reload


def test_names_from_events_are_escaped() -> None:
    p = Projections(schools=[{"_id": "20600009", "name": "<script>alert(1)</script>", "kind": "SMA",
                              "kecamatan": "X"}])
    html = render_page(build_overview(p, [], now=NOW, timezone="UTC"), refresh_s=0)
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_an_unreadable_queue_shows_a_question_mark_not_zero() -> None:
    queues = [QueueDepth(queue="t.x", dlq="t.x.dlq", error="broker unreachable (OSError)")]
    html = render_page(build_overview(Projections(), queues, now=NOW, timezone="UTC"), refresh_s=0)
    assert "broker unreachable" in html and ">?<" in html


def test_percent_is_capped_and_safe_for_a_zero_target() -> None:
    assert (percent(5, 0), percent(150, 100), percent(1, 4)) == (0.0, 100.0, 25.0)
