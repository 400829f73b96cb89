"""Blank card stock (blangko) per unit, as far as the public events tell it.

Public events say how many blanks a unit had when it fell below its threshold (``stock.low``)
and every card it printed since (``card.printed``, reprints included: each uses a blank).
They do not say when blanks are received, spoiled or written off, nor a unit's stock before its
first ``stock.low``. So the dashboard shows an *estimate*: the last reported remainder minus the
cards printed since, and says plainly when that cannot be right (more cards printed than the
remainder means a delivery it could not see).
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class StockReport(BaseModel):
    """The latest ``stock.low`` of a unit, with what the dashboard saw at that unit since."""

    unit_id: str
    remaining: int
    threshold: int
    at: dt.datetime
    printed_since: int = 0
    certificates_since: int = 0


class StockView(BaseModel):
    unit_id: str
    known: bool = Field(description="false: this unit never reported low stock, so its level is not public")
    last_reported: int | None = None
    threshold: int | None = None
    reported_at: dt.datetime | None = None
    printed_since: int = 0
    certificates_since: int = 0
    estimate: int | None = Field(None, description="last reported remainder minus cards printed since")
    status: str
    note: str


def stock_view(unit_id: str, report: StockReport | None) -> StockView:
    if report is None:
        return StockView(unit_id=unit_id, known=False, status="unknown",
                         note="never reported low: its stock is not in the public events")
    estimate = report.remaining - report.printed_since
    base = dict(unit_id=unit_id, known=True, last_reported=report.remaining, threshold=report.threshold,
                reported_at=report.at, printed_since=report.printed_since,
                certificates_since=report.certificates_since)
    if estimate < 0:
        return StockView(**base, estimate=None, status="restocked",
                         note=f"{report.printed_since} cards printed since {report.remaining} were reported: "
                              "blanks were received (deliveries are not public); level unknown")
    if estimate == 0:
        note = "out of blanks"
    else:
        note = f"below its threshold of {report.threshold}; deliveries since are not public"
    if report.certificates_since:
        note += f"; {report.certificates_since} certificate(s) issued instead of cards since"
    return StockView(**base, estimate=estimate, status="empty" if estimate == 0 else "low", note=note)
