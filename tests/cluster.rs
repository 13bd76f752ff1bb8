//! Cluster behaviour against real 3-node `nats-server` clusters (issue 3): failover under load,
//! discovery of servers through INFO connect_urls, pool ordering (no_randomize), ignoring
//! discovered servers, and lame-duck mode.
//!
//! Every test starts its own cluster and closes its connections (see `Conn`), so the tests can run
//! in parallel threads. Waits are on conditions with generous deadlines, never fixed sleeps.
use crate::common;

use common::{connect, wait_until, Conn, Events};

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{free_port, NatsCluster, NatsServer};
use natsrs::{Connection, ConnectionStatus, Error, Options, Status};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const LONG: Duration = Duration::from_secs(20);
const MSG: Duration = Duration::from_secs(5);

fn fast_opts(urls: &str) -> Options {
    let mut o = Options::default();
    o.set_url(urls).expect("set_url");
    o.reconnect_wait = Duration::from_millis(50);
    o.reconnect_jitter = Duration::from_millis(10);
    o.max_reconnect = -1;
    o
}

fn set(v: impl IntoIterator<Item = String>) -> HashSet<String> {
    v.into_iter().collect()
}

fn port_of(url: &str) -> u16 {
    url.rsplit(':').next().unwrap().trim_end_matches('/').parse().unwrap()
}

/// Sequence numbers received by an async subscription, in delivery order.
type Received = Arc<Mutex<Vec<u64>>>;

fn seq_handler(rx: &Received) -> natsrs::connection::MsgHandler {
    let rx = rx.clone();
    Box::new(move |_s, m| {
        let v: u64 = std::str::from_utf8(m.data()).unwrap().parse().unwrap();
        rx.lock().unwrap().push(v);
    })
}

/// A publisher thread sending 1, 2, 3, ... on `subject` at a steady rate. `next` holds the
/// number about to be published (stored before the publish call starts).
struct Load {
    next: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<Result<u64, Error>>>,
}

impl Load {
    fn start(p: Connection, subject: &'static str, next: Arc<AtomicU64>) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let (n, s) = (next.clone(), stop.clone());
        let thread = thread::spawn(move || {
            let mut seq = 0u64;
            while !s.load(Ordering::SeqCst) {
                seq += 1;
                n.store(seq, Ordering::SeqCst);
                p.publish(subject, seq.to_string().as_bytes())?;
                if seq.is_multiple_of(4) {
                    thread::sleep(Duration::from_millis(1));
                }
            }
            Ok(seq)
        });
        Load { next, stop, thread: Some(thread) }
    }

    fn current(&self) -> u64 {
        self.next.load(Ordering::SeqCst)
    }

