"""Seed README "TLS": mutual TLS with an ssl.SSLContext (as nats-py) plus the client certificate
files, and the same with the blocking API.

Env: NATS_TLS_URL, NATS_CA_FILE, NATS_CERT_FILE, NATS_KEY_FILE (scripts/test.sh and the tests set
them for a server from the generated test PKI)."""

import asyncio
import os
import ssl

import natsrs
import natsrs.aio as nats

URL = os.environ["NATS_TLS_URL"]
CA, CERT, KEY = os.environ["NATS_CA_FILE"], os.environ["NATS_CERT_FILE"], os.environ["NATS_KEY_FILE"]


async def main() -> None:
    ssl_ctx = ssl.create_default_context(purpose=ssl.Purpose.SERVER_AUTH)
    ssl_ctx.load_verify_locations(CA)
    ssl_ctx.load_cert_chain(certfile=CERT, keyfile=KEY)
    # An SSLContext gives its CA certificates and verify mode; the client certificate is passed as
    # files too (it cannot be read back out of the context).
    nc = await nats.connect(servers=[URL], tls=ssl_ctx, tls_hostname="localhost", tls_cert_file=CERT, tls_key_file=KEY)
    sub = await nc.subscribe("secure")
    await nc.publish("secure", b"over mutual TLS")
    print("aio:", (await sub.next_msg(1)).data.decode())
    await nc.close()


asyncio.run(main())

with natsrs.connect(URL, tls_ca_file=CA, tls_cert_file=CERT, tls_key_file=KEY) as nc:
    nc.flush()
    print("blocking: connected to", nc.connected_url)
