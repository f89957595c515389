"""rightturn: sales management in the system.

Capture every rep activity, associate it with the right opportunity, define and inspect the sales
process, measure what works, and forecast from evidence.
"""

from __future__ import annotations

from rightturn.config import Settings, load_settings
from rightturn.crm.store import Store
from rightturn.errors import RightturnError

__version__ = "0.1.0"

__all__ = ["RightturnError", "Settings", "Store", "__version__", "load_settings"]
