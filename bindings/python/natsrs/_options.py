"""Connect options shared by the blocking and the asyncio API: builds a ``natsrs_options`` from
nats-py's keyword names and registers the connection's event callbacks."""

from __future__ import annotations

import ctypes
import json
import os
import ssl
import tempfile
from ctypes import byref, c_char_p, c_void_p
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union
from urllib.parse import ParseResult, urlparse

from . import _core, _ffi
from ._core import check, enc, lib
from .errors import Error, error_for

__all__ = ["Events", "build_options", "OPTION_NAMES", "Server"]


@dataclass
class Server:
    """A server of the pool as nats-py's ``reconnect_to_server_handler`` gets it: its URL and the
    failed reconnect attempts to it since the connection was last connected."""

    uri: ParseResult
    reconnects: int = 0


class Events:
    """Receives a connection's events on library threads. Subclasses dispatch them to user
    callbacks (directly for the blocking API, onto the event loop for asyncio)."""

    def on_error(self, exc: Error, sub_ptr: int) -> None:
        pass

    def on_disconnected(self, status: int, text: str) -> None:
        pass

    def on_reconnect_error(self, status: int, text: str) -> None:
        pass

    def on_reconnected(self) -> None:
        pass

    def on_closed(self) -> None:
        pass

    def on_discovered(self) -> None:
        pass

    def on_lame_duck(self) -> None:
        pass

    def on_connected(self) -> None:
        pass

    def report_exception(self, exc: BaseException) -> None:
        """A user callback raised ``exc``: report it through the error callback."""


class _EventTarget:
    __slots__ = ("events", "kind")

    def __init__(self, events: Events, kind: str) -> None:
        self.events = events
        self.kind = kind

    def fire(self) -> None:
        getattr(self.events, "on_" + self.kind)()

    def fire_status(self, status: int, text: str) -> None:
        self.events.on_disconnected(status, text)

    def fire_error(self, status: int, text: str, sub_ptr: int) -> None:
        self.events.on_error(error_for(status, text), sub_ptr)


def _py_reconnect_error(ud: Optional[int], nc: Optional[int], status: int, text: Optional[bytes]) -> None:
    """A failed reconnect attempt (natsrs_options_set_reconnect_error_handler)."""
    _core._enter()
    target = _core._registry.get(ud or 0)
    try:
        if target is not None:
            target.events.on_reconnect_error(status, (text or b"").decode("utf-8", "replace"))
    except BaseException as e:
        _core.report(getattr(target, "events", None), e, "reconnect error")
    finally:
        _core._leave()


RECONNECT_ERROR_HANDLER = _ffi.natsrs_reconnect_error_handler(_py_reconnect_error)


class _StringTarget:
    """Token or JWT callback: keeps the returned bytes alive until the next call."""

    __slots__ = ("fn", "events", "buf")

    def __init__(self, fn: Callable[[], Any], events: Events) -> None:
        self.fn = fn
        self.events = events
        self.buf: Optional[ctypes.Array[ctypes.c_char]] = None

    def string_ptr(self) -> Optional[int]:
        v = self.fn()
        if isinstance(v, str):
            v = v.encode()
        self.buf = ctypes.create_string_buffer(bytes(v).strip())
        return ctypes.addressof(self.buf)


class _SignTarget(_StringTarget):
    __slots__ = ("sign_fn",)

    def __init__(self, jwt_fn: Callable[[], Any], sign_fn: Callable[[str], bytes], events: Events) -> None:
        super().__init__(jwt_fn, events)
        self.sign_fn = sign_fn

    def sign(self, nonce: bytes) -> bytes:
        sig = self.sign_fn(nonce.decode())
        # nats-py's signature_cb returns the base64url signature; accept raw bytes too
        if len(sig) != 64:
            import base64

            s = sig.decode() if isinstance(sig, (bytes, bytearray)) else str(sig)
            sig = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
        return bytes(sig)


class _DelayTarget:
    __slots__ = ("fn", "events")

    def __init__(self, fn: Callable[[int], float], events: Events) -> None:
        self.fn = fn
        self.events = events

    def delay_ms(self, attempts: int) -> int:
        return int(self.fn(attempts) * 1000)


