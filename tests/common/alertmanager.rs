//! A real Prometheus Alertmanager cluster on 127.0.0.1, run by the test: N replicas of
//! Debian's `prometheus-alertmanager` (0.25 on Debian 12) gossiping with each other, each
//! with its own storage in a temp dir, every alert routed to one webhook receiver.
//! `scripts/install-test-peers.sh` installs it; without it the constructor skips loudly
//! (locally) or panics (`CI=true`).
//!
//! What the cluster does, found by experiment on 0.25 (tests/peers.rs pins (a)–(d)):
//! - (a) Alerts are NOT gossiped: an alert posted to replica 0 only is listed by replica 0
//!   alone. Replicas share silences and the notification log (nflog), nothing else; a
//!   client that wants every replica to know an alert posts it to each.
//! - (b) A replica stopped and started with empty storage lists no alert until a client
//!   posts again; a re-post shows at once. It does get the nflog back from its peer when it
//!   joins (push/pull), so the re-post does not notify the receiver a second time.
//! - (c) The nflog dedups: the same alert posted to both replicas reaches the webhook once.
//!   The replica at position k (members sorted by name; names are time-ordered ULIDs, so
//!   the one started earliest is position 0, a tie within a millisecond is random; a
//!   replica restarted by `start_empty` comes last) waits k × `--cluster.peer-timeout`
//!   before it checks the nflog, and sends only what no peer has sent.
//! - (d) `endsAt` = now, posted to every replica: the webhook gets `"status":"resolved"`
//!   at the next group_interval tick (0.05–0.8 s measured, 1 s at most), and the alert
//!   vanishes from `GET /api/v2/alerts` at once. BUT the replica at position 1 was, at that
//!   moment, inside its peer-timeout wait holding a snapshot where the alert still fires;
//!   when the wait ends it finds a nflog entry that differs (resolved) and sends a stray
//!   `firing` about PEER_TIMEOUT later, then its own `resolved` one PEER_TIMEOUT after that
//!   (upstream prometheus/alertmanager#2447, #4008; seen 3 times out of 3). Tests should
//!   wait for the alert's LAST notification to be `resolved` (`statuses_of`), and not count
//!   notifications right after a resolve.
//!
//! Timings: group_wait = group_interval = 1 s, repeat_interval 1 h, gossip every 50 ms (so
//! the gossip settles in about 2.5 s instead of 10 s: notifications are held until it has),
//! peer timeout 2 s. Alerts posted without `endsAt` get now + `resolve_timeout` (5 min).

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::{free_port, http, require_or_skip, tail, term, wait_until};

/// The Debian binary (on PATH as /usr/bin/prometheus-alertmanager).
pub const ALERTMANAGER: &str = "prometheus-alertmanager";
/// How long replica k waits (× k) for its peers' notifications before sending its own.
pub const PEER_TIMEOUT: &str = "2s";
const GOSSIP_INTERVAL: &str = "50ms";
/// Deadline of every wait on a replica.
const WAIT_S: u64 = 30;
const START_ATTEMPTS: u32 = 3;
/// Written into a replica's log by `start_empty`, between its generations.
const EMPTY_START_MARK: &str = "=== test harness: replica started empty";

struct Replica {
    web_port: u16,
    cluster_port: u16,
    /// Bumped by `start_empty`: each generation gets a fresh storage dir.
    generation: u32,
    child: Option<Child>,
}

pub struct AmCluster {
    dir: tempfile::TempDir,
    replicas: Vec<Replica>,
}

/// Why a replica did not come up.
enum Down {
    /// Another process took one of its ports between `free_port` and the bind.
    PortTaken,
    Exited(String),
}

