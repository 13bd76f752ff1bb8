"""The blocking API (natsrs.connect) against a real server."""

from __future__ import annotations

import threading
import time
from typing import Any, List

import pytest
from conftest import wait_until

import natsrs
from natsrs import errors


def test_publish_subscribe_callback(url: str) -> None:
    got: List[natsrs.Msg] = []
    threads: List[str] = []
    with natsrs.connect(url, name="blocking-test") as nc:

        def cb(m: natsrs.Msg) -> None:
            threads.append(threading.current_thread().name)
            got.append(m)

        nc.subscribe("b.cb", cb=cb)
        for i in range(100):
            nc.publish("b.cb", b"%d" % i)
        nc.flush()
        assert wait_until(lambda: len(got) == 100)
        assert [m.data for m in got] == [b"%d" % i for i in range(100)]
        assert threads[0] != threading.main_thread().name


def test_sync_subscription_next_msg_and_iteration(url: str) -> None:
    with natsrs.connect(url) as nc:
        sub = nc.subscribe("b.sync", max_msgs=3)
        for i in range(3):
            nc.publish("b.sync", b"x%d" % i)
        assert sub.next_msg(timeout=2).data == b"x0"
        rest = [m.data for m in sub]  # ends after the auto-unsubscribe limit
        assert rest == [b"x1", b"x2"]
        sub2 = nc.subscribe("b.sync2")
        with pytest.raises(errors.TimeoutError):
            sub2.next_msg(timeout=0.05)
        nc.publish("b.sync2", b"a")
        nc.publish("b.sync2", b"b")
        nc.flush()
        assert wait_until(lambda: sub2.pending_msgs == 2)
        assert [m.data for m in sub2.next_msgs(10, timeout=1)] == [b"a", b"b"]


def test_headers_and_wildcards_and_queue(url: str) -> None:
    with natsrs.connect(url) as nc:
        sub = nc.subscribe("b.h.*")
        nc.publish("b.h.one", b"d", headers={"K": "v", "M": ["1", "2"]})
        m = sub.next_msg(2)
        assert m.subject == "b.h.one" and m.headers == {"K": "v", "M": "1"} and m.header_values("M") == ["1", "2"]
        q1 = nc.subscribe("b.q", queue="workers")
        q2 = nc.subscribe("b.q", queue="workers")
        for _ in range(20):
            nc.publish("b.q", b"")
        nc.flush()
        assert wait_until(lambda: q1.pending_msgs + q2.pending_msgs == 20)


def test_request_respond_no_responders_timeout(url: str) -> None:
    with natsrs.connect(url) as nc:
        nc.subscribe("b.help", cb=lambda m: m.respond(b"ok:" + m.data))
        nc.flush()
        assert nc.request("b.help", b"q", timeout=2).data == b"ok:q"
        assert nc.request("b.help", b"q", timeout=2, headers={"X": "1"}).data == b"ok:q"
        with pytest.raises(errors.NoRespondersError):
            nc.request("b.nobody", b"", timeout=1)
        slow = nc.subscribe("b.slow")  # never answers
        with pytest.raises(errors.TimeoutError):
            nc.request("b.slow", b"", timeout=0.05)
        slow.close()


def test_unsubscribe_with_limit_and_drain(url: str) -> None:
    with natsrs.connect(url) as nc:
        got: List[bytes] = []
        sub = nc.subscribe("b.lim", cb=lambda m: got.append(m.data))
        sub.unsubscribe(limit=2)
        for i in range(5):
            nc.publish("b.lim", b"%d" % i)
        nc.flush()
        assert wait_until(lambda: len(got) >= 2)
        time.sleep(0.1)
        assert got == [b"0", b"1"]
        got2: List[bytes] = []
        s2 = nc.subscribe("b.drain", cb=lambda m: (time.sleep(0.001), got2.append(m.data)))
        for i in range(50):
            nc.publish("b.drain", b"%d" % i)
        nc.flush()
        s2.drain(timeout=5)
        assert len(got2) == 50
    nc2 = natsrs.connect(url)
    seen: List[bytes] = []
    nc2.subscribe("b.cdrain", cb=lambda m: seen.append(m.data))
    for i in range(10):
        nc2.publish("b.cdrain", b"%d" % i)
    nc2.drain(timeout=5)
    assert len(seen) == 10 and nc2.is_closed


