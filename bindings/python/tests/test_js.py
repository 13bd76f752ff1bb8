"""JetStream in natsrs.aio (nats-py's ``nats.js`` API) against a real JetStream server."""

from __future__ import annotations

import asyncio
import base64
import datetime
import functools
import itertools
import os
import pathlib
import signal
from typing import Any, Iterator, List

import pytest
from conftest import Server, run

import natsrs.aio as nats
from natsrs.aio.errors import Error, MsgAlreadyAckdError, NotJSMessageError, TimeoutError
from natsrs.aio.js import JetStreamContext, JetStreamManager, api
from natsrs.aio.js.errors import (
    APIError,
    BadRequestError,
    ConsumerInvalidResetError,
    FetchTimeoutError,
    NoStreamResponseError,
    NotFoundError,
    ServiceUnavailableError,
)
from natsrs.aio.js.errors import (
    Error as JsError,
)

_names = itertools.count(1)


def uniq(prefix: str = "S") -> str:
    return f"{prefix}{next(_names)}"


@pytest.fixture(scope="module")
def js_server(tmpdir_session: pathlib.Path) -> Iterator[Server]:
    d = tmpdir_session / f"js-{uniq('d')}"
    d.mkdir()
    s = Server(tmpdir_session, ["-js", "-sd", str(d)]).start()
    yield s
    s.stop()


@pytest.fixture
def jurl(js_server: Server) -> str:
    return js_server.url


