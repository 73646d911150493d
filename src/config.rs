//! Configuration from `WATCHDOG_*` variables and command-line flags (flags win), checked
//! at start-up. A bad value is one clear line naming the variable or flag, the value and
//! the accepted form; the program then exits 2.
//!
//! The value parsers are pure (`&str` in, value or [`Expected`] out) so they can be fuzzed;
//! start-up is the one place allowed to allocate.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use crate::alert::policy::Threshold;
// The formats and languages are the renderers'; settings name them.
pub use crate::deliver::render::{Format, Lang, HOST_LABEL_MAX, TELEGRAM_CHAT_ID_MAX};
use crate::deliver::url::{Masking, Scheme, UrlError, WebhookUrl};
use crate::host::metrics::TOP_MAX;
use crate::proc::found::{InitNames, ScanConfig};
use crate::proc::parse::cmdline::{PatternError, PatternSet};
use crate::proc::usage::{millicores_from_decimal, MilliCores, SeverityRule};

/// The most webhook destinations.
pub(crate) const MAX_WEBHOOKS: usize = crate::alert::MAX_DESTINATIONS;

/// One setting: its variable, its flag, its default and what it does. `--help` and
/// `.env.example` are both made from this table.
pub struct Setting {
    pub env: &'static str,
    pub flag: &'static str,
    pub default: &'static str,
    pub help: &'static str,
}

pub const DEFAULT_INIT_NAMES: &str = "tini,dumb-init,docker-init,catatonit,systemd,init";

pub const SETTINGS: &[Setting] = &[
    Setting { env: "WATCHDOG_PROC_ENABLED", flag: "", default: "true", help: "false keeps the daemon running but idle (no scans)" },
    Setting { env: "WATCHDOG_PROC_PATTERNS", flag: "--pattern", default: "pytest", help: "comma-separated substrings of the space-joined cmdline; a process matches when any is found (flag repeatable)" },
    Setting { env: "WATCHDOG_PROC_EXCLUDE", flag: "--exclude", default: "", help: "comma-separated substrings that exclude a matching process (flag repeatable)" },
    Setting { env: "WATCHDOG_PROC_AGE_MIN", flag: "--age-min", default: "60", help: "alert on a match older than this many minutes" },
    Setting { env: "WATCHDOG_PROC_AGE_S", flag: "--age-s", default: "", help: "the same threshold in seconds; overrides WATCHDOG_PROC_AGE_MIN (either flag overrides both)" },
    Setting { env: "WATCHDOG_PROC_ORPHANS_ONLY", flag: "--orphans-only", default: "false", help: "only orphans (adopted by an init, session leader gone, or launcher dead) qualify" },
    Setting { env: "WATCHDOG_PROC_INIT_NAMES", flag: "--init-names", default: DEFAULT_INIT_NAMES, help: "comms of inits and subreapers that adopt orphans, at least one (a PID namespace's init is found without a name)" },
    Setting { env: "WATCHDOG_PROC_ACTION", flag: "--action", default: "alert", help: "alert (only tell: never signals anything) or terminate (also SIGTERM a lingering orphan and its descendants once alerted for WATCHDOG_PROC_TERMINATE_AFTER_S, then SIGKILL what is left; needs CAP_KILL, see the README)" },
    Setting { env: "WATCHDOG_PROC_TERMINATE_AFTER_S", flag: "--terminate-after-s", default: "3600", help: "with terminate: seconds a lingering orphan is alerted before SIGTERM" },
    Setting { env: "WATCHDOG_PROC_KILL_AFTER_S", flag: "--kill-after-s", default: "30", help: "with terminate: seconds after SIGTERM before SIGKILL to what is left of its tree" },
    Setting { env: "WATCHDOG_PROC_NEVER_TERMINATE", flag: "--never-terminate", default: "", help: "with terminate: comma-separated substrings of the cmdline of processes never signalled, alerted all the same (flag repeatable)" },
    Setting { env: "WATCHDOG_PROC_ROOT", flag: "--proc-root", default: "/proc", help: "where the host's /proc is mounted" },
    Setting { env: "WATCHDOG_KUBELET_PODS_DIR", flag: "--kubelet-pods-dir", default: "/var/log/pods", help: "the kubelet's pod log directory (<namespace>_<pod>_<uid>), read to name the pod of a process; missing is fine (not a Kubernetes node)" },
    Setting { env: "WATCHDOG_PROC_INTERVAL_S", flag: "--interval-s", default: "30", help: "seconds between scans" },
    Setting { env: "WATCHDOG_PROC_COOLDOWN_S", flag: "--cooldown-s", default: "1800", help: "seconds between repeated alerts about one process" },
    Setting { env: "WATCHDOG_PROC_CRITICAL_CORES", flag: "--critical-cores", default: "0.5", help: "a lingering tree (the process and its descendants) using at least this many CPU cores is critical (decimal, at most 3 places)" },
    Setting { env: "WATCHDOG_PROC_CRITICAL_SCANS", flag: "--critical-scans", default: "3", help: "for this many scans in a row; becoming critical is told at once, even within the cooldown" },
    Setting { env: "WATCHDOG_PROC_MIN_CORES", flag: "--min-cores", default: "0", help: "alert only on a lingering tree that used at least this many CPU cores over the last interval (0: off); scan still lists the others" },
    Setting { env: "WATCHDOG_WEBHOOK_URL", flag: "--webhook-url", default: "", help: "where alerts go: http:// or https:// URLs, comma-separated, at most 4, each gets every alert (flag repeatable); unset prints them to stdout as JSON lines" },
    Setting { env: "WATCHDOG_WEBHOOK_FORMAT", flag: "--format", default: "json", help: "json, slack, discord, telegram or alertmanager" },
    Setting { env: "WATCHDOG_WEBHOOK_CA_FILE", flag: "--webhook-ca-file", default: "", help: "PEM file of CA certificates trusted for https webhooks besides the bundled roots (a private CA); not in the HTTP-only build" },
    Setting { env: "WATCHDOG_WEBHOOK_TIMEOUT_S", flag: "--timeout-s", default: "5", help: "timeout of one webhook request, in seconds" },
    Setting { env: "WATCHDOG_TELEGRAM_CHAT_ID", flag: "--telegram-chat-id", default: "", help: "chat_id for the telegram format: an integer (e.g. -1001234567890) or @channelusername" },
    Setting { env: "WATCHDOG_LANG", flag: "--lang", default: "en", help: "language of the alert text: en or ru" },
    Setting { env: "WATCHDOG_HOST_LABEL", flag: "--host-label", default: "", help: "the host's name in alerts, at most 253 bytes; empty uses the kernel hostname" },
    Setting { env: "WATCHDOG_CGROUP_ROOT", flag: "--cgroup-root", default: "/sys/fs/cgroup", help: "where the cgroup filesystem is mounted, to read this container's memory limit and warn when it is too low for the host" },
    Setting { env: "WATCHDOG_TEXTFILE", flag: "--textfile", default: "", help: "a *.prom file for node_exporter's textfile collector, rewritten after every tick; with no webhook URL the daemon only writes metrics" },
    Setting { env: "WATCHDOG_TEXTFILE_TOP", flag: "--textfile-top", default: "5", help: "how many lingering process trees the textfile shows one by one (labels pid, container, pod_namespace, pod_name), those using most CPU; 0 to 20" },
    Setting { env: "WATCHDOG_SANDBOX", flag: "", default: "true", help: "false (or --no-sandbox) turns off the self-confinement (Landlock and seccomp) after start-up, for debugging" },
    Setting { env: "WATCHDOG_SANDBOX_CONFINE_READS", flag: "--confine-reads", default: "false", help: "true: Landlock also confines reads to the /proc it scans and the files it names (a run as root or as your own uid); it costs every /proc open a path walk, 3% to 10% more CPU per scan (BENCHMARKS.md)" },
    Setting { env: "WATCHDOG_HEARTBEAT_FILE", flag: "--heartbeat-file", default: "/tmp/lingerwatch.heartbeat", help: "file the daemon stamps after each tick; `lingerwatch health` reads it" },
];

/// The accepted form of a value, for the error line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected(pub &'static str);

/// A refused setting: where it came from, what it was (masked where it may hold a
/// secret), what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub source: String,
    pub value: String,
    pub expected: String,
}

