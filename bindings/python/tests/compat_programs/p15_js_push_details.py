"""JetStream details: push subscription pending counts, headers and ack subjects of JetStream
messages, the messages iterator, durables outliving unsubscribe, ordered callbacks, binding to
a consumer, fetching more than there is, deleted-message state, KV watch options."""

import asyncio
import os

import nats
from nats.js.api import AckPolicy, ConsumerConfig

URL = os.environ["NATS_URL"]


async def main() -> None:
    nc = await nats.connect(URL)
    js = nc.jetstream()
    await js.add_stream(name="P", subjects=["p.*"])
    for i in range(5):
        await js.publish(f"p.{i}", b"d%d" % i, headers={"N": str(i)})

    sub = await js.subscribe("p.*", durable="dd", manual_ack=True)
    for _ in range(500):
        if sub.pending_msgs == 5:
            break
        await asyncio.sleep(0.02)
    print("js pending", sub.pending_msgs)
    m = await sub.next_msg(2)
    print("js msg", m.subject, m.data, m.headers, m.reply.startswith("$JS.ACK.P.dd."))
    await m.ack_sync()
    n = 0
    async for m in sub.messages:
        n += 1
        await m.ack_sync()
        if n == 4:
            break
    print("iterated", n)
    ci = await sub.consumer_info()
    print("bound consumer", ci.config.deliver_subject is not None, ci.push_bound, ci.num_ack_pending)
    await sub.unsubscribe()
    ci = await js.consumer_info("P", "dd")
    # (push_bound right after the unsubscribe depends on when the server notices the lost interest)
    print("durable after unsubscribe", ci.name, ci.num_pending, ci.delivered.stream_seq)

    sub = await js.subscribe("p.*", durable="dd")
    try:
        await sub.next_msg(0.5)
    except nats.errors.TimeoutError as e:
        print("rebound durable has nothing new", type(e).__name__)
    await sub.unsubscribe()

    got = []

    async def cb(msg):
        got.append((msg.data, msg.metadata.sequence.stream))

    osub = await js.subscribe("p.*", ordered_consumer=True, cb=cb)
    for _ in range(500):
        if len(got) == 5:
            break
        await asyncio.sleep(0.02)
    print("ordered cb", got)
    await osub.unsubscribe()

    ci = await js.add_consumer(
        "P", ConsumerConfig(durable_name="pushy", deliver_subject="deliver.pushy", ack_policy=AckPolicy.NONE)
    )
    print("not bound yet", ci.push_bound, ci.paused)
    bsub = await js.subscribe_bind(
        "P", ConsumerConfig(durable_name="pushy", deliver_subject="deliver.pushy"), consumer="pushy"
    )
    m = await bsub.next_msg(2)
    print("bound by subscribe_bind", m.data, m.metadata.consumer)

    psub = await js.pull_subscribe("p.*", "pp")
    msgs = await psub.fetch(10, timeout=1)
    print("fetch 10 of 5", len(msgs), [x.headers["N"] for x in msgs])
    for x in msgs:
        await x.ack_sync()

    await js.delete_msg("P", 3)
    si = await js.stream_info("P")
    print("state", si.state.messages, si.state.num_deleted, si.state.first_seq, si.state.last_seq)

    kv = await js.create_key_value(bucket="W", history=3)
    await kv.put("a", b"1")
    await kv.put("a", b"2")
    w = await kv.watch("a", include_history=True)
    vals = []
    async for e in w:
        if e is None:
            break
        vals.append((e.value, e.revision))
    print("history watch", vals)
    await w.stop()
    w = await kv.watchall(ignore_deletes=True)
    await kv.delete("a")
    await kv.put("b", b"3")
    out = []
    while len(out) < 3:
        e = await w.updates(timeout=1)
        out.append(None if e is None else (e.key, e.value, e.operation))
    print("ignore deletes", out)
    await w.stop()
    st = await kv.status()
    print("kv status", st.bucket, st.values, st.history, st.ttl)
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
