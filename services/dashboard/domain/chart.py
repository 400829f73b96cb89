"""The per-day line chart as inline SVG, drawn on the server (no script, no external asset)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]
    colour: str


def nice_ceiling(value: int) -> int:
    """A round upper bound for the y axis: 1, 2, 5 times a power of ten (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def line_chart(labels: Sequence[str], series: Sequence[Series], *, width: int = 1100, height: int = 300,
               title: str = "") -> str:
    """One polyline per series over ``labels`` (days); an empty chart says there is nothing yet."""
    left, right, top, bottom = 56, 40, 28, 52
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
             f'role="img" aria-label="{escape(title)}" class="chart">']
    if title:
        parts.append(f'<title>{escape(title)}</title>')
    if not labels:
        parts.append(f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle" class="empty">'
                     'no recordings yet</text></svg>')
        return "".join(parts)
    top_value = max(5, nice_ceiling(max((max(s.values, default=0) for s in series), default=0)))
    steps = 4 if str(top_value)[0] == "2" else 5  # whole numbers on every grid line
    n = len(labels)

    def x(i: int) -> float:
        return left + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

    def y(v: int) -> float:
        return top + plot_h - plot_h * v / top_value

    for k in range(steps + 1):  # grid and y labels
        v = top_value * k // steps
        yy = y(v)
        parts.append(f'<line x1="{left}" y1="{yy:.1f}" x2="{width - right}" y2="{yy:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end" class="tick">{v}</text>')
    every = max(1, math.ceil(n / 12))
    for i, label in enumerate(labels):
        if i % every == 0 or i == n - 1:
            parts.append(f'<text x="{x(i):.1f}" y="{height - bottom + 18}" text-anchor="middle" '
                         f'class="tick">{escape(label)}</text>')
    for s in series:
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(s.values))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{s.colour}" stroke-width="2.5" '
                     f'class="series"><title>{escape(s.name)}</title></polyline>')
        for i, v in enumerate(s.values):
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{s.colour}">'
                         f'<title>{escape(labels[i])}: {v} {escape(s.name)}</title></circle>')
    lx = left
    for s in series:  # legend under the axis
        parts.append(f'<rect x="{lx}" y="{height - 18}" width="14" height="4" fill="{s.colour}"/>')
        parts.append(f'<text x="{lx + 20}" y="{height - 12}" class="legend">{escape(s.name)}</text>')
        lx += 30 + 8 * len(s.name)
    parts.append("</svg>")
    return "".join(parts)
