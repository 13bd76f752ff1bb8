"""JetStream management details: error texts and codes, update_stream, purge by seq/keep,
streams_info paging, find_stream_name_by_subject, consumer variants (durable, ephemeral,
filter_subjects), consumer info fields, delete_consumer, get_msg next/direct, PubAck fields,
account info fields."""

import asyncio
import os

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig
from nats.js.errors import APIError

URL = os.environ["NATS_URL"]


def show(e):
    return f"{type(e).__name__}: {e}" + (f" [{e.code} {e.err_code}]" if isinstance(e, APIError) else "")


async def attempt(label, coro):
    try:
        r = await coro
        print(label, "ok", r if isinstance(r, (bool, int, str, type(None))) else type(r).__name__)
        return r
    except Exception as e:
        print(label, show(e))


async def main() -> None:
    nc = await nats.connect(URL)
    js = nc.jetstream()
    si = await js.add_stream(name="S1", subjects=["s1.>"], max_msgs_per_subject=3)
    print("add", si.config.name, si.config.max_msgs_per_subject, si.config.num_replicas, si.config.storage)
    print("created set", si.created is not None, si.cluster is None or si.cluster.leader is not None)
    # the same config again is fine, another config is not
    await attempt("add same", js.add_stream(name="S1", subjects=["s1.>"], max_msgs_per_subject=3))
    await attempt("add different", js.add_stream(name="S1", subjects=["s1.>"], max_msgs=7))
    await attempt("overlap", js.add_stream(name="S2", subjects=["s1.a"]))
    await attempt("update missing", js.update_stream(name="NOPE", subjects=["nope"]))
    await attempt("update retention", js.update_stream(name="S1", subjects=["s1.>"], retention="workqueue"))
    await attempt("update storage", js.update_stream(name="S1", subjects=["s1.>"], storage="memory"))
    si = await js.update_stream(StreamConfig(name="S1", subjects=["s1.>", "other.>"], max_msgs_per_subject=3))
    print("updated subjects", si.config.subjects)
    await attempt("no name", js.add_stream(subjects=["x"]))
    await attempt("empty name", js.stream_info(""))
    await attempt("bad name", js.stream_info("a.b"))
    await attempt("delete missing", js.delete_stream("NOPE"))
    await attempt("purge missing", js.purge_stream("NOPE"))

    acks = []
    for i in range(12):
        acks.append(await js.publish(f"s1.{i % 4}", b"m%d" % i, headers={"I": str(i)}))
    a = acks[-1]
    print("puback", a.stream, a.seq, a.domain, a.duplicate, repr(a))
    a = await js.publish("s1.x", b"dedupe", headers={"Nats-Msg-Id": "one"})
    b = await js.publish("s1.x", b"dedupe", headers={"Nats-Msg-Id": "one"})
    print("dedupe", a.seq, a.duplicate, b.seq, b.duplicate)
    await attempt("publish expected stream", js.publish("s1.x", b"", stream="S2"))
    await attempt("publish timeout small", js.publish("s1.x", b"t", timeout=5))
    for h in (
        {"Nats-Expected-Last-Msg-Id": "zzz"},
        {"Nats-Expected-Last-Subject-Sequence": "1"},
        {"Nats-Expected-Stream": "S9"},
    ):
        await attempt(f"publish expect {list(h)[0]}", js.publish("s1.x", b"", headers=h))

    si = await js.stream_info("S1", subjects_filter="s1.*")
    print("subjects", sorted(si.state.subjects.items()), si.state.messages)
    print("find by subject", await js.find_stream_name_by_subject("s1.q"))
    await attempt("find none", js.find_stream_name_by_subject("zzz"))

    m = await js.get_msg("S1", seq=3)
    print("get_msg", m.subject, m.seq, m.data, m.headers, m.stream if hasattr(m, "stream") else "")
    m = await js.get_msg("S1", seq=3, next=True, subject="s1.1")
    print("get_msg next", m.subject, m.seq)
    m = await js.get_last_msg("S1", "s1.2")
    print("last", m.subject, m.seq, m.data)
    await attempt("get_msg missing", js.get_msg("S1", seq=999))
    await attempt("get_last missing", js.get_last_msg("S1", "s1.none"))
    await attempt("get_msg no args", js.get_msg("S1"))
    m = await js.get_msg("S1", seq=3, subject="s1.1")
    print("get_msg seq and subject", m.subject, m.seq)
    await js.publish("s1.empty", b"")
    m = await js.get_last_msg("S1", "s1.empty")
    print("empty payload", repr(m.data), m.headers)
    await js.add_stream(name="D", subjects=["d.*"], allow_direct=True)
    await js.publish("d.1", b"", headers={"H": "1"})
    await js.publish("d.2", b"two")
    m = await js.get_msg("D", seq=1, direct=True)
    print("direct", m.subject, m.seq, repr(m.data), sorted(k for k in (m.headers or {})), m.stream)
    m = await js.get_msg("D", seq=1, subject="d.2", direct=True)
    print("direct seq and subject", m.subject, m.seq)
    m = await js.get_msg("D", seq=1, subject="d.*", direct=True, next=True)
    print("direct next", m.subject, m.seq)
    await attempt("direct missing", js.get_msg("D", seq=99, direct=True))
    await attempt("direct last missing", js.get_last_msg("D", "d.9", direct=True))
    await attempt("direct no args", js.get_msg("D", direct=True))
    await attempt("direct off", js.get_msg("S1", seq=1, direct=True))
    await attempt("delete_msg missing", js.delete_msg("S1", 999))

    # purges
    print("purge keep", await js.purge_stream("S1", subject="s1.0", keep=1))
    si = await js.stream_info("S1", subjects_filter=">")
    print("after keep", sorted(si.state.subjects.items()))
    print("purge seq", await js.purge_stream("S1", seq=8))
    si = await js.stream_info("S1")
    print("after seq", si.state.messages, si.state.first_seq, si.state.last_seq)
    await attempt("purge seq and keep", js.purge_stream("S1", seq=9, keep=1))

    # consumers
    ci = await js.add_consumer(
        "S1", ConsumerConfig(durable_name="d1", ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL)
    )
    print("durable", ci.name, ci.config.durable_name, ci.config.ack_policy, ci.config.deliver_policy, ci.num_pending)
    print(
        "fields",
        ci.delivered.consumer_seq,
        ci.delivered.stream_seq,
        ci.ack_floor.consumer_seq,
        ci.num_ack_pending,
        ci.num_redelivered,
        ci.num_waiting,
    )
    print(
        "config",
        ci.config.max_deliver,
        ci.config.ack_wait,
        ci.config.replay_policy,
        ci.config.max_ack_pending,
        ci.config.inactive_threshold,
    )
    ci = await js.add_consumer("S1", ConsumerConfig(filter_subjects=["s1.1", "s1.2"]))
    print(
        "ephemeral",
        ci.name == ci.config.name,
        ci.config.durable_name,
        ci.config.filter_subjects,
        ci.num_pending,
        ci.config.inactive_threshold,
    )
    ci = await js.add_consumer("S1", name="named", filter_subject="s1.3", inactive_threshold=30)
    print(
        "named", ci.name, ci.config.name, ci.config.durable_name, ci.config.filter_subject, ci.config.inactive_threshold
    )
    await attempt("filter not in stream", js.add_consumer("S1", durable_name="bad", filter_subject="zzz"))
    await attempt(
        "both filters", js.add_consumer("S1", durable_name="bad2", filter_subject="s1.1", filter_subjects=["s1.2"])
    )
    await attempt("consumer missing stream", js.add_consumer("NOPE", durable_name="x"))
    await attempt("bad durable", js.add_consumer("S1", durable_name="a.b"))
    await attempt("change deliver policy", js.add_consumer("S1", durable_name="d1", deliver_policy=DeliverPolicy.NEW))
    infos = await js.consumers_info("S1")
    print("consumers", sorted((c.config.durable_name or "", c.num_pending) for c in infos))
    print("delete consumer", await js.delete_consumer("S1", "d1"))
    await attempt("delete consumer again", js.delete_consumer("S1", "d1"))
    await attempt("consumer info missing", js.consumer_info("S1", "d1"))
    await attempt("consumer info missing stream", js.consumer_info("NOPE", "d1"))

    streams = await js.streams_info()
    print("streams", [s.config.name for s in streams])
    await js.add_stream(name="S3", subjects=["s3"])
    print("streams offset", [s.config.name for s in await js.streams_info(offset=1)])
    it = []
    for s in await js.streams_info_iterator():
        it.append(s.config.name)
    print("iterator", sorted(it))

    info = await js.account_info()
    print(
        "account",
        info.streams,
        info.consumers,
        info.limits.max_streams,
        info.limits.max_consumers,
        info.api.errors > 0,
        info.domain,
    )
    print("account tiers", type(info.tiers).__name__ if hasattr(info, "tiers") else "-")
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