OPTION_NAMES = {
    "name",
    "pedantic",
    "verbose",
    "allow_reconnect",
    "connect_timeout",
    "reconnect_time_wait",
    "max_reconnect_attempts",
    "ping_interval",
    "max_outstanding_pings",
    "dont_randomize",
    "flusher_queue_size",
    "no_echo",
    "tls",
    "tls_hostname",
    "tls_handshake_first",
    "user",
    "password",
    "token",
    "drain_timeout",
    "signature_cb",
    "user_jwt_cb",
    "user_credentials",
    "nkeys_seed",
    "nkeys_seed_str",
    "inbox_prefix",
    "pending_size",
    "flush_timeout",
    "ws_connection_headers",
    "reconnect_to_server_handler",
    "lame_duck_mode_cb",
    "skip_subject_validation",
    # natsrs extensions
    "tls_ca_file",
    "tls_cert_file",
    "tls_key_file",
    "tls_insecure",
    "retry_on_failed_connect",
    "reconnect_jitter",
    "reconnect_jitter_tls",
    "ignore_discovered_servers",
    "old_request_style",
    "fail_requests_on_disconnect",
    "reconnect_delay_cb",
    "tls_required",
}


def _server_info_of(nc: int) -> Dict[str, Any]:
    out = c_void_p()
    if not nc or lib.natsrs_connection_server_info(nc, byref(out)) != _ffi.NATSRS_STATUS_OK or not out.value:
        return {}
    try:
        raw = lib.natsrs_server_info_json(out.value)
        return dict(json.loads(raw.decode())) if raw else {}
    except ValueError:
        return {}
    finally:
        lib.natsrs_server_info_free(out.value)


class _ReconnectToServerTarget:
    """nats-py's ``reconnect_to_server_handler(servers, server_info) -> (server or None, delay
    seconds)`` behind natsrs_options_set_reconnect_to_server_handler. It runs on a library thread
    (not the event loop; nats-py calls it synchronously too). A server that is not in the list is
    reported as ``ServerNotInPoolError`` and the first one is used, as is None; an exception is
    reported to ``error_cb`` and the first server is tried after ``reconnect_time_wait``."""

    __slots__ = ("handler", "events", "wait_ms")

    def __init__(self, handler: Callable[..., Any], events: Events, wait_ms: int) -> None:
        self.handler = handler
        self.events = events
        self.wait_ms = wait_ms

    def report_exception(self, exc: BaseException) -> None:
        self.events.report_exception(exc)

    def choose(self, nc: int, urls: List[str], reconnects: List[int]) -> Tuple[int, int]:
        servers = [Server(uri=urlparse(u), reconnects=r) for u, r in zip(urls, reconnects)]
        try:
            selected, delay = self.handler(servers, _server_info_of(nc))
        except Exception as e:
            self.events.report_exception(e)
            return 0, self.wait_ms
        index = 0
        if selected is not None:
            netlocs = [s.uri.netloc for s in servers]
            want = selected.uri.netloc if hasattr(selected, "uri") else urlparse(str(selected)).netloc
            if want in netlocs:
                index = netlocs.index(want)
            else:
                from .errors import ServerNotInPoolError

                self.events.report_exception(ServerNotInPoolError())
        return index, int(float(delay or 0) * 1000)


class BuiltOptions:
    """An owned ``natsrs_options`` plus what must outlive the connection (a temp seed file)."""

    def __init__(self) -> None:
        out = c_void_p()
        check(lib.natsrs_options_new(byref(out)))
        assert out.value is not None
        self.ptr: int = out.value
        self.temp_files: List[str] = []

    def free(self) -> None:
        if self.ptr:
            lib.natsrs_options_free(self.ptr)
            self.ptr = 0

    def cleanup_files(self) -> None:
        for f in self.temp_files:
            try:
                os.unlink(f)
            except OSError:
                pass
        self.temp_files = []


def _reg(events: Events, kind: str) -> int:
    return _core.register(_EventTarget(events, kind))


def _servers_list(servers: Union[str, Sequence[str]]) -> List[str]:
    if isinstance(servers, str):
        items = [s.strip() for s in servers.split(",") if s.strip()]
    else:
        items = [str(s) for s in servers]
    out = []
    for s in items:
        if "://" not in s:
            s = "nats://" + s
        out.append(s)
    return out


