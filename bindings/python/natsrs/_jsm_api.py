"""The JetStream management calls the blocking ``JetStreamManager`` makes through
``natsrs_jetstream_api_request`` (one JSON request to ``$JS.API.<suffix>``, honouring the
context's domain or prefix): the server's lists by page, stream info with a subject filter,
consumer pause, resume and reset. The asyncio manager runs these in its thread pool.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from .aio.js import _c, api

__all__ = ["ApiCallsMixin", "validate_name", "RESUME_PAUSE_UNTIL"]

# resume_consumer pauses until a time in the past, as nats-py
RESUME_PAUSE_UNTIL = "1970-01-01T00:00:00Z"


def validate_name(kind: str, name: Optional[str]) -> str:
    if not name:
        raise ValueError(f"nats: {kind} name is required")
    if any(c in name for c in ">*. /\\\t\r\n"):  # (nats-py's and nats.go's)
        raise ValueError(f"nats: invalid {kind} name: {name!r}")
    return name


def _pause_until(value: Any) -> str:
    """An RFC 3339 time from a string or a datetime."""
    return value if isinstance(value, str) else str(api.format_time(value))


class ApiCallsMixin:
    """Mixed into ``natsrs.js.JetStreamManager`` (which sets ``_h``)."""

    _h: _c.JsHandle

    def stream_info(self, name: str, subjects_filter: Optional[str] = None) -> api.StreamInfo:
        """A stream's config and state; with ``subjects_filter`` (wildcards allowed) also
        ``state.subjects``, the message count of each matching subject."""
        validate_name("stream", name)
        if not subjects_filter:
            return api.StreamInfo.from_response(self._h.stream_info(name))
        resp = self._h.api_request(f"STREAM.INFO.{name}", {"subjects_filter": subjects_filter})
        return api.StreamInfo.from_response(resp)

    def streams_info(self, offset: int = 0) -> List[api.StreamInfo]:
        """The info of the streams in one page of the server's list, from ``offset``."""
        resp = self._h.api_request("STREAM.LIST", {"offset": offset})
        return [api.StreamInfo.from_response(s) for s in resp.get("streams") or []]

    def streams_info_iterator(self, offset: int = 0) -> api.StreamsListIterator:
        """As ``streams_info``, with the page's ``offset`` and the ``total`` number of streams."""
        resp = self._h.api_request("STREAM.LIST", {"offset": offset})
        return api.StreamsListIterator(int(resp.get("offset", 0)), int(resp.get("total", 0)), resp.get("streams") or [])

    def consumers_info(self, stream: str, offset: Optional[int] = None) -> List[api.ConsumerInfo]:
        """The info of the consumers of ``stream`` in one page of the server's list."""
        validate_name("stream", stream)
        resp = self._h.api_request(f"CONSUMER.LIST.{stream}", None if offset is None else {"offset": offset})
        return [api.ConsumerInfo.from_response(c) for c in resp.get("consumers") or []]

    def pause_consumer(
        self, stream: str, consumer: str, pause_until: str, timeout: Optional[float] = None
    ) -> api.ConsumerPause:
        """Pauses a consumer until ``pause_until`` (RFC 3339, or a datetime); server 2.11+."""
        validate_name("stream", stream)
        validate_name("consumer", consumer)
        resp = self._h.api_request(
            f"CONSUMER.PAUSE.{stream}.{consumer}", {"pause_until": _pause_until(pause_until)}, timeout
        )
        return api.ConsumerPause.from_response(resp)

    def resume_consumer(self, stream: str, consumer: str, timeout: Optional[float] = None) -> api.ConsumerPause:
        """Resumes a paused consumer now."""
        return self.pause_consumer(stream, consumer, RESUME_PAUSE_UNTIL, timeout)

    def reset_consumer(
        self, stream: str, consumer: str, seq: Optional[int] = None, timeout: Optional[float] = None
    ) -> api.ConsumerReset:
        """Resets a consumer's delivery state (server 2.14+): its next message is at or above
        ``seq``, or (None or 0) one above its ack floor. ``ConsumerInvalidResetError`` when the
        deliver policy does not allow ``seq``."""
        validate_name("stream", stream)
        validate_name("consumer", consumer)
        req: Optional[Dict[str, Any]] = {"seq": seq} if seq else None
        return api.ConsumerReset.from_response(self._h.api_request(f"CONSUMER.RESET.{stream}.{consumer}", req, timeout))
