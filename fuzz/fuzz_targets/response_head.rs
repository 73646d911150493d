//! The response-head parser and the chunked decoder on any bytes. Never a panic, and:
//! - the bytes past the head limit never change the result (nothing past 8 KiB is read);
//! - a head has a status in 100..=999 and ends within the limit; every shorter prefix of
//!   it is `Incomplete` (so a client reading piecewise gets the same answer);
//! - 8 KiB without an end is `TooLong`, never `Incomplete` (the client stops reading);
//! - the decoder never emits more than it was fed, and decodes any body chunk-encoded in
//!   any chunk sizes, fed in any piece size, back to that body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lingerwatch::deliver::net::response::{parse_head, ChunkDecoder, HeadError, MAX_HEAD};

fn check_head(data: &[u8]) {
    let full = parse_head(data);
    let limited = parse_head(&data[..data.len().min(MAX_HEAD)]);
    assert_eq!(
        full, limited,
        "bytes past the head limit changed the result"
    );
    match full {
        Ok(h) => {
            assert!((100..=999).contains(&h.status), "{h:?}");
            assert!(h.len <= data.len() && h.len <= MAX_HEAD, "{h:?}");
            for cut in [0, h.len / 2, h.len - 1] {
                assert_eq!(
                    parse_head(&data[..cut]),
                    Err(HeadError::Incomplete),
                    "cut at {cut}"
                );
            }
            if let Some(l) = h.location {
                let start = l.as_ptr() as usize - data.as_ptr() as usize;
                assert!(start + l.len() <= h.len, "Location outside the head");
            }
        }
        Err(HeadError::Incomplete) => assert!(data.len() < MAX_HEAD),
        Err(_) => {}
    }
}

fn check_chunks(data: &[u8]) {
    // Any bytes as a chunked body.
    let mut d = ChunkDecoder::default();
    let mut emitted = 0usize;
    if let Ok(used) = d.feed(data, |b| emitted += b.len()) {
        assert!(used <= data.len() && emitted <= used);
    }
    // The bytes chunk-encoded (sizes and piece size drawn from them) decode back.
    let mut encoded = Vec::new();
    let mut rest = data;
    let mut i = 0usize;
    while !rest.is_empty() {
        let size = (usize::from(data[i % data.len()]) % 17 + 1).min(rest.len());
        let ext = if data[i % data.len()] & 0x80 != 0 {
            ";x=1"
        } else {
            ""
        };
        encoded.extend_from_slice(format!("{size:X}{ext}\r\n").as_bytes());
        encoded.extend_from_slice(&rest[..size]);
        encoded.extend_from_slice(b"\r\n");
        rest = &rest[size..];
        i += 1;
    }
    encoded.extend_from_slice(b"0\r\nTrailer: t\r\n\r\n");
    let piece = data.first().map_or(1, |&b| usize::from(b) % 13 + 1);
    let mut d = ChunkDecoder::default();
    let mut out = Vec::new();
    let mut used = 0usize;
    for p in encoded.chunks(piece) {
        used += d.feed(p, |b| out.extend_from_slice(b)).unwrap();
    }
    assert!(d.is_done());
    assert_eq!(used, encoded.len());
    assert_eq!(out, data);
}

fuzz_target!(|data: &[u8]| {
    check_head(data);
    check_chunks(data);
});
