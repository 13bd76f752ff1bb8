from __future__ import annotations

from ..subscription import *  # noqa: F401,F403
from ..subscription import Subscription, __all__  # noqa: F401