def test_properties(url: str, server: Any) -> None:
    with natsrs.connect(url, name="props") as nc:
        assert nc.is_connected and not nc.is_closed and not nc.is_reconnecting
        assert nc.connected_url == url
        assert url in nc.servers
        assert nc.discovered_servers == []
        assert nc.max_payload == 1024 * 1024
        assert isinstance(nc.client_id, int)
        assert nc.last_error is None
        assert nc.new_inbox().startswith("_INBOX.")
        assert 0 <= nc.rtt() < 1
        nc.publish("b.p", b"abc")
        nc.flush()
        assert nc.stats["out_msgs"] >= 1 and nc.stats["out_bytes"] >= 3
    assert nc.is_closed


def test_max_payload_and_bad_subject(url: str) -> None:
    with natsrs.connect(url) as nc:
        with pytest.raises(errors.MaxPayloadError):
            nc.publish("b.big", b"x" * (nc.max_payload + 1))
        with pytest.raises(errors.BadSubjectError):
            nc.subscribe("bad subject")
        with pytest.raises(errors.BadQueueError):
            nc.subscribe("ok", queue="bad queue")


def test_use_after_close(url: str) -> None:
    nc = natsrs.connect(url)
    sub = nc.subscribe("b.uac")
    sub.close()
    with pytest.raises(errors.UseAfterCloseError):
        sub.next_msg(0.1)
    sub.close()  # idempotent
    nc.close()
    nc.close()
    with pytest.raises(errors.ConnectionClosedError):
        nc.publish("x", b"")
    with pytest.raises(errors.ConnectionClosedError):
        nc.subscribe("x")
    with pytest.raises(errors.ConnectionClosedError):
        nc.request("x", b"")
    with pytest.raises(errors.ConnectionClosedError):
        nc.flush()


def test_callback_that_raises_goes_to_error_cb(url: str) -> None:
    errs: List[BaseException] = []
    got: List[bytes] = []
    with natsrs.connect(url, error_cb=errs.append) as nc:

        def cb(m: natsrs.Msg) -> None:
            got.append(m.data)
            raise ValueError("boom " + m.data.decode())

        nc.subscribe("b.raise", cb=cb)
        nc.publish("b.raise", b"1")
        nc.publish("b.raise", b"2")
        nc.flush()
        assert wait_until(lambda: len(errs) == 2)
    assert got == [b"1", b"2"]  # delivery goes on after an exception
    assert all(isinstance(e, ValueError) for e in errs) and "boom 1" in str(errs[0])


def test_callback_raises_without_error_cb_is_logged(url: str, caplog: Any) -> None:
    with natsrs.connect(url) as nc:
        nc.subscribe("b.raise2", cb=lambda m: 1 / 0)
        nc.publish("b.raise2", b"")
        nc.flush()
        assert wait_until(lambda: "ZeroDivisionError" in caplog.text or "exception in a callback" in caplog.text)