def build_options(
    servers: Union[str, Sequence[str]], events: Events, *, has: Callable[[str], bool], **kw: Any
) -> BuiltOptions:
    """``has(name)`` says whether the caller set a callback named ``name`` (error_cb, ...)."""
    unknown = set(kw) - OPTION_NAMES
    if unknown:
        raise TypeError(f"connect() got unexpected keyword arguments: {sorted(unknown)}")
    o = BuiltOptions()
    p = o.ptr
    try:
        urls = _servers_list(servers)
        arr = (c_char_p * len(urls))(*[u.encode() for u in urls])
        check(lib.natsrs_options_set_servers(p, arr, len(urls)))

        def sec(name: str, default: Optional[float]) -> Optional[int]:
            v = kw.get(name, default)
            return None if v is None else int(float(v) * 1000)

        if kw.get("name"):
            check(lib.natsrs_options_set_name(p, enc(kw["name"])))
        check(lib.natsrs_options_set_pedantic(p, bool(kw.get("pedantic", False))))
        check(lib.natsrs_options_set_verbose(p, bool(kw.get("verbose", False))))
        check(lib.natsrs_options_set_allow_reconnect(p, bool(kw.get("allow_reconnect", True))))
        check(lib.natsrs_options_set_no_randomize(p, bool(kw.get("dont_randomize", False))))
        check(lib.natsrs_options_set_no_echo(p, bool(kw.get("no_echo", False))))
        for opt, setter, default in (
            ("connect_timeout", lib.natsrs_options_set_connect_timeout_ms, 2),
            ("reconnect_time_wait", lib.natsrs_options_set_reconnect_wait_ms, 2),
            ("ping_interval", lib.natsrs_options_set_ping_interval_ms, 120),
            ("drain_timeout", lib.natsrs_options_set_drain_timeout_ms, 30),
        ):
            v = sec(opt, default)
            if v is not None:
                check(setter(p, v))
        check(lib.natsrs_options_set_max_reconnect(p, int(kw.get("max_reconnect_attempts", 60))))
        check(lib.natsrs_options_set_max_pings_out(p, int(kw.get("max_outstanding_pings", 2))))
        if "pending_size" in kw:
            check(lib.natsrs_options_set_reconnect_buf_size(p, int(kw["pending_size"])))
        prefix = kw.get("inbox_prefix")
        if prefix:
            if isinstance(prefix, (bytes, bytearray)):
                prefix = bytes(prefix).decode()
            check(lib.natsrs_options_set_inbox_prefix(p, prefix.encode()))
        if "reconnect_jitter" in kw or "reconnect_jitter_tls" in kw:
            check(
                lib.natsrs_options_set_reconnect_jitter_ms(
                    p, sec("reconnect_jitter", 0.1) or 0, sec("reconnect_jitter_tls", 1.0) or 0
                )
            )
        for opt, setter in (
            ("retry_on_failed_connect", lib.natsrs_options_set_retry_on_failed_connect),
            ("ignore_discovered_servers", lib.natsrs_options_set_ignore_discovered_servers),
            ("old_request_style", lib.natsrs_options_set_old_request_style),
            ("fail_requests_on_disconnect", lib.natsrs_options_set_fail_requests_on_disconnect),
        ):
            if opt in kw:
                check(setter(p, bool(kw[opt])))

        # ---- auth
        user, password, token = kw.get("user"), kw.get("password"), kw.get("token")
        if callable(user):
            user = user()
        if callable(password):
            password = password()
        if user is not None or password is not None:
            check(lib.natsrs_options_set_user_info(p, enc(user or ""), enc(password or "")))
        if callable(token):
            key = _core.register(_StringTarget(token, events))
            check(lib.natsrs_options_set_token_handler(p, _core.STRING_HANDLER, key, _core.USERDATA_FREE))
        elif token is not None:
            check(lib.natsrs_options_set_token(p, enc(token)))
        creds = kw.get("user_credentials")
        if creds is not None:
            if isinstance(creds, (tuple, list)):
                jwt_file, seed_file = str(creds[0]), str(creds[1])
                check(lib.natsrs_options_set_user_credentials_files(p, jwt_file.encode(), seed_file.encode()))
            else:
                check(
                    lib.natsrs_options_set_user_credentials_file(
                        p, os.fspath(creds).encode() if not hasattr(creds, "data") else str(creds).encode()
                    )
                )
        if kw.get("nkeys_seed"):
            check(lib.natsrs_options_set_nkey_seed_file(p, os.fspath(kw["nkeys_seed"]).encode()))
        if kw.get("nkeys_seed_str"):
            fd, path = tempfile.mkstemp(prefix="natsrs-seed-")
            with os.fdopen(fd, "w") as f:
                f.write(str(kw["nkeys_seed_str"]).strip() + "\n")
            o.temp_files.append(path)
            check(lib.natsrs_options_set_nkey_seed_file(p, path.encode()))
        if kw.get("user_jwt_cb") is not None and kw.get("signature_cb") is not None:
            key = _core.register(_SignTarget(kw["user_jwt_cb"], kw["signature_cb"], events))
            check(
                lib.natsrs_options_set_user_jwt_handler(
                    p, _core.STRING_HANDLER, _core.SIGN_HANDLER, key, _core.USERDATA_FREE
                )
            )

        # ---- TLS
        ctx: Optional[ssl.SSLContext] = kw.get("tls")
        if ctx is not None or kw.get("tls_required"):
            check(lib.natsrs_options_set_tls_required(p, True))
        if ctx is not None:
            cas = ctx.get_ca_certs(binary_form=True)
            if cas:
                pem = "".join(ssl.DER_cert_to_PEM_cert(c) for c in cas).encode()
                check(lib.natsrs_options_set_tls_ca_pem(p, pem, len(pem)))
            if ctx.verify_mode == ssl.CERT_NONE:
                check(lib.natsrs_options_set_tls_insecure_skip_verify(p, True))
            if ctx.minimum_version == ssl.TLSVersion.TLSv1_3:
                check(lib.natsrs_options_set_tls_min_version(p, 13))
        if kw.get("tls_ca_file"):
            check(lib.natsrs_options_set_tls_ca_file(p, os.fspath(kw["tls_ca_file"]).encode()))
        if kw.get("tls_cert_file") or kw.get("tls_key_file"):
            check(
                lib.natsrs_options_set_tls_client_cert_file(
                    p, os.fspath(kw["tls_cert_file"]).encode(), os.fspath(kw["tls_key_file"]).encode()
                )
            )
        if kw.get("tls_hostname"):
            check(lib.natsrs_options_set_tls_server_name(p, enc(kw["tls_hostname"])))
        if kw.get("tls_handshake_first"):
            check(lib.natsrs_options_set_tls_handshake_first(p, True))
        if kw.get("tls_insecure"):
            check(lib.natsrs_options_set_tls_insecure_skip_verify(p, True))

        # ---- events: the error handler always (callback exceptions and slow consumers go there)
        U = _core.USERDATA_FREE
        check(lib.natsrs_options_set_error_handler(p, _core.ERROR_HANDLER, _reg(events, "error"), U))
        check(
            lib.natsrs_options_set_disconnected_handler(p, _core.DISCONNECTED_HANDLER, _reg(events, "disconnected"), U)
        )
        check(lib.natsrs_options_set_closed_handler(p, _core.CONNECTION_HANDLER, _reg(events, "closed"), U))
        if type(events).on_reconnect_error is not Events.on_reconnect_error:
            check(
                lib.natsrs_options_set_reconnect_error_handler(
                    p, RECONNECT_ERROR_HANDLER, _reg(events, "reconnect_error"), U
                )
            )
        if has("reconnected_cb"):
            check(
                lib.natsrs_options_set_reconnected_handler(p, _core.CONNECTION_HANDLER, _reg(events, "reconnected"), U)
            )
        if has("discovered_server_cb"):
            check(
                lib.natsrs_options_set_discovered_servers_handler(
                    p, _core.CONNECTION_HANDLER, _reg(events, "discovered"), U
                )
            )
        if has("lame_duck_mode_cb"):
            check(lib.natsrs_options_set_lame_duck_handler(p, _core.CONNECTION_HANDLER, _reg(events, "lame_duck"), U))
        if has("connected_cb"):
            check(lib.natsrs_options_set_connected_handler(p, _core.CONNECTION_HANDLER, _reg(events, "connected"), U))
        if kw.get("reconnect_delay_cb") is not None:
            key = _core.register(_DelayTarget(kw["reconnect_delay_cb"], events))
            check(lib.natsrs_options_set_reconnect_delay_handler(p, _core.RECONNECT_DELAY_HANDLER, key, U))
        if kw.get("reconnect_to_server_handler") is not None:
            wait_ms = sec("reconnect_time_wait", 2) or 0
            target = _ReconnectToServerTarget(kw["reconnect_to_server_handler"], events, wait_ms)
            key = _core.register(target)
            check(lib.natsrs_options_set_reconnect_to_server_handler(p, _core.RECONNECT_TO_SERVER_HANDLER, key, U))
    except BaseException:
        o.free()
        o.cleanup_files()
        raise
    return o


def connect_blocking(opts: BuiltOptions) -> int:
    """natsrs_connection_connect; returns the connection pointer. Frees the options."""
    out = c_void_p()
    try:
        st = lib.natsrs_connection_connect(opts.ptr, byref(out))
        if st != _ffi.NATSRS_STATUS_OK:
            raise _core.raise_status(st)
    finally:
        opts.free()
    assert out.value is not None
    return out.value
