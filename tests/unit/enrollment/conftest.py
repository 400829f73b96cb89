"""Lets the test modules here import their synthetic-data helpers
(`enrollment_synthetic`, `enrollment_hostile`) under pytest's importlib mode."""

import sys
from pathlib import Path

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
