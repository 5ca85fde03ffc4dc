"""InfluxQL statements for the telemetry queries (pure string building, safely quoted).

Identifiers are double-quoted and string literals single-quoted with ``\\`` and the
quote escaped; callers pass only ids that match the contract's pattern and metrics from
the fixed schema, so the quoting is a second line of defence. Times are epoch
milliseconds written as ``<n>ms`` literals; results are asked for with ``epoch=ms``.
"""

from __future__ import annotations

from collections.abc import Sequence

from store.influx_schema import DATA_MEASUREMENTS, EVENT, EVENT_FIELDS, PRESENCE, SEEN

__all__ = [
    "count_statement",
    "coverage_statement",
    "events_statement",
    "first_seen_statement",
    "history_statement",
    "last_seen_statement",
    "latest_statement",
    "metrics_statement",
    "quote_ident",
    "quote_string",
]


def quote_ident(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _from(measurements: Sequence[str]) -> str:
    return ",".join(quote_ident(m) for m in measurements)


def _source_is(source_id: str) -> str:
    return f'"source_id" = {quote_string(source_id)}'


def _sources_are(source_ids: Sequence[str]) -> str:
    """A regex of literal alternatives, ``=~ /^(a|b)$/``: InfluxDB 1.x turns it into
    index lookups (it costs as much as an OR of equalities on 300k series and far less on
    small measurements). Ids match ``[A-Za-z0-9_-]``; anything else is escaped anyway."""
    return '"source_id" =~ /^(' + "|".join(_regex_literal(s) for s in source_ids) + ")$/"


def _regex_literal(value: str) -> str:
    return "".join(c if c.isalnum() or c in "_-" else "\\" + c for c in value)


def _during(start_ms: int, end_ms: int) -> str:
    return f"time >= {start_ms}ms AND time < {end_ms}ms"


def history_statement(
    source_id: str,
    metric: str,
    measurements: Sequence[str],
    start_ms: int,
    end_ms: int,
    step_ms: int,
) -> str:
    """Columns time, mean, min, max, last, count; one row per non-empty bucket.
    ``GROUP BY time`` buckets start at multiples of the step since the epoch."""
    m = quote_ident(metric)
    return (
        f"SELECT mean({m}), min({m}), max({m}), last({m}), count({m})"
        f" FROM {_from(measurements)}"
        f" WHERE {_source_is(source_id)} AND {_during(start_ms, end_ms)}"
        f" GROUP BY time({step_ms}ms) fill(none)"
    )


def latest_statement(source_ids: Sequence[str], metric: str, measurements: Sequence[str]) -> str:
    """One series per source (tag source_id), one row: time, last."""
    return (
        f"SELECT last({quote_ident(metric)}) FROM {_from(measurements)}"
        f' WHERE {_sources_are(source_ids)} GROUP BY "source_id"'
    )


def metrics_statement(source_id: str) -> str:
    """Columns ``last_<metric>``: non-null for each metric the source has."""
    return f"SELECT last(*) FROM {_from(DATA_MEASUREMENTS)} WHERE {_source_is(source_id)}"


def count_statement(source_id: str | None) -> str:
    """Columns ``count_<metric>`` per data measurement."""
    where = "" if source_id is None else f" WHERE {_source_is(source_id)}"
    return f"SELECT count(*) FROM {_from(DATA_MEASUREMENTS)}{where}"


def events_statement(source_id: str, start_ms: int, end_ms: int, limit: int | None) -> str:
    """Rows newest first; one column per event type (null where absent). ``limit``
    counts rows, and every row holds at least one event."""
    fields = ", ".join(quote_ident(f) for f in EVENT_FIELDS)
    cap = "" if limit is None else f" LIMIT {int(limit)}"
    return (
        f"SELECT {fields} FROM {quote_ident(EVENT)}"
        f" WHERE {_source_is(source_id)} AND {_during(start_ms, end_ms)}"
        f" ORDER BY time DESC{cap}"
    )


def last_seen_statement(source_ids: Sequence[str]) -> str:
    """One series per source that has a ``seen`` point; its time is the newest ts."""
    return (
        f'SELECT last("n") FROM {quote_ident(SEEN)}'
        f' WHERE {_sources_are(source_ids)} GROUP BY "source_id"'
    )


def first_seen_statement(source_ids: Sequence[str]) -> str:
    """One series per source that has a ``presence`` point; its time is the oldest slot."""
    return (
        f'SELECT first("n") FROM {quote_ident(PRESENCE)}'
        f' WHERE {_sources_are(source_ids)} GROUP BY "source_id"'
    )


def coverage_statement(source_ids: Sequence[str], start_ms: int, end_ms: int) -> str:
    """One series per source with presence slots starting in the range: column count."""
    return (
        f'SELECT count("n") FROM {quote_ident(PRESENCE)}'
        f" WHERE {_sources_are(source_ids)} AND {_during(start_ms, end_ms)}"
        ' GROUP BY "source_id"'
    )
