//! `/proc/pressure/cpu`: any bytes give the `some avg60` the naive reading
//! (tests/common/naive.rs) gives, and a file built from arbitrary averages (in hundredths,
//! up to 100.00) and totals, `some` before or after `full`, reads back exactly.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use lingerwatch::proc::parse::pressure::{percent_hundredths, some, some_avg60};

#[path = "../../tests/common/naive.rs"]
mod naive;

#[derive(Arbitrary, Debug)]
struct Input {
    avgs: [u16; 3],
    total: u64,
    full_first: bool,
    one_decimal: bool,
}

fn pct(v: u16, one_decimal: bool) -> String {
    if one_decimal && v % 10 == 0 {
        format!("{}.{}", v / 100, v % 100 / 10)
    } else {
        format!("{}.{:02}", v / 100, v % 100)
    }
}

fuzz_target!(|raw: &[u8]| {
    assert_eq!(some_avg60(raw), naive::some_avg60(raw));
    if let Ok(text) = std::str::from_utf8(raw) {
        assert_eq!(percent_hundredths(raw), naive::percent(text));
    }
    let Ok(input) = Input::arbitrary_take_rest(arbitrary::Unstructured::new(raw)) else {
        return;
    };
    let avgs = input.avgs.map(|v| v % 10_001);
    let some_line = format!(
        "some avg10={} avg60={} avg300={} total={}\n",
        pct(avgs[0], input.one_decimal),
        pct(avgs[1], input.one_decimal),
        pct(avgs[2], input.one_decimal),
        input.total
    );
    let full = "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
    let file = if input.full_first {
        format!("{full}{some_line}")
    } else {
        format!("{some_line}{full}")
    };
    let p = some(file.as_bytes()).expect("a well-formed file parses");
    assert_eq!(
        (p.avg10, p.avg60, p.avg300, p.total_us),
        (avgs[0], avgs[1], avgs[2], input.total)
    );
    // Past 100.00 is malformed.
    let over = format!(
        "some avg10=0.00 avg60={} avg300=0.00 total=0\n",
        pct(10_001 + avgs[1] % 55_000, false)
    );
    assert_eq!(some_avg60(over.as_bytes()), None);
});
