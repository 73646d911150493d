//! The deploy files stay in step with the program: `.env.example` and the Debian package's
//! `/etc/default/lingerwatch` list exactly the settings `--help` lists, with the same
//! defaults and help lines; the compose file, the DaemonSet and the systemd unit keep their
//! security settings.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

use std::collections::BTreeMap;

fn read(path: &str) -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/").to_owned() + path).unwrap()
}

/// What the binary itself says: the `--help` text and each variable with its default.
fn help_defaults() -> (String, BTreeMap<String, String>) {
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
    (help, from_help)
}

/// Every setting has, on the line just above its assignment (`prefix` + `NAME=`), the
/// line `--help` gives on what it does, as a `# ` comment.
fn assert_help_lines_above(file: &str, prefix: &str, help: &str) {
    let text = read(file);
    let lines: Vec<&str> = text.lines().collect();
    for setting in lingerwatch::config::SETTINGS {
        let at = lines
            .iter()
            .position(|l| {
                let assignment = l.strip_prefix(prefix).and_then(|l| l.split_once('='));
                assignment.map(|(k, _)| k) == Some(setting.env)
            })
            .unwrap_or_else(|| panic!("{file} has no {prefix}{}=", setting.env));
        let comment = at.checked_sub(1).map(|i| lines[i]).unwrap_or("");
        assert_eq!(
            comment.strip_prefix("# "),
            Some(setting.help),
            "the line above {} in {file}",
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
fn env_example_lists_every_setting_of_help_with_its_default() {
    let env: BTreeMap<String, String> = read(".env.example")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();
    let (help, from_help) = help_defaults();
    assert_eq!(env, from_help);
    assert_help_lines_above(".env.example", "", &help);
}

const UNIT: &str = "deploy/systemd/lingerwatch.service";
const DEFAULT_FILE: &str = "deploy/debian/lingerwatch.default";

/// The unit's `Environment=NAME=value` settings.
fn unit_environment() -> BTreeMap<String, String> {
    read(UNIT)
        .lines()
        .filter_map(|l| l.strip_prefix("Environment="))
        .flat_map(str::split_whitespace)
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// `/etc/default/lingerwatch` shows every setting commented out (`#NAME=value`) with the
/// value the service has when the line stays commented: the unit's `Environment=` where it
/// sets one, else the binary's default. Nothing in it is assigned: systemd gives
/// `EnvironmentFile=` precedence over `Environment=`, so a live line would silently undo
/// the unit's settings, and the defaults would live in two places.
#[test]
fn default_file_shows_every_setting_of_help_commented_out_with_the_services_value() {
    let text = read(DEFAULT_FILE);
    let live: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    assert_eq!(live, Vec::<&str>::new(), "assignments in {DEFAULT_FILE}");
    let shown: BTreeMap<String, String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("#WATCHDOG_"))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (format!("WATCHDOG_{k}"), v.to_owned())
        })
        .collect();
    let (help, mut expected) = help_defaults();
    let unit_env = unit_environment();
    for (k, v) in &unit_env {
        assert!(
            expected.contains_key(k),
            "the unit sets {k}, which --help does not list"
        );
        expected.insert(k.clone(), v.clone());
    }
    assert_eq!(shown, expected);
    assert_help_lines_above(DEFAULT_FILE, "#", &help);
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
        "mountPath: /var/log/pods\n              readOnly: true",
        "path: /var/log/pods",
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

/// The unit keeps what lets lingerwatch see every process and what locks it down; the
/// full check is `systemd-analyze verify` and `security` in scripts/lint-deploy.sh.
#[test]
fn systemd_unit_sees_every_process_as_a_dynamic_user_without_capabilities() {
    let unit = read(UNIT);
    let keys: Vec<&str> = unit.lines().filter(|l| !l.starts_with('#')).collect();
    for want in [
        "ExecStart=/usr/bin/lingerwatch run",
        "DynamicUser=yes",
        "ProtectProc=default",
        "ProcSubset=all",
        "ProtectSystem=strict",
        "CapabilityBoundingSet=",
        "AmbientCapabilities=",
        "NoNewPrivileges=yes",
        "RestrictAddressFamilies=AF_INET AF_INET6",
        "SystemCallArchitectures=native",
        "RuntimeDirectory=lingerwatch",
        "EnvironmentFile=-/etc/default/lingerwatch",
        "Restart=on-failure",
    ] {
        assert!(keys.contains(&want), "{UNIT} lacks the line {want}");
    }
    let filter = keys
        .iter()
        .find(|l| l.starts_with("SystemCallFilter=@system-service "))
        .unwrap();
    for call in [
        "landlock_create_ruleset",
        "landlock_add_rule",
        "landlock_restrict_self",
        "seccomp",
    ] {
        assert!(filter.split_whitespace().any(|c| c == call), "{call}");
    }
    assert!(keys.iter().any(|l| l.starts_with("MemoryMax=")));
    // The heartbeat is in the runtime directory, the one place the unit lets it write.
    let heartbeat = &unit_environment()["WATCHDOG_HEARTBEAT_FILE"];
    assert!(heartbeat.starts_with("/run/lingerwatch/"), "{heartbeat}");
}

/// A memory limit as a deploy file writes it (`48m`, `48Mi`, `48M`), in bytes.
fn limit_bytes(text: &str) -> u64 {
    let text = text.trim().trim_matches('"');
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let n: u64 = digits.parse().unwrap_or_else(|_| panic!("{text}"));
    match &text[digits.len()..] {
        "m" | "M" | "Mi" => n << 20,
        "g" | "G" | "Gi" => n << 30,
        unit => panic!("unit {unit:?} in {text}"),
    }
}

/// The value after `key` on its (uncommented) line in `file`.
fn value_of(file: &str, key: &str) -> String {
    read(file)
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .find_map(|l| l.trim().strip_prefix(key))
        .unwrap_or_else(|| panic!("{key} in {file}"))
        .to_owned()
}

#[test]
fn every_memory_limit_holds_twenty_thousand_host_processes_by_the_measured_rule() {
    let needed = lingerwatch::host::memory::needed_bytes(20_000);
    let ds = read("deploy/kubernetes/daemonset.yaml");
    let ds_limit = ds
        .split("limits:")
        .nth(1)
        .and_then(|rest| rest.lines().find_map(|l| l.trim().strip_prefix("memory:")))
        .expect("limits.memory in the DaemonSet")
        .to_owned();
    for (file, value) in [
        (
            "docker-compose.yml",
            value_of("docker-compose.yml", "mem_limit:"),
        ),
        ("deploy/kubernetes/daemonset.yaml", ds_limit),
        (
            "deploy/systemd/lingerwatch.service",
            value_of("deploy/systemd/lingerwatch.service", "MemoryMax="),
        ),
    ] {
        let limit = limit_bytes(&value);
        assert!(
            limit >= needed,
            "{file}: {value} is below the rule's {needed} bytes for 20,000 host processes"
        );
        assert!(read(file).contains("2.3 KiB"), "{file} says why");
    }
}
