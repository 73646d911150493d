//! Orphans by lineage (issue 21): why a process is an orphan, from its own records. Real
//! processes the test starts and kills by pid (a PID namespace it makes, a subreaper,
//! `setsid`), and a fake `/proc` for what a live system cannot produce on demand (a reused
//! session-leader pid).
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

pub mod common;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::daemon::Daemon;
use common::webhook::Webhook;
use common::{bin, kill, scan_config, stat_line, unique_pytest_name, FakeProc, Spawned};
use lingerwatch::proc::found::{Adopter, OrphanWhy, ScanReport};
use lingerwatch::proc::scan::Scanner;
use serde_json::Value;

/// A symlink to `sleep` named `name` (so its cmdline matches `name`), passed to the
/// processes below in `LW_TARGET`: in the environment, never in an argument, so no
/// shell or helper matches the pattern but the sleeper.
fn target(dir: &Path, name: &str) -> PathBuf {
    let link = dir.join(name);
    std::os::unix::fs::symlink("/bin/sleep", &link).unwrap();
    link
}

/// Starts a sleeper in the background, prints `$$ $!` (the shell and the sleeper).
const START_AND_SAY: &str = "\"$LW_TARGET\" 600 </dev/null >/dev/null 2>&1 & echo $$ $!";

fn subreaper() -> String {
    format!("{}/tests/support/subreaper.py", env!("CARGO_MANIFEST_DIR"))
}

/// The first line of `child`'s stdout as two pids.
fn read_pids(child: &mut Child) -> (u32, u32) {
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let mut pids = line.split_whitespace().map(|p| p.parse().unwrap());
    (pids.next().unwrap(), pids.next().unwrap())
}