def test_threads_share_a_connection(url: str) -> None:
    with natsrs.connect(url) as nc:
        sub = nc.subscribe("b.thr")

        def pub() -> None:
            for _ in range(500):
                nc.publish("b.thr", b"x")

        ts = [threading.Thread(target=pub) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        nc.flush()
        n = 0
        while n < 2000:
            n += len(sub.next_msgs(1000, timeout=2))
        assert n == 2000


def test_auth_user_password_and_token(make_server: Any) -> None:
    s = make_server("--user", "alice", "--pass", "s3cret")
    with natsrs.connect(s.url, user="alice", password="s3cret") as nc:
        nc.flush()
    with pytest.raises(errors.AuthorizationError):
        natsrs.connect(s.url, user="alice", password="wrong", allow_reconnect=False)
    with natsrs.connect(s.url.replace("nats://", "nats://alice:s3cret@")) as nc:
        nc.flush()
    t = make_server("--auth", "tok123")
    with natsrs.connect(t.url, token="tok123") as nc:
        nc.flush()
    with natsrs.connect(t.url, token=lambda: "tok123") as nc:
        nc.flush()
    with pytest.raises(errors.AuthorizationError):
        natsrs.connect(t.url, token="nope", allow_reconnect=False)


def test_no_servers(make_server: Any) -> None:
    from conftest import free_port

    with pytest.raises((errors.NoServersError, errors.IoError)):
        natsrs.connect(f"nats://127.0.0.1:{free_port()}", allow_reconnect=False, connect_timeout=0.5)


def test_reconnect_after_server_restart(make_server: Any) -> None:
    s = make_server()
    events: List[str] = []
    with natsrs.connect(
        s.url,
        reconnect_time_wait=0.1,
        max_reconnect_attempts=-1,
        disconnected_cb=lambda: events.append("disconnected"),
        reconnected_cb=lambda: events.append("reconnected"),
        closed_cb=lambda: events.append("closed"),
    ) as nc:
        sub = nc.subscribe("b.rc")
        s.restart()
        assert wait_until(lambda: "reconnected" in events, 10)
        assert nc.is_connected and nc.stats["reconnects"] >= 1
        nc.publish("b.rc", b"after")
        assert sub.next_msg(2).data == b"after"
    assert wait_until(lambda: "closed" in events)
    assert events.index("disconnected") < events.index("reconnected")


def test_close_wakes_a_thread_blocked_in_next_msg(url: str) -> None:
    nc = natsrs.connect(url)
    sub = nc.subscribe("b.block")
    sub2 = nc.subscribe("b.block2")
    results: List[Any] = []

    def wait(s: natsrs.Subscription) -> None:
        try:
            s.next_msg(timeout=None)
            results.append("msg")
        except Exception as e:
            results.append(type(e).__name__)

    t1 = threading.Thread(target=wait, args=(sub,))
    t2 = threading.Thread(target=wait, args=(sub2,))
    t1.start()
    t2.start()
    time.sleep(0.1)
    sub.close()  # unsubscribes: the waiter returns; the handle is freed after it
    t1.join(5)
    assert not t1.is_alive()
    nc.close()  # the connection closes: the other waiter returns
    t2.join(5)
    assert not t2.is_alive()
    # (UseAfterCloseError only if a waiter had not reached next_msg before the close)
    assert results[0] in ("BadSubscriptionError", "UseAfterCloseError")
    assert results[1] == "ConnectionClosedError"
    with pytest.raises(errors.UseAfterCloseError):
        sub.next_msg(0.1)


def test_event_callback_that_raises_goes_to_error_cb(url: str) -> None:
    errs: List[BaseException] = []

    def closed_cb() -> None:
        raise RuntimeError("in closed_cb")

    nc = natsrs.connect(url, error_cb=errs.append, closed_cb=closed_cb)
    nc.close()
    assert wait_until(lambda: any("in closed_cb" in str(e) for e in errs))


def test_next_msgs_packed_batches_keep_order_and_leftovers(url: str) -> None:
    """next_msgs reads one packed batch; what it received beyond max_msgs comes first in the next
    next_msg / next_msgs, and pending_msgs counts it."""
    import natsrs

    nc = natsrs.connect(url)
    sub = nc.subscribe("blk.packed")
    nc.flush()
    big = b"B" * 200_000  # larger than the reader's first buffer
    for i in range(10):
        if i == 4:
            nc.publish("blk.packed", big, headers={"K": ["1", "2"]})
        elif i == 5:
            nc.publish("blk.packed", b"%d" % i, reply="rep.5")
        else:
            nc.publish("blk.packed", b"%d" % i)
    nc.flush()
    got = []
    deadline = 200
    while len(got) < 3 and deadline:
        got += sub.next_msgs(3, timeout=2)
        deadline -= 1
    assert [m.data for m in got[:3]] == [b"0", b"1", b"2"]
    rest = got[3:]
    while len(rest) < 7 and deadline:
        if not rest:
            rest.append(sub.next_msg(timeout=2))
        else:
            rest += sub.next_msgs(100, timeout=2)
        deadline -= 1
    assert rest[0].data == b"3"
    assert rest[1].data == big and rest[1].headers == {"K": "1"} and rest[1].header_values("K") == ["1", "2"]
    assert rest[2].data == b"5" and rest[2].reply == "rep.5"
    assert [m.data for m in rest[3:]] == [b"6", b"7", b"8", b"9"]
    assert sub.pending_msgs == 0
    sub.close()
    nc.close()
