"""Blank stock as far as public events tell it, and what they cannot."""

from __future__ import annotations

from services.dashboard.domain.stock import StockReport, stock_view

from .factory import T0


def report(remaining: int, printed_since: int = 0, certificates_since: int = 0) -> StockReport:
    return StockReport(unit_id="unit-1", remaining=remaining, threshold=20, at=T0,
                       printed_since=printed_since, certificates_since=certificates_since)


def test_a_unit_that_never_ran_low_has_an_unknown_level() -> None:
    view = stock_view("unit-2", None)
    assert (view.known, view.status, view.estimate) == (False, "unknown", None)
    assert "not in the public events" in view.note


def test_the_estimate_is_the_last_remainder_minus_cards_printed_since() -> None:
    view = stock_view("unit-1", report(15, printed_since=4))
    assert (view.known, view.status, view.estimate, view.last_reported) == (True, "low", 11, 15)
    assert "threshold of 20" in view.note


def test_no_blanks_left_is_empty_and_certificates_are_said() -> None:
    view = stock_view("unit-1", report(3, printed_since=3, certificates_since=2))
    assert (view.status, view.estimate) == ("empty", 0)
    assert "out of blanks" in view.note and "2 certificate(s)" in view.note


def test_more_cards_than_reported_means_an_unseen_delivery_not_a_negative_stock() -> None:
    view = stock_view("unit-1", report(2, printed_since=9))
    assert (view.status, view.estimate) == ("restocked", None)
    assert "9 cards printed since 2" in view.note and "not public" in view.note