/// `lingerwatch scan --json --pattern NAME`: the matches.
fn scan_json(name: &str) -> Vec<Value> {
    let out = Command::new(bin())
        .args(["scan", "--json", "--pattern", name])
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Waits until a scan shows `pid` with `ppid` (adoption done), and returns it.
fn scanned_with_parent(name: &str, pid: u32, ppid: impl Fn(u64) -> bool) -> Value {
    common::wait_until(
        10,
        "the sleeper in a scan, adopted",
        || {
            scan_json(name)
                .into_iter()
                .find(|v| v["pid"] == pid && v["ppid"].as_u64().is_some_and(&ppid))
        },
        || format!("{:?}", scan_json(name)),
    )
}

fn reasons(v: &Value) -> Vec<&str> {
    let why = v["orphan_why"].as_array().unwrap();
    why.iter().map(|r| r.as_str().unwrap()).collect()
}

#[test]
fn a_child_adopted_by_a_pid_namespace_init_that_no_list_names_is_an_init_orphan() {
    if !rustix::process::geteuid().is_root() {
        common::cannot_run("making a PID namespace (unshare -p) needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let name = unique_pytest_name("nsinit");
    // bash is pid 1 of a new PID namespace (not a name in WATCHDOG_PROC_INIT_NAMES); its
    // child sh starts the sleeper and exits, so bash adopts it. setsid: the session's
    // leader (unshare, waiting for bash) lives, so "init" is the only reason.
    // --kill-child: killing unshare kills bash, and with it the whole namespace.
    let script = format!("sh -c '{START_AND_SAY}'; sleep 600; :");
    let mut unshare = Command::new("setsid")
        .args(["unshare", "-pf", "--kill-child", "bash", "-c", &script])
        .env("LW_TARGET", target(dir.path(), &name))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _namespace = Spawned { pid: unshare.id() };
    let mut line = String::new();
    std::io::BufReader::new(unshare.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    if line.is_empty() {
        let out = unshare.wait_with_output().unwrap();
        common::cannot_run(&format!(
            "unshare -pf failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
        return;
    }
    // The pids it printed are the namespace's: find the sleeper from the host.
    let found = common::wait_until(
        10,
        "the sleeper adopted by the namespace's bash",
        || scan_json(&name).into_iter().find(|v| v["parent"] == "bash"),
        || format!("{:?}", scan_json(&name)),
    );
    let _sleeper = Spawned {
        pid: found["pid"].as_u64().unwrap() as u32,
    };
    assert_eq!(found["orphan"], true, "{found}");
    assert_eq!(reasons(&found), ["init"], "{found}");
    let status = std::fs::read_to_string(format!("/proc/{}/status", found["ppid"])).unwrap();
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("NSpid:") && l.ends_with("\t1")),
        "the parent is a namespace's pid 1: {status}"
    );
    // Killing unshare kills the namespace (--kill-child); reap it.
    unshare.kill().unwrap();
    unshare.wait().unwrap();
}

#[test]
fn adopted_by_a_subreaper_after_its_session_leader_exited_is_a_session_orphan() {
    let dir = tempfile::tempdir().unwrap();
    let name = unique_pytest_name("session");
    // The subreaper runs `setsid sh`: sh leads a new session, starts the sleeper, exits;
    // the subreaper (alive, no init, not in any list) adopts the sleeper.
    let mut reaper = Command::new("python3")
        .arg(subreaper())
        .args(["setsid", "sh", "-c", START_AND_SAY])
        .env("LW_TARGET", target(dir.path(), &name))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let _reaper = Spawned { pid: reaper.id() };
    let (leader, sleeper) = read_pids(&mut reaper);
    let _sleeper = Spawned { pid: sleeper };
    let found = scanned_with_parent(&name, sleeper, |p| p == u64::from(reaper.id()));
    assert_eq!(found["orphan"], true, "{found}");
    assert_eq!(reasons(&found), ["session"], "{found}");
    assert_ne!(found["parent"], "sh");
    // The table says it too.
    let out = Command::new(bin())
        .args(["scan", "--pattern", &name])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains(" sess "), "{table}");
    let _ = leader;
}

#[test]
fn a_child_of_a_live_parent_in_a_live_session_is_no_orphan() {
    let dir = tempfile::tempdir().unwrap();
    let name = unique_pytest_name("alive");
    // setsid: sh leads its own session and stays, waiting for the sleeper.
    let script = format!("{START_AND_SAY}; wait");
    let mut sh = Command::new("setsid")
        .args(["sh", "-c", &script])
        .env("LW_TARGET", target(dir.path(), &name))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let _sh = Spawned { pid: sh.id() };
    let (shell, sleeper) = read_pids(&mut sh);
    let _sleeper = Spawned { pid: sleeper };
    let found = scanned_with_parent(&name, sleeper, |p| p == u64::from(shell));
    assert_eq!(found["orphan"], false, "{found}");
    assert_eq!(reasons(&found), Vec::<&str>::new(), "{found}");
}

#[test]
fn a_launcher_killed_while_the_daemon_watches_fires_as_launcher() {
    let dir = tempfile::tempdir().unwrap();
    let name = unique_pytest_name("launcher");
    let hook = Webhook::start();
    // setsid python: the subreaper leads the session, so the session stays alive; its
    // child sh (the launcher) starts the sleeper and waits.
    let script = format!("{START_AND_SAY}; wait");
    let mut reaper = Command::new("setsid")
        .args(["python3", &subreaper(), "sh", "-c", &script])
        .env("LW_TARGET", target(dir.path(), &name))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let _reaper = Spawned { pid: reaper.id() };
    let (launcher, sleeper) = read_pids(&mut reaper);
    let _launcher = Spawned { pid: launcher };
    let _sleeper = Spawned { pid: sleeper };
    // Orphans only: nothing fires while the launcher lives.
    let d = Daemon::start(
        &[
            "--interval-s",
            "1",
            "--age-s",
            "1",
            "--orphans-only",
            "--pattern",
            &name,
            "--webhook-url",
            &hook.url(),
        ],
        &[],
    );
    d.wait_tick_after(15, 0);
    assert!(hook.delivered().is_empty(), "{:?}", hook.delivered());
    kill(launcher);
    let got = hook.wait_for(15, "the FIRING", |got| {
        got.iter()
            .any(|v| v["status"] == "firing" && v["pid"] == sleeper)
    });
    let firing = got.iter().find(|v| v["status"] == "firing").unwrap();
    assert_eq!(firing["pid"], sleeper, "{firing}");
    assert_eq!(
        firing["ppid"],
        reaper.id(),
        "adopted by the subreaper: {firing}"
    );
    assert_eq!(reasons(firing), ["launcher"], "{firing}");
    let text = firing["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("its launcher {launcher} (sh) died")),
        "{text}"
    );
}

/// A stat line of a process in session `session` (the helper puts every process in its
/// parent's).
fn stat_in_session(pid: u32, state: u8, ppid: u32, session: u32, starttime: u64) -> Vec<u8> {
    let line = String::from_utf8(stat_line(pid, b"x", state, ppid, 1, 1, starttime)).unwrap();
    let fields = format!(") {} {ppid} {ppid} {ppid} ", state as char);
    let with = format!(") {} {ppid} {ppid} {session} ", state as char);
    line.replacen(&fields, &with, 1).into_bytes()
}

#[test]
fn reused_or_zombie_session_leader_is_gone_and_a_namespace_init_is_an_init() {
    let fake = FakeProc::new();
    fake.add(500, "bash", 1, 10, b"bash\0");
    // Pid 600 now belongs to a process that started after the sleepers: the leader of
    // their session is gone, its pid reused.
    fake.add_raw(
        600,
        Some(&stat_in_session(600, b'S', 1, 600, 900)),
        Some(b"sh\0"),
        None,
    );
    fake.add_raw(
        601,
        Some(&stat_in_session(601, b'Z', 1, 601, 5)),
        Some(b""),
        None,
    );
    // Pid 800: the init of a PID namespace, by its status.
    fake.add(800, "runner-wrapper", 1, 10, b"runner\0");
    std::fs::write(
        fake.pid_dir(800).join("status"),
        "Name:\trunner-wrapper\nPid:\t800\nNSpid:\t800\t1\n",
    )
    .unwrap();
    let cases = [
        (700, 500, 600, OrphanWhy::SESSION),
        (701, 500, 500, OrphanWhy::NONE),
        (702, 500, 601, OrphanWhy::SESSION),
        (703, 800, 500, OrphanWhy::INIT),
        (704, 500, 999, OrphanWhy::SESSION),
        (705, 500, 705, OrphanWhy::NONE),
    ];
    for (pid, ppid, session, _) in cases {
        let cmdline = format!("pytest\0case{pid}\0");
        let stat = stat_in_session(pid, b'S', ppid, session, 100);
        fake.add_raw(pid, Some(&stat), Some(cmdline.as_bytes()), Some(b"0::/\n"));
    }
    // A member of 600's session that started after the new 600: that leader is older
    // than it, so not gone for it. The scan reads 600 once for both (per-scan memory),
    // and judges each member by its own start.
    let late = stat_in_session(706, b'S', 500, 600, 950);
    fake.add_raw(706, Some(&late), Some(b"pytest\0late\0"), Some(b"0::/\n"));
    let mut scanner = Scanner::new(fake.root(), scan_config(&["pytest"], 0)).unwrap();
    let mut report = Box::<ScanReport>::default();
    scanner.scan(1_000_000, &[], &mut report).unwrap();
    let late = report.all().iter().find(|f| f.pid == 706).unwrap();
    assert_eq!(
        late.orphan_why,
        OrphanWhy::NONE,
        "the leader started before it"
    );
    for (pid, _, session, want) in cases {
        let f = report.all().iter().find(|f| f.pid == pid).unwrap();
        assert_eq!((f.session, f.orphan_why), (session, want), "pid {pid}");
        assert_eq!(f.orphan(), want.any());
    }
    let ns = report.all().iter().find(|f| f.pid == 703).unwrap();
    assert_eq!(ns.adopter, Some(Adopter::NamespaceInit));
    assert_eq!(&ns.parent[..], b"runner-wrapper");
}

#[test]
fn matches_beyond_the_report_count_as_orphans_by_the_same_init_and_session_rule() {
    let fake = FakeProc::new();
    fake.add(500, "bash", 1, 1, b"bash\0");
    fake.add(800, "pause", 1, 1, b"pause\0");
    std::fs::write(fake.pid_dir(800).join("status"), "NSpid:\t800\t1\n").unwrap();
    let max = lingerwatch::proc::found::MAX_FOUND as u32;
    // The report keeps the oldest: the stored ones start at 100, the 20 left out at 200,
    // each kind of parent and session among them.
    for i in 0..max {
        let stat = stat_in_session(1000 + i, b'S', 500, 500, 100);
        fake.add_raw(1000 + i, Some(&stat), Some(b"pytest\0"), None);
    }
    let left_out = [(10, 800, 500), (5, 500, 999), (5, 500, 500)];
    let mut pid = 5000;
    for (count, ppid, session) in left_out {
        for _ in 0..count {
            let stat = stat_in_session(pid, b'S', ppid, session, 200);
            fake.add_raw(pid, Some(&stat), Some(b"pytest\0"), None);
            pid += 1;
        }
    }
    let tck = lingerwatch::proc::sys::clock_ticks_per_second();
    let mut scanner = Scanner::new(fake.root(), scan_config(&["pytest"], 1)).unwrap();
    let mut report = Box::<ScanReport>::default();
    scanner
        .scan(200 * 1000 / tck + 10_000, &[], &mut report)
        .unwrap();
    assert_eq!((report.unstored.count, report.unstored.older), (20, 20));
    assert_eq!(
        report.unstored.older_orphans, 15,
        "10 adopted by a namespace's init, 5 whose session leader is gone"
    );
}
