//! Services (micro): endpoints, groups, error replies, discovery and stats against a real
//! server, and the discovery JSON compared field by field with a nats-py `micro` service.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use crate::common;

use common::NatsServer;
use natsrs::service::{EndpointConfig, Request, Service, ServiceConfig};
use natsrs::{Connection, Msg, Options};

const T: Duration = Duration::from_secs(5);

fn conn(srv: &NatsServer) -> common::Conn {
    let mut o = Options::default();
    o.set_url(&srv.url()).unwrap();
    common::connect(o)
}

fn json(m: &Msg) -> serde_json::Value {
    serde_json::from_slice(m.data()).unwrap()
}

fn calc(nc: &Connection) -> Service {
    let cfg = ServiceConfig {
        name: "calc".into(),
        version: "1.2.3".into(),
        description: "adds and fails".into(),
        metadata: BTreeMap::from([("team".to_string(), "core".to_string())]),
        ..Default::default()
    };
    let svc = Service::add(nc, cfg).unwrap();
    svc.add_endpoint(
        EndpointConfig { name: "add".into(), metadata: BTreeMap::from([("unit".to_string(), "int".to_string())]), ..Default::default() },
        Arc::new(|r: &Request| {
            let v: Vec<i64> = serde_json::from_slice(r.data()).unwrap_or_default();
            let _ = r.respond(v.iter().sum::<i64>().to_string().as_bytes());
        }),
    )
    .unwrap();
    let g = svc.add_group("math", None).unwrap();
    g.add_endpoint(
        EndpointConfig { name: "fail".into(), ..Default::default() },
        Arc::new(|r: &Request| {
            let _ = r.respond_error("400", "bad input", b"");
        }),
    )
    .unwrap();
    svc
}

#[test]
fn endpoints_errors_discovery_stats() {
    let srv = NatsServer::start();
    let nc = conn(&srv);
    let svc = calc(&nc);
    nc.flush(T).unwrap();
    let client = conn(&srv);
    assert_eq!(client.request("add", b"[1,2,39]", T).unwrap().data(), b"42");
    let e = client.request("math.fail", b"", T).unwrap();
    let h = e.headers().expect("error headers");
    assert_eq!(h.get("Nats-Service-Error"), Some("bad input"));
    assert_eq!(h.get("Nats-Service-Error-Code"), Some("400"));

    // Discovery on all three subject forms.
    for subj in ["$SRV.PING", "$SRV.PING.calc", &format!("$SRV.PING.calc.{}", svc.id())] {
        let p = json(&client.request(subj, b"", T).unwrap());
        assert_eq!(p["type"], "io.nats.micro.v1.ping_response");
        assert_eq!(p["name"], "calc");
        assert_eq!(p["id"], svc.id());
        assert_eq!(p["version"], "1.2.3");
        assert_eq!(p["metadata"]["team"], "core");
    }
    let info = json(&client.request("$SRV.INFO.calc", b"", T).unwrap());
    assert_eq!(info["type"], "io.nats.micro.v1.info_response");
    assert_eq!(info["description"], "adds and fails");
    let eps = info["endpoints"].as_array().unwrap();
    assert_eq!(eps.len(), 2);
    assert_eq!(eps[0]["subject"], "add");
    assert_eq!(eps[0]["queue_group"], "q");
    assert_eq!(eps[0]["metadata"]["unit"], "int");
    assert_eq!(eps[1]["subject"], "math.fail");
    assert!(eps[1]["metadata"].is_null(), "an endpoint without metadata has null, as nats.go and nats-py");
    let stats = json(&client.request(&format!("$SRV.STATS.calc.{}", svc.id()), b"", T).unwrap());
    assert_eq!(stats["type"], "io.nats.micro.v1.stats_response");
    assert!(stats["started"].as_str().unwrap().ends_with('Z'));
    let s = &stats["endpoints"];
    assert_eq!(s[0]["num_requests"], 1);
    assert_eq!(s[0]["num_errors"], 0);
    assert_eq!(s[1]["num_requests"], 1);
    assert_eq!(s[1]["num_errors"], 1);
    assert_eq!(s[1]["last_error"], "400:bad input");
    assert!(s[0]["processing_time"].as_u64().unwrap() > 0);

    svc.reset();
    assert_eq!(svc.stats().endpoints[1].num_errors, 0);
    svc.stop().unwrap();
    assert!(svc.is_stopped());
    assert!(client.request("add", b"[1]", Duration::from_millis(500)).is_err());
    assert!(client.request("$SRV.PING.calc", b"", Duration::from_millis(500)).is_err());
}

