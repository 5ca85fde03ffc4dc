"""Pydantic models of what the API accepts and returns, one module per resource.

They are separate from the storage types (msgspec structs of ``lifeline``): each
response model has an ``of(...)`` constructor from the storage value. Times are given
as RFC 3339 UTC strings (``ts``, ``last_seen`` ...) and as raw epoch ms (``*_ms``).
"""
