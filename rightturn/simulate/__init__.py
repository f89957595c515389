"""The demo organisation: raw sources a company would hand over, plus the hidden truth.

Imports nothing from the rest of rightturn, so it cannot share an assumption (or a bug)
with the capture code that later reads its output.
"""

from .engine import SimulationSummary, simulate_org
from .styles import STYLES, Style

__all__ = ["STYLES", "SimulationSummary", "Style", "simulate_org"]
