from __future__ import annotations

from ..client import *  # noqa: F401,F403
from ..client import Client, __all__  # noqa: F401
