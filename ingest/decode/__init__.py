"""Decoding: one inbound MQTT message (topic + payload) into records and rejections.

Pure (no I/O). :func:`decode_message` enforces every rule of contract v1 in a fixed
order; message-level rules reject the whole message, record-level rules reject one
record and let the others of a batch stand:

1. payload over 256 KiB                              ``oversized``
2. topic shape / identifier pattern                  ``bad_topic`` / ``bad_id``
3. id not in the registry (for that kind of topic)   ``unknown_id``
4. station not of the enterprise in the topic        ``wrong_enterprise``
5. publishing utility (when known) not the owner     ``not_owner``
6. not UTF-8 (a BOM or a NUL byte included), not JSON, not an object  ``bad_json``
7. nested too deep outside the records of a batch    ``too_deep``
8. ``{"batch": [...]}`` over 1,000 / empty           ``batch_too_large`` / ``empty_batch``
9. per record: ``too_deep`` (over MAX_NESTING_DEPTH levels), ``bad_json`` (a lone
   UTF-16 surrogate in a known field; a batch element not an object), ``missing_field``,
   ``wrong_type``, ``not_finite``, ``out_of_range``, ``bad_ts``, ``ts_future``,
   ``ts_too_old``, ``no_measurement``

Before any parser, :mod:`ingest.nesting` measures the nesting on the bytes and cuts out
what opens deeper than a record may (plus the envelope's two levels), so neither
parser can recurse far; records that held a cut are ``too_deep``, the others stand.

Fast path: msgspec decodes the envelope once (batch elements stay ``msgspec.Raw``) and
each record with a cached typed decoder. Literal ``NaN``/``Infinity`` tokens are not
JSON, so such payloads take a slow path through :func:`json.loads` that rejects only
the records holding them. Nothing a client sends raises out of :func:`decode_message`:
an unexpected exception becomes one ``internal`` rejection of the whole message.

| module | job |
|---|---|
| ``message`` | :func:`decode_message`: size, topic and registry checks (rules 1 to 5) |
| ``envelope`` | fast path: UTF-8 text, the envelope, a single record or a batch (6 to 8) |
| ``lenient`` | slow path through :mod:`json` for payloads msgspec cannot parse |
| ``limits`` | the limits both paths check: nesting depth (``too_deep``), batch size |
| ``record`` | one record: typed decode, finiteness, timestamp window, content (rule 9) |
| ``rejects`` | :class:`Rejection`, :class:`Decoded`; msgspec errors mapped to reasons |
"""

from __future__ import annotations

from ingest.decode.message import decode_message
from ingest.decode.record import ts_ms_of
from ingest.decode.rejects import Decoded, Rejection

__all__ = ["Decoded", "Rejection", "decode_message", "ts_ms_of"]