impl ConfigError {
    /// The value is shown as [`shown_value`] allows.
    fn new(source: &str, value: &str, expected: Expected) -> Self {
        ConfigError {
            source: source.to_owned(),
            value: shown_value(source, value),
            expected: expected.0.to_owned(),
        }
    }
}

const WEBHOOK_ENV: &str = "WATCHDOG_WEBHOOK_URL";

/// What an error line may show of a refused value. A webhook URL (a Slack hook, a
/// Telegram token) is masked as [`crate::deliver::url::masked`] masks it, whatever is wrong with
/// it (not UTF-8: its lossy form); so is any value that looks like a URL or credentials
/// (`://`, or `@` after something: a leading one is a Telegram channel): it may be a
/// webhook URL given to the wrong flag.
fn shown_value(source: &str, value: &str) -> String {
    let secret = source == WEBHOOK_ENV
        || source == "--webhook-url"
        || value.contains("://")
        || value.trim().find('@').is_some_and(|at| at > 0);
    if secret {
        crate::deliver::url::masked(value, crate::deliver::url::Masking::Chat)
    } else {
        value.to_owned()
    }
}

/// Whether a stray word or an unknown flag may be shown as typed: short, lowercase, the
/// shape of a mistyped command or flag. Anything else may be a token pasted in the wrong
/// place.
fn plain_word(s: &str) -> bool {
    s.len() <= 24
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// How much of a refused value an error line shows: as much as of a refused URL.
const SHOWN_VALUE_MAX: usize = crate::deliver::url::MASK_UNPARSED_MAX;

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An over-long value is cut, so the line stays one line that says what to fix.
        let cut = crate::text::utf8_floor(self.value.as_bytes(), SHOWN_VALUE_MAX);
        let shown = self.value.get(..cut).unwrap_or("");
        let marker = if cut < self.value.len() {
            crate::text::CUT_MARKER
        } else {
            ""
        };
        if self.value.is_empty() {
            // Missing, or nothing wrong with the value itself (a flag with the wrong command).
            return write!(
                f,
                "{} is not valid: expected {}",
                self.source, self.expected
            );
        }
        write!(
            f,
            "{}={:?}{marker} is not valid: expected {}",
            self.source, shown, self.expected
        )
    }
}

pub fn parse_bool(s: &str) -> Result<bool, Expected> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(Expected("true or false (also 1/0, yes/no, on/off)")),
    }
}

/// A whole number within `min..=max`.
pub fn parse_u64_in(s: &str, min: u64, max: u64, expected: &'static str) -> Result<u64, Expected> {
    let v = crate::proc::parse::parse_u64(s.trim().as_bytes()).ok_or(Expected(expected))?;
    if v < min || v > max {
        return Err(Expected(expected));
    }
    Ok(v)
}

/// Splits a comma-separated list; blanks around items and empty items are dropped.
pub fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').map(str::trim).filter(|p| !p.is_empty())
}

const PATTERN_EXPECTED: &str =
    "comma-separated substrings, at most 16, each 1 to 128 bytes (e.g. pytest,tox)";

pub fn push_patterns(set: &mut PatternSet, list: &str) -> Result<(), Expected> {
    for p in split_list(list) {
        set.push(p.as_bytes()).map_err(|e| match e {
            PatternError::Empty | PatternError::TooLong | PatternError::TooMany => {
                Expected(PATTERN_EXPECTED)
            }
        })?;
    }
    Ok(())
}

/// The inits' names: at least one (a list of blanks is a mistake, not "none": pid 1 is
/// always an init anyway).
pub fn parse_init_names(list: &str) -> Result<InitNames, Expected> {
    const EXPECTED: &str =
        "comma-separated process names (comm), 1 to 16, each at most 15 bytes (e.g. tini,init)";
    let mut names = InitNames::new();
    for n in split_list(list) {
        let name = heapless::Vec::from_slice(n.as_bytes()).map_err(|_| Expected(EXPECTED))?;
        if n.len() > 15 {
            return Err(Expected(EXPECTED));
        }
        names.push(name).map_err(|_| Expected(EXPECTED))?;
    }
    if names.is_empty() {
        return Err(Expected(EXPECTED));
    }
    Ok(names)
}

/// A Telegram `chat_id`: an integer (a group's or channel's is negative) of at most 20
/// digits, or `@channelusername` (5 to 32 letters, digits or `_`), as the Bot API takes it.
/// Either is within the renderer's bound on the field, so every body is bounded.
pub fn parse_chat_id(s: &str) -> Result<String, Expected> {
    const EXPECTED: &str = "an integer of at most 20 digits, negative for a group (e.g. -1001234567890), or @channelusername (5 to 32 letters, digits or _)";
    let s = s.trim();
    let ok = match s.strip_prefix('@') {
        Some(name) => {
            (5..=32).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        }
        None => {
            let digits = s.strip_prefix('-').unwrap_or(s);
            (1..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
        }
    };
    if ok {
        Ok(s.to_owned())
    } else {
        Err(Expected(EXPECTED))
    }
}

// The longest chat id parse_chat_id takes (`@` and 32 characters, 33 bytes) fits the
// field's bound.
const CHAT_ID_LONGEST: usize = 33;
const _: () = assert!(CHAT_ID_LONGEST <= TELEGRAM_CHAT_ID_MAX);

pub fn parse_format(s: &str) -> Result<Format, Expected> {
    let s = s.trim();
    Format::ALL
        .into_iter()
        .find(|f| f.name().eq_ignore_ascii_case(s))
        .ok_or(Expected(
            "one of json, slack, discord, telegram, alertmanager",
        ))
}

pub fn parse_lang(s: &str) -> Result<Lang, Expected> {
    match s.trim().to_ascii_lowercase().as_str() {
        "en" | "" => Ok(Lang::En),
        "ru" => Ok(Lang::Ru),
        _ => Err(Expected("en or ru")),
    }
}

const HTTP_ONLY: &str = "an http:// URL: this build is HTTP-only (built with --no-default-features); use the default build for https://";

/// A webhook URL, parsed the one way it is also sent ([`crate::deliver::url`]), in its normal form
/// ([`WebhookUrl::write_normalized`]: scheme and host in lowercase), which is what is
/// connected to and logged; or the reason it was refused.
pub fn parse_webhook_url(s: &str) -> Result<String, UrlRefusal> {
    let url = WebhookUrl::parse(s.trim()).map_err(UrlRefusal::Malformed)?;
    if url.scheme() == Scheme::Https && !cfg!(feature = "https") {
        return Err(UrlRefusal::HttpOnly);
    }
    // Never longer than what was parsed: lowercasing keeps the length, and the port and
    // fragment can only shrink.
    let mut normal = crate::text::FixedBuf::<{ crate::deliver::url::MAX_URL_LEN }>::new();
    let _ = url.write_normalized(&mut normal);
    Ok(normal.as_str().to_owned())
}

/// Why a webhook URL was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlRefusal {
    Malformed(UrlError),
    HttpOnly,
}

impl fmt::Display for UrlRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlRefusal::Malformed(e) => write!(f, "an http:// or https:// URL, but {e}"),
            UrlRefusal::HttpOnly => f.write_str(HTTP_ONLY),
        }
    }
}

/// A metrics textfile: node_exporter reads only `*.prom` files.
pub(crate) fn parse_textfile(s: &str) -> Result<PathBuf, Expected> {
    let path = PathBuf::from(s.trim());
    if !path.to_string_lossy().ends_with(".prom") || path.file_name().is_none() {
        return Err(Expected(
            "a path ending in .prom in the directory node_exporter's textfile collector reads, e.g. /var/lib/prometheus/node-exporter/lingerwatch.prom",
        ));
    }
    Ok(path)
}

/// A CA file: refused in the HTTP-only build, where it could never be used.
pub(crate) fn parse_ca_file(s: &str) -> Result<PathBuf, Expected> {
    if !cfg!(feature = "https") {
        return Err(Expected(
            "nothing: this build is HTTP-only (built with --no-default-features), it has no TLS to trust a CA for; use the default build",
        ));
    }
    Ok(PathBuf::from(s.trim()))
}

/// What the command line asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Run,
    Scan,
    Health,
    Help,
    Version,
    /// Hidden, for the tests: lock down as `run` does, then try one forbidden thing.
    SandboxProbe,
}

/// Whether the process locks itself in after start-up and, when not, what turned it off,
/// which the warning names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sandbox {
    On,
    /// `WATCHDOG_SANDBOX=false`.
    OffByVariable,
    /// `--no-sandbox`.
    OffByFlag,
}

