"""Headers on publish and request, msg.respond, request timeouts and no responders."""

import asyncio
import os

import nats
from nats.errors import NoRespondersError, TimeoutError

URL = os.environ["NATS_URL"]


async def main() -> None:
    nc = await nats.connect(URL)

    sub = await nc.subscribe("hdr")
    await nc.publish("hdr", b"payload", headers={"Trace-Id": "abc", "X-Count": "3"})
    await nc.publish("hdr", b"", headers={"Only": "header"})
    await nc.publish("hdr", b"no headers")
    await nc.publish("hdr", b"empty headers", headers={})
    for _ in range(4):
        m = await sub.next_msg(timeout=2)
        h = m.headers
        print("msg", m.data, sorted(h.items()) if h is not None else None, type(h).__name__)
    m_hdr = m.header if hasattr(m, "header") else "n/a"
    print("last .header", m_hdr)

    async def service(msg):
        who = (msg.headers or {}).get("Who", "nobody")
        if msg.data == b"slow":
            await asyncio.sleep(1.0)
        await msg.respond(b"hello " + who.encode() + b" / " + msg.data)

    async def with_headers(msg):
        await nc.publish(msg.reply, b"ok", headers={"Status-Note": "fine", "Echo": msg.data.decode()})

    await nc.subscribe("greet", cb=service)
    await nc.subscribe("hdr.reply", cb=with_headers)

    r = await nc.request("greet", b"hi", timeout=2, headers={"Who": "alice"})
    print("reply", r.data, r.subject.startswith("_INBOX."), r.reply)
    r = await nc.request("greet", b"plain")
    print("reply", r.data)
    r = await nc.request("hdr.reply", b"ping", timeout=2)
    print("reply headers", r.data, sorted(r.headers.items()))
    r = await nc.request("greet", b"old", timeout=2, old_style=True)
    print("old style reply", r.data)

    try:
        await nc.request("greet", b"slow", timeout=0.2)
    except TimeoutError as e:
        print("timeout", type(e).__name__, isinstance(e, asyncio.TimeoutError), isinstance(e, nats.errors.Error))

    try:
        await nc.request("nobody.home", b"?", timeout=1)
    except NoRespondersError as e:
        print("no responders", type(e).__name__, isinstance(e, nats.errors.Error))

    # many concurrent requests
    async def echo(msg):
        await msg.respond(msg.data)

    await nc.subscribe("echo", cb=echo)
    results = await asyncio.gather(*[nc.request("echo", b"%d" % i, timeout=5) for i in range(50)])
    print("concurrent", [int(r.data) for r in results] == list(range(50)))

    # respond without a reply subject
    sub = await nc.subscribe("noreply")
    await nc.publish("noreply", b"x")
    m = await sub.next_msg(timeout=2)
    try:
        await m.respond(b"nope")
    except Exception as e:
        print("respond without reply", type(e).__name__)

    # msg equality-ish fields and repr of subject
    print("msg fields", m.subject, repr(m.reply), m.data, m.sid is not None)
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
