"""One APIRouter per resource, each with its full path prefix (``/api/v1/...``);
``health`` sits at the root.

Routers carry the whole prefix themselves, rather than receiving it from
``include_router``, so ``scope["route"].path`` is the full template the metrics
middleware labels requests with.
"""

from typing import Final

__all__ = ["API_PREFIX"]

API_PREFIX: Final = "/api/v1"
