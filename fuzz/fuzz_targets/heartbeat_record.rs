//! The heartbeat record parser on any bytes: never panics; what it accepts is exactly
//! RECORD_LEN bytes and writes back byte for byte; every record written parses back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lingerwatch::host::heartbeat::record::{parse_record, write_record, Flags, Record, BOOT_ID_LEN, RECORD_LEN};
use lingerwatch::text::FixedBuf;

fuzz_target!(|input: (&[u8], u64, u64, [u8; BOOT_ID_LEN], bool, bool)| {
    let (bytes, boot_ms, interval_s, id, blind, memory_low) = input;
    if let Some(rec) = parse_record(bytes) {
        assert_eq!(bytes.len(), RECORD_LEN);
        let mut out = FixedBuf::<RECORD_LEN>::new();
        write_record(&mut out, &rec).unwrap();
        // Ids are kept as read, so a parsed record writes back the same bytes.
        assert_eq!(out.as_bytes(), bytes);
    }
    let boot_id = lingerwatch::host::heartbeat::record::boot_id_from(&id);
    let rec = Record {
        boot_ms,
        interval_s: interval_s % 10_000_000_000,
        boot_id,
        flags: Flags { blind, memory_low },
    };
    let mut out = FixedBuf::<RECORD_LEN>::new();
    write_record(&mut out, &rec).unwrap();
    assert_eq!(out.len(), RECORD_LEN);
    let back = parse_record(out.as_bytes()).expect("a written record parses");
    assert_eq!(
        (back.boot_ms, back.interval_s, back.flags),
        (rec.boot_ms, rec.interval_s, rec.flags)
    );
});
