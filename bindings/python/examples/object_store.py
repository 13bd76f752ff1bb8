"""Seed README "Object store": a store, put from bytes and from a file (streamed), get into
memory and into a file, info, list, a watcher, meta update and delete (nats-py's
nats.js.object_store API). NATS_URL must point at a server with JetStream enabled."""

import asyncio
import hashlib
import os
import tempfile

import natsrs.aio as nats
from natsrs.aio.js.api import ObjectMeta
from natsrs.aio.js.errors import NotFoundError, ObjectNotFoundError

URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")
BUCKET = "EXAMPLE_FILES"


async def main() -> None:
    nc = await nats.connect(URL)
    js = nc.jetstream()
    try:
        await js.delete_object_store(BUCKET)
    except NotFoundError:
        pass
    obs = await js.create_object_store(BUCKET, description="example files")

    info = await obs.put("greeting.txt", b"hello, object store")
    print(f"put {info.name}: {info.size} bytes, {info.chunks} chunk(s), {info.digest}")

    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "report.bin")
        with open(src, "wb") as f:
            f.write(os.urandom(1_000_000))
        with open(src, "rb") as f:  # streamed: read chunk by chunk during the put
            big = await obs.put("report.bin", f, meta=ObjectMeta(description="a large file"))
        print(f"put {big.name}: {big.size} bytes in {big.chunks} chunks")

        dst = os.path.join(d, "copy.bin")
        with open(dst, "wb") as f:  # streamed: written chunk by chunk, digest checked at the end
            await obs.get("report.bin", writeinto=f)
        with open(src, "rb") as a, open(dst, "rb") as b:
            same = hashlib.sha256(a.read()).digest() == hashlib.sha256(b.read()).digest()
        print(f"copy identical: {same}")

    result = await obs.get("greeting.txt")
    print(f"get greeting.txt: {result.data!r}")

    watcher = await obs.watch()
    while (seen := await watcher.updates(timeout=5)) is not None:
        print(f"present: {seen.name}")
    await obs.update_meta("greeting.txt", ObjectMeta(name="hello.txt", description="renamed"))
    renamed = await watcher.updates(timeout=5)
    print(f"change: {renamed.name} ({renamed.description})")
    await watcher.stop()

    await obs.delete("report.bin")
    try:
        await obs.get("report.bin")
    except ObjectNotFoundError:
        print("report.bin deleted")
    print("objects:", sorted(i.name for i in await obs.list(ignore_deletes=True)))
    status = await obs.status()
    print(f"store {status.bucket}: {status.description}, sealed={status.sealed}")

    await js.delete_object_store(BUCKET)
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
