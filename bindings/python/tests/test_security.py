"""TLS (CA, client certificate, host name, SSLContext), nkeys (seed file and seed string) and
creds (JWT) against servers configured with the project's generated test PKI
(cargo example gen_test_pki, also used by the C security examples)."""

from __future__ import annotations

import pathlib
import ssl
from typing import Any, List

import pytest
from conftest import run

import natsrs
import natsrs.aio as nats


def test_mutual_tls_blocking(pki: pathlib.Path, make_server: Any) -> None:
    s = make_server("-c", str(pki / "tls.conf"))
    url = f"tls://127.0.0.1:{s.port}"
    ca, cert, key = pki / "ca.pem", pki / "client-cert.pem", pki / "client-key.pem"
    with natsrs.connect(url, tls_ca_file=ca, tls_cert_file=cert, tls_key_file=key) as nc:
        sub = nc.subscribe("tls.x")
        nc.publish("tls.x", b"secret")
        assert sub.next_msg(2).data == b"secret"
    with natsrs.connect(url, tls_ca_file=ca, tls_cert_file=cert, tls_key_file=key, tls_hostname="localhost") as nc:
        nc.flush()
    with pytest.raises(natsrs.errors.Error):  # no client certificate: the server refuses
        natsrs.connect(url, tls_ca_file=ca, allow_reconnect=False, max_reconnect_attempts=0)
    with pytest.raises(natsrs.errors.Error):  # the certificate is not for this name
        natsrs.connect(
            url,
            tls_ca_file=ca,
            tls_cert_file=cert,
            tls_key_file=key,
            tls_hostname="wronghost",
            allow_reconnect=False,
            max_reconnect_attempts=0,
        )
    with pytest.raises(natsrs.errors.Error):  # an unrelated CA does not trust the server
        natsrs.connect(
            url,
            tls_ca_file=pki / "other-ca.pem",
            tls_cert_file=cert,
            tls_key_file=key,
            allow_reconnect=False,
            max_reconnect_attempts=0,
        )


def test_tls_with_ssl_context_aio(pki: pathlib.Path, make_server: Any) -> None:
    s = make_server("-c", str(pki / "tls.conf"))

    async def main() -> None:
        ctx = ssl.create_default_context(purpose=ssl.Purpose.SERVER_AUTH)
        ctx.load_verify_locations(str(pki / "ca.pem"))
        ctx.load_cert_chain(certfile=str(pki / "client-cert.pem"), keyfile=str(pki / "client-key.pem"))
        nc = await nats.connect(
            servers=[f"tls://127.0.0.1:{s.port}"],
            tls=ctx,
            tls_hostname="localhost",
            tls_cert_file=str(pki / "client-cert.pem"),
            tls_key_file=str(pki / "client-key.pem"),
        )
        sub = await nc.subscribe("tls.y")
        await nc.publish("tls.y", b"over tls")
        assert (await sub.next_msg(2)).data == b"over tls"
        await nc.close()

    run(main())


def test_nkeys(pki: pathlib.Path, make_server: Any) -> None:
    s = make_server("-c", str(pki / "nkey.conf"))
    with natsrs.connect(s.url, nkeys_seed=str(pki / "user.nk")) as nc:
        nc.flush()
    with pytest.raises(natsrs.errors.AuthorizationError):
        natsrs.connect(s.url, allow_reconnect=False)
    seed = [ln for ln in (pki / "user.nk").read_text().splitlines() if ln.startswith("SU")][0]

    async def main() -> None:
        nc = await nats.connect(s.url, nkeys_seed_str=seed)
        await nc.flush()
        await nc.close()
        nc = await nats.connect(s.url, nkeys_seed=str(pki / "user.nk"))
        await nc.flush()
        await nc.close()

    run(main())


def test_creds(pki: pathlib.Path, make_server: Any) -> None:
    s = make_server("-c", str(pki / "operator.conf"))
    with natsrs.connect(s.url, user_credentials=str(pki / "user.creds")) as nc:
        sub = nc.subscribe("creds.x")
        nc.publish("creds.x", b"jwt")
        assert sub.next_msg(2).data == b"jwt"
    with natsrs.connect(s.url, user_credentials=(str(pki / "user.jwt"), str(pki / "user.seed"))) as nc:
        nc.flush()

    async def main() -> None:
        nc = await nats.connect(s.url, user_credentials=str(pki / "user.creds"))
        await nc.flush()
        await nc.close()

    run(main())


def test_user_jwt_cb_and_signature_cb(pki: pathlib.Path, make_server: Any) -> None:
    """nats-py's callback pair: the JWT, and the base64 signature of the server's nonce."""
    nkeys = pytest.importorskip("nkeys")
    import base64

    s = make_server("-c", str(pki / "operator.conf"))
    seed = [ln for ln in (pki / "user.seed").read_bytes().split() if ln.startswith(b"SU")][0]
    calls: List[str] = []

    def user_jwt_cb() -> bytes:
        calls.append("jwt")
        return [ln for ln in (pki / "user.jwt").read_bytes().split() if ln.startswith(b"eyJ")][0]

    def signature_cb(nonce: str) -> bytes:
        calls.append("sig")
        kp = nkeys.from_seed(bytearray(seed))
        return base64.b64encode(kp.sign(nonce.encode()))

    async def main() -> None:
        nc = await nats.connect(s.url, user_jwt_cb=user_jwt_cb, signature_cb=signature_cb)
        await nc.flush()
        await nc.close()

    run(main())
    assert calls == ["jwt", "sig"]
    with natsrs.connect(s.url, user_jwt_cb=user_jwt_cb, signature_cb=signature_cb) as nc:
        nc.flush()
