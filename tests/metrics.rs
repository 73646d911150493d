//! The metrics textfile against a real node_exporter (Debian's) and promtool: the gauges
//! follow a real orphan, the file is never seen half-written, and the README's alerting
//! rules are valid.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

pub mod common;

use std::time::{Duration, Instant};

use common::daemon::Daemon;
use common::node_exporter::{
    promtool_check_metrics, promtool_check_rules, sample, NodeExporter, PROMTOOL,
};
use common::{spawn_orphan, unique_pytest_name};

fn metrics_daemon(dir: &std::path::Path, pattern: &str) -> Daemon {
    let file = dir.join("lingerwatch.prom");
    Daemon::start(
        &[
            "--interval-s",
            "1",
            "--age-s",
            "1",
            "--textfile",
            file.to_str().unwrap(),
        ],
        &[("WATCHDOG_PROC_PATTERNS", pattern)],
    )
}

#[test]
fn node_exporter_shows_the_gauges_of_a_real_orphan_and_they_follow_it() {
    let textfiles = tempfile::tempdir().unwrap();
    let Some(node) = NodeExporter::start(textfiles.path()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let name = unique_pytest_name("metrics");
    let (orphan, _) = spawn_orphan(dir.path(), &name);
    let d = metrics_daemon(textfiles.path(), &name);
    let text = node.wait_sample("lingerwatch_lingering_processes{orphan=\"true\"}", 1.0);
    assert_eq!(sample(&text, "node_textfile_scrape_error"), Some(0.0));
    assert_eq!(
        sample(&text, "lingerwatch_lingering_processes{orphan=\"false\"}"),
        Some(0.0)
    );
    assert_eq!(sample(&text, "lingerwatch_matching_processes"), Some(1.0));
    assert!(sample(&text, "lingerwatch_oldest_lingering_age_seconds").unwrap() >= 1.0);
    assert_eq!(
        sample(&text, "lingerwatch_alerts_total{status=\"firing\"}"),
        Some(1.0)
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let last = sample(&text, "lingerwatch_last_scan_timestamp_seconds").unwrap();
    assert!((now - last).abs() < 30.0, "{last} vs {now}");
    assert!(text.contains("lingerwatch_build_info{version=\""), "{text}");
    assert!(
        d.log().contains("metrics only"),
        "no webhook: metrics only: {}",
        d.log()
    );
    common::kill(orphan.pid);
    let text = node.wait_sample("lingerwatch_lingering_processes{orphan=\"true\"}", 0.0);
    assert_eq!(
        sample(&text, "lingerwatch_alerts_total{status=\"resolved\"}"),
        Some(1.0)
    );
    assert_eq!(sample(&text, "lingerwatch_matching_processes"), Some(0.0));
    // The file itself passes promtool's checks.
    if common::require_or_skip(PROMTOOL) {
        let file = std::fs::read_to_string(textfiles.path().join("lingerwatch.prom")).unwrap();
        promtool_check_metrics(&file).unwrap();
    }
}

/// Issue 22: what lingering trees cost, and the top trees one by one (labels pid,
/// container, pod_namespace, pod_name only), a series gone when its process is.
#[test]
fn node_exporter_shows_the_lingering_trees_cost_and_the_top_tree_by_pid_until_it_ends() {
    let textfiles = tempfile::tempdir().unwrap();
    let Some(node) = NodeExporter::start(textfiles.path()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let name = unique_pytest_name("usage");
    let (orphan, _) = spawn_orphan(dir.path(), &name);
    let _d = metrics_daemon(textfiles.path(), &name);
    let series = format!(
        "lingerwatch_lingering_tree_rss_bytes{{container=\"\",pid=\"{}\",pod_name=\"\",pod_namespace=\"\"}}",
        orphan.pid
    );
    let text = common::wait_until(
        15,
        "the top tree's series",
        || Some(node.scrape()).filter(|t| sample(t, &series).is_some_and(|v| v > 0.0)),
        || node.scrape(),
    );
    assert_eq!(
        sample(&text, "node_textfile_scrape_error"),
        Some(0.0),
        "{text}"
    );
    assert!(
        sample(&text, "lingerwatch_lingering_rss_bytes").unwrap() > 0.0,
        "{text}"
    );
    assert_eq!(sample(&text, "lingerwatch_lingering_critical"), Some(0.0));
    // A sleeper: next to no CPU, once two scans gave a rate.
    let text = common::wait_until(
        15,
        "a host share",
        || {
            Some(node.scrape())
                .filter(|t| sample(t, "lingerwatch_lingering_host_cpu_ratio").is_some())
        },
        || node.scrape(),
    );
    assert!(
        sample(&text, "lingerwatch_lingering_cpu_cores").unwrap() < 0.05,
        "{text}"
    );
    assert!(
        sample(&text, "lingerwatch_lingering_host_cpu_ratio").unwrap() < 0.05,
        "{text}"
    );
    if common::require_or_skip(PROMTOOL) {
        let file = std::fs::read_to_string(textfiles.path().join("lingerwatch.prom")).unwrap();
        promtool_check_metrics(&file).unwrap();
    }
    common::kill(orphan.pid);
    let text = node.wait_sample("lingerwatch_lingering_processes{orphan=\"true\"}", 0.0);
    assert!(
        !text.contains(&format!("pid=\"{}\"", orphan.pid)),
        "the series vanished: {text}"
    );
    assert_eq!(sample(&text, "lingerwatch_lingering_rss_bytes"), Some(0.0));
}

#[test]
fn scraped_in_a_tight_loop_the_file_is_never_seen_half_written() {
    let textfiles = tempfile::tempdir().unwrap();
    let Some(node) = NodeExporter::start(textfiles.path()) else {
        return;
    };
    let name = unique_pytest_name("tight");
    let d = metrics_daemon(textfiles.path(), &name);
    node.wait_sample("lingerwatch_build_info{version=\"0.1.0\"}", 1.0);
    let (mut scrapes, mut ticks_seen) = (0u32, std::collections::BTreeSet::new());
    let until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < until {
        let text = node.scrape();
        scrapes += 1;
        assert_eq!(
            sample(&text, "node_textfile_scrape_error"),
            Some(0.0),
            "{text}"
        );
        assert!(
            text.contains("lingerwatch_build_info{version=\"0.1.0\"} 1"),
            "a partial file: {text}"
        );
        ticks_seen.insert(sample(&text, "lingerwatch_last_scan_timestamp_seconds").unwrap() as u64);
    }
    assert!(scrapes > 100, "{scrapes} scrapes");
    assert!(
        ticks_seen.len() > 10,
        "the file changed {} times in 30 s",
        ticks_seen.len()
    );
    drop(d);
}

#[test]
fn the_readme_alerting_rules_pass_promtool() {
    if !common::require_or_skip(PROMTOOL) {
        return;
    }
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let after = readme
        .split("### Prometheus alerting rules")
        .nth(1)
        .unwrap();
    let rules = after
        .split("```yaml\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    assert!(rules.contains("lingerwatch_lingering_processes > 0") && rules.contains("for: 5m"));
    assert!(rules.contains("lingerwatch_last_scan_timestamp_seconds"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.yml");
    std::fs::write(&path, rules).unwrap();
    promtool_check_rules(&path).unwrap();
    // A broken rule fails, so the check can fail.
    std::fs::write(&path, rules.replace("> 0", "> > 0")).unwrap();
    assert!(promtool_check_rules(&path).is_err());
}
