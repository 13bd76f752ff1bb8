//! Self-tests of the test harness in tests/common (no libnatsrs code involved): they talk to the
//! servers with a raw TCP socket.
use crate::common;

use common::{http_get, NatsCluster, NatsServer};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A bare protocol client: reads INFO, sends CONNECT/PING, and returns the first reply line.
struct Raw {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Raw {
    fn connect(port: u16, connect_json: &str) -> Result<(Raw, String), String> {
        let s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let writer = s.try_clone().unwrap();
        let mut raw = Raw { reader: BufReader::new(s), writer };
        let info = raw.line()?;
        if !info.starts_with("INFO {") {
            return Err(format!("expected INFO, got {info:?}"));
        }
        raw.send(&format!("CONNECT {connect_json}\r\nPING\r\n"))?;
        let reply = raw.line()?;
        Ok((raw, reply))
    }

    /// Next protocol line; `+OK` acknowledgements (verbose mode, the server's default for a
    /// bare `CONNECT {}`) are skipped.
    fn line(&mut self) -> Result<String, String> {
        loop {
            let mut l = String::new();
            match self.reader.read_line(&mut l) {
                Ok(0) => return Err("connection closed".into()),
                Ok(_) if l.trim_end() == "+OK" => continue,
                Ok(_) => return Ok(l.trim_end().to_string()),
                Err(e) => return Err(format!("read: {e}")),
            }
        }
    }

    fn send(&mut self, s: &str) -> Result<(), String> {
        self.writer.write_all(s.as_bytes()).map_err(|e| format!("write: {e}"))
    }
}

fn ping_pong(port: u16) -> Result<(), String> {
    let (_, reply) = Raw::connect(port, "{}")?;
    if reply == "PONG" {
        Ok(())
    } else {
        Err(format!("expected PONG, got {reply:?}"))
    }
}

#[test]
fn server_start_stop_restart() {
    let mut s = NatsServer::start();
    assert!(s.url().starts_with("nats://127.0.0.1:"));
    let port = s.port();
    ping_pong(port).unwrap();

    // STOP/CONT: a stopped server does not answer, a continued one does.
    let (mut raw, reply) = Raw::connect(port, "{}").unwrap();
    assert_eq!(reply, "PONG");
    s.signal("STOP");
    raw.send("PING\r\n").unwrap();
    raw.reader.get_ref().set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    assert!(raw.line().is_err(), "a SIGSTOPped server must not answer");
    s.signal("CONT");
    raw.reader.get_ref().set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(raw.line().unwrap(), "PONG");
    drop(raw);

    let old_pid = s.pid();
    s.stop();
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "port still open after stop");
    s.restart();
    assert_eq!(s.port(), port, "restart must keep the port");
    assert_ne!(s.pid(), old_pid);
    ping_pong(port).unwrap();

    // JetStream server: its INFO advertises jetstream, and it survives a restart.
    let mut js = NatsServer::start_jetstream();
    let (_, reply) = Raw::connect(js.port(), "{}").unwrap();
    assert_eq!(reply, "PONG");
    js.restart();
    let s2 = TcpStream::connect(("127.0.0.1", js.port())).unwrap();
    let mut info = String::new();
    BufReader::new(s2).read_line(&mut info).unwrap();
    assert!(info.contains("\"jetstream\":true"), "INFO: {info}");
    drop(js);
    drop(s);
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "port still open after drop");
}

#[test]
fn cluster_forms_routes() {
    let mut c = NatsCluster::start(3);
    assert_eq!(c.urls().len(), 3);
    for s in &c.servers {
        let body = http_get(s.http_port().unwrap(), "/routez").expect("GET /routez");
        let peers: std::collections::HashSet<&str> = body.lines().filter(|l| l.contains("\"remote_id\"")).collect();
        assert_eq!(peers.len(), 2, "each node routes to both others: {body}");
    }

    // A message published on node 1 reaches a subscriber on node 0 (interest crosses routes).
    let (mut sub, reply) = Raw::connect(c.servers[0].port(), "{}").unwrap();
    assert_eq!(reply, "PONG");
    sub.send("SUB harness.x 1\r\nPING\r\n").unwrap();
    assert_eq!(sub.line().unwrap(), "PONG");
    let (mut publ, reply) = Raw::connect(c.servers[1].port(), "{}").unwrap();
    assert_eq!(reply, "PONG");
    sub.reader.get_ref().set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let got = loop {
        publ.send("PUB harness.x 2\r\nhi\r\nPING\r\n").unwrap();
        assert_eq!(publ.line().unwrap(), "PONG");
        if let Ok(l) = sub.line() {
            break l;
        }
        assert!(Instant::now() < deadline, "no message across the route");
    };
    assert_eq!(got, "MSG harness.x 1 2");
    assert_eq!(sub.line().unwrap(), "hi");

    // Kill a node and bring it back; routes form again.
    c.kill(2);
    assert!(ping_pong(c.servers[2].port()).is_err());
    c.restart(2);
    ping_pong(c.servers[2].port()).unwrap();
}

#[test]
fn config_with_authorization() {
    // The config's own port is overridden by the harness.
    let s = NatsServer::start_with_config("port: 4222\nauthorization {\n  user: alice\n  password: s3cret\n}\n");
    assert_ne!(s.port(), 4222);

    let (_, reply) = Raw::connect(s.port(), "{}").unwrap();
    assert!(reply.starts_with("-ERR") && reply.contains("Authorization"), "got {reply:?}");

    let (_, reply) = Raw::connect(s.port(), r#"{"user":"alice","pass":"wrong","verbose":false}"#).unwrap();
    assert!(reply.starts_with("-ERR"), "wrong password accepted: {reply:?}");

    let (_, reply) = Raw::connect(s.port(), r#"{"user":"alice","pass":"s3cret","verbose":false}"#).unwrap();
    assert_eq!(reply, "PONG");
}
