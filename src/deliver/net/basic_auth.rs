//! HTTP Basic credentials (RFC 7617) from a URL's percent-encoded userinfo, written in
//! base64 (RFC 4648 section 4) straight into the request head.
//!
//! Pure; never panics; no allocation. Hand-written rather than a crate: encoding is the
//! whole need, it is a dozen lines, and the test vectors of RFC 4648 pin it.

use ufmt::uWrite;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Writes `base64(percent_decode(userinfo))`; a userinfo without `:` is a user with an
/// empty password (`user:`), as curl sends it.
pub(crate) fn write_credentials<W: uWrite + ?Sized>(userinfo: &str, w: &mut W) -> Result<(), W::Error> {
    let colon = if userinfo.contains(':') { "" } else { ":" };
    write_base64(percent_decoded(userinfo).chain(colon.bytes()), w)
}

/// The bytes `%XX` escapes stand for; a `%` not followed by two hex digits stands for
/// itself (the URL parser refuses those anyway).
fn percent_decoded(s: &str) -> impl Iterator<Item = u8> + '_ {
    let mut rest = s.as_bytes();
    core::iter::from_fn(move || {
        let (&first, tail) = rest.split_first()?;
        if let (b'%', [h, l, after @ ..]) = (first, tail) {
            if let (Some(h), Some(l)) = (hex_digit(*h), hex_digit(*l)) {
                rest = after;
                return Some((h << 4) | l);
            }
        }
        rest = tail;
        Some(first)
    })
}

fn hex_digit(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Standard base64 with `=` padding.
fn write_base64<W: uWrite + ?Sized>(
    bytes: impl IntoIterator<Item = u8>,
    w: &mut W,
) -> Result<(), W::Error> {
    let mut bytes = bytes.into_iter().peekable();
    while bytes.peek().is_some() {
        let mut group = [0u8; 3];
        let mut filled = 0usize;
        for (slot, b) in group.iter_mut().zip(bytes.by_ref()) {
            *slot = b;
            filled = filled.saturating_add(1);
        }
        let [a, b, c] = group;
        // Four 6-bit indices from three bytes; a short group is padded with `=`.
        let indices = [a >> 2, ((a & 0x03) << 4) | (b >> 4), ((b & 0x0f) << 2) | (c >> 6), c & 0x3f];
        let mut out = [b'='; 4];
        for (o, i) in out.iter_mut().zip(indices).take(filled.saturating_add(1)) {
            *o = ALPHABET.get(usize::from(i)).copied().unwrap_or(b'=');
        }
        w.write_str(core::str::from_utf8(&out).unwrap_or("===="))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::FixedBuf;

    fn b64(input: &[u8]) -> String {
        let mut out = FixedBuf::<128>::new();
        write_base64(input.iter().copied(), &mut out).unwrap();
        out.as_str().to_owned()
    }

    fn credentials(userinfo: &str) -> String {
        let mut out = FixedBuf::<128>::new();
        write_credentials(userinfo, &mut out).unwrap();
        out.as_str().to_owned()
    }

    #[test]
    fn base64_matches_the_rfc_4648_test_vectors() {
        let vectors: &[(&[u8], &str)] = &[
            (b"", ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"fooba", "Zm9vYmE="),
            (b"foobar", "Zm9vYmFy"),
        ];
        for &(input, want) in vectors {
            assert_eq!(b64(input), want);
        }
        // Every 6-bit value, including the last two letters of the alphabet.
        assert_eq!(b64(&[0xfb, 0xff, 0xbf]), "+/+/");
        assert_eq!(b64(&[0x00, 0x10, 0x83]), "ABCD");
    }

    #[test]
    fn credentials_match_rfc_7617_and_are_percent_decoded() {
        assert_eq!(credentials("Aladdin:open%20sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        // "test:123£" in UTF-8, the RFC's charset example.
        assert_eq!(credentials("test:123%C2%A3"), "dGVzdDoxMjPCow==");
        assert_eq!(credentials("user"), b64(b"user:"));
        assert_eq!(credentials("u%40x:p%3Aw"), b64(b"u@x:p:w"));
        assert_eq!(credentials(":pw"), b64(b":pw"));
    }

    #[test]
    fn percent_decoding_keeps_what_is_not_an_escape() {
        let decoded: Vec<u8> = percent_decoded("a%41%4a%zz%4%").collect();
        assert_eq!(decoded, b"aAJ%zz%4%");
    }
}
