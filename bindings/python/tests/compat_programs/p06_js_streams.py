"""JetStream streams: config dataclasses, publish with dedupe, info fields, get/delete/purge."""

import asyncio
import os

import nats
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NoStreamResponseError, NotFoundError

URL = os.environ["NATS_URL"]


async def main() -> None:
    nc = await nats.connect(URL)
    js = nc.jetstream()

    cfg = StreamConfig(
        name="ORDERS",
        subjects=["orders.>"],
        storage=StorageType.MEMORY,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        max_msgs=1000,
        duplicate_window=60,
        description="order events",
    )
    si = await js.add_stream(cfg)
    print("created", si.config.name, si.config.subjects, si.config.storage, si.config.retention)
    print("description", si.config.description, "dup window", si.config.duplicate_window)
    print("state", si.state.messages, si.state.bytes, si.state.first_seq, si.state.last_seq)

    ack = await js.publish("orders.new", b"o1", headers={"Nats-Msg-Id": "id-1"})
    print("ack", ack.stream, ack.seq, ack.duplicate, ack.domain)
    ack = await js.publish("orders.new", b"o1 again", headers={"Nats-Msg-Id": "id-1"})
    print("dup ack", ack.stream, ack.seq, ack.duplicate)
    ack = await js.publish("orders.paid", b"o2", headers={"Custom": "yes"})
    print("ack", ack.seq, ack.duplicate)
    ack = await js.publish("orders.shipped", b"o3", stream="ORDERS")
    print("ack with stream", ack.seq)
    for i in range(3):
        await js.publish("orders.new", b"n%d" % i)

    try:
        await js.publish("orders.new", b"x", stream="OTHER")
    except Exception as e:
        print("wrong expected stream", type(e).__name__, isinstance(e, nats.js.errors.APIError))
    try:
        await js.publish("nowhere.at.all", b"x")
    except NoStreamResponseError as e:
        print("no stream", type(e).__name__)
    try:
        await js.publish("orders.new", b"x", headers={"Nats-Expected-Last-Sequence": "1"})
    except Exception as e:
        print("expected last seq", type(e).__name__, getattr(e, "err_code", None))

    si = await js.stream_info("ORDERS")
    print("info", si.state.messages, si.state.first_seq, si.state.last_seq)

    m = await js.get_msg("ORDERS", 2)
    print("get_msg", m.subject, m.seq, m.data, sorted((m.headers or {}).items()))
    m = await js.get_last_msg("ORDERS", "orders.new")
    print("last", m.subject, m.seq, m.data)
    m = await js.get_msg("ORDERS", subject="orders.shipped", direct=False)
    print("by subject", m.seq, m.data)

    ok = await js.delete_msg("ORDERS", 2)
    print("deleted", ok)
    try:
        await js.get_msg("ORDERS", 2)
    except NotFoundError as e:
        print("deleted msg", type(e).__name__, e.code, e.err_code)

    await js.purge_stream("ORDERS", subject="orders.new")
    si = await js.stream_info("ORDERS")
    print("after purge subject", si.state.messages, si.state.first_seq, si.state.last_seq)

    cfg.max_msgs = 5
    cfg.description = "updated"
    si = await js.update_stream(cfg)
    print("updated", si.config.max_msgs, si.config.description)

    names = await js.streams_info()
    print("streams", [s.config.name for s in names])
    try:
        await js.stream_info("MISSING")
    except NotFoundError as e:
        print("missing", type(e).__name__, e.code, e.err_code, isinstance(e, nats.js.errors.APIError))
    try:
        await js.add_stream(name="BAD.NAME", subjects=["bad"])
    except Exception as e:
        print("bad name", type(e).__name__, isinstance(e, BadRequestError))

    await js.purge_stream("ORDERS")
    si = await js.stream_info("ORDERS")
    print("after purge", si.state.messages)
    print("delete", await js.delete_stream("ORDERS"))
    try:
        await js.delete_stream("ORDERS")
    except NotFoundError as e:
        print("deleted twice", type(e).__name__)
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