impl Sandbox {
    pub fn on(self) -> bool {
        self == Sandbox::On
    }

    /// What turned it off, as the start-up warning names it.
    pub fn off_by(self) -> Option<&'static str> {
        match self {
            Sandbox::On => None,
            Sandbox::OffByVariable => Some("WATCHDOG_SANDBOX=false"),
            Sandbox::OffByFlag => Some("--no-sandbox"),
        }
    }
}

impl Command {
    /// As typed on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Command::Run => "run",
            Command::Scan => "scan",
            Command::Health => "health",
            Command::Help => "help",
            Command::Version => "--version",
            Command::SandboxProbe => "__sandbox-probe",
        }
    }
}

/// Everything the program needs, validated.
#[derive(Clone, Debug)]
pub struct Config {
    pub command: Command,
    pub scan: ScanConfig,
    pub threshold: Threshold,
    pub proc_root: PathBuf,
    /// The kubelet's pod log directory, to name pods (issue 22).
    pub kubelet_pods_dir: PathBuf,
    pub enabled: bool,
    pub interval_s: u64,
    pub cooldown_s: u64,
    /// When a lingering tree is critical (issue 22).
    pub severity: SeverityRule,
    /// Alert only on trees using at least this much CPU (0: off).
    pub min_millicores: MilliCores,
    /// `scan --sample-s N`: measure rates over N seconds (two scans).
    pub sample_s: Option<u64>,
    /// Where alerts go; empty: stdout.
    pub webhook_urls: Vec<String>,
    pub format: Format,
    /// CA certificates trusted besides the bundled roots (https build).
    pub ca_file: Option<PathBuf>,
    pub timeout_s: u64,
    pub telegram_chat_id: Option<String>,
    pub lang: Lang,
    pub host_label: Option<String>,
    pub heartbeat_file: PathBuf,
    /// Lock itself in after start-up (Landlock and seccomp).
    pub sandbox: Sandbox,
    /// Landlock confines reads too (`WATCHDOG_SANDBOX_CONFINE_READS`), at a cost per
    /// `/proc` open.
    pub confine_reads: bool,
    /// Where the metrics go for node_exporter.
    pub textfile: Option<PathBuf>,
    /// Lingering trees the textfile shows one by one.
    pub textfile_top: usize,
    /// Where the cgroup filesystem is mounted.
    pub cgroup_root: PathBuf,
    pub json: bool,
    pub once: bool,
    /// Run this many ticks back to back, then exit (benchmarks).
    pub ticks: Option<u64>,
    pub dry_run: bool,
    /// What to do about a lingering orphan besides telling (issue 24).
    pub action: Action,
    /// Seconds a lingering orphan is FIRING before SIGTERM (with [`Action::Terminate`]).
    pub terminate_after_s: u64,
    /// Seconds after SIGTERM before SIGKILL.
    pub kill_after_s: u64,
    /// Processes never signalled.
    pub never_terminate: PatternSet,
    /// What `__sandbox-probe` tries.
    pub probe: Option<String>,
}

/// Where a default comes from, in an error line (a default the table gets wrong).
const DEFAULT_SOURCE: &str = "default";

impl Config {
    /// Every setting empty or zero: what [`SETTINGS`]' defaults are applied to. Not a
    /// configuration to run with.
    fn unset() -> Config {
        Config {
            command: Command::Run,
            scan: ScanConfig {
                include: PatternSet::new(),
                exclude: PatternSet::new(),
                init_names: InitNames::new(),
                older_than_s: 0,
            },
            threshold: Threshold {
                age_s: 0,
                orphans_only: false,
            },
            proc_root: PathBuf::new(),
            kubelet_pods_dir: PathBuf::new(),
            enabled: false,
            interval_s: 0,
            cooldown_s: 0,
            severity: SeverityRule {
                critical_millicores: 0,
                critical_scans: 0,
            },
            min_millicores: 0,
            sample_s: None,
            webhook_urls: Vec::new(),
            format: Format::Json,
            ca_file: None,
            timeout_s: 0,
            telegram_chat_id: None,
            lang: Lang::En,
            host_label: None,
            heartbeat_file: PathBuf::new(),
            sandbox: Sandbox::On,
            confine_reads: false,
            textfile: None,
            textfile_top: 0,
            cgroup_root: PathBuf::new(),
            json: false,
            once: false,
            ticks: None,
            dry_run: false,
            action: Action::Alert,
            terminate_after_s: 0,
            kill_after_s: 0,
            never_terminate: PatternSet::new(),
            probe: None,
        }
    }
}
const AGE_MIN_EXPECTED: &str = "a whole number of minutes, 0 to 525600 (e.g. 60)";
const AGE_S_EXPECTED: &str = "a whole number of seconds, 0 to 31536000 (e.g. 3600)";
const INTERVAL_EXPECTED: &str = "a whole number of seconds, 1 to 86400 (e.g. 30)";
const COOLDOWN_EXPECTED: &str = "a whole number of seconds, 0 to 31536000 (e.g. 1800)";
const CORES_EXPECTED: &str = "a number of CPU cores, at most 3 decimals (e.g. 0.5)";
const SCANS_EXPECTED: &str = "a whole number of scans, 1 to 1000 (e.g. 3)";
const TOP_EXPECTED: &str = "a whole number of process trees, 0 to 20 (e.g. 5)";
const TERMINATE_AFTER_EXPECTED: &str = "a whole number of seconds, 0 to 31536000 (e.g. 3600)";
const KILL_AFTER_EXPECTED: &str = "a whole number of seconds, 0 to 86400 (e.g. 30)";
const ACTION_EXPECTED: &str = "alert or terminate";

/// What to do about a lingering orphan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Tell, never signal anything (the default).
    Alert,
    /// Tell, then SIGTERM (and later SIGKILL) a lingering orphan's tree.
    Terminate,
}

pub(crate) fn parse_action(s: &str) -> Result<Action, Expected> {
    match s.trim().to_ascii_lowercase().as_str() {
        "alert" => Ok(Action::Alert),
        "terminate" => Ok(Action::Terminate),
        _ => Err(Expected(ACTION_EXPECTED)),
    }
}

const TIMEOUT_EXPECTED: &str = "a whole number of seconds, 1 to 300 (e.g. 5)";
const HOST_LABEL_EXPECTED: &str =
    "at most 253 bytes of printable text (no control characters), e.g. ci-runner-07";
const WEBHOOKS_EXPECTED: &str = "at most 4 comma-separated http:// or https:// URLs";

/// CPU cores as a decimal (`0.5`, `2`, `1.25`), in milli-cores.
pub(crate) fn parse_cores(s: &str) -> Result<MilliCores, Expected> {
    millicores_from_decimal(s.trim().as_bytes()).ok_or(Expected(CORES_EXPECTED))
}

/// The settings of issue 22: what a lingering tree costs, when it is critical, whose pod
/// it is, how many trees the textfile shows.
fn apply_usage(c: &mut Config, env: &str, v: &str) -> Result<(), Expected> {
    match env {
        "WATCHDOG_PROC_CRITICAL_CORES" => c.severity.critical_millicores = parse_cores(v)?,
        "WATCHDOG_PROC_CRITICAL_SCANS" => {
            let n = parse_u64_in(v, 1, 1000, SCANS_EXPECTED)?;
            c.severity.critical_scans = u16::try_from(n).map_err(|_| Expected(SCANS_EXPECTED))?;
        }
        "WATCHDOG_PROC_MIN_CORES" => c.min_millicores = parse_cores(v)?,
        "WATCHDOG_KUBELET_PODS_DIR" => c.kubelet_pods_dir = PathBuf::from(v.trim()),
        "WATCHDOG_TEXTFILE_TOP" => {
            let n = parse_u64_in(v, 0, TOP_MAX as u64, TOP_EXPECTED)?;
            c.textfile_top = usize::try_from(n).map_err(|_| Expected(TOP_EXPECTED))?;
        }
        _ => return Err(Expected("a known setting")),
    }
    Ok(())
}

/// The host label: bounded, so every body field is, and printable.
pub(crate) fn parse_host_label(s: &str) -> Result<String, Expected> {
    let s = s.trim();
    if s.len() > HOST_LABEL_MAX || s.chars().any(char::is_control) {
        return Err(Expected(HOST_LABEL_EXPECTED));
    }
    Ok(s.to_owned())
}