    /// Stops the publisher; returns the last sequence number published.
    fn finish(&mut self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        let r = self.thread.take().unwrap().join().expect("publisher thread panicked");
        r.unwrap_or_else(|e| panic!("publish failed under load: {e}"))
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Checks that the received sequence is strictly increasing (no duplicate, no reordering).
fn assert_increasing(got: &[u64]) {
    for w in got.windows(2) {
        assert!(w[1] > w[0], "received {} after {} (duplicate or out of order)", w[1], w[0]);
    }
}

/// Installs a reconnected callback that flushes (so the server has processed the re-sent SUBs)
/// and then records the publisher's next sequence number: every message numbered above the
/// mark was published after the resubscription took effect.
fn mark_on_reconnect(o: &mut Options, ev: &Arc<Events>, load_next: Arc<AtomicU64>) -> Arc<Mutex<Option<Result<u64, Error>>>> {
    let mark: Arc<Mutex<Option<Result<u64, Error>>>> = Arc::new(Mutex::new(None));
    let (m, e) = (mark.clone(), ev.clone());
    o.reconnected_cb = Some(Arc::new(move |c: &Connection| {
        e.reconnected.fetch_add(1, Ordering::SeqCst);
        let r = c.flush(Duration::from_secs(5)).map(|_| load_next.load(Ordering::SeqCst));
        let mut g = m.lock().unwrap();
        if g.is_none() {
            *g = Some(r);
        }
    }));
    mark
}

// ---------------------------------------------------------------------------------------------
// Scenario 8: kill the connected server under load
// ---------------------------------------------------------------------------------------------

/// The subscriber prefers node0 then node1 (no_randomize); the publisher is on node1. Killing
/// node0 moves the subscriber to node1; every message published after its reconnected
/// callback (which flushed, so the SUB was processed) must arrive, in order, exactly once.
#[test]
fn failover_under_load_no_loss_after_reconnect() {
    let mut cluster = NatsCluster::start3();
    let u = cluster.urls();

    let pub_ev = Events::new();
    let mut po = fast_opts(&u[1]);
    po.no_randomize = true;
    pub_ev.install(&mut po);
    let p = connect(po);

    let ev = Events::new();
    let mut so = fast_opts(&format!("{}, {}, {}", u[0], u[1], u[2]));
    so.no_randomize = true;
    ev.install(&mut so);
    let next = Arc::new(AtomicU64::new(0));
    let mark = mark_on_reconnect(&mut so, &ev, next.clone());
    let s = connect(so);
    assert_eq!(s.connected_url().as_deref(), Some(u[0].as_str()));
    let received: Received = Arc::new(Mutex::new(Vec::new()));
    let _sub = s.subscribe("cl.load", None, seq_handler(&received)).unwrap();
    s.flush(MSG).unwrap();

    let mut load = Load::start(p.0.clone(), "cl.load", next);
    assert!(wait_until(|| received.lock().unwrap().len() >= 200, LONG), "no traffic through the cluster before the kill");

    cluster.kill(0);

    assert!(wait_until(|| mark.lock().unwrap().is_some(), LONG), "subscriber did not reconnect");
    let r = mark.lock().unwrap().clone().unwrap().expect("flush in the reconnected callback failed");
    assert!(wait_until(|| load.current() >= r + 1000, LONG), "publisher stalled");
    let last = load.finish();
    p.flush(MSG).unwrap();
    assert!(wait_until(|| received.lock().unwrap().last() == Some(&last), LONG), "last message {last} never arrived");

    let got = received.lock().unwrap().clone();
    assert_increasing(&got);
    let have: HashSet<u64> = got.iter().copied().collect();
    let lost: Vec<u64> = (r + 1..=last).filter(|v| !have.contains(v)).collect();
    assert!(lost.is_empty(), "{} messages published after the reconnect were lost (first {:?})", lost.len(), &lost[..lost.len().min(10)]);

    assert_eq!(s.connected_url().as_deref(), Some(u[1].as_str()), "subscriber should move to the next server in order");
    assert_eq!(s.stats().reconnects, 1);
    assert_eq!(ev.disconnected(), 1);
    assert_eq!(ev.reconnected(), 1);
    assert_eq!(ev.closed(), 0);
    assert_eq!(pub_ev.disconnected(), 0, "the publisher's server stayed up");
}

/// Same with a randomized pool: the subscriber lands on whichever node, the publisher is on
/// another one, the subscriber's node is killed. Once the first message after the reconnect
/// arrived (interest has propagated through the routes), nothing after it may be lost.
#[test]
fn failover_under_load_randomized_pool() {
    let mut cluster = NatsCluster::start3();
    let u = cluster.urls();

    let ev = Events::new();
    let mut so = fast_opts(&cluster.url_list());
    ev.install(&mut so);
    let next = Arc::new(AtomicU64::new(0));
    let mark = mark_on_reconnect(&mut so, &ev, next.clone());
    let s = connect(so);
    let k = u.iter().position(|x| Some(x.as_str()) == s.connected_url().as_deref()).expect("connected to a cluster node");
    let received: Received = Arc::new(Mutex::new(Vec::new()));
    let _sub = s.subscribe("cl.rload", None, seq_handler(&received)).unwrap();
    s.flush(MSG).unwrap();

    let pn = (k + 1) % 3;
    let mut po = fast_opts(&u[pn]);
    po.ignore_discovered_servers = true;
    let p = connect(po);
    let mut load = Load::start(p.0.clone(), "cl.rload", next);
    assert!(wait_until(|| received.lock().unwrap().len() >= 200, LONG), "no traffic before the kill");

    cluster.kill(k);

    assert!(wait_until(|| mark.lock().unwrap().is_some(), LONG), "subscriber did not reconnect");
    let r = mark.lock().unwrap().clone().unwrap().expect("flush in the reconnected callback failed");
    assert!(
        wait_until(|| received.lock().unwrap().iter().any(|v| *v > r), LONG),
        "no message arrived after the reconnect: the subscription was not restored"
    );
    let first_after = *received.lock().unwrap().iter().find(|v| **v > r).unwrap();
    assert!(wait_until(|| load.current() >= first_after + 1000, LONG), "publisher stalled");
    let last = load.finish();
    p.flush(MSG).unwrap();
    assert!(wait_until(|| received.lock().unwrap().last() == Some(&last), LONG), "last message {last} never arrived");

    let got = received.lock().unwrap().clone();
    assert_increasing(&got);
    let have: HashSet<u64> = got.iter().copied().collect();
    let lost: Vec<u64> = (first_after..=last).filter(|v| !have.contains(v)).collect();
    assert!(lost.is_empty(), "{} messages lost after the subscription resumed (first {:?})", lost.len(), &lost[..lost.len().min(10)]);

    let now = s.connected_url().expect("connected");
    assert_ne!(now, u[k], "still on the killed node");
    assert!(u.contains(&now));
    assert_eq!(s.stats().reconnects, 1);
    assert_eq!(ev.disconnected(), 1);
}

// ---------------------------------------------------------------------------------------------
// Scenario 9: discovery
// ---------------------------------------------------------------------------------------------

#[test]
fn discovery_learns_other_nodes_and_uses_them() {
    let mut cluster = NatsCluster::start3();
    let u = cluster.urls();
    let ev = Events::new();
    let mut o = fast_opts(&u[0]);
    ev.install(&mut o);
    let nc = connect(o);
    let sub = nc.subscribe_sync("cl.disc", None).unwrap();

    let want = set([u[1].clone(), u[2].clone()]);
    assert!(wait_until(|| set(nc.discovered_servers()) == want, LONG), "discovered {:?}, want {:?}", nc.discovered_servers(), want);
    assert_eq!(set(nc.servers()), set(u.clone()), "pool = explicit + discovered");
    assert_eq!(nc.servers().len(), 3, "no duplicates in the pool");

    // Only learned servers can take over when the one given explicitly dies.
    cluster.kill(0);
    assert!(wait_until(|| ev.reconnected() == 1, LONG), "did not move to a discovered server");
    let now = nc.connected_url().expect("connected");
    assert!(now == u[1] || now == u[2], "connected to {now}");
    nc.publish("cl.disc", b"x").unwrap();
    assert_eq!(sub.next_msg(MSG).unwrap().data(), b"x");
}

#[test]
fn discovered_servers_callback_fires_for_new_node() {
    let mut cluster = NatsCluster::start3();
    let u = cluster.urls();
    let p2 = port_of(&u[2]);
    cluster.kill(2);
    // Wait until node0 no longer advertises node2.
    let gone = wait_until(
        || {
            let probe = match Connection::connect(fast_opts(&u[0])) {
                Ok(c) => Conn(c),
                Err(_) => return false,
            };
            let urls = probe.server_info().connect_urls.clone();
            !urls.iter().any(|x| x.ends_with(&format!(":{p2}")))
        },
        LONG,
    );
    assert!(gone, "node0 kept advertising the killed node");

    let ev = Events::new();
    let mut o = fast_opts(&u[0]);
    ev.install(&mut o);
    let nc = connect(o);
    assert!(wait_until(|| nc.discovered_servers() == vec![u[1].clone()], LONG), "discovered {:?}", nc.discovered_servers());
    assert_eq!(ev.discovered(), 0, "servers known from the initial connect are not announced");

    cluster.restart(2);
    assert!(wait_until(|| ev.discovered() >= 1, LONG), "discovered servers callback did not fire");
    assert!(
        wait_until(|| set(nc.discovered_servers()) == set([u[1].clone(), u[2].clone()]), LONG),
        "discovered {:?}",
        nc.discovered_servers()
    );
    assert_eq!(ev.discovered(), 1, "one callback for one new server");
    assert_eq!(ev.disconnected(), 0);
}

// ---------------------------------------------------------------------------------------------
// Scenario 10: pool options
// ---------------------------------------------------------------------------------------------

#[test]
fn no_randomize_uses_first_url() {
    let cluster = NatsCluster::start3();
    let u = cluster.urls();
    for order in [[0usize, 1, 2], [2, 0, 1], [1, 2, 0]] {
        let list = format!("{},  {} ,{}", u[order[0]], u[order[1]], u[order[2]]);
        for _ in 0..4 {
            let mut o = fast_opts(&list);
            o.no_randomize = true;
            let nc = connect(o);
            assert_eq!(nc.connected_url().as_deref(), Some(u[order[0]].as_str()), "list {list}");
            let pool = nc.servers();
            let want: Vec<String> = order.iter().map(|i| u[*i].clone()).collect();
            assert_eq!(pool[..3], want[..], "pool order must be kept");
        }
    }
}

#[test]
fn randomized_pool_spreads_connections() {
    let cluster = NatsCluster::start3();
    let mut used = HashSet::new();
    for _ in 0..15 {
        let nc = connect(fast_opts(&cluster.url_list()));
        used.insert(nc.connected_url().expect("connected"));
    }
    assert!(used.len() >= 2, "15 connections with a randomized pool all went to {used:?}");
}

#[test]
fn ignore_discovered_servers_keeps_explicit_pool() {
    let mut cluster = NatsCluster::start3();
    let u = cluster.urls();
    // Control: the cluster does advertise its other nodes.
    let control = connect(fast_opts(&u[0]));
    assert!(wait_until(|| control.discovered_servers().len() == 2, LONG), "cluster does not advertise");

    let ev = Events::new();
    let mut o = fast_opts(&u[0]);
    o.ignore_discovered_servers = true;
    o.max_reconnect = 3;
    o.reconnect_wait = Duration::from_millis(20);
    ev.install(&mut o);
    let nc = connect(o);
    nc.flush(MSG).unwrap();
    assert!(nc.discovered_servers().is_empty(), "discovered {:?}", nc.discovered_servers());
    assert_eq!(nc.servers(), vec![u[0].clone()]);
    assert!(nc.server_info().connect_urls.len() >= 2, "the server did send connect_urls");

    // With only its explicit server, the connection cannot move when that server dies.
    cluster.kill(0);
    assert!(wait_until(|| ev.closed() == 1, LONG), "connection should close after max reconnects");
    assert_eq!(ev.reconnected(), 0, "must not reconnect to a server it was told to ignore");
    assert_eq!(nc.status(), ConnectionStatus::Closed);
    assert_eq!(nc.last_error().expect("last error").status, Status::NoServers);
}

// ---------------------------------------------------------------------------------------------
// Scenario 35: lame duck mode
// ---------------------------------------------------------------------------------------------

/// A cluster whose nodes leave lame duck mode quickly (short grace period), so that the only
/// client of the lame-duck node is dropped a fraction of a second after the signal.
fn start_fast_ldm_cluster(n: usize) -> Vec<NatsServer> {
    let cports: Vec<u16> = (0..n).map(|_| free_port()).collect();
    let routes = cports.iter().map(|p| format!("nats-route://127.0.0.1:{p}")).collect::<Vec<_>>().join(", ");
    cports
        .iter()
        .enumerate()
        .map(|(i, cp)| {
            NatsServer::start_with_config(&format!(
                "server_name: ldm{i}\n\
                 lame_duck_grace_period: \"200ms\"\n\
                 lame_duck_duration: \"30s\"\n\
                 cluster {{\n  name: natsrs-ldm\n  listen: 127.0.0.1:{cp}\n  routes: [{routes}]\n}}\n"
            ))
        })
        .collect()
}

#[test]
fn lame_duck_mode_fires_callback_and_client_moves() {
    let servers = start_fast_ldm_cluster(3);
    let u: Vec<String> = servers.iter().map(|s| s.url()).collect();

    let ev = Events::new();
    let mut o = fast_opts(&u.join(","));
    o.no_randomize = true;
    ev.install(&mut o);
    let nc = connect(o);
    assert_eq!(nc.connected_url().as_deref(), Some(u[0].as_str()));
    // Wait until node0 has routes to both others (it then advertises all three).
    assert!(
        wait_until(|| nc.server_info().connect_urls.len() == 3, LONG),
        "cluster routes not formed: {:?}",
        nc.server_info().connect_urls
    );
    let sub = nc.subscribe_sync("cl.ldm", None).unwrap();
    nc.flush(MSG).unwrap();

    servers[0].lame_duck();

    assert!(wait_until(|| ev.lame_duck() >= 1, LONG), "lame duck callback did not fire");
    assert!(wait_until(|| ev.reconnected() >= 1, LONG), "client did not move off the lame-duck server");
    let now = nc.connected_url().expect("connected");
    assert!(now == u[1] || now == u[2], "connected to {now} after lame duck");
    assert_eq!(ev.lame_duck(), 1, "one lame duck notice");
    nc.publish("cl.ldm", b"moved").unwrap();
    assert_eq!(sub.next_msg(MSG).unwrap().data(), b"moved");
    assert_eq!(ev.closed(), 0);
}

/// Scenario 9, second half: an implicit (discovered) server that the cluster stops announcing is
/// dropped from the pool; explicit servers are never dropped.
#[test]
fn vanished_discovered_server_is_removed_from_pool() {
    let mut cluster = NatsCluster::start3();
    let u = cluster.urls();
    let ev = Events::new();
    let nc = {
        let mut o = fast_opts(&u[0]);
        ev.install(&mut o);
        connect(o)
    };
    assert!(
        wait_until(|| set(nc.discovered_servers()) == set([u[1].clone(), u[2].clone()]), LONG),
        "discovered {:?}",
        nc.discovered_servers()
    );
    cluster.kill(2);
    // node0 sends an INFO without node2 in connect_urls once the route is gone.
    assert!(
        wait_until(|| !nc.server_info().connect_urls.iter().any(|x| x.ends_with(&format!(":{}", port_of(&u[2])))), LONG),
        "node0 still advertises node2: {:?}",
        nc.server_info().connect_urls
    );
    assert!(
        wait_until(|| nc.discovered_servers() == vec![u[1].clone()], LONG),
        "vanished server kept in the pool: discovered {:?}",
        nc.discovered_servers()
    );
    assert_eq!(set(nc.servers()), set([u[0].clone(), u[1].clone()]));

    // When it comes back it joins the pool again, but it is not new: no discovered callback.
    cluster.restart(2);
    assert!(
        wait_until(|| set(nc.discovered_servers()) == set([u[1].clone(), u[2].clone()]), LONG),
        "returning server not re-added: discovered {:?}",
        nc.discovered_servers()
    );
    nc.flush(MSG).unwrap();
    thread::sleep(Duration::from_millis(100)); // a (wrong) callback would run on the event thread
    assert_eq!(ev.discovered(), 0, "the discovered callback is only for never-seen servers");
    assert_eq!(ev.disconnected(), 0);

    // The explicit server is never dropped, even when it is not announced (it is the current one
    // here; kill the others and check that it stays).
    cluster.kill(1);
    cluster.kill(2);
    assert!(wait_until(|| nc.discovered_servers().is_empty(), LONG), "discovered {:?}", nc.discovered_servers());
    assert_eq!(nc.servers(), vec![u[0].clone()]);
}

/// Scenario 10 (hot spot): clients of a dead node spread over the remaining nodes.
#[test]
fn randomized_pool_spreads_clients_after_failover() {
    let mut cluster = NatsCluster::start3();
    let u = cluster.urls();
    let evs: Vec<Arc<Events>> = (0..45).map(|_| Events::new()).collect();
    let conns: Vec<Conn> = evs
        .iter()
        .map(|ev| {
            let mut o = fast_opts(&cluster.url_list());
            ev.install(&mut o);
            connect(o)
        })
        .collect();
    let on =
        |k: usize| -> Vec<usize> { (0..conns.len()).filter(|&i| conns[i].connected_url().as_deref() == Some(u[k].as_str())).collect() };
    let k = (0..3).max_by_key(|&k| on(k).len()).unwrap();
    let moved = on(k);
    assert!(moved.len() >= 15);
    cluster.kill(k);
    assert!(wait_until(|| moved.iter().all(|&i| evs[i].reconnected() == 1), LONG), "not every client of the killed node reconnected");
    let landed: HashSet<String> = moved.iter().filter_map(|&i| conns[i].connected_url()).collect();
    assert!(!landed.contains(&u[k]));
    assert_eq!(landed.len(), 2, "{} clients of the dead node all moved to {landed:?}", moved.len());
}