async def wait_for(pred: Any, timeout: float = 15.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await pred():
            return True
        await asyncio.sleep(0.02)
    return bool(await pred())


# ---- streams ------------------------------------------------------------------------------------------
def test_stream_lifecycle(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        name = uniq()
        info = await js.add_stream(name=name, subjects=[f"{name}.>"], max_age=3600, storage=api.StorageType.MEMORY)
        assert isinstance(info, api.StreamInfo)
        assert info.config.name == name and info.config.subjects == [f"{name}.>"]
        assert info.config.max_age == 3600.0
        assert info.config.storage == api.StorageType.MEMORY
        assert info.state.messages == 0
        assert isinstance(info.created, datetime.datetime)
        # same config again: fine; a different one: 400 with err_code 10058
        await js.add_stream(name=name, subjects=[f"{name}.>"], max_age=3600, storage=api.StorageType.MEMORY)
        with pytest.raises(BadRequestError) as ei:
            await js.add_stream(name=name, subjects=["other.>"])
        assert ei.value.code == 400 and ei.value.err_code == 10058
        assert isinstance(ei.value, APIError) and isinstance(ei.value, Error)
        # update
        cfg = info.config
        cfg.description = "updated"
        cfg.max_msgs = 10
        up = await js.update_stream(cfg)
        assert up.config.description == "updated" and up.config.max_msgs == 10
        si = await js.stream_info(name)
        assert si.config.description == "updated"
        assert name in [s.config.name for s in await js.streams_info()]
        assert await js.find_stream_name_by_subject(f"{name}.x") == name
        with pytest.raises(NotFoundError):
            await js.find_stream_name_by_subject("no.such.subject.anywhere")
        assert await js.delete_stream(name) is True
        with pytest.raises(NotFoundError) as nf:
            await js.stream_info(name)
        assert nf.value.code == 404 and nf.value.err_code == 10059
        assert nf.value.description == "stream not found"
        with pytest.raises(NotFoundError):
            await js.delete_stream(name)
        with pytest.raises(ValueError):
            await js.add_stream(name="bad.name")
        await nc.close()

    run(main())


def test_stream_config_object_and_purge(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        jsm = nc.jsm()
        assert isinstance(jsm, JetStreamManager)
        js = nc.jetstream()
        name = uniq()
        cfg = api.StreamConfig(
            name=name,
            subjects=[f"{name}.*"],
            retention=api.RetentionPolicy.LIMITS,
            duplicate_window=30,
            max_msgs_per_subject=5,
            allow_direct=True,
            metadata={"team": "a"},
        )
        info = await jsm.add_stream(cfg)
        assert info.config.duplicate_window == 30.0
        assert info.config.max_msgs_per_subject == 5
        assert info.config.allow_direct is True
        assert (info.config.metadata or {}).get("team") == "a"
        for i in range(10):
            await js.publish(f"{name}.a" if i % 2 else f"{name}.b", b"%d" % i)
        assert (await jsm.stream_info(name)).state.messages == 10
        assert await jsm.purge_stream(name, subject=f"{name}.a") is True
        assert (await jsm.stream_info(name)).state.messages == 5
        assert await jsm.purge_stream(name, keep=2) is True
        assert (await jsm.stream_info(name)).state.messages == 2
        await jsm.purge_stream(name)
        st = (await jsm.stream_info(name)).state
        assert st.messages == 0 and st.last_seq == 10
        await jsm.delete_stream(name)
        await nc.close()

    run(main())


def test_account_info(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        name = uniq()
        await js.add_stream(name=name, subjects=[f"{name}.>"])
        ai = await js.account_info()
        assert isinstance(ai, api.AccountInfo)
        assert ai.streams >= 1
        assert isinstance(ai.limits, api.AccountLimits)
        assert isinstance(ai.api, api.APIStats) and ai.api.total > 0
        await js.delete_stream(name)
        await nc.close()

    run(main())


# ---- publish ------------------------------------------------------------------------------------------
def test_publish_acks_and_errors(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream(timeout=3)
        assert isinstance(js, JetStreamContext)
        name = uniq()
        await js.add_stream(name=name, subjects=[f"{name}.>"], duplicate_window=60)
        ack = await js.publish(f"{name}.a", b"one")
        assert isinstance(ack, api.PubAck)
        assert (ack.stream, ack.seq, ack.duplicate) == (name, 1, None)
        a1 = await js.publish(f"{name}.a", b"two", headers={"Nats-Msg-Id": "m1"})
        a2 = await js.publish(f"{name}.a", b"two", headers={api.Header.MSG_ID: "m1"})
        assert a1.seq == 2 and not a1.duplicate
        assert a2.seq == 2 and a2.duplicate is True
        # the expected stream
        assert (await js.publish(f"{name}.a", b"3", stream=name)).seq == 3
        with pytest.raises(BadRequestError) as ei:
            await js.publish(f"{name}.a", b"x", stream="OTHER")
        assert ei.value.err_code == 10060
        # expected last sequence
        with pytest.raises(BadRequestError) as ei2:
            await js.publish(f"{name}.a", b"x", headers={"Nats-Expected-Last-Sequence": "1"})
        assert ei2.value.err_code == 10071
        assert (await js.publish(f"{name}.a", b"4", headers={"Nats-Expected-Last-Sequence": "3"})).seq == 4
        # other headers travel with the message
        ack = await js.publish(f"{name}.h", b"hdr", headers={"Foo": "bar", "Nats-Msg-Id": "m2"}, timeout=2)
        got = await js.get_msg(name, ack.seq)
        assert got.data == b"hdr" and (got.headers or {}).get("Foo") == "bar"
        # no stream
        with pytest.raises(NoStreamResponseError):
            await js.publish("nobody.listens.here", b"x")
        await js.delete_stream(name)
        await nc.close()

    run(main())


def test_publish_async(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream(publish_async_max_pending=50)
        name = uniq()
        await js.add_stream(name=name, subjects=[f"{name}.>"])
        futs: List["asyncio.Future[api.PubAck]"] = []
        for i in range(500):
            futs.append(await js.publish_async(f"{name}.x", b"%d" % i, wait_stall=5))
            assert js.publish_async_pending() <= 50
        await asyncio.wait_for(js.publish_async_completed(), 10)
        assert js.publish_async_pending() == 0
        seqs = [f.result().seq for f in futs]
        assert sorted(seqs) == list(range(1, 501))
        # errors come through the future
        bad = await js.publish_async("nobody.listens.async", b"x")
        with pytest.raises(NoStreamResponseError):
            await bad
        hf = await js.publish_async(f"{name}.y", b"h", headers={"K": "v"})
        assert (await hf).seq == 501
        assert ((await js.get_last_msg(name, f"{name}.y")).headers or {}).get("K") == "v"
        await js.delete_stream(name)
        await nc.close()

    run(main())


# ---- pull ---------------------------------------------------------------------------------------------
def test_pull_fetch_ack_nak_term(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        name = uniq()
        await js.add_stream(name=name, subjects=[f"{name}.>"])
        for i in range(10):
            await js.publish(f"{name}.q", b"%d" % i)
        sub = await js.pull_subscribe(f"{name}.q", durable="worker", config=api.ConsumerConfig(ack_wait=30))
        msgs = await sub.fetch(4, timeout=2)
        assert [m.data for m in msgs] == [b"0", b"1", b"2", b"3"]
        md = msgs[0].metadata
        assert isinstance(md, nats.Msg.Metadata)
        assert (md.stream, md.consumer, md.sequence.stream, md.sequence.consumer) == (name, "worker", 1, 1)
        assert md.num_delivered == 1 and md.num_pending == 9
        assert isinstance(md.timestamp, datetime.datetime)
        await msgs[0].ack()
        assert msgs[0].is_acked
        with pytest.raises(MsgAlreadyAckdError):
            await msgs[0].ack()
        await msgs[1].ack_sync(timeout=2)
        await msgs[2].in_progress()
        await msgs[2].term()
        await msgs[3].nak()
        seen = {}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while len(seen) < 7 and loop.time() < deadline:  # 3 (redelivered) and 4..9
            for m in await sub.fetch(10, timeout=2):
                seen[m.data] = m.metadata.num_delivered
                await m.ack()
        assert seen == {b"3": 2, **{b"%d" % i: 1 for i in range(4, 10)}}
        with pytest.raises(TimeoutError) as te:
            await sub.fetch(1, timeout=0.3)
        # nats-py's: the plain TimeoutError without heartbeats (FetchTimeoutError with them)
        assert type(te.value) is TimeoutError and isinstance(te.value, asyncio.TimeoutError)
        await nc.flush()
        ci = await sub.consumer_info()
        assert ci.name == "worker" and ci.num_ack_pending == 0 and ci.stream_name == name
        assert ci.config.ack_wait == 30.0
        # a second pull_subscribe on the durable binds to it
        sub2 = await js.pull_subscribe(f"{name}.q", durable="worker")
        await js.publish(f"{name}.q", b"late")
        assert [m.data for m in await sub2.fetch(1, timeout=2)] == [b"late"]
        await sub.unsubscribe()
        await sub2.unsubscribe()
        assert (await js.consumer_info(name, "worker")).name == "worker"  # kept, as nats-py
        await js.delete_stream(name)
        await nc.close()

    run(main())


def test_pull_fetch_heartbeat(tmpdir_session: pathlib.Path) -> None:
    d = tmpdir_session / f"js-{uniq('hb')}"
    d.mkdir()
    srv = Server(tmpdir_session, ["-js", "-sd", str(d)]).start()

    async def main() -> None:
        nc = await nats.connect(srv.url)
        js = nc.jetstream()
        name = uniq()
        await js.add_stream(name=name, subjects=[f"{name}.>"])
        for i in range(3):
            await js.publish(f"{name}.q", b"%d" % i)
        sub = await js.pull_subscribe(f"{name}.q", durable="hb")
        msgs = await sub.fetch(5, timeout=2, heartbeat=0.5)
        assert [m.data for m in msgs] == [b"0", b"1", b"2"]
        for m in msgs:
            await m.ack()
        # nothing to fetch: the heartbeats come, the fetch runs to its timeout
        with pytest.raises(FetchTimeoutError):
            await sub.fetch(1, timeout=1, heartbeat=0.2)
        with pytest.raises(ValueError):
            await sub.fetch(1, timeout=1, heartbeat=0.5)  # not less than half the timeout
        # a server gone quiet: two missed heartbeats end the fetch, long before its timeout
        assert srv.proc is not None
        os.kill(srv.proc.pid, signal.SIGSTOP)
        try:
            with pytest.raises(FetchTimeoutError):  # not the asyncio.TimeoutError of wait_for
                await asyncio.wait_for(sub.fetch(1, timeout=30, heartbeat=0.2), 20)
        finally:
            os.kill(srv.proc.pid, signal.SIGCONT)
        await js.publish(f"{name}.q", b"after")
        assert [m.data for m in await sub.fetch(1, timeout=2, heartbeat=0.3)] == [b"after"]
        await js.delete_stream(name)
        await nc.close()

    try:
        run(main())
    finally:
        srv.stop()


def test_pull_ephemeral_and_nak_delay(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        name = uniq()
        await js.add_stream(name=name, subjects=[f"{name}.>"])
        await js.publish(f"{name}.e", b"x")
        sub = await js.pull_subscribe(f"{name}.e", stream=name)
        (m,) = await sub.fetch(1, timeout=2)
        await m.nak(delay=0.2)
        (m2,) = await sub.fetch(1, timeout=5)
        assert m2.data == b"x" and m2.metadata.num_delivered == 2
        await m2.ack()
        await js.delete_stream(name)
        await nc.close()

    run(main())


# ---- push ---------------------------------------------------------------------------------------------
def test_push_callback_auto_ack(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        name = uniq()
        await js.add_stream(name=name, subjects=[f"{name}.>"])
        for i in range(20):
            await js.publish(f"{name}.p", b"%d" % i)
        got: List[bytes] = []

        async def cb(msg: nats.Msg) -> None:
            got.append(msg.data)

        sub = await js.subscribe(f"{name}.p", cb=cb, durable="pusher")

        async def all_acked() -> bool:
            ci = await sub.consumer_info()
            return (
                len(got) == 20 and ci.num_ack_pending == 0 and (ci.ack_floor or api.SequenceInfo(0, 0)).stream_seq == 20
            )

        assert await wait_for(all_acked)
        assert got == [b"%d" % i for i in range(20)]
        await sub.unsubscribe()
        await js.delete_stream(name)
        await nc.close()

    run(main())


def test_push_manual_ack_and_next_msg(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        name = uniq()
        await js.add_stream(name=name, subjects=[f"{name}.>"])
        got: List[nats.Msg] = []

        async def cb(msg: nats.Msg) -> None:
            got.append(msg)

        sub = await js.subscribe(f"{name}.m", cb=cb, manual_ack=True)
        for i in range(3):
            await js.publish(f"{name}.m", b"%d" % i)

        async def three() -> bool:
            return len(got) == 3

        assert await wait_for(three)
        ci = await sub.consumer_info()
        assert ci.num_ack_pending == 3
        for m in got:
            await m.ack()
        await nc.flush()

        async def none_pending() -> bool:
            return (await sub.consumer_info()).num_ack_pending == 0

        assert await wait_for(none_pending)
        # iterator-style subscription: no auto ack
        isub = await js.subscribe(f"{name}.m", deliver_policy=api.DeliverPolicy.LAST)
        m = await isub.next_msg(2)
        assert m.data == b"2"
        with pytest.raises(TimeoutError):
            await isub.next_msg(0.2)
        await js.publish(f"{name}.m", b"new")
        async for msg in isub.messages:
            assert msg.data == b"new"
            await msg.ack()
            break
        # deliver NEW sees only later messages
        nsub = await js.subscribe(f"{name}.m", deliver_policy=api.DeliverPolicy.NEW)
        await js.publish(f"{name}.m", b"newest")
        assert (await nsub.next_msg(2)).data == b"newest"
        # a core message is not a JetStream one
        core = await nc.subscribe(f"plain.{name}")
        await nc.publish(f"plain.{name}", b"x")
        cm = await core.next_msg(2)
        with pytest.raises(NotJSMessageError):
            _ = cm.metadata
        with pytest.raises(NotJSMessageError):
            await cm.ack()
        await js.delete_stream(name)
        await nc.close()

    run(main())


def test_push_queue_group_and_durable_rules(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        name = uniq()
        await js.add_stream(name=name, subjects=[f"{name}.>"])
        a: List[bytes] = []
        b: List[bytes] = []

        async def ca(msg: nats.Msg) -> None:
            a.append(msg.data)

        async def cb_(msg: nats.Msg) -> None:
            b.append(msg.data)

        s1 = await js.subscribe(f"{name}.w", queue="workers", cb=ca)
        s2 = await js.subscribe(f"{name}.w", queue="workers", cb=cb_)
        for i in range(50):
            await js.publish(f"{name}.w", b"%d" % i)

        async def done() -> bool:
            return len(a) + len(b) == 50

        assert await wait_for(done)
        assert sorted(a + b, key=int) == [b"%d" % i for i in range(50)]
        ci = await js.consumer_info(name, "workers")
        assert ci.config.deliver_group == "workers"
        with pytest.raises(JsError):
            await js.subscribe(f"{name}.w", durable="workers")  # consumer with a deliver group, no queue
        # a durable already bound to a subscription
        d1 = await js.subscribe(f"{name}.w", durable="solo")
        with pytest.raises(JsError):
            await js.subscribe(f"{name}.w", durable="solo")
        await d1.unsubscribe()
        await s1.unsubscribe()
        await s2.unsubscribe()
        await js.delete_stream(name)
        await nc.close()

    run(main())


def test_push_heartbeat_flow_control_and_ordered(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        name = uniq()
        await js.add_stream(name=name, subjects=[f"{name}.>"])
        for _ in range(200):
            await js.publish(f"{name}.f", b"x" * 1000)
        sub = await js.subscribe(f"{name}.f", idle_heartbeat=0.2, flow_control=True)
        got = 0
        while got < 200:
            m = await sub.next_msg(5)
            assert m.data == b"x" * 1000  # never a heartbeat or flow-control message
            await m.ack()
            got += 1
        with pytest.raises(TimeoutError):
            await sub.next_msg(0.6)  # heartbeats arrive meanwhile and are not delivered
        ci = await sub.consumer_info()
        assert ci.config.idle_heartbeat == 0.2 and ci.config.flow_control is True
        got_o: List[int] = []

        async def ocb(msg: nats.Msg) -> None:
            got_o.append(msg.metadata.sequence.stream)

        osub = await js.subscribe(f"{name}.f", cb=ocb, ordered_consumer=True)

        async def all_o() -> bool:
            return len(got_o) == 200

        assert await wait_for(all_o)
        assert got_o == list(range(1, 201))
        oci = await osub.consumer_info()
        assert oci.config.ack_policy == api.AckPolicy.NONE and oci.config.flow_control is True
        await js.delete_stream(name)
        await nc.close()

    run(main())


# ---- consumers and stored messages --------------------------------------------------------------------
def test_consumer_management(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        name = uniq()
        await js.add_stream(name=name, subjects=[f"{name}.>"])
        cfg = api.ConsumerConfig(
            durable_name="c1",
            ack_policy=api.AckPolicy.EXPLICIT,
            ack_wait=12.5,
            max_deliver=3,
            filter_subject=f"{name}.a",
            backoff=None,
            description="first",
        )
        ci = await js.add_consumer(name, cfg)
        assert isinstance(ci, api.ConsumerInfo)
        assert ci.name == "c1" and ci.stream_name == name
        assert ci.config.ack_wait == 12.5 and ci.config.max_deliver == 3 and ci.config.filter_subject == f"{name}.a"
        assert isinstance(ci.created, datetime.datetime)
        await js.add_consumer(
            name, durable_name="c2", deliver_policy=api.DeliverPolicy.LAST_PER_SUBJECT, filter_subject=f"{name}.>"
        )
        names = sorted(c.name for c in await js.consumers_info(name))
        assert names == ["c1", "c2"]
        assert (await js.consumer_info(name, "c2")).config.deliver_policy == api.DeliverPolicy.LAST_PER_SUBJECT
        assert await js.delete_consumer(name, "c1") is True
        with pytest.raises(NotFoundError) as ei:
            await js.consumer_info(name, "c1")
        assert ei.value.err_code == 10014
        with pytest.raises(NotFoundError):
            await js.delete_consumer(name, "c1")
        with pytest.raises(NotFoundError):
            await js.add_consumer("NO_SUCH_STREAM_X", durable_name="x")
        await js.delete_stream(name)
        await nc.close()

    run(main())


def test_get_and_delete_msg(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        name = uniq()
        await js.add_stream(name=name, subjects=[f"{name}.>"], allow_direct=True)
        await js.publish(f"{name}.a", b"a1")
        await js.publish(f"{name}.b", b"b1", headers={"X": "1"})
        await js.publish(f"{name}.a", b"a2")
        m = await js.get_msg(name, 2)
        assert isinstance(m, api.RawStreamMsg)
        assert (m.subject, m.seq, m.data, (m.headers or {}).get("X")) == (f"{name}.b", 2, b"b1", "1")
        last = await js.get_last_msg(name, f"{name}.a")
        assert (last.subject, last.data) == (f"{name}.a", b"a2")
        d = await js.get_msg(name, 1, direct=True)
        assert d.data == b"a1" and d.seq == 1
        dl = await js.get_last_msg(name, f"{name}.a", direct=True)
        assert (dl.subject, dl.data, dl.seq) == (f"{name}.a", b"a2", 3)
        # the stored sequence and time, from every kind of read
        now = datetime.datetime.now(datetime.timezone.utc)
        for got, seq in ((m, 2), (last, 3), (d, 1), (dl, 3)):
            assert got.seq == seq and got.sequence == seq
            assert isinstance(got.time, datetime.datetime) and got.time.tzinfo is not None
            assert abs((now - got.time).total_seconds()) < 3600  # the server's clock, not exact
        assert m.time is not None and last.time is not None and m.time <= last.time
        # as nats-py: a direct get keeps the server's headers, a stream get only the message's
        dh = dl.headers or {}
        assert (dh.get("Nats-Sequence"), dh.get("Nats-Subject"), dh.get("Nats-Stream")) == ("3", f"{name}.a", name)
        assert api.parse_time(dh["Nats-Time-Stamp"]) == dl.time
        assert "Nats-Sequence" not in (m.headers or {})
        # and a stream get carries the header block as the server's JSON has it (base64)
        assert m.hdrs is not None and base64.b64decode(m.hdrs) == b"NATS/1.0\r\nX: 1\r\n\r\n"
        assert last.hdrs is None
        # a direct get of a stream without direct get is a plain request nobody answers
        other = uniq()
        await js.add_stream(name=other, subjects=[f"{other}.>"])
        await js.publish(f"{other}.a", b"x")
        with pytest.raises(nats.errors.NoRespondersError):
            await js.get_msg(other, 1, direct=True)
        await js.delete_stream(other)
        assert await js.delete_msg(name, 1) is True
        with pytest.raises(NotFoundError):
            await js.get_msg(name, 1)
        with pytest.raises(NotFoundError):
            await js.get_last_msg(name, f"{name}.zzz")
        assert (await js.stream_info(name)).state.messages == 2
        await js.delete_stream(name)
        await nc.close()

    run(main())


def test_get_next_msg(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        name = uniq()
        await js.add_stream(name=name, subjects=[f"{name}.>"], allow_direct=True)
        for subj, data in (("a", b"a1"), ("b", b"b1"), ("a", b"a2"), ("c", b"c1")):
            await js.publish(f"{name}.{subj}", data)
        for direct in (False, True):
            n = await js.get_msg(name, 2, subject=f"{name}.a", next=True, direct=direct)
            assert (n.subject, n.data, n.seq) == (f"{name}.a", b"a2", 3)
            assert n.time is not None
            # wildcards; the first at the sequence itself
            w = await js.get_msg(name, 2, subject=f"{name}.*", next=True, direct=direct)
            assert (w.data, w.seq) == (b"b1", 2)
            # no subject: any subject
            assert (await js.get_msg(name, 4, next=True, direct=direct)).data == b"c1"
            with pytest.raises(NotFoundError):
                await js.get_msg(name, 4, subject=f"{name}.a", next=True, direct=direct)
        await js.delete_stream(name)
        await nc.close()

    run(main())


def test_api_dataclasses_round_trip() -> None:
    cfg = api.ConsumerConfig(durable_name="d", ack_wait=1.5, backoff=[1, 2.5], idle_heartbeat=5)
    d = cfg.as_dict()
    assert d["ack_wait"] == 1_500_000_000 and d["backoff"] == [1_000_000_000, 2_500_000_000]
    assert d["ack_policy"] == "explicit" and d["deliver_policy"] == "all"
    back = api.ConsumerConfig.from_response(dict(d, unknown_field=1))
    assert back.ack_wait == 1.5 and back.backoff == [1.0, 2.5] and back.idle_heartbeat == 5.0
    sc = api.StreamConfig(
        name="s", max_age=2, placement=api.Placement(cluster="c"), sources=[api.StreamSource(name="o")]
    )
    sd = sc.as_dict()
    assert sd["max_age"] == 2_000_000_000 and sd["placement"] == {"cluster": "c"} and sd["sources"] == [{"name": "o"}]
    s2 = api.StreamConfig.from_response(sd)
    assert s2.max_age == 2.0 and isinstance(s2.placement, api.Placement)
    assert isinstance((s2.sources or [])[0], api.StreamSource)
    assert sc.evolve(name="t").name == "t" and sc.name == "s"
    ack = api.PubAck.from_response({"stream": "s", "seq": 3, "batch": "b", "count": 2})
    assert (ack.batch_id, ack.batch_size) == ("b", 2)
    si = api.StreamInfo.from_response(
        {
            "config": {"name": "s"},
            "state": {"messages": 1, "bytes": 2, "first_seq": 1, "last_seq": 1, "consumer_count": 0},
            "created": "2024-01-02T03:04:05.123456789Z",
        }
    )
    assert si.created == datetime.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=datetime.timezone.utc)
    assert issubclass(ServiceUnavailableError, APIError)


def test_error_mapping_and_closed_connection(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream(timeout=1)
        await nc.close()
        with pytest.raises(Error):
            await js.publish("x", b"y")
        with pytest.raises(Error):
            await js.account_info()

    run(main())


def test_no_jetstream_server(url: str) -> None:
    async def main() -> None:
        nc = await nats.connect(url)
        js = nc.jetstream(timeout=1)
        with pytest.raises((ServiceUnavailableError, TimeoutError, APIError)):
            await js.account_info()
        await nc.close()

    run(main())


def test_domain_prefix(tmpdir_session: pathlib.Path) -> None:
    d = tmpdir_session / f"jsdom-{uniq('d')}"
    d.mkdir()
    srv = Server(tmpdir_session, [], conf=f'jetstream {{ store_dir: "{d}", domain: "hub" }}').start()
    try:

        async def main() -> None:
            nc = await nats.connect(srv.url)
            js = nc.jetstream(domain="hub")
            name = uniq()
            await js.add_stream(name=name, subjects=[f"{name}.>"])
            ack = await js.publish(f"{name}.x", b"d")
            assert ack.domain == "hub" and ack.seq == 1
            sub = await js.pull_subscribe(f"{name}.x", durable="dd")
            (m,) = await sub.fetch(1, timeout=2)
            assert m.metadata.stream == name  # (this server's ack subjects carry no domain)
            await m.ack()
            jp = nc.jetstream(prefix="$JS.hub.API")
            assert (await jp.stream_info(name)).state.messages == 1
            with pytest.raises((ServiceUnavailableError, TimeoutError, APIError)):
                await nc.jetstream(domain="elsewhere", timeout=0.5).account_info()
            await nc.close()

        run(main())
    finally:
        srv.stop()


def test_cancelled_fetch_loses_no_message(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        name = uniq()
        await js.add_stream(name=name, subjects=[f"{name}.>"])
        sub = await js.pull_subscribe(f"{name}.c", durable="cancel")
        task = asyncio.ensure_future(sub.fetch(1, timeout=5))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await js.publish(f"{name}.c", b"kept")
        (m,) = await sub.fetch(1, timeout=2)
        assert m.data == b"kept" and m.metadata.num_delivered == 1
        await m.ack()
        # many fetches at once (more than the loop's default executor has threads)
        subs = [await js.pull_subscribe(f"{name}.c", durable=f"many{i}") for i in range(12)]
        await js.publish(f"{name}.c", b"more")
        results = await asyncio.gather(*(s.fetch(2, timeout=2) for s in subs))
        assert all([x.data for x in r] == [b"kept", b"more"] for r in results)
        await js.delete_stream(name)
        await nc.close()

    run(main())


def test_cancel_fetch_holding_messages_then_fetch_gets_each_once(jurl: str) -> None:
    """A fetch that received part of its batch is cancelled: the next fetch gets every message
    exactly once (none redelivered, none lost), and fetches of one subscription may overlap."""

    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        name = uniq()
        await js.add_stream(name=name, subjects=[f"{name}.>"])
        sub = await js.pull_subscribe(f"{name}.c", durable="holder")
        task = asyncio.ensure_future(sub.fetch(10, timeout=30))
        await asyncio.sleep(0.1)
        for i in range(3):
            await js.publish(f"{name}.c", b"%d" % i)
        await asyncio.sleep(0.3)
        assert not task.done()  # waits for the rest of its batch
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        for i in range(3, 5):
            await js.publish(f"{name}.c", b"%d" % i)
        got: List[Any] = []
        while len(got) < 5:
            got += await sub.fetch(10, timeout=5)
        assert [m.data for m in got] == [b"%d" % i for i in range(5)]
        assert all(m.metadata.num_delivered == 1 for m in got)
        for m in got:
            await m.ack()
        with pytest.raises(TimeoutError) as te:
            await sub.fetch(1, timeout=0.3)
        assert not isinstance(te.value, FetchTimeoutError)
        # two tasks fetching from one subscription: they take turns, each message once
        a = asyncio.ensure_future(sub.fetch(2, timeout=5))
        b = asyncio.ensure_future(sub.fetch(2, timeout=5))
        await asyncio.sleep(0.1)
        for i in range(5, 9):
            await js.publish(f"{name}.c", b"%d" % i)
        ra, rb = await asyncio.gather(a, b)
        turns = [m.data for m in ra + rb]
        # a fetch may end with part of its batch once the others are taken: fetch the rest
        while len(turns) < 4:
            turns += [m.data for m in await sub.fetch(4 - len(turns), timeout=5)]
        assert sorted(turns) == [b"%d" % i for i in range(5, 9)]
        # many cancelled fetches in a row lose nothing either
        for _ in range(20):
            t = asyncio.ensure_future(sub.fetch(5, timeout=10))
            await asyncio.sleep(0)
            t.cancel()
            with pytest.raises(asyncio.CancelledError):
                await t
        await js.publish(f"{name}.c", b"last")
        (m,) = await sub.fetch(1, timeout=5)
        assert m.data == b"last" and m.metadata.num_delivered == 1
        await js.delete_stream(name)
        await nc.close()

    run(main())


def test_missing_key_value_and_object_store_buckets(jurl: str) -> None:
    from natsrs.aio.js.errors import BucketNotFoundError

    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        with pytest.raises(BucketNotFoundError):
            await js.key_value("b")
        with pytest.raises(BucketNotFoundError):
            await js.object_store("b")
        await nc.close()

    run(main())


def test_contexts_and_pull_subscriptions_do_not_leak(jurl: str) -> None:
    import gc
    import os

    from natsrs import _core

    def rss_kib() -> int:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    async def main() -> None:
        nc = await nats.connect(jurl)
        js0 = nc.jetstream()
        name = uniq()
        await js0.add_stream(name=name, subjects=[f"{name}.>"], storage=api.StorageType.MEMORY)
        await js0.add_consumer(name, durable_name="leak", ack_policy=api.AckPolicy.NONE)

        async def round_(n: int) -> None:
            for i in range(n):
                js = nc.jetstream()
                await (await js.publish_async(f"{name}.x", b"x" * 100))
                sub = await js.pull_subscribe_bind("leak", stream=name)
                await sub.fetch(1, timeout=2)
                if i % 2:  # the others are freed by the garbage collector
                    await sub.unsubscribe()
                del sub, js
            for _ in range(3):
                gc.collect()
            await asyncio.sleep(0.1)

        await round_(50)  # warm-up
        rss0, fd0, reg0 = rss_kib(), len(os.listdir("/proc/self/fd")), _core.registry_size()
        await round_(300)
        rss1, fd1, reg1 = rss_kib(), len(os.listdir("/proc/self/fd")), _core.registry_size()
        assert reg1 == reg0, "callback registry grew"
        assert fd1 <= fd0 + 2
        assert rss1 - rss0 < 20 * 1024, f"RSS grew by {rss1 - rss0} KiB"
        await js0.delete_stream(name)
        await nc.close()

    run(main(), timeout=240)


def test_ordered_consumer_recreated_after_loss(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        name = uniq()
        await js.add_stream(name=name, subjects=[f"{name}.>"])
        for i in range(5):
            await js.publish(f"{name}.o", b"%d" % i)
        osub = await js.subscribe(f"{name}.o", ordered_consumer=True, idle_heartbeat=0.2)
        got = [(await osub.next_msg(5)).data for _ in range(5)]
        first = (await osub.consumer_info()).name
        # the server loses the consumer: missed heartbeats make the subscription re-create it,
        # starting after the last message received
        await js.delete_consumer(name, first)
        for i in range(5, 10):
            await js.publish(f"{name}.o", b"%d" % i)
        got += [(await osub.next_msg(15)).data for _ in range(5)]
        assert got == [b"%d" % i for i in range(10)]
        assert (await osub.consumer_info()).name != first
        await osub.unsubscribe()
        # with a callback
        seen: List[int] = []

        async def cb(msg: nats.Msg) -> None:
            seen.append(msg.metadata.sequence.stream)

        csub = await js.subscribe(f"{name}.o", cb=cb, ordered_consumer=True, idle_heartbeat=0.2)

        async def ten() -> bool:
            return len(seen) == 10

        assert await wait_for(ten)
        await js.delete_consumer(name, (await csub.consumer_info()).name)
        await js.publish(f"{name}.o", b"10")

        async def eleven() -> bool:
            return len(seen) == 11

        assert await wait_for(eleven)
        assert seen == list(range(1, 12))
        await csub.unsubscribe()
        await js.delete_stream(name)
        await nc.close()

    run(main())


EXIT_PROGRAM = """
import asyncio, sys
import natsrs.aio as nats

async def main():
    nc = await nats.connect(sys.argv[1])
    js = nc.jetstream()
    await js.add_stream(name=sys.argv[2], subjects=[sys.argv[2] + ".>"])
    sub = await js.pull_subscribe(sys.argv[2] + ".x", durable="exit")
    asyncio.ensure_future(sub.fetch(1, timeout=600))  # still waiting when main returns
    await asyncio.sleep(0.2)
    print("leaving")

asyncio.run(main())
"""


def test_exit_does_not_wait_for_an_abandoned_fetch(jurl: str, tmp_path: pathlib.Path) -> None:
    import os
    import subprocess
    import sys

    f = tmp_path / "exit_fetch.py"
    f.write_text(EXIT_PROGRAM)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    # the fetch would wait 600 s; the process must end long before (deadline 60 s)
    r = subprocess.run([sys.executable, str(f), jurl, uniq()], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "leaving"


def test_cluster_r3_stream_survives_leader_loss(make_server: Any, tmpdir_session: pathlib.Path) -> None:
    from conftest import free_port

    cports = [free_port() for _ in range(3)]
    routes = ",".join(f"nats-route://127.0.0.1:{p}" for p in cports)
    servers = []
    for i, cp in enumerate(cports):
        d = tmpdir_session / f"jsc-{uniq('d')}"
        d.mkdir()
        servers.append(
            make_server(
                "-js",
                "-sd",
                str(d),
                "--server_name",
                f"n{i}",
                "--cluster_name",
                "jsc",
                "--cluster",
                f"nats://127.0.0.1:{cp}",
                "--routes",
                routes,
            )  # fmt: skip
        )
    by_name = {f"n{i}": s for i, s in enumerate(servers)}

    async def main() -> None:
        nc = await nats.connect([s.url for s in servers], reconnect_time_wait=0.1, max_reconnect_attempts=-1)
        js = nc.jetstream(timeout=2)
        name = uniq()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while True:  # the JetStream meta group elects its leader after the routes form
            try:
                await js.add_stream(name=name, subjects=[f"{name}.>"], num_replicas=3)
                break
            except (APIError, TimeoutError):
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.25)
        for i in range(10):
            await js.publish(f"{name}.x", b"%d" % i)
        info = await js.stream_info(name)
        assert info.cluster is not None and info.cluster.leader in by_name
        leader = by_name[info.cluster.leader]
        await loop.run_in_executor(None, leader.stop)
        deadline = loop.time() + 30
        i = 10
        while i < 20:  # a new leader is elected; the client may also have to reconnect
            try:  # a retried publish may have been stored: the message id makes it harmless
                await js.publish(f"{name}.x", b"%d" % i, headers={"Nats-Msg-Id": f"m{i}"})
                i += 1
            except Error:
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.25)

        async def retrying(make: Any) -> Any:
            # API calls right after a server loss may time out while the groups elect leaders
            end = loop.time() + 30
            while True:
                try:
                    return await make()
                except Error:
                    if loop.time() > end:
                        raise
                    await asyncio.sleep(0.25)

        sub = await retrying(lambda: js.pull_subscribe(f"{name}.x", durable="after"))
        got: List[bytes] = []
        while len(got) < 20:
            batch = functools.partial(sub.fetch, 20 - len(got), timeout=5)
            got += [m.data for m in await retrying(batch)]
        assert got == [b"%d" % i for i in range(20)]
        new = await retrying(lambda: js.stream_info(name))
        assert new.cluster is not None and new.cluster.leader != info.cluster.leader
        await nc.close()

    run(main(), timeout=120)


# ---- management through natsrs_jetstream_api_request -------------------------------------------------
def test_stream_info_subjects_filter_and_lists(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        name = uniq("L")
        await js.add_stream(name=name, subjects=[f"{name}.>"])
        for subj in ("a", "b", "a", "c.d"):
            await js.publish(f"{name}.{subj}", b"x")
        info = await js.stream_info(name, subjects_filter=f"{name}.>")
        assert info.state.subjects == {f"{name}.a": 2, f"{name}.b": 1, f"{name}.c.d": 1}
        assert (await js.stream_info(name, subjects_filter=f"{name}.a")).state.subjects == {f"{name}.a": 2}
        assert (await js.stream_info(name)).state.subjects is None
        with pytest.raises(NotFoundError) as ei:
            await js.stream_info("NO_SUCH_STREAM_F", subjects_filter=">")
        assert ei.value.err_code == 10059
        # the server's lists, one page each (as nats-py)
        for c in ("c1", "c2"):
            await js.add_consumer(name, durable_name=c)
        names = sorted(ci.name for ci in await js.consumers_info(name))
        assert names == ["c1", "c2"]
        assert len(await js.consumers_info(name, offset=1)) == 1
        infos = await js.streams_info()
        assert name in [s.config.name for s in infos]
        it = await js.streams_info_iterator()
        assert it.total == len(infos) and it.offset == 0 and name in [s.config.name for s in it]
        assert len(await js.streams_info(offset=len(infos))) == 0
        await js.delete_stream(name)
        await nc.close()

    run(main())


def test_pause_resume_reset_consumer(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        jsm = nc.jsm()
        name = uniq("P")
        await js.add_stream(name=name, subjects=[f"{name}.>"])
        for i in range(5):
            await js.publish(f"{name}.q", b"%d" % i)
        await js.add_consumer(name, durable_name="pc", ack_policy=api.AckPolicy.EXPLICIT)
        p = await jsm.pause_consumer(name, "pc", "2999-01-01T00:00:00Z")
        assert isinstance(p, api.ConsumerPause) and p.paused is True
        assert p.pause_until is not None and p.pause_until.startswith("2999-01-01")
        assert (await js.consumer_info(name, "pc")).paused is True
        r = await js.resume_consumer(name, "pc")
        assert r.paused is False
        assert not (await js.consumer_info(name, "pc")).paused
        with pytest.raises(NotFoundError) as ei:
            await js.pause_consumer(name, "nope", "2999-01-01T00:00:00Z")
        assert ei.value.err_code == 10014 and ei.value.code == 404
        with pytest.raises(ValueError):
            await js.pause_consumer(name, "bad.name", "2999-01-01T00:00:00Z")
        # reset: back to a chosen sequence, then to one above the ack floor
        sub = await js.pull_subscribe_bind("pc", stream=name)
        for m in await sub.fetch(3, timeout=2):
            await m.ack_sync()
        rs = await js.reset_consumer(name, "pc", seq=2)
        assert isinstance(rs, api.ConsumerReset) and rs.reset_seq == 2
        assert isinstance(rs.info, api.ConsumerInfo) and rs.info.name == "pc"
        (m,) = await sub.fetch(1, timeout=2)
        assert m.data == b"1"
        await m.ack_sync()
        rs0 = await js.reset_consumer(name, "pc")
        assert rs0.reset_seq == 3
        # a sequence the deliver policy does not allow
        await js.add_consumer(
            name, durable_name="bs", deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=4
        )
        with pytest.raises(ConsumerInvalidResetError) as ei2:
            await js.reset_consumer(name, "bs", seq=1)
        assert ei2.value.err_code == 10204 and isinstance(ei2.value, BadRequestError)
        await sub.unsubscribe()
        await js.delete_stream(name)
        await nc.close()

    run(main())


def test_api_calls_use_the_domain(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream(domain="nodomain", timeout=1)
        with pytest.raises(ServiceUnavailableError):
            await js.pause_consumer("S", "C", "2999-01-01T00:00:00Z")
        with pytest.raises(ServiceUnavailableError):
            await js.stream_info("S", subjects_filter=">")
        await nc.close()

    run(main())


def test_new_stream_config_fields_and_is_status_msg(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        name = uniq("N")
        info = await js.add_stream(
            name=name, subjects=[f"{name}.>"], allow_msg_counter=True, persist_mode=api.PersistMode.ASYNC
        )
        assert info.config.allow_msg_counter is True and info.config.persist_mode == api.PersistMode.ASYNC
        await js.delete_stream(name)
        src = api.StreamSource(name="X", consumer=api.StreamConsumerSource(name="c", deliver_subject="d"))
        back = api.StreamSource.from_response(src.as_dict())
        assert back.consumer == api.StreamConsumerSource(name="c", deliver_subject="d")
        assert api.Header.SCHEDULE.value == "Nats-Schedule" and api.SCHEDULE_HOURLY == "@hourly"
        assert JetStreamContext.is_status_msg(None) is None
        m = nats.Msg(nc, subject="x", headers={"Status": "100"})
        assert js.is_status_msg(m) == "100"
        await nc.close()

    run(main())


def test_public_names_match_nats_py() -> None:
    """Every public name of nats-py's JetStream, KV and object-store classes and of its ``api`` and
    ``errors`` modules exists here too (typing helpers nats-py re-exports aside)."""
    import inspect

    import nats.js.api as py_api
    import nats.js.client as py_client
    import nats.js.errors as py_errors
    import nats.js.kv as py_kv
    import nats.js.manager as py_manager
    import nats.js.object_store as py_obj

    import natsrs.aio.js.errors as rs_errors
    from natsrs.aio.js import client as rs_client
    from natsrs.aio.js import kv as rs_kv
    from natsrs.aio.js import object_store as rs_obj

    def public(o: Any) -> "set[str]":
        return {n for n in dir(o) if not n.startswith("_")}

    pairs = [
        (py_manager.JetStreamManager, JetStreamManager),
        (py_client.JetStreamContext, rs_client.JetStreamContext),
        (py_client.JetStreamContext.PullSubscription, rs_client.JetStreamContext.PullSubscription),
        (py_client.JetStreamContext.PushSubscription, rs_client.JetStreamContext.PushSubscription),
        (py_kv.KeyValue, rs_kv.KeyValue),
        (py_kv.KeyValue.KeyWatcher, rs_kv.KeyValue.KeyWatcher),
        (py_obj.ObjectStore, rs_obj.ObjectStore),
        (py_obj.ObjectStore.ObjectWatcher, rs_obj.ObjectStore.ObjectWatcher),
    ]
    for theirs, ours in pairs:
        assert public(theirs) - public(ours) == set(), theirs
    typing_names = {"Iterable", "TYPE_CHECKING", "dataclass", "nats", "api"}
    for theirs_mod, ours_mod in ((py_api, api), (py_errors, rs_errors)):
        missing = {n for n in public(theirs_mod) - public(ours_mod) if not inspect.ismodule(getattr(theirs_mod, n))}
        assert missing - typing_names == set(), theirs_mod.__name__
