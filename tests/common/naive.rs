//! Naive oracles for the issue-22 parsers (cpu_times, pressure, children, pods), written
//! the obvious way with std strings and allocation, for the property tests
//! (`tests/prop_parsers.rs`) and the fuzz targets, which include this file.
#![allow(dead_code)] // each includer uses some of them

/// The aggregate cpu line's (total, idle): the first line must be `cpu` and spaces, then
/// at least four decimal counters; the first eight are summed (saturating), idle is the
/// fourth plus the fifth. Only the first eight counters need to be numbers.
pub fn cpu_times(file: &[u8]) -> Option<(u64, u64)> {
    let line = file.split(|&b| b == b'\n').next()?;
    let rest = line.strip_prefix(b"cpu ")?;
    // Tokens are split on spaces only; anything else inside the first eight is an error.
    let tokens: Vec<&[u8]> = rest
        .split(|&b| b == b' ')
        .filter(|t| !t.is_empty())
        .collect();
    let mut total = 0u64;
    let mut idle = 0u64;
    let mut count = 0;
    for (i, token) in tokens.iter().take(8).enumerate() {
        if token.is_empty() || !token.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let v: u64 = std::str::from_utf8(token).ok()?.parse().ok()?;
        total = total.saturating_add(v);
        if i == 3 || i == 4 {
            idle = idle.saturating_add(v);
        }
        count += 1;
    }
    (count >= 4).then_some((total, idle))
}

/// `D.D` or `D.DD` percent, 1 to 3 integer digits, at most 100.00, in hundredths.
pub fn percent(text: &str) -> Option<u16> {
    let (int, frac) = text.split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || int.len() > 3 || frac.len() > 2 {
        return None;
    }
    let frac = if frac.len() == 1 {
        format!("{frac}0")
    } else {
        frac.to_owned()
    };
    let v = int.parse::<u32>().ok()? * 100 + frac.parse::<u32>().ok()?;
    (v <= 10_000).then_some(v as u16)
}

/// The first `some ` line's avg60, when the line is `some avg10=A avg60=B avg300=C
/// total=N[ …]`.
pub fn some_avg60(file: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(file);
    let line = text.split('\n').find_map(|l| l.strip_prefix("some "))?;
    let fields: Vec<&str> = line.split(' ').collect();
    let get = |i: usize, key: &str| fields.get(i).and_then(|f| f.strip_prefix(key));
    percent(get(0, "avg10=")?)?;
    let avg60 = percent(get(1, "avg60=")?)?;
    percent(get(2, "avg300=")?)?;
    let total = get(3, "total=")?;
    if total.is_empty() || !total.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    total.parse::<u64>().ok()?;
    // A replacement character from a non-UTF-8 byte can only sit where no value is read.
    Some(avg60)
}

/// Whitespace-separated tokens that are decimal pids in 1..=4194304.
pub fn children(file: &[u8]) -> (Vec<u32>, u32) {
    let mut pids = Vec::new();
    let mut skipped = 0;
    for token in file
        .split(|b| b.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
    {
        let pid = std::str::from_utf8(token)
            .ok()
            .filter(|t| t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse::<u64>().ok())
            .filter(|p| (1..=4_194_304).contains(p));
        match pid {
            Some(p) => pids.push(p as u32),
            None => skipped += 1,
        }
    }
    (pids, skipped)
}

fn dns_label(s: &str) -> bool {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !s.is_empty()
        && s.chars().all(|c| ok(c) || c == '-')
        && s.chars().next().is_some_and(ok)
        && s.chars().last().is_some_and(ok)
}

/// `<ns>_<name>_<uid>`: a label of at most 63, a subdomain of at most 253, the API's UID.
pub fn pod_dir(entry: &[u8]) -> Option<(String, String, String)> {
    let text = std::str::from_utf8(entry).ok()?;
    let parts: Vec<&str> = text.split('_').collect();
    let [ns, name, uid] = parts[..] else {
        return None;
    };
    let uid_ok = uid.len() == 36
        && uid.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_digit() || ('a'..='f').contains(&c)
            }
        });
    let ok = ns.len() <= 63
        && dns_label(ns)
        && name.len() <= 253
        && name.split('.').all(dns_label)
        && uid_ok;
    ok.then(|| (ns.to_owned(), name.to_owned(), uid.to_owned()))
}
