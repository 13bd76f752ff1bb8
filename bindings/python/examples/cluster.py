"""Seed README "Clustered usage": server list, reconnect wait and attempts, jitter, custom
reconnect delay, no randomization, disconnect/reconnect/closed callbacks.

NATS_URLS (comma-separated) may list several servers; unreachable ones are skipped."""

import asyncio
import os
import socket

import natsrs.aio as nats

URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")


def unused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"nats://127.0.0.1:{s.getsockname()[1]}"


async def main() -> None:
    servers = os.environ.get("NATS_URLS", f"{unused_url()}, {URL}")
    servers_list = [s.strip() for s in servers.split(",")]

    nc = await nats.connect(servers_list)
    print("connected to", nc.connected_url.geturl() if nc.connected_url else None)
    await nc.close()

    # Reconnect wait and attempts
    nc = await nats.connect(servers_list, max_reconnect_attempts=5, reconnect_time_wait=2)
    await nc.close()

    # Jitter (natsrs option: seconds for plain and TLS connections) and a custom delay
    def backoff(attempts: int) -> float:
        return min(0.1 * 2**attempts, 2.0)

    nc = await nats.connect(servers_list, reconnect_jitter=0.5, reconnect_jitter_tls=2, reconnect_delay_cb=backoff)
    await nc.close()

    # No randomization of the server pool, and the event callbacks
    async def disconnected_cb() -> None:
        print("Got disconnected!")

    async def reconnected_cb() -> None:
        print(f"Got reconnected to {nc.connected_url}!")

    async def closed_cb() -> None:
        print(f"Connection closed. Reason: {nc.last_error!r}")

    nc = await nats.connect(
        servers_list,
        dont_randomize=True,
        disconnected_cb=disconnected_cb,
        reconnected_cb=reconnected_cb,
        closed_cb=closed_cb,
    )
    print("pool:", [s.geturl() for s in nc.servers])
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
