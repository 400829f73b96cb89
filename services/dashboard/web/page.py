"""The operations page rendered from an ``Overview`` (Jinja2, autoescaped)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ..domain.chart import Series, line_chart
from ..domain.overview import Overview

COLOURS = {"recorded": "#1f6feb", "printed": "#2da44e", "handed_over": "#8250df", "certificates": "#d4a72c"}

_env = Environment(loader=PackageLoader("services.dashboard.web", "templates"),
                   autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)


def percent(part: int, whole: int) -> float:
    return 0.0 if whole <= 0 else min(100.0, 100.0 * part / whole)


def day_chart(overview: Overview) -> Markup:
    labels = [d.day.strftime("%d %b") for d in overview.days]
    series = [Series(name.replace("_", " "), [getattr(d, name) for d in overview.days], colour)
              for name, colour in COLOURS.items()]
    return Markup(line_chart(labels, series, title="Students per day"))


def render_page(overview: Overview, *, refresh_s: int) -> str:
    return _env.get_template("dashboard.html.j2").render(
        o=overview, chart=day_chart(overview), percent=percent, colours=COLOURS, refresh_s=refresh_s)
