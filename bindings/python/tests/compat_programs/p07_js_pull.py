"""Pull consumers: durable pull_subscribe, fetch batches, ack/nak/term/in_progress, metadata,
consumer info fields, fetch timeouts."""

import asyncio
import os

import nats
from nats.errors import TimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

URL = os.environ["NATS_URL"]


async def main() -> None:
    nc = await nats.connect(URL)
    js = nc.jetstream()
    await js.add_stream(name="TASKS", subjects=["tasks.*"])
    for i in range(10):
        await js.publish(f"tasks.{i % 2}", b"task-%d" % i)

    psub = await js.pull_subscribe("tasks.*", durable="workers", stream="TASKS")
    msgs = await psub.fetch(3, timeout=2)
    for m in msgs:
        md = m.metadata
        print(
            "fetched",
            m.subject,
            m.data,
            md.stream,
            md.consumer,
            md.sequence.stream,
            md.sequence.consumer,
            md.num_delivered,
            md.num_pending,
        )
        await m.ack_sync()  # (a plain ack is processed by the server in its own time)
    ci = await psub.consumer_info()
    print("info", ci.name, ci.stream_name, ci.num_pending, ci.num_ack_pending, ci.delivered.consumer_seq)
    print("config", ci.config.durable_name, ci.config.ack_policy, ci.config.deliver_policy)

    msgs = await psub.fetch(2, timeout=2)
    await msgs[0].nak()
    await msgs[1].term()
    # the nak'd message comes again; when it comes relative to the others is up to the server
    seen = []
    while len(seen) < 6:
        for m in await psub.fetch(1, timeout=2):
            seen.append((m.data, m.metadata.num_delivered))
            await m.in_progress()
            await m.ack_sync()
            try:
                await m.ack()
            except Exception as e:
                last_err = type(e).__name__, isinstance(e, nats.errors.MsgAlreadyAckdError)
    print("double ack", last_err)
    print("rest", sorted(seen))
    try:
        await psub.fetch(1, timeout=0.5)
    except TimeoutError as e:
        # nats-py raises TimeoutError here (its subclass FetchTimeoutError only for a fetch
        # with heartbeats)
        print("empty fetch", isinstance(e, TimeoutError), isinstance(e, asyncio.TimeoutError))
    ci = await psub.consumer_info()
    print("done", ci.num_pending, ci.num_ack_pending, ci.num_redelivered)
    await psub.unsubscribe()

    # a consumer made with ConsumerConfig, then bound
    await js.add_consumer(
        "TASKS",
        ConsumerConfig(
            durable_name="odd",
            filter_subject="tasks.1",
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            max_ack_pending=100,
        ),
    )
    bound = await js.pull_subscribe_bind("odd", stream="TASKS")
    odd = await bound.fetch(10, timeout=1)
    print("odd", [m.data for m in odd])
    for m in odd:
        await m.ack()

    # an ephemeral pull consumer starting at the last message
    eph = await js.pull_subscribe("tasks.0", durable=None, config=ConsumerConfig(deliver_policy=DeliverPolicy.LAST))
    last = await eph.fetch(1, timeout=2)
    print("ephemeral last", last[0].data)

    infos = await js.consumers_info("TASKS")
    print("consumers", sorted(c.name for c in infos if c.config.durable_name))
    print("delete consumer", await js.delete_consumer("TASKS", "odd"))
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
