//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP,
//! HMAC-SHA-1, 30-second steps, 6 digits — what authenticator apps expect),
//! the `otpauth://` enrolment URI and its QR code as inline SVG.

use jiff::Timestamp;
use rand::RngCore as _;

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;

/// A new random 160-bit secret.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 20];
    rand::rng().fill_bytes(&mut secret);
    secret
}

/// HOTP (RFC 4226): the `digits`-digit code of `counter`.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = ring::hmac::sign(&key, &counter.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    binary % 10u32.pow(digits)
}

/// The time step of an instant.
pub fn step_at(at: Timestamp) -> u64 {
    u64::try_from(at.as_second().div_euclid(STEP_SECONDS)).unwrap_or(0)
}

/// The code shown at `at`, as six digits.
pub fn code_at(secret: &[u8], at: Timestamp) -> String {
    format!("{:06}", hotp(secret, step_at(at), DIGITS))
}

/// Checks a code typed at `now`, allowing one step of clock difference
/// either way; returns the step it matched.
pub fn verify(secret: &[u8], code: &str, now: Timestamp) -> Option<u64> {
    let code = code.trim().replace([' ', '-'], "");
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let wanted: u32 = code.parse().ok()?;
    let current = step_at(now);
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|&step| {
            // Compare without an early exit.
            let got = hotp(secret, step, DIGITS);
            got.to_be_bytes()
                .iter()
                .zip(wanted.to_be_bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
        })
}

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The `otpauth://` URI an authenticator app scans.
pub fn uri(issuer: &str, login: &str, secret: &[u8]) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        percent_encode(issuer),
        percent_encode(login),
        base32(secret),
        percent_encode(issuer)
    )
}

/// The QR code of `text` as an inline `<svg>` element.
pub fn qr_svg(text: &str) -> Result<String, qrcode::types::QrError> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    // Drop the XML declaration: the element goes inside an HTML page.
    Ok(svg
        .find("<svg")
        .map_or(svg.clone(), |i| svg[i..].to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1: the secret is the ASCII of
    /// "12345678901234567890"; codes have 8 digits there.
    #[test]
    fn rfc6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (seconds, expected) in [
            (59, 94_287_082),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ] {
            let at = Timestamp::from_second(seconds).unwrap();
            assert_eq!(hotp(secret, step_at(at), 8), expected, "T = {seconds}");
        }
    }

    /// RFC 4226 appendix D: HOTP values of counters 0..9.
    #[test]
    fn rfc4226_test_vectors() {
        let secret = b"12345678901234567890";
        let expected = [
            755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871,
            520_489,
        ];
        for (counter, code) in expected.into_iter().enumerate() {
            assert_eq!(hotp(secret, counter as u64, 6), code);
        }
    }

    #[test]
    fn codes_verify_within_one_step() {
        let secret = b"12345678901234567890";
        let now = Timestamp::from_second(1_111_111_111).unwrap();
        let code = code_at(secret, now);
        assert_eq!(code, "050471");
        assert_eq!(verify(secret, &code, now), Some(step_at(now)));
        assert!(verify(secret, &code, now + jiff::SignedDuration::from_secs(30)).is_some());
        assert!(verify(secret, &code, now + jiff::SignedDuration::from_secs(90)).is_none());
        assert!(verify(secret, "05047", now).is_none());
        assert!(verify(secret, "abcdef", now).is_none());
        assert_eq!(verify(secret, "050 471", now), Some(step_at(now)));
    }

    #[test]
    fn base32_of_rfc4648_examples() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(
            base32(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }

    #[test]
    fn enrolment_uri_and_qr() {
        let uri = uri("南部町 見守り", "tanaka", b"12345678901234567890");
        assert!(uri.starts_with("otpauth://totp/%E5%8D%97"));
        assert!(uri.contains(":tanaka?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&"));
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
    }
}
