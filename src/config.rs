//! Configuration from `WATCHDOG_*` variables and command-line flags (flags win), checked
//! at start-up. A bad value is one clear line naming the variable or flag, the value and
//! the accepted form; the program then exits 2.
//!
//! The value parsers are pure (`&str` in, value or [`Expected`] out) so they can be fuzzed;
//! start-up is the one place allowed to allocate.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use crate::parse::cmdline::{PatternError, PatternSet};
use crate::policy::Threshold;
use crate::scan::{InitNames, ScanConfig};
use crate::url::{Scheme, UrlError, WebhookUrl};

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
    Setting { env: "WATCHDOG_PROC_AGE_S", flag: "--age-s", default: "", help: "the same threshold in seconds; overrides WATCHDOG_PROC_AGE_MIN" },
    Setting { env: "WATCHDOG_PROC_ORPHANS_ONLY", flag: "--orphans-only", default: "false", help: "only orphans (parent is pid 1 or an init) qualify" },
    Setting { env: "WATCHDOG_PROC_INIT_NAMES", flag: "--init-names", default: DEFAULT_INIT_NAMES, help: "comms of the inits that adopt orphans" },
    Setting { env: "WATCHDOG_PROC_ROOT", flag: "--proc-root", default: "/proc", help: "where the host's /proc is mounted" },
    Setting { env: "WATCHDOG_PROC_INTERVAL_S", flag: "--interval-s", default: "30", help: "seconds between scans" },
    Setting { env: "WATCHDOG_PROC_COOLDOWN_S", flag: "--cooldown-s", default: "1800", help: "seconds between repeated alerts about one process" },
    Setting { env: "WATCHDOG_WEBHOOK_URL", flag: "--webhook-url", default: "", help: "where alerts go: http:// or https:// URLs, comma-separated, at most 4, each gets every alert (flag repeatable); unset prints them to stdout as JSON lines" },
    Setting { env: "WATCHDOG_WEBHOOK_FORMAT", flag: "--format", default: "json", help: "json, slack, discord, telegram or alertmanager" },
    Setting { env: "WATCHDOG_WEBHOOK_CA_FILE", flag: "--webhook-ca-file", default: "", help: "PEM file of CA certificates trusted for https webhooks besides the bundled roots (a private CA); not in the HTTP-only build" },
    Setting { env: "WATCHDOG_WEBHOOK_TIMEOUT_S", flag: "--timeout-s", default: "5", help: "timeout of one webhook request, in seconds" },
    Setting { env: "WATCHDOG_TELEGRAM_CHAT_ID", flag: "--telegram-chat-id", default: "", help: "chat_id for the telegram format" },
    Setting { env: "WATCHDOG_LANG", flag: "--lang", default: "en", help: "language of the alert text: en or ru" },
    Setting { env: "WATCHDOG_HOST_LABEL", flag: "--host-label", default: "", help: "the host's name in alerts, at most 253 bytes; empty uses the kernel hostname" },
    Setting { env: "WATCHDOG_CGROUP_ROOT", flag: "--cgroup-root", default: "/sys/fs/cgroup", help: "where the cgroup filesystem is mounted, to read this container's memory limit and warn when it is too low for the host" },
    Setting { env: "WATCHDOG_TEXTFILE", flag: "--textfile", default: "", help: "a *.prom file for node_exporter's textfile collector, rewritten after every tick; with no webhook URL the daemon only writes metrics" },
    Setting { env: "WATCHDOG_SANDBOX", flag: "", default: "true", help: "false (or --no-sandbox) turns off the self-confinement (Landlock and seccomp) after start-up, for debugging" },
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
    fn new(source: &str, value: &str, expected: Expected) -> Self {
        ConfigError {
            source: source.to_owned(),
            value: value.to_owned(),
            expected: expected.0.to_owned(),
        }
    }
}

/// How much of a refused value an error line shows: as much as of a refused URL.
const SHOWN_VALUE_MAX: usize = crate::url::MASK_UNPARSED_MAX;

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
    let v = crate::parse::parse_u64(s.trim().as_bytes()).ok_or(Expected(expected))?;
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

pub fn parse_init_names(list: &str) -> Result<InitNames, Expected> {
    const EXPECTED: &str =
        "comma-separated process names (comm), at most 16, each at most 15 bytes";
    let mut names = InitNames::new();
    for n in split_list(list) {
        let name = heapless::Vec::from_slice(n.as_bytes()).map_err(|_| Expected(EXPECTED))?;
        if n.len() > 15 {
            return Err(Expected(EXPECTED));
        }
        names.push(name).map_err(|_| Expected(EXPECTED))?;
    }
    Ok(names)
}

/// Where alerts go and in what shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Format {
    Json,
    Slack,
    Discord,
    Telegram,
    Alertmanager,
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 5] = [
        Format::Json,
        Format::Slack,
        Format::Discord,
        Format::Telegram,
        Format::Alertmanager,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Slack => "slack",
            Format::Discord => "discord",
            Format::Telegram => "telegram",
            Format::Alertmanager => "alertmanager",
        }
    }
}