/// A setting that is a list: from the variable (comma-separated), or from its repeated
/// flag, which replaces the variable's list when given at all.
#[derive(Default)]
struct ListSetting {
    var: Option<(String, String)>,
    flags: Vec<String>,
}

impl ListSetting {
    fn set(&mut self, source: &str, value: &str) {
        if source.starts_with("--") {
            self.flags.push(value.to_owned());
        } else {
            self.var = Some((source.to_owned(), value.to_owned()));
        }
    }

    /// The (source, list) pairs in effect, for the values and the error line.
    fn sources(self, flag: &str) -> Vec<(String, String)> {
        if self.flags.is_empty() {
            self.var.into_iter().collect()
        } else {
            self.flags
                .into_iter()
                .map(|p| (flag.to_owned(), p))
                .collect()
        }
    }
}

/// Settings as read so far; environment first, then flags over it.
struct Builder {
    patterns: ListSetting,
    exclude: ListSetting,
    never: ListSetting,
    webhooks: ListSetting,
    /// The threshold in seconds from `WATCHDOG_PROC_AGE_MIN`, `WATCHDOG_PROC_AGE_S` and
    /// either flag: the flag wins over both variables, seconds over minutes between them.
    age_min_var_s: Option<u64>,
    age_s_var: Option<u64>,
    age_flag_s: Option<u64>,
    /// The flags given, to refuse a second value and a flag the command has no use for.
    given: Vec<&'static str>,
    cfg: Config,
}

impl Builder {
    /// Settings with nothing in them, then every default of [`SETTINGS`] applied through
    /// the same parsers as a variable: the table is the one place a default is written,
    /// so `--help`, `.env.example` and what runs cannot drift apart.
    fn new() -> Result<Self, ConfigError> {
        let mut b = Builder {
            patterns: ListSetting::default(),
            exclude: ListSetting::default(),
            never: ListSetting::default(),
            webhooks: ListSetting::default(),
            age_min_var_s: None,
            age_s_var: None,
            age_flag_s: None,
            given: Vec::new(),
            cfg: Config::unset(),
        };
        for st in SETTINGS.iter().filter(|st| !st.default.is_empty()) {
            b.apply(st.env, DEFAULT_SOURCE, st.default)
                .map_err(|e| ConfigError::new(DEFAULT_SOURCE, st.default, e))?;
        }
        Ok(b)
    }

    /// Applies one setting, named by its variable, from `source` (the variable or flag).
    fn apply(&mut self, env: &str, source: &str, v: &str) -> Result<(), Expected> {
        let c = &mut self.cfg;
        match env {
            "WATCHDOG_PROC_ENABLED" => c.enabled = parse_bool(v)?,
            "WATCHDOG_PROC_PATTERNS" => self.patterns.set(source, v),
            "WATCHDOG_PROC_EXCLUDE" => self.exclude.set(source, v),
            "WATCHDOG_WEBHOOK_URL" => self.webhooks.set(source, v),
            "WATCHDOG_PROC_AGE_MIN" => {
                let s = parse_u64_in(v, 0, 525_600, AGE_MIN_EXPECTED)?.saturating_mul(60);
                *self.age_slot(source, true) = Some(s);
            }
            "WATCHDOG_PROC_AGE_S" => {
                let s = parse_u64_in(v, 0, 31_536_000, AGE_S_EXPECTED)?;
                *self.age_slot(source, false) = Some(s);
            }
            "WATCHDOG_PROC_ORPHANS_ONLY" => c.threshold.orphans_only = parse_bool(v)?,
            "WATCHDOG_PROC_INIT_NAMES" => c.scan.init_names = parse_init_names(v)?,
            "WATCHDOG_PROC_ROOT" => c.proc_root = PathBuf::from(v),
            "WATCHDOG_PROC_ACTION" => c.action = parse_action(v)?,
            "WATCHDOG_PROC_TERMINATE_AFTER_S" => {
                c.terminate_after_s = parse_u64_in(v, 0, 31_536_000, TERMINATE_AFTER_EXPECTED)?
            }
            "WATCHDOG_PROC_KILL_AFTER_S" => {
                c.kill_after_s = parse_u64_in(v, 0, 86_400, KILL_AFTER_EXPECTED)?
            }
            "WATCHDOG_PROC_NEVER_TERMINATE" => self.never.set(source, v),
            "WATCHDOG_PROC_INTERVAL_S" => {
                c.interval_s = parse_u64_in(v, 1, 86_400, INTERVAL_EXPECTED)?
            }
            "WATCHDOG_PROC_COOLDOWN_S" => {
                c.cooldown_s = parse_u64_in(v, 0, 31_536_000, COOLDOWN_EXPECTED)?
            }
            "WATCHDOG_WEBHOOK_FORMAT" => c.format = parse_format(v)?,
            "WATCHDOG_WEBHOOK_CA_FILE" => c.ca_file = Some(parse_ca_file(v)?),
            "WATCHDOG_WEBHOOK_TIMEOUT_S" => {
                c.timeout_s = parse_u64_in(v, 1, 300, TIMEOUT_EXPECTED)?
            }
            "WATCHDOG_TELEGRAM_CHAT_ID" => c.telegram_chat_id = Some(parse_chat_id(v)?),
            "WATCHDOG_LANG" => c.lang = parse_lang(v)?,
            "WATCHDOG_HOST_LABEL" => c.host_label = Some(parse_host_label(v)?),
            "WATCHDOG_HEARTBEAT_FILE" => c.heartbeat_file = PathBuf::from(v),
            "WATCHDOG_SANDBOX" => {
                c.sandbox = if parse_bool(v)? {
                    Sandbox::On
                } else {
                    Sandbox::OffByVariable
                }
            }
            "WATCHDOG_SANDBOX_CONFINE_READS" => c.confine_reads = parse_bool(v)?,
            "WATCHDOG_TEXTFILE" => c.textfile = Some(parse_textfile(v)?),
            "WATCHDOG_CGROUP_ROOT" => c.cgroup_root = PathBuf::from(v.trim()),
            _ => return apply_usage(c, env, v),
        }
        Ok(())
    }

    /// Where a threshold from `source` goes: a flag's over both variables'.
    fn age_slot(&mut self, source: &str, minutes: bool) -> &mut Option<u64> {
        if source.starts_with("--") {
            &mut self.age_flag_s
        } else if minutes {
            &mut self.age_min_var_s
        } else {
            &mut self.age_s_var
        }
    }

    /// Applies the environment; a variable set to blanks counts as unset, and one that is
    /// not UTF-8 is an error, as the same value given as a flag is.
    fn apply_env(&mut self, env: impl Fn(&str) -> Option<OsString>) -> Result<(), ConfigError> {
        for st in SETTINGS {
            let Some(raw) = env(st.env) else { continue };
            let v = raw.into_string().map_err(|v| {
                ConfigError::new(st.env, &v.to_string_lossy(), Expected("UTF-8 text"))
            })?;
            if !v.trim().is_empty() {
                self.apply(st.env, st.env, &v)
                    .map_err(|e| ConfigError::new(st.env, &v, e))?;
            }
        }
        Ok(())
    }

    /// Applies the command line: the command word and the flags.
    fn apply_args(&mut self, args: impl IntoIterator<Item = OsString>) -> Result<(), ConfigError> {
        let mut command = None;
        let mut parser = lexopt::Parser::from_args(args);
        while let Some(arg) = parser.next().map_err(parser_error)? {
            let name = match arg {
                lexopt::Arg::Long(name) => format!("--{name}"),
                lexopt::Arg::Short(c) => format!("-{c}"),
                lexopt::Arg::Value(v) if command == Some(Command::SandboxProbe) => {
                    self.cfg.probe = Some(v.to_string_lossy().into_owned());
                    continue;
                }
                lexopt::Arg::Value(v) => {
                    command = Some(command_word(command, v)?);
                    continue;
                }
            };
            match name.as_str() {
                "-h" | "--help" => command = Some(Command::Help),
                "-V" | "--version" => command = Some(Command::Version),
                flag => self.apply_flag(&mut parser, flag)?,
            }
        }
        self.cfg.command = command.unwrap_or(Command::Run);
        check_command_flags(self.cfg.command, &self.given)
    }

