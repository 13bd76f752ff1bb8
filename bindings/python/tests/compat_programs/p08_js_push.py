"""Push consumers: durable with a callback, manual acks with next_msg, ordered consumers,
deliver policies, queue push consumers."""

import asyncio
import os

import nats
from nats.js.api import ConsumerConfig, DeliverPolicy

URL = os.environ["NATS_URL"]


async def main() -> None:
    nc = await nats.connect(URL)
    js = nc.jetstream()
    await js.add_stream(name="EVENTS", subjects=["ev.>"])
    for i in range(6):
        await js.publish(f"ev.{i}", b"event-%d" % i)

    got = []
    done = asyncio.Event()

    async def cb(msg):
        got.append((msg.subject, msg.data, msg.metadata.sequence.stream))
        await msg.ack_sync()  # (so that the consumer info below sees every ack)
        if len(got) == 6:
            done.set()

    sub = await js.subscribe("ev.>", durable="pusher", cb=cb, manual_ack=True)
    await asyncio.wait_for(done.wait(), 5)
    print("cb got", got)
    ci = await sub.consumer_info()
    print("push info", ci.name, ci.config.durable_name, ci.num_ack_pending, ci.delivered.stream_seq)
    await sub.unsubscribe()

    # auto ack (the default) with next_msg
    sub = await js.subscribe("ev.>", durable="auto")
    first = await sub.next_msg(timeout=2)
    print("auto first", first.data, first.metadata.num_pending)
    for _ in range(5):
        await sub.next_msg(timeout=2)
    await asyncio.sleep(0.2)
    ci = await sub.consumer_info()
    print("auto pending", ci.num_pending)
    await sub.unsubscribe()

    # manual acks, deliver new
    sub = await js.subscribe("ev.>", manual_ack=True, deliver_policy=DeliverPolicy.NEW)
    await js.publish("ev.new", b"fresh")
    m = await sub.next_msg(timeout=2)
    print("new only", m.subject, m.data, m.metadata.sequence.stream)
    await m.ack()
    print("is_acked", m.is_acked)
    await sub.unsubscribe()

    # ordered consumer through the iterator
    osub = await js.subscribe("ev.>", ordered_consumer=True)
    seqs = []
    async for m in osub.messages:
        seqs.append(m.metadata.sequence.stream)
        if len(seqs) == 7:
            break
    print("ordered", seqs)
    await osub.unsubscribe()

    # start at a sequence
    cfg = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=3)
    sub = await js.subscribe("ev.>", config=cfg)
    m = await sub.next_msg(timeout=2)
    print("from seq 3", m.metadata.sequence.stream, m.data)
    await sub.unsubscribe()

    # durable queue push consumer shared by two subscribers
    counts = [0, 0]
    total = asyncio.Event()

    def mk(i):
        async def h(msg):
            counts[i] += 1
            if sum(counts) == 7:
                total.set()

        return h

    q1 = await js.subscribe("ev.>", queue="grp", cb=mk(0))
    q2 = await js.subscribe("ev.>", queue="grp", cb=mk(1))
    await asyncio.wait_for(total.wait(), 5)
    await asyncio.sleep(0.2)
    print("queue total", sum(counts))
    await q1.unsubscribe()
    await q2.unsubscribe()

    try:
        await js.subscribe("nomatch.>")
    except Exception as e:
        print("no stream for subject", type(e).__name__, isinstance(e, nats.js.errors.NotFoundError))
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
