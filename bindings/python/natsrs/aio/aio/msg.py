from __future__ import annotations

from ..msg import Msg, __all__  # noqa: F401
