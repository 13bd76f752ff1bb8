"""Seed README "Authentication (Nkeys and user credentials)": an nkey seed file, an nkey seed string,
and a creds file (user JWT + seed).

Env: NATS_NKEY_URL, NATS_NKEY_SEED_FILE, NATS_CREDS_URL, NATS_CREDS_FILE."""

import asyncio
import os

import natsrs.aio as nats

NKEY_URL, SEED_FILE = os.environ["NATS_NKEY_URL"], os.environ["NATS_NKEY_SEED_FILE"]
CREDS_URL, CREDS_FILE = os.environ["NATS_CREDS_URL"], os.environ["NATS_CREDS_FILE"]


async def main() -> None:
    # nkey seed from a file
    nc = await nats.connect(NKEY_URL, nkeys_seed=SEED_FILE)
    await nc.flush()
    print("nkey (file): connected")
    await nc.close()

    # nkey seed as a string
    with open(SEED_FILE) as f:
        seed = next(line.strip() for line in f if line.startswith("SU"))
    nc = await nats.connect(NKEY_URL, nkeys_seed_str=seed)
    await nc.flush()
    print("nkey (string): connected")
    await nc.close()

    # user credentials (JWT and seed in one decorated file)
    nc = await nats.connect(CREDS_URL, user_credentials=CREDS_FILE)
    sub = await nc.subscribe("creds")
    await nc.publish("creds", b"hello with a JWT")
    print("creds:", (await sub.next_msg(1)).data.decode())
    await nc.close()


asyncio.run(main())
