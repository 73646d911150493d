//! `scan --json` lines are valid JSON and give back every field, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lingerwatch::proc::found::Found;
use lingerwatch::text::FixedBuf;

fuzz_target!(|input: (Found, bool)| {
    let (f, lingers) = input;
    let mut line = FixedBuf::<8192>::new();
    let _ = lingerwatch::proc::report::write_json_line(&mut line, &f, lingers);
    assert!(!line.overflowed());
    let v: serde_json::Value = serde_json::from_str(line.as_str()).expect("valid JSON");
    assert_eq!(v["pid"].as_u64(), Some(u64::from(f.pid)));
    assert_eq!(v["ppid"].as_u64(), Some(u64::from(f.ppid)));
    assert_eq!(v["start_ticks"].as_u64(), Some(f.start_ticks));
    assert_eq!(v["age_s"].as_u64(), Some(f.age_ms / 1000));
    assert_eq!(v["orphan"].as_bool(), Some(f.orphan()));
    let why: Vec<&str> = v["orphan_why"]
        .as_array()
        .expect("orphan_why is an array")
        .iter()
        .map(|r| r.as_str().expect("a reason is a string"))
        .collect();
    assert_eq!(why, f.orphan_why.names().collect::<Vec<_>>());
    assert_eq!(why.is_empty(), !f.orphan());
    assert_eq!(v["over_threshold"].as_bool(), Some(lingers));
    assert_eq!(v["descendants"].as_u64(), Some(u64::from(f.descendants)));
    assert_eq!(
        v["parent"].as_str(),
        Some(String::from_utf8_lossy(&f.parent).as_ref())
    );
    let mut cmd = String::from_utf8_lossy(f.cmdline.as_bytes()).into_owned();
    if f.cmdline.truncated() {
        cmd.push('\u{2026}');
    }
    assert_eq!(v["cmdline"].as_str(), Some(cmd.as_str()));
    // The table row never carries a control character (no forged rows).
    let mut row = FixedBuf::<8192>::new();
    let _ = lingerwatch::proc::report::write_table_row(&mut row, &f, lingers);
    let row = row.as_str();
    assert!(row.ends_with('\n') || row.len() > 4000);
    assert!(
        !row.trim_end_matches('\n').chars().any(char::is_control),
        "control char in a row"
    );
});
