"""JetStream extras: publish_async futures, account info, jsm(), stream info with subjects,
direct get, consumer pause-free management, streams/consumers listing."""

import asyncio
import os

import nats
from nats.js.api import ConsumerConfig, StreamConfig

URL = os.environ["NATS_URL"]


async def main() -> None:
    nc = await nats.connect(URL)
    js = nc.jetstream(timeout=5)
    jsm = nc.jsm()
    await jsm.add_stream(StreamConfig(name="METRICS", subjects=["metrics.>"], allow_direct=True))

    futs = [await js.publish_async(f"metrics.{i % 3}", b"v%d" % i) for i in range(30)]
    await js.publish_async_completed()
    acks = await asyncio.gather(*futs)
    print("async acks", [a.seq for a in acks] == list(range(1, 31)), {a.stream for a in acks})
    print("pending after completion", js.publish_async_pending())

    fut = await js.publish_async("metrics.x", b"with headers", headers={"K": "V"})
    ack = await fut
    print("single async", ack.seq)

    info = await js.account_info()
    print("account", info.streams, info.consumers, info.memory >= 0, info.storage > 0)

    si = await js.stream_info("METRICS", subjects_filter=">")
    print("subjects", sorted(si.state.subjects.items()))
    print("allow_direct", si.config.allow_direct)

    m = await js.get_msg("METRICS", seq=5, direct=True)
    print("direct get", m.subject, m.seq, m.data)
    m = await js.get_last_msg("METRICS", "metrics.1", direct=True)
    print("direct last", m.subject, m.seq, m.data)
    m = await js.get_msg("METRICS", seq=31)
    print("headers kept", m.headers)

    for name in ("a", "b", "c"):
        await jsm.add_consumer("METRICS", ConsumerConfig(durable_name=name, filter_subject=f"metrics.{ord(name) - 97}"))
    infos = await jsm.consumers_info("METRICS")
    print("consumers", sorted((c.name, c.num_pending, c.config.filter_subject) for c in infos))
    ci = await jsm.consumer_info("METRICS", "b")
    print("consumer b", ci.name, ci.stream_name, ci.num_pending, ci.config.ack_wait)

    cfg = ci.config
    cfg.description = "second"
    cfg.max_deliver = 5
    ci = await jsm.add_consumer("METRICS", cfg)
    print("updated consumer", ci.config.description, ci.config.max_deliver)

    names = await jsm.streams_info()
    print("streams", [s.config.name for s in names])
    try:
        await jsm.consumer_info("METRICS", "zzz")
    except nats.js.errors.NotFoundError as e:
        print("no consumer", type(e).__name__, e.code, e.err_code)

    # the stream info of a filtered subject space after deleting the stream
    print("delete", await jsm.delete_stream("METRICS"))
    info = await js.account_info()
    print("account after", info.streams, info.consumers)
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
