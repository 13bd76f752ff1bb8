"""A small application: a work-queue stream fed by publishers, two pull workers sharing one
durable consumer, results written to a KV bucket, a progress subscriber and a final report."""

import asyncio
import json
import os

import nats
from nats.js.api import RetentionPolicy

URL = os.environ["NATS_URL"]
JOBS = 40


async def worker(name, js, kv, done_counts):
    psub = await js.pull_subscribe("jobs.>", durable="crunchers")
    while True:
        try:
            msgs = await psub.fetch(5, timeout=1)
        except asyncio.TimeoutError:  # nats-py raises asyncio's here, not always nats.errors'
            return
        for m in msgs:
            job = json.loads(m.data)
            await kv.put(f"result.{job['id']}", json.dumps({"square": job["n"] * job["n"]}).encode())
            await m.ack()
            done_counts[name] += 1


async def main() -> None:
    nc = await nats.connect(URL, name="app")
    js = nc.jetstream()
    await js.add_stream(name="JOBS", subjects=["jobs.>"], retention=RetentionPolicy.WORK_QUEUE)
    kv = await js.create_key_value(bucket="results", history=1)

    progress = []

    async def on_progress(msg):
        progress.append(msg.subject)

    await nc.subscribe("$KV.results.>", cb=on_progress)

    for i in range(JOBS):
        await js.publish(f"jobs.{i % 4}", json.dumps({"id": i, "n": i}).encode(), headers={"Nats-Msg-Id": f"job-{i}"})
    # a retried publish is deduplicated
    ack = await js.publish("jobs.0", json.dumps({"id": 0, "n": 0}).encode(), headers={"Nats-Msg-Id": "job-0"})
    print("retry deduplicated", ack.duplicate)

    si = await js.stream_info("JOBS")
    print("queued", si.state.messages, si.config.retention)

    counts = {"w1": 0, "w2": 0}
    await asyncio.gather(worker("w1", js, kv, counts), worker("w2", js, kv, counts))
    print("processed", sum(counts.values()))

    si = await js.stream_info("JOBS")
    print("left in queue", si.state.messages)

    keys = await kv.keys()
    print("results", len(keys))
    total = 0
    for k in sorted(keys, key=lambda k: int(k.split(".")[1])):
        total += json.loads((await kv.get(k)).value)["square"]
    print("sum of squares", total, total == sum(i * i for i in range(JOBS)))
    await nc.flush()
    for _ in range(500):
        if len(progress) >= JOBS:
            break
        await asyncio.sleep(0.02)
    print("progress events", len(progress))

    # a second consumer on a work-queue stream with an overlapping filter is refused
    try:
        await js.pull_subscribe("jobs.>", durable="other")
    except Exception as e:
        print("second consumer", type(e).__name__, isinstance(e, nats.js.errors.APIError))
    await nc.drain()


if __name__ == "__main__":
    asyncio.run(main())
