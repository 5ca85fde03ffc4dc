"""Who may call which route: one rule per (method, path template), and nothing else.

A route without a rule is refused to everyone (403) and fails
``tests/api/test_auth_matrix.py``, so a new endpoint cannot ship unguarded. ``PUBLIC``
routes need no token (orchestrators, Prometheus, the login itself, the pages' HTML —
their data still needs a token). What a crew or utility sees *within* a route it may
call is narrowed by :mod:`api.auth.scope`.
"""

from __future__ import annotations

from typing import Final

from lifeline.core.identity import Role

__all__ = ["ACCESS", "ANYONE", "PUBLIC", "STAFF", "Rule", "rule_for"]

Rule = frozenset[Role]

PUBLIC: Final[Rule] = frozenset()  # no token needed
ANYONE: Final[Rule] = frozenset(Role)  # any authenticated account
STAFF: Final[Rule] = frozenset({Role.ADMIN, Role.OPERATOR})
ADMIN: Final[Rule] = frozenset({Role.ADMIN})
READERS: Final[Rule] = STAFF | {Role.UTILITY}  # utilities: their own things only
RESPONDERS: Final[Rule] = STAFF | {Role.CREW}  # crews: their own incidents only
_V1: Final = "/api/v1"

ACCESS: Final[dict[tuple[str, str], Rule]] = {
    # operations and pages
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/livez"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("GET", "/crew"): PUBLIC,
    ("GET", "/admin"): PUBLIC,
    ("GET", "/reports"): PUBLIC,
    # authentication
    ("POST", f"{_V1}/auth/login"): PUBLIC,
    ("POST", f"{_V1}/auth/logout"): ANYONE,
    ("GET", f"{_V1}/auth/me"): ANYONE,
    # registry (detail pages: crews see the places of their incidents)
    ("GET", f"{_V1}/channels"): READERS,
    ("GET", f"{_V1}/channels/{{channel_id}}"): ANYONE,
    ("PUT", f"{_V1}/channels/{{channel_id}}"): ADMIN,
    ("GET", f"{_V1}/enterprises"): READERS,
    ("GET", f"{_V1}/enterprises/{{enterprise_id}}"): ANYONE,
    ("GET", f"{_V1}/stations"): READERS,
    ("GET", f"{_V1}/stations/{{station_id}}"): ANYONE,
    ("GET", f"{_V1}/meters"): READERS,
    ("GET", f"{_V1}/meters/{{meter_id}}"): ANYONE,
    # data
    ("GET", f"{_V1}/series/{{source_id}}"): READERS,
    ("GET", f"{_V1}/series/{{source_id}}/metrics"): READERS,
    ("GET", f"{_V1}/series/{{source_id}}/events"): READERS,
    ("GET", f"{_V1}/rejects"): READERS,
    ("GET", f"{_V1}/rejects/summary"): STAFF,
    ("GET", f"{_V1}/rules"): ANYONE,  # names, metrics, set-points: alert texts on every page
    ("GET", f"{_V1}/kpis"): STAFF,
    ("GET", f"{_V1}/reports"): STAFF,
    ("GET", f"{_V1}/labels"): PUBLIC,
    ("GET", f"{_V1}/search"): READERS,
    ("GET", f"{_V1}/utilities"): READERS,
    # alerts
    ("GET", f"{_V1}/alerts"): ANYONE,
    ("GET", f"{_V1}/alerts/stream"): ANYONE,
    ("GET", f"{_V1}/alerts/{{alert_id}}"): ANYONE,
    ("POST", f"{_V1}/alerts/{{alert_id}}/ack"): RESPONDERS,
    ("POST", f"{_V1}/alerts/{{alert_id}}/close"): RESPONDERS,
    ("POST", f"{_V1}/alerts/{{alert_id}}/shelve"): STAFF,
    ("POST", f"{_V1}/alerts/{{alert_id}}/unshelve"): STAFF,
    ("POST", f"{_V1}/alerts/{{alert_id}}/out_of_service"): STAFF,
    ("POST", f"{_V1}/alerts/{{alert_id}}/return_to_service"): STAFF,
    ("POST", f"{_V1}/alerts/{{alert_id}}/assign"): STAFF,
    # administration
    ("GET", f"{_V1}/users"): ADMIN,
    ("POST", f"{_V1}/users"): ADMIN,
    ("PATCH", f"{_V1}/users/{{username}}"): ADMIN,
    ("POST", f"{_V1}/users/{{username}}/api-keys"): ADMIN,
    ("GET", f"{_V1}/api-keys"): ADMIN,
    ("DELETE", f"{_V1}/api-keys/{{key_id}}"): ADMIN,
    ("GET", f"{_V1}/audit"): ADMIN,
    ("GET", f"{_V1}/crews"): ADMIN,
    ("POST", f"{_V1}/registry/import"): ADMIN,
    ("GET", f"{_V1}/registry/export"): ADMIN,
    ("GET", f"{_V1}/setpoints"): ADMIN,
    ("POST", f"{_V1}/setpoints"): ADMIN,
    ("GET", f"{_V1}/rules/parameters"): ADMIN,
    ("PUT", f"{_V1}/rules/parameters"): ADMIN,
    ("POST", f"{_V1}/rules/dry-run"): ADMIN,
    # maintenance windows (operators plan them too; every change is audited)
    ("GET", f"{_V1}/maintenance"): STAFF,
    ("POST", f"{_V1}/maintenance"): STAFF,
    ("GET", f"{_V1}/maintenance/{{window_id}}"): STAFF,
    ("PATCH", f"{_V1}/maintenance/{{window_id}}"): STAFF,
    ("DELETE", f"{_V1}/maintenance/{{window_id}}"): STAFF,
    # notifications
    ("GET", f"{_V1}/notify/receivers"): ADMIN,
    ("GET", f"{_V1}/notify/routes"): ADMIN,
    ("POST", f"{_V1}/notify/test/{{receiver}}"): ADMIN,
    ("GET", f"{_V1}/alerts/{{alert_id}}/notifications"): STAFF,
}


def rule_for(method: str, path: str) -> Rule | None:
    """The rule of a route (HEAD follows GET); None when the route has none."""
    return ACCESS.get(("GET" if method == "HEAD" else method, path))