impl AmCluster {
    /// Starts `replicas` replicas clustered with each other, routing every alert to
    /// `webhook_url`, and waits until each is ready, settled and sees all the others.
    /// `None` (after a SKIPPED line) when the binary is missing and CI is not set.
    pub fn start(replicas: usize, webhook_url: &str) -> Option<AmCluster> {
        if !require_or_skip(ALERTMANAGER) {
            return None;
        }
        for attempt in 1..=START_ATTEMPTS {
            let mut am = AmCluster::spawn_all(replicas, webhook_url);
            match (0..replicas).try_for_each(|i| am.poll_ready(i)) {
                Ok(()) => {
                    (0..replicas).for_each(|i| am.wait_peers(i, replicas));
                    return Some(am);
                }
                Err(Down::PortTaken) if attempt < START_ATTEMPTS => continue,
                Err(Down::PortTaken) => panic!("ports kept being taken\n{}", am.tails()),
                Err(Down::Exited(why)) => panic!("{why}\n{}", am.tails()),
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    fn spawn_all(replicas: usize, webhook_url: &str) -> AmCluster {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("alertmanager.yml"), config(webhook_url)).unwrap();
        let mut ports = Vec::new();
        while ports.len() < 2 * replicas {
            let p = free_port();
            if !ports.contains(&p) {
                ports.push(p);
            }
        }
        let replicas = ports
            .chunks(2)
            .map(|p| Replica {
                web_port: p[0],
                cluster_port: p[1],
                generation: 0,
                child: None,
            })
            .collect();
        let mut am = AmCluster { dir, replicas };
        (0..am.replicas.len()).for_each(|i| am.spawn(i));
        am
    }

    /// Starts replica `i` on its ports with the storage dir of its current generation.
    fn spawn(&mut self, i: usize) {
        let storage = self.storage_dir(i);
        fs::create_dir_all(&storage).unwrap();
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path(i))
            .unwrap();
        let r = &self.replicas[i];
        let mut cmd = Command::new(ALERTMANAGER);
        cmd.arg(format!(
            "--config.file={}",
            self.dir.path().join("alertmanager.yml").display()
        ))
        .arg(format!("--storage.path={}", storage.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{}", r.web_port))
        .arg(format!(
            "--cluster.listen-address=127.0.0.1:{}",
            r.cluster_port
        ))
        .arg(format!("--cluster.gossip-interval={GOSSIP_INTERVAL}"))
        .arg(format!("--cluster.peer-timeout={PEER_TIMEOUT}"))
        .arg("--log.level=debug");
        for (j, other) in self.replicas.iter().enumerate() {
            if j != i {
                cmd.arg(format!("--cluster.peer=127.0.0.1:{}", other.cluster_port));
            }
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {ALERTMANAGER}: {e}"));
        self.replicas[i].child = Some(child);
    }

    fn storage_dir(&self, i: usize) -> PathBuf {
        let generation = self.replicas[i].generation;
        self.dir.path().join(format!("am{i}.storage.{generation}"))
    }

    fn log_path(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("am{i}.stderr"))
    }

    /// Where lingerwatch posts alerts to replica `i`.
    pub fn api_url(&self, i: usize) -> String {
        format!(
            "http://127.0.0.1:{}/api/v2/alerts",
            self.replicas[i].web_port
        )
    }

    /// Any other path of replica `i`'s web API (`/api/v2/silences`, `/metrics`, …).
    pub fn url(&self, i: usize, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.replicas[i].web_port)
    }

    /// Every alert replica `i` holds that is not resolved, as the v2 API gives them:
    /// objects with `labels`, `annotations`, `startsAt`, `endsAt`, `fingerprint` and
    /// `status.state` (`active`, `suppressed`, or `unprocessed` for the moment before the
    /// dispatcher has seen it). The v2 API never lists a resolved alert (`endsAt` in the
    /// past), whatever the query: resolved means absent. The query below spells out the
    /// defaults, so silenced and inhibited alerts are listed too.
    pub fn alerts(&self, i: usize) -> Vec<Value> {
        let url = self.url(
            i,
            "/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true",
        );
        let body = self.get_ok(i, &url);
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
    }

    /// Whether replica `i` lists an unresolved, unsilenced alert with `label`=`value`.
    pub fn active(&self, i: usize, label: &str, value: &str) -> bool {
        self.alerts(i).iter().any(|a| {
            a["labels"][label] == value
                && matches!(
                    a["status"]["state"].as_str(),
                    Some("active" | "unprocessed")
                )
        })
    }

    /// Waits until `active(i, label, value) == want`.
    pub fn wait_active(&self, i: usize, label: &str, value: &str, want: bool) {
        let what = format!("replica {i}: {label}={value} active == {want}");
        wait_until(
            WAIT_S,
            &what,
            || (self.active(i, label, value) == want).then_some(()),
            || format!("alerts: {:#?}\n{}", self.alerts(i), self.tails()),
        );
    }

    /// POSTs a JSON array of alerts to replica `i`, as lingerwatch (or curl) does; panics
    /// unless the replica answers 200.
    pub fn post_alerts(&self, i: usize, json: &str) {
        let resp = http::post_json(&self.api_url(i), json)
            .unwrap_or_else(|e| panic!("POST to replica {i}: {e}\n{}", self.tails()));
        assert_eq!(resp.status, 200, "POST to replica {i}: {}", resp.body);
    }

    /// `GET /api/v2/status` of replica `i`: `cluster.status` (`settling`, `ready`),
    /// `cluster.peers` (self included), the loaded config, versions.
    pub fn status(&self, i: usize) -> Value {
        let body = self.get_ok(i, &self.url(i, "/api/v2/status"));
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
    }

    fn get_ok(&self, i: usize, url: &str) -> String {
        match http::get(url) {
            Ok(r) if r.status == 200 => r.body,
            Ok(r) => panic!("GET {url}: {} {}\n{}", r.status, r.body, self.tails()),
            Err(e) => panic!("GET {url} (replica {i}): {e}\n{}", self.tails()),
        }
    }

    /// Waits until replica `i` answers `/-/ready` and its gossip has settled. `/-/ready`
    /// alone says 200 from the first moment (0.25), while notifications are still held
    /// until the settle (`cluster.status` "ready").
    pub fn wait_ready(&mut self, i: usize) {
        match self.poll_ready(i) {
            Ok(()) => {}
            Err(Down::PortTaken) => panic!("replica {i}: port taken\n{}", self.tails()),
            Err(Down::Exited(why)) => panic!("{why}\n{}", self.tails()),
        }
    }

    fn poll_ready(&mut self, i: usize) -> Result<(), Down> {
        let deadline = Instant::now() + Duration::from_secs(WAIT_S);
        loop {
            if let Some(code) = self.exited(i) {
                let log = fs::read_to_string(self.log_path(i)).unwrap_or_default();
                if log.contains("address already in use") {
                    return Err(Down::PortTaken);
                }
                return Err(Down::Exited(format!("replica {i} exited: {code}")));
            }
            if self.answers_ready(i) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                panic!("replica {i} not ready after {WAIT_S} s\n{}", self.tails());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn answers_ready(&self, i: usize) -> bool {
        let ready = http::get(&self.url(i, "/-/ready")).is_ok_and(|r| r.status == 200);
        ready
            && http::get(&self.url(i, "/api/v2/status")).is_ok_and(|r| {
                serde_json::from_str::<Value>(&r.body)
                    .is_ok_and(|s| s["cluster"]["status"] == "ready")
            })
    }

    fn exited(&mut self, i: usize) -> Option<std::process::ExitStatus> {
        let child = self.replicas[i].child.as_mut()?;
        child.try_wait().unwrap()
    }

    /// Waits until replica `i` sees `n` cluster members (itself included).
    pub fn wait_peers(&self, i: usize, n: usize) {
        wait_until(
            WAIT_S,
            &format!("replica {i} to see {n} cluster members"),
            || {
                let peers = self.status(i)["cluster"]["peers"].as_array()?.len();
                (peers == n).then_some(())
            },
            || format!("status: {:#}\n{}", self.status(i)["cluster"], self.tails()),
        );
    }

    /// SIGTERMs replica `i` and waits until it has exited (0.25 leaves the cluster
    /// gracefully in about 0.2 s).
    pub fn stop(&mut self, i: usize) {
        let mut child = self.replicas[i].child.take().unwrap();
        term(child.id());
        let deadline = Instant::now() + Duration::from_secs(WAIT_S);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "replica {i} ignored SIGTERM for {WAIT_S} s\n{}",
                    self.tails()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts replica `i` again with a fresh, empty storage dir on the same ports; it
    /// rejoins the cluster. Returns when it is ready and every running replica sees it.
    pub fn start_empty(&mut self, i: usize) {
        assert!(self.replicas[i].child.is_none(), "replica {i} is running");
        self.replicas[i].generation += 1;
        let mut log = fs::OpenOptions::new()
            .append(true)
            .open(self.log_path(i))
            .unwrap();
        let generation = self.replicas[i].generation;
        writeln!(log, "{EMPTY_START_MARK} (generation {generation})").unwrap();
        self.spawn(i);
        self.wait_ready(i);
        let running: Vec<usize> = (0..self.replicas.len())
            .filter(|&j| self.replicas[j].child.is_some())
            .collect();
        running
            .iter()
            .for_each(|&j| self.wait_peers(j, running.len()));
    }

    /// The debug log lines of replica `i`'s current generation where it starts to flush
    /// the group of the alert with `label`=`value`; each names the alerts and their state
    /// (`alerts=[Name[fingerprint][active]]`, `[resolved]`). Flushes of one group run one
    /// after another and replica k's lasts k × PEER_TIMEOUT (its wait for its peers), so
    /// n + 1 flush starts mean n flushes have decided whether to notify: what a test waits
    /// for before it counts notifications (an absence cannot be awaited otherwise).
    pub fn flushes(&self, i: usize, label: &str, value: &str) -> Vec<String> {
        let log = fs::read_to_string(self.log_path(i)).unwrap_or_default();
        let generation = log.rsplit(EMPTY_START_MARK).next().unwrap_or("");
        let group = format!("{label}=\\\"{value}\\\"");
        generation
            .lines()
            .filter(|l| l.contains("msg=flushing") && l.contains(&group))
            .map(str::to_owned)
            .collect()
    }

    /// The last lines of every replica's stderr, for failure messages.
    pub fn tails(&self) -> String {
        (0..self.replicas.len())
            .map(|i| tail(&self.log_path(i), 25))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for AmCluster {
    fn drop(&mut self) {
        for r in &mut self.replicas {
            if let Some(mut child) = r.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// Every alert to one webhook receiver; each distinct label set its own group (`...`),
/// so a notification is about one alert.
fn config(webhook_url: &str) -> String {
    format!(
        "route:
  receiver: webhook
  group_by: ['...']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: webhook
    webhook_configs:
      - url: '{webhook_url}'
        send_resolved: true
"
    )
}

/// The `status` ("firing"/"resolved") of every alert with `label`=`value` in the webhook
/// bodies `delivered` (Alertmanager's webhook payload), in order of delivery.
pub fn statuses_of(delivered: &[Value], label: &str, value: &str) -> Vec<String> {
    delivered
        .iter()
        .filter_map(|body| body["alerts"].as_array())
        .flatten()
        .filter(|a| a["labels"][label] == value)
        .map(|a| a["status"].as_str().unwrap_or("?").to_owned())
        .collect()
}

/// `t` as RFC 3339 in UTC with milliseconds (`2026-01-02T03:04:05.678Z`), the form of
/// `startsAt`/`endsAt`; std only (days to civil date: Howard Hinnant's algorithm).
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap();
    let secs = d.as_secs() as i64;
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        d.subsec_millis()
    )
}
