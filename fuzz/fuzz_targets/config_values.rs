//! Every configuration value parser, and the whole loader on arbitrary variables and
//! arguments: never a panic, and values that come out are within their bounds.
#![no_main]

use std::collections::HashMap;
use std::ffi::OsString;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use lingerwatch::config::{self, Command, SETTINGS};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    value: &'a str,
    min: u64,
    max: u64,
    env: Vec<(u8, &'a str)>,
    args: Vec<&'a str>,
}

fuzz_target!(|input: Input<'_>| {
    let v = input.value;
    let _ = config::parse_bool(v);
    if let Ok(n) = config::parse_u64_in(v, input.min, input.max, "x") {
        assert!(input.min <= n && n <= input.max);
    }
    for item in config::split_list(v) {
        assert!(!item.is_empty() && item.trim() == item);
    }
    let mut set = lingerwatch::proc::parse::cmdline::PatternSet::new();
    if config::push_patterns(&mut set, v).is_ok() {
        assert_eq!(set.len(), config::split_list(v).count());
    }
    if let Ok(names) = config::parse_init_names(v) {
        assert!(names.iter().all(|n| !n.is_empty() && n.len() <= 15));
    }
    if let Ok(id) = config::parse_chat_id(v) {
        // An integer or @channelusername (issue 19.4: `a\nb` and 300 digits were taken).
        let allowed = |b: u8| b.is_ascii_alphanumeric() || b"@_-".contains(&b);
        assert!(id.len() <= 33 && id.bytes().all(allowed), "{id:?}");
    }
    let _ = config::parse_format(v);
    let _ = config::parse_lang(v);
    if let Ok(url) = config::parse_webhook_url(v) {
        // Schemes and hosts are case-insensitive: accepted in any case, kept in lowercase
        // (issue 25: `Http://…` was kept as typed). The normal form is stable.
        assert!(
            url.starts_with("http://") || url.starts_with("https://"),
            "{url:?}"
        );
        assert_eq!(config::parse_webhook_url(&url).as_ref(), Ok(&url));
    }

    let env: HashMap<String, String> = input
        .env
        .iter()
        .map(|(i, val)| {
            (
                SETTINGS[usize::from(*i) % SETTINGS.len()].env.to_owned(),
                (*val).to_owned(),
            )
        })
        .collect();
    let args: Vec<OsString> = input.args.iter().map(OsString::from).collect();
    if let Ok(c) = config::load(|k| env.get(k).map(OsString::from), args) {
        assert!(!c.scan.include.is_empty());
        assert!((1..=86_400).contains(&c.interval_s));
        assert!((1..=300).contains(&c.timeout_s));
        // Issue 19.4: each webhook once (a duplicate got every alert twice), and no flag
        // the command has no use for (`scan --once --dry-run` was accepted).
        for (i, url) in c.webhook_urls.iter().enumerate() {
            assert!(!c.webhook_urls[..i].contains(url), "{url:?} twice");
        }
        if c.command == Command::Scan {
            assert!(!c.once && !c.dry_run && c.ticks.is_none());
        }
    }
});