pub fn parse_format(s: &str) -> Result<Format, Expected> {
    let s = s.trim();
    Format::ALL
        .into_iter()
        .find(|f| f.name().eq_ignore_ascii_case(s))
        .ok_or(Expected(
            "one of json, slack, discord, telegram, alertmanager",
        ))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Lang {
    En,
    Ru,
}

impl Lang {
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }
}

pub fn parse_lang(s: &str) -> Result<Lang, Expected> {
    match s.trim().to_ascii_lowercase().as_str() {
        "en" | "" => Ok(Lang::En),
        "ru" => Ok(Lang::Ru),
        _ => Err(Expected("en or ru")),
    }
}

const HTTP_ONLY: &str = "an http:// URL: this build is HTTP-only (built with --no-default-features); use the default build for https://";

/// A webhook URL, parsed the one way it is also sent ([`crate::url`]), in its normal form
/// ([`WebhookUrl::write_normalized`]: scheme and host in lowercase), which is what is
/// connected to and logged; or the reason it was refused.
pub fn parse_webhook_url(s: &str) -> Result<String, UrlRefusal> {
    let url = WebhookUrl::parse(s.trim()).map_err(UrlRefusal::Malformed)?;
    if url.scheme() == Scheme::Https && !cfg!(feature = "https") {
        return Err(UrlRefusal::HttpOnly);
    }
    // Never longer than what was parsed: lowercasing keeps the length, and the port and
    // fragment can only shrink.
    let mut normal = crate::text::FixedBuf::<{ crate::url::MAX_URL_LEN }>::new();
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

/// Everything the program needs, validated.
#[derive(Clone, Debug)]
pub struct Config {
    pub command: Command,
    pub scan: ScanConfig,
    pub threshold: Threshold,
    pub proc_root: PathBuf,
    pub enabled: bool,
    pub interval_s: u64,
    pub cooldown_s: u64,
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
    pub sandbox: bool,
    /// Where the metrics go for node_exporter.
    pub textfile: Option<PathBuf>,
    /// Where the cgroup filesystem is mounted.
    pub cgroup_root: PathBuf,
    pub json: bool,
    pub once: bool,
    /// Run this many ticks back to back, then exit (benchmarks).
    pub ticks: Option<u64>,
    pub dry_run: bool,
    /// What `__sandbox-probe` tries.
    pub probe: Option<String>,
}

const AGE_MIN_EXPECTED: &str = "a whole number of minutes, 0 to 525600 (e.g. 60)";
const AGE_S_EXPECTED: &str = "a whole number of seconds, 0 to 31536000 (e.g. 3600)";
const INTERVAL_EXPECTED: &str = "a whole number of seconds, 1 to 86400 (e.g. 30)";
const COOLDOWN_EXPECTED: &str = "a whole number of seconds, 0 to 31536000 (e.g. 1800)";
const TIMEOUT_EXPECTED: &str = "a whole number of seconds, 1 to 300 (e.g. 5)";
const HOST_LABEL_EXPECTED: &str =
    "at most 253 bytes of printable text (no control characters), e.g. ci-runner-07";
const WEBHOOKS_EXPECTED: &str = "at most 4 comma-separated http:// or https:// URLs";

/// The host label: bounded, so every body field is, and printable.
pub(crate) fn parse_host_label(s: &str) -> Result<String, Expected> {
    let s = s.trim();
    if s.len() > crate::render::HOST_LABEL_MAX || s.chars().any(char::is_control) {
        return Err(Expected(HOST_LABEL_EXPECTED));
    }
    Ok(s.to_owned())
}

/// A Telegram chat id: bounded, so every body field is.
pub(crate) fn parse_chat_id(s: &str) -> Result<String, Expected> {
    let s = s.trim();
    if s.len() > crate::render::TELEGRAM_CHAT_ID_MAX || s.chars().any(char::is_control) {
        return Err(Expected(
            "a Telegram chat id: a number (e.g. -1001234567890) or @channelname, at most 64 bytes",
        ));
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
    webhooks: ListSetting,
    age_min: u64,
    age_s: Option<u64>,
    cfg: Config,
}

impl Builder {
    fn new() -> Result<Self, ConfigError> {
        let init_names = parse_init_names(DEFAULT_INIT_NAMES)
            .map_err(|e| ConfigError::new("default", DEFAULT_INIT_NAMES, e))?;
        Ok(Builder {
            patterns: ListSetting {
                var: Some(("WATCHDOG_PROC_PATTERNS".into(), "pytest".into())),
                flags: Vec::new(),
            },
            exclude: ListSetting::default(),
            webhooks: ListSetting::default(),
            age_min: 60,
            age_s: None,
            cfg: Config {
                command: Command::Run,
                scan: ScanConfig {
                    include: PatternSet::new(),
                    exclude: PatternSet::new(),
                    init_names,
                    older_than_s: 0,
                },
                threshold: Threshold {
                    age_s: 0,
                    orphans_only: false,
                },
                proc_root: PathBuf::from("/proc"),
                enabled: true,
                interval_s: 30,
                cooldown_s: 1800,
                webhook_urls: Vec::new(),
                format: Format::Json,
                ca_file: None,
                timeout_s: 5,
                telegram_chat_id: None,
                lang: Lang::En,
                host_label: None,
                heartbeat_file: PathBuf::from("/tmp/lingerwatch.heartbeat"),
                sandbox: true,
                textfile: None,
                cgroup_root: PathBuf::from("/sys/fs/cgroup"),
                json: false,
                once: false,
                ticks: None,
                dry_run: false,
                probe: None,
            },
        })
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
                self.age_min = parse_u64_in(v, 0, 525_600, AGE_MIN_EXPECTED)?
            }
            "WATCHDOG_PROC_AGE_S" => {
                self.age_s = Some(parse_u64_in(v, 0, 31_536_000, AGE_S_EXPECTED)?)
            }
            "WATCHDOG_PROC_ORPHANS_ONLY" => c.threshold.orphans_only = parse_bool(v)?,
            "WATCHDOG_PROC_INIT_NAMES" => c.scan.init_names = parse_init_names(v)?,
            "WATCHDOG_PROC_ROOT" => c.proc_root = PathBuf::from(v),
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
            "WATCHDOG_SANDBOX" => c.sandbox = parse_bool(v)?,
            "WATCHDOG_TEXTFILE" => c.textfile = Some(parse_textfile(v)?),
            "WATCHDOG_CGROUP_ROOT" => c.cgroup_root = PathBuf::from(v.trim()),
            _ => return Err(Expected("a known setting")),
        }
        Ok(())
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
        while let Some(arg) = parser.next().map_err(|e| usage(e.to_string()))? {
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
                "--json" => self.cfg.json = true,
                "--once" => self.cfg.once = true,
                "--dry-run" => self.cfg.dry_run = true,
                "--orphans-only" => self.cfg.threshold.orphans_only = true,
                "--no-sandbox" => self.cfg.sandbox = false,
                "--ticks" => {
                    let v = flag_value(&mut parser, "--ticks")?;
                    let n = parse_u64_in(&v, 1, u64::MAX, "a number of ticks, at least 1")
                        .map_err(|e| ConfigError::new("--ticks", &v, e))?;
                    self.cfg.ticks = Some(n);
                }
                flag => {
                    let st = SETTINGS
                        .iter()
                        .find(|s| !s.flag.is_empty() && s.flag == flag)
                        .ok_or_else(|| usage(name.clone()))?;
                    let v = flag_value(&mut parser, flag)?;
                    self.apply(st.env, flag, &v)
                        .map_err(|e| ConfigError::new(flag, &v, e))?;
                }
            }
        }
        self.cfg.command = command.unwrap_or(Command::Run);
        Ok(())
    }

    /// The settings that depend on others, and the checks across settings.
    fn finish(mut self) -> Result<Config, ConfigError> {
        let mut cfg = self.cfg;
        cfg.threshold.age_s = self.age_s.unwrap_or(self.age_min.saturating_mul(60));
        cfg.scan.older_than_s = cfg.threshold.age_s;
        let patterns = self.patterns.sources("--pattern");
        fill_patterns(&mut cfg.scan.include, &patterns)?;
        if cfg.scan.include.is_empty() {
            let (src, list) = patterns.first().cloned().unwrap_or_default();
            return Err(ConfigError::new(&src, &list, Expected(PATTERN_EXPECTED)));
        }
        fill_patterns(&mut cfg.scan.exclude, &self.exclude.sources("--exclude"))?;
        cfg.webhook_urls = webhook_list(core::mem::take(&mut self.webhooks))?;
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

fn usage(what: String) -> ConfigError {
    ConfigError {
        source: "command line".into(),
        value: what,
        expected: "a command (run, scan, health) and flags from --help".to_owned(),
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
        .map_err(|e| usage(e.to_string()))?
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
fn webhook_list(setting: ListSetting) -> Result<Vec<String>, ConfigError> {
    let mut urls = Vec::new();
    for (source, list) in setting.sources("--webhook-url") {
        for item in split_list(&list) {
            let url = parse_webhook_url(item).map_err(|e| ConfigError {
                source: source.clone(),
                value: crate::url::masked(item),
                expected: e.to_string(),
            })?;
            if urls.len() == MAX_WEBHOOKS {
                let masked: Vec<String> = split_list(&list).map(crate::url::masked).collect();
                return Err(ConfigError::new(
                    &source,
                    &masked.join(","),
                    Expected(WEBHOOKS_EXPECTED),
                ));
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
