//! `/proc/<pid>/status`: for any bytes, the `NSpid:` reading equals a naive one (the first
//! whole line that starts with `NSpid:`, its values all pids, the last of them), and a
//! line built from arbitrary pids after arbitrary lines gives back the last pid.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use lingerwatch::proc::parse::status::nspid_last;

#[derive(Arbitrary, Debug)]
struct Built<'a> {
    before: Vec<&'a [u8]>,
    pids: Vec<u32>,
    spaces: bool,
}

fn naive(status: &[u8]) -> Option<u32> {
    let whole = &status[..status.iter().rposition(|&b| b == b'\n')? + 1];
    let line = whole
        .split(|&b| b == b'\n')
        .find(|l| l.starts_with(b"NSpid:"))?;
    let mut last = None;
    for v in line[6..]
        .split(|&b| b == b'\t' || b == b' ')
        .filter(|v| !v.is_empty())
    {
        if !v.iter().all(u8::is_ascii_digit) {
            return None;
        }
        last = Some(std::str::from_utf8(v).ok()?.parse::<u32>().ok()?);
    }
    last
}

fuzz_target!(|raw: &[u8]| {
    // Any bytes (the seeds are real status files).
    assert_eq!(nspid_last(raw), naive(raw));
    let Ok(b) = Built::arbitrary_take_rest(arbitrary::Unstructured::new(raw)) else {
        return;
    };
    if b.pids.is_empty() {
        return;
    }
    let mut text = Vec::new();
    for line in &b.before {
        // Lines without a newline of their own, none of them an NSpid line.
        let line: Vec<u8> = line.iter().copied().filter(|&c| c != b'\n').collect();
        if line.starts_with(b"NSpid:") {
            continue;
        }
        text.extend_from_slice(&line);
        text.push(b'\n');
    }
    let sep = if b.spaces { " " } else { "\t" };
    let values: Vec<String> = b.pids.iter().map(u32::to_string).collect();
    text.extend_from_slice(format!("NSpid:{sep}{}\n", values.join(sep)).as_bytes());
    assert_eq!(nspid_last(&text), b.pids.last().copied());
});
