//! A real Prometheus node_exporter on 127.0.0.1 (Debian's `prometheus-node-exporter`, 1.5
//! on Debian 12) with only the textfile collector, reading a directory the test owns; and
//! Debian's `promtool` (from the `prometheus` package, 2.42) to check an exposition or a
//! rule file. `scripts/install-test-peers.sh` installs both; without them the constructor
//! skips loudly (locally) or panics (`CI=true`).
//!
//! The textfile collector reads every `*.prom` file of its directory at each scrape and
//! reports `node_textfile_scrape_error 1` when any of them does not parse (the good ones
//! are still exposed), `0` otherwise.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{free_port, http, require_or_skip, tail, wait_until};

/// The Debian binaries (on PATH in /usr/bin).
pub const NODE_EXPORTER: &str = "prometheus-node-exporter";
pub const PROMTOOL: &str = "promtool";
const WAIT_S: u64 = 30;
const START_ATTEMPTS: u32 = 3;

pub struct NodeExporter {
    pub port: u16,
    child: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl NodeExporter {
    /// Starts node_exporter with the textfile collector alone on `textfile_dir`, and
    /// waits until it answers. `None` (after a SKIPPED line) when the binary is missing
    /// and CI is not set.
    pub fn start(textfile_dir: &Path) -> Option<NodeExporter> {
        if !require_or_skip(NODE_EXPORTER) {
            return None;
        }
        for attempt in 1..=START_ATTEMPTS {
            let mut ne = NodeExporter::spawn(textfile_dir);
            match ne.poll_ready() {
                Ok(()) => return Some(ne),
                Err(taken) if taken && attempt < START_ATTEMPTS => continue,
                Err(_) => panic!("node_exporter did not start\n{}", tail(&ne.log, 25)),
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    fn spawn(textfile_dir: &Path) -> NodeExporter {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("node_exporter.stderr");
        let port = free_port();
        let child = Command::new(NODE_EXPORTER)
            .arg("--collector.disable-defaults")
            .arg("--collector.textfile")
            .arg(format!(
                "--collector.textfile.directory={}",
                textfile_dir.display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {NODE_EXPORTER}: {e}"));
        NodeExporter {
            port,
            child,
            log,
            _dir: dir,
        }
    }

    pub fn metrics_url(&self) -> String {
        format!("http://127.0.0.1:{}/metrics", self.port)
    }

    /// Waits until it answers `GET /` (1.5 has no `/-/ready`). `Err(true)` when it
    /// exited because its port was taken, `Err(false)` when it
    /// exited for another reason.
    fn poll_ready(&mut self) -> Result<(), bool> {
        let deadline = Instant::now() + Duration::from_secs(WAIT_S);
        let url = format!("http://127.0.0.1:{}/", self.port);
        loop {
            if self.child.try_wait().unwrap().is_some() {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                return Err(log.contains("address already in use"));
            }
            if http::get(&url).is_ok_and(|r| r.status == 200) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                panic!(
                    "node_exporter not ready after {WAIT_S} s\n{}",
                    tail(&self.log, 25)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `GET /metrics`: the text exposition; panics unless 200.
    pub fn scrape(&self) -> String {
        match http::get(&self.metrics_url()) {
            Ok(r) if r.status == 200 => r.body,
            Ok(r) => panic!("scrape: {} {}\n{}", r.status, r.body, tail(&self.log, 25)),
            Err(e) => panic!("scrape: {e}\n{}", tail(&self.log, 25)),
        }
    }

    /// Scrapes until `series` has `value`, returning that scrape.
    pub fn wait_sample(&self, series: &str, value: f64) -> String {
        wait_until(
            WAIT_S,
            &format!("{series} == {value}"),
            || {
                let text = self.scrape();
                (sample(&text, series) == Some(value)).then_some(text)
            },
            || format!("last scrape:\n{}\n{}", self.scrape(), tail(&self.log, 25)),
        )
    }
}

impl Drop for NodeExporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of one series in an exposition: `series` is the text before the value,
/// exactly as exposed (`name` or `name{a="b"}`).
pub fn sample(exposition: &str, series: &str) -> Option<f64> {
    exposition
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

/// `promtool check metrics` on an exposition (fed on stdin). Exit 1 is a parse error,
/// exit 3 a lint problem (no HELP, a counter not named `_total`, …); both are `Err` with
/// what promtool printed. Callers check `require_or_skip(PROMTOOL)` first.
pub fn promtool_check_metrics(exposition: &str) -> Result<(), String> {
    let mut child = Command::new(PROMTOOL)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {PROMTOOL}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(exposition.as_bytes()).unwrap();
    drop(stdin);
    outcome(child.wait_with_output().unwrap())
}

/// `promtool check rules PATH` on a Prometheus rule file: `Err` with what promtool printed
/// when the YAML or an expression is wrong. Callers check `require_or_skip(PROMTOOL)`.
pub fn promtool_check_rules(path: &Path) -> Result<(), String> {
    let out = Command::new(PROMTOOL)
        .args(["check", "rules"])
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("spawning {PROMTOOL}: {e}"));
    outcome(out)
}

fn outcome(out: std::process::Output) -> Result<(), String> {
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "promtool {}: {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}
