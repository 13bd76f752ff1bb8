"""Every script in bindings/python/examples runs to success against a real server (tls.py and
nkeys_creds.py against servers from the generated test PKI)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
from typing import Any, Dict

import pytest
from conftest import PKG

EXAMPLES = sorted((PKG / "examples").glob("*.py"))
SECURITY = {"tls", "nkeys_creds"}
JETSTREAM = {"jetstream"}  # needs a server with JetStream


def _security_env(request: Any) -> Dict[str, str]:
    pki: pathlib.Path = request.getfixturevalue("pki")
    make_server = request.getfixturevalue("make_server")
    tls = make_server("-c", str(pki / "tls.conf"))
    nk = make_server("-c", str(pki / "nkey.conf"))
    op = make_server("-c", str(pki / "operator.conf"))
    return {
        "NATS_TLS_URL": f"tls://127.0.0.1:{tls.port}",
        "NATS_CA_FILE": str(pki / "ca.pem"),
        "NATS_CERT_FILE": str(pki / "client-cert.pem"),
        "NATS_KEY_FILE": str(pki / "client-key.pem"),
        "NATS_NKEY_URL": nk.url,
        "NATS_NKEY_SEED_FILE": str(pki / "user.nk"),
        "NATS_CREDS_URL": op.url,
        "NATS_CREDS_FILE": str(pki / "user.creds"),
    }


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example(script: pathlib.Path, url: str, request: Any) -> None:
    env = dict(os.environ, NATS_URL=url, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    if script.stem in SECURITY:
        env.update(_security_env(request))
    if script.stem in JETSTREAM:
        tmp: pathlib.Path = request.getfixturevalue("tmpdir_session")
        store = tmp / f"js-example-{script.stem}"
        store.mkdir(exist_ok=True)
        env["NATS_URL"] = request.getfixturevalue("make_server")("-js", "-sd", str(store)).url
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    assert r.stdout.strip()
