"""JetStream in the blocking API (``natsrs.connect(...).jetstream()``) against a real server."""

from __future__ import annotations

import concurrent.futures
import itertools
import pathlib
import threading
from typing import Iterator, List

import pytest
from conftest import Server, wait_until

import natsrs
from natsrs.aio.js import api
from natsrs.aio.js.errors import BadRequestError, FetchTimeoutError, NoStreamResponseError, NotFoundError
from natsrs.errors import MsgAlreadyAckdError, NotJSMessageError, TimeoutError

_names = itertools.count(1)


def uniq() -> str:
    return f"BLK{next(_names)}"


@pytest.fixture(scope="module")
def jurl(tmpdir_session: pathlib.Path) -> Iterator[str]:
    d = tmpdir_session / "js-blocking"
    d.mkdir(exist_ok=True)
    s = Server(tmpdir_session, ["-js", "-sd", str(d)]).start()
    yield s.url
    s.stop()


def test_blocking_streams_publish_and_errors(jurl: str) -> None:
    with natsrs.connect(jurl) as nc:
        js = nc.jetstream(timeout=3)
        name = uniq()
        info = js.add_stream(name=name, subjects=[f"{name}.>"], duplicate_window=60)
        assert info.config.name == name and info.config.duplicate_window == 60.0
        ack = js.publish(f"{name}.a", b"1", headers={"Nats-Msg-Id": "x"})
        dup = js.publish(f"{name}.a", b"1", headers={"Nats-Msg-Id": "x"})
        assert (ack.stream, ack.seq, ack.duplicate) == (name, 1, None) and dup.duplicate is True
        assert js.publish(f"{name}.h", b"h", headers={"K": "v"}).seq == 2
        last = js.get_last_msg(name, f"{name}.h")
        assert (last.headers or {}).get("K") == "v" and last.seq == 2 and last.time is not None
        nxt = js.get_msg(name, 1, subject=f"{name}.h", next=True)
        assert (nxt.seq, nxt.data) == (2, b"h")
        with pytest.raises(BadRequestError):
            js.publish(f"{name}.a", b"x", stream="OTHER")
        with pytest.raises(NoStreamResponseError):
            js.publish("nobody.here.blocking", b"x")
        with pytest.raises(NotFoundError):
            js.stream_info("NO_SUCH_BLOCKING")
        assert name in [s.config.name for s in nc.jsm().streams_info()]
        assert js.account_info().streams >= 1
        js.delete_stream(name)


def test_blocking_publish_async_from_threads(jurl: str) -> None:
    with natsrs.connect(jurl) as nc:
        js = nc.jetstream(publish_async_max_pending=64)
        name = uniq()
        js.add_stream(name=name, subjects=[f"{name}.>"])
        futs: List["concurrent.futures.Future[api.PubAck]"] = []
        lock = threading.Lock()

        def worker(k: int) -> None:
            for i in range(250):
                f = js.publish_async(f"{name}.t{k}", b"%d" % i, wait_stall=10)
                with lock:
                    futs.append(f)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        js.publish_async_completed(timeout=10)
        assert js.publish_async_pending() == 0
        assert sorted(f.result().seq for f in futs) == list(range(1, 1001))
        bad = js.publish_async("nobody.here.async.blocking", b"x")
        with pytest.raises(NoStreamResponseError):
            bad.result(10)
        js.delete_stream(name)


def test_blocking_pull_and_push(jurl: str) -> None:
    with natsrs.connect(jurl) as nc:
        js = nc.jetstream()
        name = uniq()
        js.add_stream(name=name, subjects=[f"{name}.>"])
        for i in range(6):
            js.publish(f"{name}.q", b"%d" % i)
        with js.pull_subscribe(f"{name}.q", durable="bw") as psub:
            msgs = psub.fetch(3, timeout=2)
            assert [m.data for m in msgs] == [b"0", b"1", b"2"]
            md = msgs[0].metadata
            assert (md.stream, md.consumer, md.sequence.stream, md.num_delivered) == (name, "bw", 1, 1)
            msgs[0].ack()
            with pytest.raises(MsgAlreadyAckdError):
                msgs[0].ack()
            msgs[1].ack_sync(timeout=2)
            msgs[2].in_progress()
            msgs[2].term()
            rest = psub.fetch(10, timeout=2, heartbeat=0.5)
            assert [m.data for m in rest] == [b"3", b"4", b"5"]
            with pytest.raises(ValueError):
                psub.fetch(1, timeout=1, heartbeat=0.5)
            for m in rest:
                m.ack()
            with pytest.raises(TimeoutError) as te:
                psub.fetch(1, timeout=0.3)
            assert not isinstance(te.value, FetchTimeoutError)  # nats-py's, without heartbeats
            with pytest.raises(FetchTimeoutError):
                psub.fetch(1, timeout=0.5, heartbeat=0.1)
            assert psub.consumer_info().num_ack_pending == 0
        # push with a callback on a library thread, auto-acked
        got: List[bytes] = []
        sub = js.subscribe(f"{name}.q", cb=lambda m: got.append(m.data), durable="bpush")
        assert wait_until(lambda: len(got) == 6 and sub.consumer_info().num_ack_pending == 0, 15)
        assert got == [b"%d" % i for i in range(6)]
        sub.unsubscribe()
        # push without a callback: next_msg / iteration; heartbeats never delivered
        isub = js.subscribe(f"{name}.q", idle_heartbeat=0.2, flow_control=True)
        seen = [isub.next_msg(2) for _ in range(6)]
        assert [m.data for m in seen] == [b"%d" % i for i in range(6)]
        for m in seen:
            m.ack()
        with pytest.raises(TimeoutError):
            isub.next_msg(0.5)
        isub.close()
        core = nc.subscribe(f"plain.{name}")
        nc.publish(f"plain.{name}", b"x")
        cm = core.next_msg(2)
        with pytest.raises(NotJSMessageError):
            cm.ack()
        with pytest.raises(NotJSMessageError):
            _ = cm.metadata
        core.close()
        js.delete_stream(name)


def test_blocking_management_api_calls(jurl: str) -> None:
    with natsrs.connect(jurl) as nc:
        js = nc.jetstream()
        name = uniq()
        js.add_stream(name=name, subjects=[f"{name}.>"])
        js.publish(f"{name}.a", b"1")
        js.publish(f"{name}.b", b"2")
        assert js.stream_info(name, subjects_filter=f"{name}.*").state.subjects == {f"{name}.a": 1, f"{name}.b": 1}
        js.add_consumer(name, durable_name="c")
        assert js.pause_consumer(name, "c", "2999-01-01T00:00:00Z").paused is True
        assert js.resume_consumer(name, "c").paused is False
        assert js.reset_consumer(name, "c", seq=2).reset_seq == 2
        assert [c.name for c in js.consumers_info(name)] == ["c"]
        with pytest.raises(NotFoundError):
            js.pause_consumer(name, "nope", "2999-01-01T00:00:00Z")
        js.delete_stream(name)
