"""The bench's API credentials (issue 6: every API route but /healthz and /metrics needs a
bearer token). A stack the bench starts gets this process's own bootstrap admin token;
against an external target set ``LIFELINE_API_TOKEN`` (an API key)."""

from __future__ import annotations

import os
import secrets
from typing import Final

__all__ = ["api_headers", "bootstrap_token"]

_OWN: Final = "bench-" + secrets.token_urlsafe(32)


def bootstrap_token() -> str:
    """The bootstrap admin token for stacks the bench starts."""
    return os.environ.get("LIFELINE_BOOTSTRAP_ADMIN_TOKEN") or _OWN


def api_headers() -> dict[str, str]:
    token = os.environ.get("LIFELINE_API_TOKEN") or bootstrap_token()
    return {"Authorization": f"Bearer {token}"}
