"""Seed README "Basic usage", with the blocking natsrs API (scripts and worker threads)."""

import os
import threading

import natsrs

URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")

nc = natsrs.connect(URL)

# Simple async subscriber: the callback runs on the subscription's own thread
got = threading.Event()
nc.subscribe("foo", cb=lambda m: (print(f"Received a message: {m.data.decode()}"), got.set()))
nc.publish("foo", b"Hello World")
assert got.wait(2)

# Responding to a request message
nc.subscribe("request", cb=lambda m: m.respond(b"answer is 42"))

# Simple sync subscriber
sub = nc.subscribe("foo.sync")
nc.publish("foo.sync", b"sync hello")
m = sub.next_msg(timeout=1)
print(f"next_msg: {m.data.decode()}")

# Iteration ends when the subscription ends (here after 2 messages)
it = nc.subscribe("foo.iter", max_msgs=2)
nc.publish("foo.iter", b"one")
nc.publish("foo.iter", b"two")
print("iterated:", [x.data.decode() for x in it])

# Unsubscribe, drain a subscription
sub.unsubscribe()
d = nc.subscribe("foo.drain", cb=lambda m: None)
d.drain(timeout=2)

# Requests and replies
nc.subscribe("help", cb=lambda m: nc.publish(m.reply, b"I can help!"))
print("Reply:", nc.request("help", b"help me", timeout=1).data.decode())
print("Answer:", nc.request("request", b"?", timeout=1).data.decode())

# Drain the connection (close() is not needed after it)
nc.drain()
assert nc.is_closed
