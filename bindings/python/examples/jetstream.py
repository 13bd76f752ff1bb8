"""Seed README "JetStream": a stream, publish with acks (and async), a pull consumer with fetch
and acks, a push consumer with a callback, stream and consumer management (nats-py's nats.js API).
NATS_URL must point at a server with JetStream enabled (nats-server -js)."""

import asyncio
import os

import natsrs.aio as nats
from natsrs.aio.js.api import ConsumerConfig, StorageType
from natsrs.aio.js.errors import NotFoundError

URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")
STREAM = "EXAMPLE_ORDERS"


async def main() -> None:
    nc = await nats.connect(URL)
    js = nc.jetstream()

    # a stream capturing orders.>
    try:
        await js.delete_stream(STREAM)
    except NotFoundError:
        pass
    info = await js.add_stream(name=STREAM, subjects=["orders.>"], storage=StorageType.MEMORY)
    print(f"stream {info.config.name} subjects={info.config.subjects}")

    # publish and wait for the stream's ack; a message id makes a retry harmless
    ack = await js.publish("orders.new", b"order 1", headers={"Nats-Msg-Id": "order-1"})
    again = await js.publish("orders.new", b"order 1", headers={"Nats-Msg-Id": "order-1"})
    print(f"ack: stream={ack.stream} seq={ack.seq}; retry duplicate={again.duplicate}")

    # publish many without waiting for each ack
    futures = [await js.publish_async("orders.new", b"order %d" % i) for i in range(2, 11)]
    await js.publish_async_completed()
    print(f"async acks: seqs {futures[0].result().seq}..{futures[-1].result().seq}")

    # a durable pull consumer: fetch a batch and ack each message
    psub = await js.pull_subscribe("orders.new", durable="billing", config=ConsumerConfig(ack_wait=30))
    msgs = await psub.fetch(5, timeout=2)
    for msg in msgs:
        md = msg.metadata
        print(f"pulled {msg.data.decode()} (stream seq {md.sequence.stream}, delivered {md.num_delivered}x)")
        await msg.ack()

    # a push consumer with a callback (acked after the callback returns)
    done = asyncio.Event()
    seen = []

    async def shipped(msg: nats.Msg) -> None:
        seen.append(msg.data)
        if len(seen) == 10:
            done.set()

    await js.subscribe("orders.new", cb=shipped, durable="shipping")
    await asyncio.wait_for(done.wait(), 5)
    print(f"push consumer received {len(seen)} messages")

    # management
    ci = await js.consumer_info(STREAM, "billing")
    print(f"consumer billing: pending={ci.num_pending} ack_pending={ci.num_ack_pending}")
    print(f"consumers: {sorted(c.name for c in await js.consumers_info(STREAM))}")
    last = await js.get_last_msg(STREAM, "orders.new")
    print(f"last stored message: {last.data.decode() if last.data else ''}")
    await js.delete_stream(STREAM)
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
