"""Benchmark: render KTP-el cards (the two-page PDF that goes to the printer).

Every card has its own synthetic photo and signature (made before timing starts), so no
per-person image is cached. Figures are for one process on one core.

    python bench/printing.py              # the documented full run: 1,000 cards
    python bench/printing.py --size 200   # quicker
    python bench/printing.py --preview    # also time the PNG preview

The last line is one JSON object: {"cards_per_s": ..., "ms_per_card": ...}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.printing.domain.card import CardImages  # noqa: E402
from services.printing.rendering.card_pdf import render_card_pdf  # noqa: E402
from services.printing.rendering.card_preview import render_card_preview  # noqa: E402
from services.printing.synthetic import synthetic_card, synthetic_photo, synthetic_signature  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1000, help="cards to render (default 1000)")
    parser.add_argument("--preview", action="store_true", help="also time PNG previews (on up to 100 cards)")
    args = parser.parse_args()
    if args.size < 1:
        parser.error("--size must be at least 1")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    cards = [
        synthetic_card(n, images=CardImages(photo=synthetic_photo(n), signature=synthetic_signature(n)))
        for n in range(1, args.size + 1)
    ]
    render_card_pdf(cards[0])  # warm-up: imports, font metrics
    print(f"python {platform.python_version()} on {platform.machine()}, {args.size} cards, one core")

    per_card = []
    total_bytes = 0
    started = time.perf_counter()
    for card in cards:
        t = time.perf_counter()
        total_bytes += len(render_card_pdf(card))
        per_card.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - started

    cards_per_s = args.size / elapsed
    ms_per_card = elapsed * 1000 / args.size
    print(f"PDF: {elapsed:.2f} s total, median {statistics.median(per_card) * 1000:.2f} ms, "
          f"p95 {sorted(per_card)[int(len(per_card) * 0.95) - 1] * 1000:.2f} ms, "
          f"average size {total_bytes / args.size / 1024:.1f} KiB")
    if args.preview:
        sample = cards[: min(100, len(cards))]
        t = time.perf_counter()
        for card in sample:
            render_card_preview(card)
        print(f"PNG preview: {(time.perf_counter() - t) * 1000 / len(sample):.2f} ms per card")
    print(json.dumps({"cards_per_s": round(cards_per_s, 1), "ms_per_card": round(ms_per_card, 3)}))


if __name__ == "__main__":
    main()