    /// One flag: a switch, or a flag and its value. A flag that takes one value may be
    /// given once; `--age-min` and `--age-s` count as one.
    fn apply_flag(&mut self, parser: &mut lexopt::Parser, flag: &str) -> Result<(), ConfigError> {
        if let Some(switch) = SWITCHES.iter().copied().find(|s| *s == flag) {
            self.given.push(switch);
            match switch {
                "--json" => self.cfg.json = true,
                "--once" => self.cfg.once = true,
                "--dry-run" => self.cfg.dry_run = true,
                "--orphans-only" => self.cfg.threshold.orphans_only = true,
                "--no-sandbox" => self.cfg.sandbox = Sandbox::OffByFlag,
                "--confine-reads" => self.cfg.confine_reads = true,
                _ => {}
            }
            return Ok(());
        }
        let (env, flag) = match SETTINGS
            .iter()
            .find(|s| !s.flag.is_empty() && s.flag == flag)
        {
            Some(st) => (st.env, st.flag),
            None if flag == "--ticks" => ("", "--ticks"),
            None if flag == "--sample-s" => ("", "--sample-s"),
            None => return Err(usage(flag.to_owned())),
        };
        let v = flag_value(parser, flag)?;
        self.check_once(flag, &v)?;
        self.given.push(flag);
        if flag == "--ticks" {
            let n = parse_u64_in(&v, 1, u64::MAX, "a number of ticks, at least 1")
                .map_err(|e| ConfigError::new(flag, &v, e))?;
            self.cfg.ticks = Some(n);
            return Ok(());
        }
        if flag == "--sample-s" {
            let n = parse_u64_in(&v, 1, 3600, "a whole number of seconds, 1 to 3600 (e.g. 5)")
                .map_err(|e| ConfigError::new(flag, &v, e))?;
            self.cfg.sample_s = Some(n);
            return Ok(());
        }
        self.apply(env, flag, &v)
            .map_err(|e| ConfigError::new(flag, &v, e))
    }

    /// Refuses a second value for what takes one: it would silently win over the first.
    fn check_once(&self, flag: &'static str, v: &str) -> Result<(), ConfigError> {
        if REPEATABLE.contains(&flag) {
            return Ok(());
        }
        let twin = TWINS
            .iter()
            .find_map(|&(a, b)| (a == flag).then_some(b).or((b == flag).then_some(a)));
        match self.given.iter().find(|&&g| g == flag || Some(g) == twin) {
            None => Ok(()),
            Some(&first) if first == flag => Err(ConfigError::new(
                flag,
                v,
                Expected("this flag once: it takes one value (a second would silently win)"),
            )),
            Some(&first) => Err(ConfigError {
                source: flag.to_owned(),
                value: shown_value(flag, v),
                expected: format!("{first} or {flag}, once: both set the same thing"),
            }),
        }
    }

    /// The settings that depend on others, and the checks across settings.
    fn finish(mut self) -> Result<Config, ConfigError> {
        let mut cfg = self.cfg;
        cfg.threshold.age_s = self
            .age_flag_s
            .or(self.age_s_var)
            .or(self.age_min_var_s)
            // The table's WATCHDOG_PROC_AGE_MIN default always set one.
            .unwrap_or_default();
        cfg.scan.older_than_s = cfg.threshold.age_s;
        let patterns = self.patterns.sources("--pattern");
        fill_patterns(&mut cfg.scan.include, &patterns)?;
        if cfg.scan.include.is_empty() {
            let (src, list) = patterns.first().cloned().unwrap_or_default();
            return Err(ConfigError::new(&src, &list, Expected(PATTERN_EXPECTED)));
        }
        fill_patterns(&mut cfg.scan.exclude, &self.exclude.sources("--exclude"))?;
        fill_patterns(
            &mut cfg.never_terminate,
            &self.never.sources("--never-terminate"),
        )?;
        let masking = cfg.format.masking();
        cfg.webhook_urls = webhook_list(core::mem::take(&mut self.webhooks), masking)?;
        if cfg.format == Format::Telegram
            && !cfg.webhook_urls.is_empty()
            && cfg.telegram_chat_id.as_deref().unwrap_or("").is_empty()
        {
            return Err(ConfigError::new(
                "WATCHDOG_TELEGRAM_CHAT_ID",
                "",
                Expected("the chat id (e.g. -1001234567890) when WATCHDOG_WEBHOOK_FORMAT=telegram"),
            ));
        }
        Ok(cfg)
    }
}

const USAGE_EXPECTED: &str = "a command (run, scan, health) and flags from --help";

/// An unknown word or flag: shown as typed when it is a [`plain_word`] (after `-`/`--`),
/// else masked like a URL (a URL shows its scheme and host, other text `***`).
/// The flags that take no value.
const SWITCHES: &[&str] = &[
    "--json",
    "--once",
    "--dry-run",
    "--orphans-only",
    "--no-sandbox",
    "--confine-reads",
];

/// The flags that may be given more than once: each adds to a list.
const REPEATABLE: &[&str] = &[
    "--pattern",
    "--exclude",
    "--webhook-url",
    "--never-terminate",
];

/// Pairs of flags that set the same thing.
const TWINS: &[(&str, &str)] = &[("--age-min", "--age-s")];

/// Flags that mean something to one command only: with another, one was surely meant for
/// something else (`scan --once`: a scan is always once, and sends nothing).
const COMMAND_FLAGS: &[(&str, Command)] = &[
    ("--once", Command::Run),
    ("--dry-run", Command::Run),
    ("--ticks", Command::Run),
    ("--json", Command::Scan),
    ("--sample-s", Command::Scan),
];

/// Refuses a flag of [`COMMAND_FLAGS`] given to another command; `--help` and
/// `--version` take anything.
fn check_command_flags(command: Command, given: &[&'static str]) -> Result<(), ConfigError> {
    if !matches!(command, Command::Run | Command::Scan | Command::Health) {
        return Ok(());
    }
    match COMMAND_FLAGS
        .iter()
        .find(|&&(flag, owner)| owner != command && given.contains(&flag))
    {
        Some(&(flag, owner)) => Err(ConfigError {
            source: flag.to_owned(),
            value: String::new(),
            expected: format!(
                "no {flag} with {}: it means something to {} only",
                command.name(),
                owner.name()
            ),
        }),
        None => Ok(()),
    }
}

fn usage(what: String) -> ConfigError {
    let shown = if plain_word(what.trim_start_matches('-')) {
        what
    } else {
        crate::deliver::url::masked(&what, crate::deliver::url::Masking::Chat)
    };
    ConfigError {
        source: "command line".into(),
        value: shown,
        expected: USAGE_EXPECTED.to_owned(),
    }
}

/// An error of the flag parser, which would repeat the value it refused
/// (`--once=http://u:SECRET@h/`): only the flag is named, the value masked.
fn parser_error(e: lexopt::Error) -> ConfigError {
    match e {
        lexopt::Error::UnexpectedValue { option, value } => ConfigError {
            value: crate::deliver::url::masked(
                &value.to_string_lossy(),
                crate::deliver::url::Masking::Chat,
            ),
            expected: format!("no value: {option} is a switch"),
            source: option,
        },
        lexopt::Error::MissingValue {
            option: Some(option),
        } => ConfigError {
            source: option,
            value: String::new(),
            expected: "a value after the flag".to_owned(),
        },
        _ => ConfigError {
            source: "command line".into(),
            value: "***".into(),
            expected: USAGE_EXPECTED.to_owned(),
        },
    }
}

/// The command word; only one may be given.
fn command_word(previous: Option<Command>, word: OsString) -> Result<Command, ConfigError> {
    let word = word.to_string_lossy().into_owned();
    match (previous, word.as_str()) {
        (None, "run") => Ok(Command::Run),
        (None, "scan") => Ok(Command::Scan),
        (None, "health") => Ok(Command::Health),
        (None, "help") => Ok(Command::Help),
        (None, "__sandbox-probe") => Ok(Command::SandboxProbe),
        _ => Err(usage(word)),
    }
}

/// The value after a flag, as UTF-8.
fn flag_value(parser: &mut lexopt::Parser, flag: &str) -> Result<String, ConfigError> {
    parser
        .value()
        .map_err(parser_error)?
        .into_string()
        .map_err(|v| ConfigError::new(flag, &v.to_string_lossy(), Expected("UTF-8 text")))
}

fn fill_patterns(set: &mut PatternSet, sources: &[(String, String)]) -> Result<(), ConfigError> {
    for (source, list) in sources {
        push_patterns(set, list).map_err(|e| ConfigError::new(source, list, e))?;
    }
    Ok(())
}

/// Every webhook URL, checked; at most [`MAX_WEBHOOKS`]. An error shows the URL masked:
/// a Slack hook or a Telegram token must not reach a log because it was mistyped.
fn webhook_list(setting: ListSetting, masking: Masking) -> Result<Vec<String>, ConfigError> {
    let mut urls = Vec::new();
    for (source, list) in setting.sources("--webhook-url") {
        for item in split_list(&list) {
            let url = parse_webhook_url(item).map_err(|e| ConfigError {
                source: source.clone(),
                value: crate::deliver::url::masked(item, masking),
                expected: e.to_string(),
            })?;
            if urls.contains(&url) {
                return Err(ConfigError {
                    source,
                    value: crate::deliver::url::masked(item, masking),
                    expected: "each URL once (the same after lowercasing the scheme and host and dropping a default port): a second would get every alert twice".to_owned(),
                });
            }
            if urls.len() == MAX_WEBHOOKS {
                let masked: Vec<String> = split_list(&list)
                    .map(|u| crate::deliver::url::masked(u, masking))
                    .collect();
                return Err(ConfigError {
                    source,
                    value: masked.join(","),
                    expected: WEBHOOKS_EXPECTED.to_owned(),
                });
            }
            urls.push(url);
        }
    }
    Ok(urls)
}

/// The `WATCHDOG_*` names among `names` that are no setting of this version (a typo, or a
/// setting of another version), to warn about: one would otherwise be ignored in silence.
pub fn unknown_settings(names: impl IntoIterator<Item = OsString>) -> Vec<String> {
    names
        .into_iter()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| n.starts_with("WATCHDOG_") && !SETTINGS.iter().any(|s| s.env == n))
        .collect()
}

