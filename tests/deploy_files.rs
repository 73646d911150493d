//! The deploy files stay in step with the program: `.env.example` lists exactly the
//! settings `--help` lists, with the same defaults; the compose file and the DaemonSet keep
//! their security settings.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

use std::collections::BTreeMap;

fn read(path: &str) -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/").to_owned() + path).unwrap()
}

#[test]
fn env_example_lists_every_setting_of_help_with_its_default() {
    let env: BTreeMap<String, String> = read(".env.example")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();
    // What the binary itself says.
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_lingerwatch"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let from_help: BTreeMap<String, String> = help
        .lines()
        .filter_map(|l| {
            let l = l.strip_prefix("  WATCHDOG_")?;
            let (name, rest) = l.split_once(' ').unwrap_or((l, ""));
            let default = rest.rsplit_once('[')?.1.strip_suffix(']')?;
            Some((format!("WATCHDOG_{name}"), default.to_owned()))
        })
        .collect();
    assert_eq!(from_help.len(), lingerwatch::config::SETTINGS.len());
    assert_eq!(env, from_help);
    // And every one has, just above it, the line `--help` gives on what it does.
    let text = read(".env.example");
    let lines: Vec<&str> = text.lines().collect();
    for setting in lingerwatch::config::SETTINGS {
        let at = lines
            .iter()
            .position(|l| l.split_once('=').map(|(k, _)| k) == Some(setting.env))
            .unwrap();
        let comment = at.checked_sub(1).map(|i| lines[i]).unwrap_or("");
        assert_eq!(
            comment.strip_prefix("# "),
            Some(setting.help),
            "the line above {} in .env.example",
            setting.env
        );
        assert!(
            help.contains(&format!("\n      {}\n", setting.help)),
            "--help describes {}",
            setting.env
        );
    }
}

#[test]
fn compose_gives_the_host_pid_namespace_to_lingerwatch_only_and_locks_it_down() {
    let compose = read("docker-compose.yml");
    let config: Vec<&str> = compose
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    assert_eq!(config.iter().filter(|l| l.trim() == "pid: host").count(), 1);
    assert!(
        config.iter().position(|l| l.trim() == "lingerwatch:")
            < config.iter().position(|l| l.trim() == "pid: host")
    );
    for want in [
        "read_only: true",
        "cap_drop: [ALL]",
        "no-new-privileges:true",
        "user: \"65534:65534\"",
        "mem_limit:",
        "cpus:",
        "tmpfs:",
        "env_file: .env.example",
    ] {
        assert!(compose.contains(want), "{want}");
    }
}

#[test]
fn daemonset_runs_unprivileged_with_host_pid_and_the_webhook_from_a_secret() {
    let ds = read("deploy/kubernetes/daemonset.yaml");
    for want in [
        "hostPID: true",
        "runAsNonRoot: true",
        "readOnlyRootFilesystem: true",
        "allowPrivilegeEscalation: false",
        "drop: [\"ALL\"]",
        "secretKeyRef:",
        "value: alertmanager",
        "operator: Exists",
        "medium: Memory",
    ] {
        assert!(ds.contains(want), "{want}");
    }
}

#[test]
fn dockerfile_is_from_scratch_as_nobody_with_a_healthcheck() {
    let df = read("Dockerfile.scratch");
    assert!(df.lines().any(|l| l.trim() == "FROM scratch"));
    assert_eq!(
        df.lines().filter(|l| l.starts_with("FROM ")).count(),
        1,
        "nothing but scratch"
    );
    for want in [
        "USER 65534:65534",
        "ENTRYPOINT [\"/lingerwatch\"]",
        "HEALTHCHECK",
        "\"health\"",
        "org.opencontainers.image.version",
    ] {
        assert!(df.contains(want), "{want}");
    }
}