#[test]
fn invalid_configs_are_refused() {
    let srv = NatsServer::start();
    let nc = conn(&srv);
    for (name, version) in [("bad name", "1.0.0"), ("ok", "1.0"), ("", "1.0.0")] {
        let cfg = ServiceConfig { name: name.into(), version: version.into(), ..Default::default() };
        assert!(Service::add(&nc, cfg).is_err(), "{name} {version}");
    }
    let svc = Service::add(&nc, ServiceConfig { name: "x".into(), version: "0.0.1".into(), ..Default::default() }).unwrap();
    let noop: natsrs::service::RequestHandler = Arc::new(|_r: &Request| {});
    assert!(svc.add_endpoint(EndpointConfig { name: "a.b".into(), ..Default::default() }, noop.clone()).is_err());
    assert!(svc
        .add_endpoint(EndpointConfig { name: "a".into(), subject: Some("bad subject".into()), ..Default::default() }, noop)
        .is_err());
}

/// Every key (recursively) of a JSON value, with its JSON kind.
fn shape(v: &serde_json::Value, path: &str, out: &mut BTreeMap<String, &'static str>) {
    let kind = match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    };
    out.insert(path.to_string(), kind);
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if path.ends_with(".metadata") || path == "metadata" {
                    continue;
                }
                shape(x, &format!("{}.{}", path, k), out);
            }
        }
        serde_json::Value::Array(a) => {
            if let Some(x) = a.first() {
                shape(x, &format!("{}[]", path), out);
            }
        }
        _ => {}
    }
}

#[test]
fn discovery_json_matches_nats_py_micro() {
    let srv = NatsServer::start();
    let python = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    if !python.exists() {
        panic!("{} missing: run scripts/setup.sh", python.display());
    }
    let script = format!(
        r#"
import asyncio, sys
import nats
from nats.micro import add_service, ServiceConfig
from nats.micro.service import EndpointConfig
async def main():
    nc = await nats.connect("{url}")
    async def add(req):
        await req.respond(b"ok")
    async def fail(req):
        await req.respond_error("400", "bad input")
    svc = await add_service(nc, name="pycalc", version="1.2.3", description="d", metadata={{"team": "core"}})
    await svc.add_endpoint(name="add", handler=add, metadata={{"unit": "int"}})
    g = svc.add_group(name="math")
    await g.add_endpoint(name="fail", handler=fail)
    print("ready", flush=True)
    await asyncio.sleep(30)
asyncio.run(main())
"#,
        url = srv.url()
    );
    let mut child = Command::new(python).arg("-c").arg(script).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while line.trim() != "ready" {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "the nats-py service did not start");
    }
    let nc = conn(&srv);
    let _svc = {
        let cfg = ServiceConfig {
            name: "rscalc".into(),
            version: "1.2.3".into(),
            description: "d".into(),
            metadata: BTreeMap::from([("team".to_string(), "core".to_string())]),
            ..Default::default()
        };
        let svc = Service::add(&nc, cfg).unwrap();
        svc.add_endpoint(
            EndpointConfig {
                name: "add".into(),
                subject: Some("rs.add".into()),
                metadata: BTreeMap::from([("unit".to_string(), "int".to_string())]),
                ..Default::default()
            },
            Arc::new(|r: &Request| {
                let _ = r.respond(b"ok");
            }),
        )
        .unwrap();
        svc.add_group("rsmath", None)
            .unwrap()
            .add_endpoint(
                EndpointConfig { name: "fail".into(), ..Default::default() },
                Arc::new(|r: &Request| {
                    let _ = r.respond_error("400", "bad input", b"");
                }),
            )
            .unwrap();
        svc
    };
    nc.flush(T).unwrap();
    let client = conn(&srv);
    // Make one request of each kind on both, so stats have values.
    for s in ["add", "rs.add"] {
        client.request(s, b"", T).unwrap();
    }
    for s in ["math.fail", "rsmath.fail"] {
        let m = client.request(s, b"", T).unwrap();
        assert_eq!(m.headers().and_then(|h| h.get("Nats-Service-Error-Code")), Some("400"), "{s}");
    }
    for verb in ["PING", "INFO", "STATS"] {
        let py = json(&client.request(&format!("$SRV.{verb}.pycalc"), b"", T).unwrap());
        let rs = json(&client.request(&format!("$SRV.{verb}.rscalc"), b"", T).unwrap());
        let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
        shape(&py, "", &mut a);
        shape(&rs, "", &mut b);
        // nats-py leaves the stats `data` null unless a stats handler is set; so do we. An
        // endpoint without metadata has `null` in both.
        assert_eq!(a, b, "{verb}: nats-py {py} vs libnatsrs {rs}");
        assert_eq!(py["type"], rs["type"]);
    }
    // Counting: nats.go's micro counts an error reply as an error (libnatsrs follows it);
    // nats-py counts only exceptions raised by the handler. Both count the requests.
    let py = json(&client.request("$SRV.STATS.pycalc", b"", T).unwrap());
    let rs = json(&client.request("$SRV.STATS.rscalc", b"", T).unwrap());
    assert_eq!(py["endpoints"][1]["num_requests"], rs["endpoints"][1]["num_requests"]);
    assert_eq!(rs["endpoints"][1]["num_errors"], 1);
    let _ = child.kill();
    let _ = child.wait();
}