/// Reads the configuration from `env` (a lookup, so tests need not touch the process
/// environment) and `args` (without the program name).
pub fn load(
    env: impl Fn(&str) -> Option<OsString>,
    args: impl IntoIterator<Item = OsString>,
) -> Result<Config, ConfigError> {
    let mut b = Builder::new()?;
    b.apply_env(env)?;
    b.apply_args(args)?;
    b.finish()
}

/// The `--help` text.
pub(crate) fn help_text() -> String {
    let mut s = String::from(concat!(
        "lingerwatch ",
        env!("CARGO_PKG_VERSION"),
        ": watch /proc for matching processes that lived too long, and tell a webhook.\n\n",
        "Usage: lingerwatch [run] [flags]     watch and alert (the default)\n",
        "       lingerwatch scan [--json]     list matches once; exit 1 if any is over the threshold\n",
        "         [--sample-s N]              (and measure CPU rates over N seconds: two scans)\n",
        "       lingerwatch health            exit 0 if the daemon ticked within three intervals\n\n",
        "Flags: --once (one tick, then exit), --dry-run (print bodies, send nothing), --json,\n",
        "       --no-sandbox (no Landlock or seccomp after start-up: for debugging),\n",
        "       --ticks N (N ticks back to back, then exit: for benchmarks),\n",
        "       -h/--help, -V/--version, and the per-setting flags below.\n\n",
        "Settings (flag wins over variable; default in brackets):\n",
    ));
    for st in SETTINGS {
        let flag = if st.flag.is_empty() {
            String::new()
        } else {
            format!(" / {}", st.flag)
        };
        s.push_str(&format!(
            "  {}{} [{}]\n      {}\n",
            st.env, flag, st.default, st.help
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_watchdog_names_are_found_and_known_ones_and_others_are_not() {
        let names = [
            "WATCHDOG_PROC_PATTERN",
            "WATCHDOG_LANG",
            "PATH",
            "WATCHDOG_",
        ];
        assert_eq!(
            unknown_settings(names.map(OsString::from)),
            ["WATCHDOG_PROC_PATTERN", "WATCHDOG_"]
        );
    }
    use std::collections::HashMap;

    fn load_with(env: &[(&str, &str)], args: &[&str]) -> Result<Config, ConfigError> {
        let env: HashMap<String, OsString> = env
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        load(
            move |k| env.get(k).cloned(),
            args.iter().map(OsString::from),
        )
    }

    #[test]
    fn a_refused_webhook_list_in_a_chat_format_shows_no_hook_path() {
        // Issue 19: masking followed the host, so a Mattermost key showed in the error.
        let five = (1..=5)
            .map(|i| format!("http://chat{i}.example/hooks/SECRET{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let e = load_with(
            &[
                ("WATCHDOG_WEBHOOK_URL", &five),
                ("WATCHDOG_WEBHOOK_FORMAT", "slack"),
            ],
            &[],
        )
        .unwrap_err();
        assert!(e.value.contains("http://chat5.example/***"), "{}", e.value);
        assert!(!e.value.contains("SECRET"), "{}", e.value);
        // A generic receiver's path is shown, as before.
        let e = load_with(&[("WATCHDOG_WEBHOOK_URL", &five)], &[]).unwrap_err();
        assert!(e.value.contains("/hooks/SECRET5"), "{}", e.value);
    }

    #[test]
    fn defaults_need_no_configuration() {
        let c = load_with(&[], &[]).unwrap();
        assert_eq!(c.command, Command::Run);
        assert_eq!(c.threshold.age_s, 3600);
        assert_eq!(c.scan.include.len(), 1);
        assert!(c.scan.exclude.is_empty());
        assert_eq!(c.scan.init_names.len(), 6);
        assert_eq!((c.interval_s, c.cooldown_s, c.timeout_s), (30, 1800, 5));
        assert_eq!(c.format, Format::Json);
        assert!(c.enabled && c.webhook_urls.is_empty());
    }

    /// One truth for defaults (issue 20): what runs with nothing set is what the table
    /// says, setting by setting, so `--help`, `.env.example` and the deploy files (all made
    /// from [`SETTINGS`]) say what runs.
    #[test]
    fn what_runs_with_nothing_set_is_every_default_of_the_table() {
        let nothing = format!("{:?}", load_with(&[], &[]).unwrap());
        for st in SETTINGS.iter().filter(|st| !st.default.is_empty()) {
            let given = format!("{:?}", load_with(&[(st.env, st.default)], &[]).unwrap());
            assert_eq!(given, nothing, "{}={} is not what runs", st.env, st.default);
        }
        let c = load_with(&[], &[]).unwrap();
        assert!(c.webhook_urls.is_empty() && c.scan.exclude.is_empty());
        assert!(c.ca_file.is_none() && c.textfile.is_none() && c.host_label.is_none());
        assert!(c.telegram_chat_id.is_none());
        // The blank defaults are the unset ones: a value there changes what runs.
        let changed = load_with(&[("WATCHDOG_PROC_AGE_S", "7")], &[]).unwrap();
        assert_ne!(format!("{changed:?}"), nothing);
    }

    #[test]
    fn flags_win_over_environment_and_age_s_overrides_age_min() {
        let c = load_with(
            &[
                ("WATCHDOG_PROC_AGE_MIN", "5"),
                ("WATCHDOG_PROC_PATTERNS", "tox,nox"),
            ],
            &["scan", "--age-min", "2", "--pattern", "pytest", "--json"],
        )
        .unwrap();
        assert_eq!(c.command, Command::Scan);
        assert_eq!(c.threshold.age_s, 120);
        assert_eq!(c.scan.include.len(), 1);
        assert!(c.json);
        let c = load_with(
            &[("WATCHDOG_PROC_AGE_MIN", "5"), ("WATCHDOG_PROC_AGE_S", "7")],
            &[],
        )
        .unwrap();
        assert_eq!(c.threshold.age_s, 7);
    }

    #[test]
    fn bad_values_name_the_variable_the_value_and_the_form() {
        let e = load_with(&[("WATCHDOG_PROC_AGE_MIN", "abc")], &[]).unwrap_err();
        assert_eq!(e.source, "WATCHDOG_PROC_AGE_MIN");
        assert_eq!(e.to_string(), "WATCHDOG_PROC_AGE_MIN=\"abc\" is not valid: expected a whole number of minutes, 0 to 525600 (e.g. 60)");
        let e = load_with(&[], &["--age-s", "-3"]).unwrap_err();
        assert_eq!(e.source, "--age-s");
        let e = load_with(&[("WATCHDOG_PROC_ORPHANS_ONLY", "maybe")], &[]).unwrap_err();
        assert_eq!(e.source, "WATCHDOG_PROC_ORPHANS_ONLY");
        let e = load_with(&[("WATCHDOG_PROC_PATTERNS", ",, ,")], &[]).unwrap_err();
        assert_eq!(e.source, "WATCHDOG_PROC_PATTERNS");
        let e = load_with(
            &[("WATCHDOG_PROC_INIT_NAMES", "a-name-longer-than-15")],
            &[],
        )
        .unwrap_err();
        assert_eq!(e.source, "WATCHDOG_PROC_INIT_NAMES");
        let e = load_with(&[("WATCHDOG_WEBHOOK_URL", "ftp://x")], &[]).unwrap_err();
        assert_eq!(e.source, "WATCHDOG_WEBHOOK_URL");
        let e = load_with(&[], &["--bogus", "1"]).unwrap_err();
        assert_eq!(e.source, "command line");
        let e = load_with(&[], &["frobnicate"]).unwrap_err();
        assert_eq!(e.value, "frobnicate");
        let e = load_with(&[("WATCHDOG_PROC_INTERVAL_S", "0")], &[]).unwrap_err();
        assert_eq!(e.source, "WATCHDOG_PROC_INTERVAL_S");
    }

    #[test]
    fn webhook_urls_are_a_list_of_at_most_four_and_flags_replace_the_variable() {
        let c = load_with(
            &[("WATCHDOG_WEBHOOK_URL", "http://a:1/x, http://b:2/y")],
            &[],
        )
        .unwrap();
        assert_eq!(c.webhook_urls, ["http://a:1/x", "http://b:2/y"]);
        let c = load_with(
            &[("WATCHDOG_WEBHOOK_URL", "http://a:1/x")],
            &[
                "--webhook-url",
                "http://c:3/z",
                "--webhook-url",
                "http://d:4/w",
            ],
        )
        .unwrap();
        assert_eq!(c.webhook_urls, ["http://c:3/z", "http://d:4/w"]);
        let five = "http://a/1,http://a/2,http://a/3,http://a/4,http://a/5";
        let e = load_with(&[("WATCHDOG_WEBHOOK_URL", five)], &[]).unwrap_err();
        assert_eq!(e.source, "WATCHDOG_WEBHOOK_URL");
        assert!(e.expected.contains("at most 4"), "{e}");
    }

    #[test]
    fn a_non_utf8_variable_is_refused_like_the_same_flag() {
        use std::os::unix::ffi::OsStringExt;
        let bad = OsString::from_vec(b"py\xfftest".to_vec());
        let e = load(
            |k| (k == "WATCHDOG_PROC_PATTERNS").then(|| bad.clone()),
            std::iter::empty(),
        )
        .unwrap_err();
        assert_eq!(e.source, "WATCHDOG_PROC_PATTERNS");
        assert_eq!(e.expected, "UTF-8 text");
        let e = load(|_| None, [OsString::from("--pattern"), bad.clone()]).unwrap_err();
        assert_eq!(
            (e.source.as_str(), e.expected.as_str()),
            ("--pattern", "UTF-8 text")
        );
    }

    /// Issue 19, item 4: a refused webhook URL (non-UTF-8 too), a stray argument and the
    /// flag parser's own errors (`--flag=value`) never show a secret in the error line.
    #[test]
    fn no_secret_reaches_a_configuration_error() {
        use std::os::unix::ffi::OsStringExt;
        let non_utf8 = OsString::from_vec(b"http://u:SECRETPW@h/x\xff".to_vec());
        let e = load(
            |k| (k == "WATCHDOG_WEBHOOK_URL").then(|| non_utf8.clone()),
            std::iter::empty(),
        )
        .unwrap_err();
        assert_eq!(e.source, "WATCHDOG_WEBHOOK_URL");
        assert!(!e.to_string().contains("SECRET"), "{e}");
        let e = load(|_| None, [OsString::from("--webhook-url"), non_utf8]).unwrap_err();
        assert_eq!(e.source, "--webhook-url");
        assert!(!e.to_string().contains("SECRET"), "{e}");
        let table: &[&[&str]] = &[
            &["http://u:SECRET@h/x"],
            &["run", "https://hooks.slack.com/services/T/B/SECRET"],
            &["xoxb-1-SECRET"],
            &["--once=http://u:SECRET@h/"],
            &["--json=SECRET"],
            &["-h=SECRET"],
            &["--age-min=http://u:SECRET@h/"],
            &["--age-min", "u:SECRET@h"],
            &["--xoxb-1-SECRET"],
        ];
        for args in table {
            let e = load_with(&[], args).unwrap_err();
            let line = e.to_string();
            assert!(!line.contains("SECRET"), "{args:?}: {line}");
            assert!(line.contains("is not valid"), "{args:?}: {line}");
        }
        // What is no secret is still shown: a mistyped command, a flag, a number.
        let e = load_with(&[], &["frobnicate"]).unwrap_err();
        assert!(e.to_string().contains("frobnicate"), "{e}");
        let e = load_with(&[], &["--age-min=abc"]).unwrap_err();
        assert!(e.to_string().contains("--age-min=\"abc\""), "{e}");
        let e = load_with(&[], &["--once=yes"]).unwrap_err();
        assert_eq!(e.source, "--once");
        // A leading `@` is a channel name, not credentials.
        let e = load_with(&[("WATCHDOG_TELEGRAM_CHAT_ID", "@abcd")], &[]).unwrap_err();
        assert!(e.to_string().contains("\"@abcd\""), "{e}");
    }

    /// Issue 19, item 4: `WATCHDOG_PROC_AGE_S=3600 lingerwatch --age-min 1` ran with one
    /// hour. A flag wins over every variable that sets the same thing; between the two
    /// variables, seconds still win over minutes.
    #[test]
    fn a_flag_wins_over_every_variable_that_sets_the_same_thing() {
        let both = [
            ("WATCHDOG_PROC_AGE_S", "3600"),
            ("WATCHDOG_PROC_AGE_MIN", "5"),
        ];
        let age = |args: &[&str]| load_with(&both, args).unwrap().threshold.age_s;
        assert_eq!(age(&["--age-min", "1"]), 60);
        assert_eq!(age(&["--age-s", "7"]), 7);
        assert_eq!(age(&[]), 3600);
        let c = load_with(&[("WATCHDOG_PROC_AGE_MIN", "5")], &[]).unwrap();
        assert_eq!(c.threshold.age_s, 300);
        let c = load_with(
            &[("WATCHDOG_PROC_ORPHANS_ONLY", "false")],
            &["--orphans-only"],
        );
        assert!(c.unwrap().threshold.orphans_only);
        let c = load_with(&[("WATCHDOG_SANDBOX", "true")], &["--no-sandbox"]).unwrap();
        assert_eq!(c.sandbox, Sandbox::OffByFlag);
        let c = load_with(&[("WATCHDOG_SANDBOX", "false")], &["--no-sandbox"]).unwrap();
        assert_eq!(c.sandbox, Sandbox::OffByFlag);
        let c = load_with(&[("WATCHDOG_SANDBOX", "false")], &[]).unwrap();
        assert_eq!(c.sandbox, Sandbox::OffByVariable);
        assert_eq!(load_with(&[], &[]).unwrap().sandbox, Sandbox::On);
    }

    /// Issue 19, item 4: a single-value flag given twice silently took the last.
    #[test]
    fn a_single_value_flag_given_twice_is_refused() {
        let table: &[(&[&str], &str)] = &[
            (&["--age-min", "1", "--age-min", "2"], "--age-min"),
            (&["--age-min", "1", "--age-s", "2"], "--age-s"),
            (&["--format", "json", "--format=slack"], "--format"),
            (&["--proc-root", "/a", "--proc-root", "/b"], "--proc-root"),
            (&["run", "--ticks", "1", "--ticks", "2"], "--ticks"),
        ];
        for &(args, flag) in table {
            let e = load_with(&[], args).unwrap_err();
            assert_eq!(e.source, flag, "{args:?}");
            assert!(e.expected.contains("once"), "{args:?}: {e}");
        }
        // Lists and switches may be repeated.
        let args = [
            "--pattern",
            "a",
            "--pattern",
            "b",
            "--orphans-only",
            "--orphans-only",
        ];
        assert!(load_with(&[], &args).is_ok());
    }

    /// Issue 19, item 4: `scan --once --dry-run` was accepted; a flag that means nothing
    /// for the command is refused, naming both.
    #[test]
    fn a_flag_that_means_nothing_for_the_command_is_refused() {
        let table: &[(&[&str], &str)] = &[
            (&["scan", "--once", "--dry-run"], "--once"),
            (&["scan", "--dry-run"], "--dry-run"),
            (&["scan", "--ticks", "3"], "--ticks"),
            (&["health", "--json"], "--json"),
            (&["health", "--once"], "--once"),
            (&["run", "--json"], "--json"),
            (&["--json"], "--json"),
        ];
        for &(args, flag) in table {
            let e = load_with(&[], args).unwrap_err();
            assert_eq!(e.source, flag, "{args:?}");
            let command = args
                .first()
                .filter(|a| !a.starts_with('-'))
                .unwrap_or(&"run");
            assert!(e.to_string().contains(command), "{args:?}: {e}");
        }
        for args in [
            &["run", "--once", "--dry-run"][..],
            &["scan", "--json"],
            &["health"],
            &["run", "--ticks", "2"],
            &["--help", "--json"],
        ] {
            assert!(load_with(&[], args).is_ok(), "{args:?}");
        }
    }

    /// Issue 19, item 4: `WATCHDOG_PROC_INIT_NAMES=,,,` was taken as no names at all. A
    /// list with no name is refused; a blank variable is unset, so the default.
    #[test]
    fn init_names_with_no_name_are_refused() {
        for list in [",,,", " , "] {
            let e = load_with(&[("WATCHDOG_PROC_INIT_NAMES", list)], &[]).unwrap_err();
            assert_eq!(e.source, "WATCHDOG_PROC_INIT_NAMES", "{list:?}");
        }
        let e = load_with(&[], &["--init-names", ""]).unwrap_err();
        assert_eq!(e.source, "--init-names");
        let c = load_with(&[("WATCHDOG_PROC_INIT_NAMES", "")], &[]).unwrap();
        assert_eq!(c.scan.init_names.len(), 6);
        let c = load_with(&[("WATCHDOG_PROC_INIT_NAMES", ",tini,")], &[]).unwrap();
        assert_eq!(c.scan.init_names.len(), 1);
    }

    /// Issue 19, item 4: the same webhook twice (also differing only in the case of the
    /// scheme or host) had each alert posted twice.
    #[test]
    fn a_webhook_url_given_twice_is_refused_masked() {
        // (environment, arguments, the setting refused)
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], &'a str);
        let table: &[Case<'_>] = &[
            (
                &[(WEBHOOK_ENV, "http://h/x?t=SECRET,http://h/x?t=SECRET")],
                &[],
                WEBHOOK_ENV,
            ),
            (
                &[(WEBHOOK_ENV, "http://h/x?t=SECRET, HTTP://H/x?t=SECRET")],
                &[],
                WEBHOOK_ENV,
            ),
            (
                &[],
                &[
                    "--webhook-url",
                    "http://h:80/x?t=SECRET",
                    "--webhook-url",
                    "http://H/x?t=SECRET",
                ],
                "--webhook-url",
            ),
        ];
        for &(env, args, source) in table {
            let e = load_with(env, args).unwrap_err();
            assert_eq!(e.source, source, "{env:?} {args:?}");
            let line = e.to_string();
            assert!(line.contains("once") && !line.contains("SECRET"), "{line}");
        }
        // A path differs in case: another URL.
        let c = load_with(&[(WEBHOOK_ENV, "http://h/x,http://h/X")], &[]).unwrap();
        assert_eq!(c.webhook_urls.len(), 2);
    }

    /// Issue 19, item 4: any chat id was taken (`a\nb`, 300 digits). Telegram's is an
    /// integer (a group's is negative) or `@channelusername`.
    #[test]
    fn a_telegram_chat_id_is_an_integer_or_a_channel_name() {
        for good in [
            "123456789",
            "-1001234567890",
            "@my_channel",
            "@abcde",
            "  42 ",
        ] {
            let c = load_with(&[("WATCHDOG_TELEGRAM_CHAT_ID", good)], &[]);
            assert_eq!(c.unwrap().telegram_chat_id.as_deref(), Some(good.trim()));
        }
        let long = "1".repeat(300);
        for bad in [
            "a\nb",
            &long,
            "@abcd",
            "@has space",
            "--5",
            "-",
            "1e5",
            "@a-b-c-d",
        ] {
            let e = load_with(&[("WATCHDOG_TELEGRAM_CHAT_ID", bad)], &[]).unwrap_err();
            assert_eq!(e.source, "WATCHDOG_TELEGRAM_CHAT_ID", "{bad:?}");
            let e = load_with(&[], &["--telegram-chat-id", bad]).unwrap_err();
            assert_eq!(e.source, "--telegram-chat-id", "{bad:?}");
        }
    }

    #[test]
    fn host_label_is_bounded_and_printable() {
        assert!(load_with(&[("WATCHDOG_HOST_LABEL", &"h".repeat(253))], &[]).is_ok());
        let e = load_with(&[("WATCHDOG_HOST_LABEL", &"h".repeat(254))], &[]).unwrap_err();
        assert_eq!(e.source, "WATCHDOG_HOST_LABEL");
        assert!(load_with(&[], &["--host-label", "a\u{1b}[2Jb"]).is_err());
    }

    #[test]
    fn a_chat_id_is_bounded() {
        let long = "9".repeat(65);
        assert!(load_with(&[("WATCHDOG_TELEGRAM_CHAT_ID", &long)], &[]).is_err());
        assert!(load_with(&[("WATCHDOG_TELEGRAM_CHAT_ID", "-1001234567890")], &[]).is_ok());
    }

    #[test]
    fn telegram_needs_a_chat_id() {
        let e = load_with(
            &[
                ("WATCHDOG_WEBHOOK_FORMAT", "telegram"),
                (
                    "WATCHDOG_WEBHOOK_URL",
                    "http://127.0.0.1:9/botX/sendMessage",
                ),
            ],
            &[],
        )
        .unwrap_err();
        assert_eq!(e.source, "WATCHDOG_TELEGRAM_CHAT_ID");
    }

    #[test]
    fn help_lists_every_variable_with_its_default() {
        let h = help_text();
        for s in SETTINGS {
            assert!(h.contains(s.env), "{}", s.env);
            assert!(h.contains(&format!("[{}]", s.default)), "{}", s.env);
        }
    }

    #[test]
    fn value_parsers() {
        assert_eq!(parse_bool(" YES "), Ok(true));
        assert_eq!(parse_bool("0"), Ok(false));
        assert!(parse_bool("").is_err());
        assert_eq!(
            parse_u64_in("18446744073709551616", 0, u64::MAX, "x"),
            Err(Expected("x"))
        );
        assert_eq!(split_list(" a, ,b ,").collect::<Vec<_>>(), ["a", "b"]);
        assert!(parse_webhook_url("http://127.0.0.1:9/x").is_ok());
        assert_eq!(
            parse_webhook_url("https://hooks.slack.com/x").is_ok(),
            cfg!(feature = "https")
        );
        assert!(parse_webhook_url("http:///x").is_err());
        assert!(parse_webhook_url("https://a b").is_err());
        assert!(parse_webhook_url("http://127.0.0.1:99999/x").is_err());
        assert!(parse_webhook_url("http://[::1]:9093/api/v2/alerts").is_ok());
    }

    /// Found by the `config_values` fuzz target in CI's 20 s smoke (issue 25): a scheme in
    /// mixed case was accepted and kept as typed, so the URL did not start with `http://`.
    /// Schemes and hosts are case-insensitive: accepted, and kept in lowercase, which is
    /// what is connected to and logged.
    #[test]
    fn a_scheme_or_host_in_mixed_case_is_accepted_in_lowercase() {
        let table: &[(&str, &str)] = &[
            ("Http://sho", "http://sho"),
            (
                "HTTP://LOCALHOST:9/Hook?Token=AbC",
                "http://localhost:9/Hook?Token=AbC",
            ),
            (
                " hTTp://U:P@Example.COM.:80/A#Frag ",
                "http://U:P@example.com./A",
            ),
            ("http://[2001:DB8::1]:00080/x", "http://[2001:db8::1]/x"),
        ];
        for &(raw, want) in table {
            let got = parse_webhook_url(raw).unwrap();
            assert_eq!(got, want, "{raw:?}");
            assert_eq!(
                parse_webhook_url(&got).unwrap(),
                got,
                "normal form is stable"
            );
        }
        let c = load_with(&[("WATCHDOG_WEBHOOK_URL", "HTTP://LOCALHOST:9/x")], &[]).unwrap();
        assert_eq!(c.webhook_urls, ["http://localhost:9/x"]);
    }
}
