//! The My Number card's JPKI applet, user-authentication side only, and
//! the trial cards' UID command. Pure: every function drives a
//! [`Transport`], so the whole protocol is tested on scripted answers.
//!
//! The only application ever selected is the JPKI AP (`D3 92 F0 00 26 01
//! 00 00 00 01`); the card's 券面事項入力補助AP, which holds the 12-digit My
//! Number, is never selected, and nothing here could address it.

use std::fmt;

use super::CardError;
use super::apdu::{Command, Transport, exchange};

/// The JPKI AP's application identifier.
pub const JPKI_AID: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];

/// EF holding the card type string.
const EF_CARD_TYPE: [u8; 2] = [0x00, 0x06];
/// EF of the user-authentication certificate (readable without a PIN).
const EF_AUTH_CERT: [u8; 2] = [0x00, 0x0A];
/// The user-authentication private key.
const EF_AUTH_KEY: [u8; 2] = [0x00, 0x17];
/// The user-authentication PIN (4 digits).
const EF_AUTH_PIN: [u8; 2] = [0x00, 0x18];

/// A certificate larger than this is not a JPKI certificate.
const MAX_CERT_LEN: usize = 8 * 1024;
/// Bytes per READ BINARY (short Le: 256 is sent as `00`).
const CHUNK: usize = 256;

/// `SEQUENCE { SEQUENCE { OID sha256, NULL }, OCTET STRING (32) }` before the
/// digest: the DigestInfo the card pads and signs (PKCS#1 v1.5).
const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// Which card the JPKI AP says it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CardType {
    /// `JPKIAPICCTOKEN2`: a My Number card.
    MyNumberCard,
    /// `JPKIAPICCTOKEN`: an old 住基カード.
    JukiCard,
    /// Something else, as the card said it.
    Other(String),
}

impl CardType {
    fn from_ef(bytes: &[u8]) -> Self {
        let text: String = bytes
            .iter()
            .take_while(|b| b.is_ascii_graphic())
            .map(|&b| char::from(b))
            .collect();
        match text.as_str() {
            "JPKIAPICCTOKEN2" => Self::MyNumberCard,
            "JPKIAPICCTOKEN" => Self::JukiCard,
            _ => Self::Other(text),
        }
    }
}

/// The state of the user-authentication PIN, read without spending a try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinStatus {
    /// This many tries before the card locks itself.
    TriesLeft(u8),
    /// Locked: only the city office can unlock it.
    Locked,
    /// Already verified in this card session.
    Verified,
}

/// The card's answer to a PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinCheck {
    /// Right: the card will sign.
    Ok,
    /// Wrong; this many tries left.
    Wrong {
        /// Tries left before the card locks itself.
        tries_left: u8,
    },
    /// The card is locked (now or already).
    Locked,
}

/// A 4-digit PIN. Its `Debug` hides the digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin([u8; 4]);

impl Pin {
    /// Four ASCII digits, or `None`.
    pub fn new(digits: &str) -> Option<Self> {
        let bytes: [u8; 4] = digits.as_bytes().try_into().ok()?;
        bytes.iter().all(u8::is_ascii_digit).then_some(Self(bytes))
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(****)")
    }
}

/// Selects the JPKI AP. `Ok(false)`: the card has none (`6A 82` or any
/// other refusal): not a My Number card.
pub fn select_ap(t: &mut impl Transport) -> Result<bool, CardError> {
    let r = exchange(t, &Command::new(0x00, 0xA4, 0x04, 0x0C).data(&JPKI_AID))?;
    Ok(r.is_ok())
}

fn select_ef(t: &mut impl Transport, ef: [u8; 2], step: &'static str) -> Result<(), CardError> {
    let r = exchange(t, &Command::new(0x00, 0xA4, 0x02, 0x0C).data(&ef))?;
    if r.is_ok() {
        Ok(())
    } else {
        Err(CardError::Status { step, sw: r.sw })
    }
}

fn read_binary(
    t: &mut impl Transport,
    offset: usize,
    len: usize,
    step: &'static str,
) -> Result<Vec<u8>, CardError> {
    let offset = u16::try_from(offset).map_err(|_| CardError::Malformed("offset past 64 KiB"))?;
    let [p1, p2] = offset.to_be_bytes();
    let le = u16::try_from(len.min(CHUNK)).unwrap_or(256);
    let r = exchange(t, &Command::new(0x00, 0xB0, p1, p2).le(le))?;
    if r.is_ok() {
        Ok(r.data)
    } else {
        Err(CardError::Status { step, sw: r.sw })
    }
}

/// The card type (after [`select_ap`]).
pub fn card_type(t: &mut impl Transport) -> Result<CardType, CardError> {
    select_ef(t, EF_CARD_TYPE, "select the card type")?;
    Ok(CardType::from_ef(&read_binary(
        t,
        0,
        0x20,
        "read the card type",
    )?))
}

/// The user-authentication certificate, DER (after [`select_ap`]). Its
/// length comes from the DER header (`30 82 HH LL`); the rest is read in
/// chunks of at most 256 bytes.
pub fn read_certificate(t: &mut impl Transport) -> Result<Vec<u8>, CardError> {
    select_ef(t, EF_AUTH_CERT, "select the certificate")?;
    let head = read_binary(t, 0, 4, "read the certificate")?;
    let total = der_length(&head)?;
    if total > MAX_CERT_LEN {
        return Err(CardError::Malformed("certificate larger than 8 KiB"));
    }
    let mut der = head;
    der.truncate(total);
    while der.len() < total {
        let chunk = read_binary(t, der.len(), total - der.len(), "read the certificate")?;
        if chunk.is_empty() {
            return Err(CardError::Malformed("the certificate ended early"));
        }
        der.extend_from_slice(&chunk);
    }
    der.truncate(total);
    Ok(der)
}

/// The whole length of a DER SEQUENCE from its first bytes.
fn der_length(head: &[u8]) -> Result<usize, CardError> {
    match head {
        [0x30, 0x82, hi, lo, ..] => Ok(4 + usize::from(u16::from_be_bytes([*hi, *lo]))),
        [0x30, 0x81, len, ..] => Ok(3 + usize::from(*len)),
        [0x30, len, ..] if *len < 0x80 => Ok(2 + usize::from(*len)),
        _ => Err(CardError::Malformed(
            "the certificate is not a DER SEQUENCE",
        )),
    }
}

fn pin_status_of(sw: u16) -> Option<PinStatus> {
    match sw {
        0x9000 => Some(PinStatus::Verified),
        0x63C0 | 0x6983 | 0x6984 => Some(PinStatus::Locked),
        sw if sw & 0xFFF0 == 0x63C0 => Some(PinStatus::TriesLeft((sw & 0x0F) as u8)),
        _ => None,
    }
}

/// The PIN's tries left, without spending one: VERIFY with no data (after
/// [`select_ap`]).
pub fn pin_status(t: &mut impl Transport) -> Result<PinStatus, CardError> {
    select_ef(t, EF_AUTH_PIN, "select the PIN")?;
    let r = exchange(t, &Command::new(0x00, 0x20, 0x00, 0x80))?;
    pin_status_of(r.sw).ok_or(CardError::Status {
        step: "read the tries left",
        sw: r.sw,
    })
}

/// Verifies the PIN (after [`select_ap`]). Spends a try when wrong.
/// Callers ask [`pin_status`] first and never offer a try at 1 left.
pub fn verify_pin(t: &mut impl Transport, pin: &Pin) -> Result<PinCheck, CardError> {
    select_ef(t, EF_AUTH_PIN, "select the PIN")?;
    let r = exchange(t, &Command::new(0x00, 0x20, 0x00, 0x80).data(&pin.0))?;
    match pin_status_of(r.sw) {
        Some(PinStatus::Verified) => Ok(PinCheck::Ok),
        Some(PinStatus::Locked) => Ok(PinCheck::Locked),
        Some(PinStatus::TriesLeft(tries_left)) => Ok(PinCheck::Wrong { tries_left }),
        None => Err(CardError::Status {
            step: "verify the PIN",
            sw: r.sw,
        }),
    }
}

/// The DigestInfo for a SHA-256 digest.
pub fn sha256_digest_info(digest: &[u8; 32]) -> Vec<u8> {
    let mut out = SHA256_DIGEST_INFO_PREFIX.to_vec();
    out.extend_from_slice(digest);
    out
}

/// Signs a SHA-256 digest with the user-authentication key (after a
/// verified PIN): the card pads the DigestInfo (PKCS#1 v1.5) and returns the
/// RSA signature.
pub fn sign(t: &mut impl Transport, digest: &[u8; 32]) -> Result<Vec<u8>, CardError> {
    select_ef(t, EF_AUTH_KEY, "select the key")?;
    let command = Command::new(0x80, 0x2A, 0x00, 0x80)
        .data(&sha256_digest_info(digest))
        .le(256);
    let r = exchange(t, &command)?;
    match r.sw {
        0x9000 if r.data.len() >= 128 => Ok(r.data),
        0x9000 => Err(CardError::Malformed("a signature shorter than 1024 bits")),
        0x6982 => Err(CardError::PinNeeded),
        0x6983 | 0x6984 => Err(CardError::Locked),
        sw => Err(CardError::Status { step: "sign", sw }),
    }
}

/// A trial card's UID (`FF CA 00 00 00`, answered by the reader).
/// `Ok(None)`: the reader has none for this card.
pub fn read_uid(t: &mut impl Transport) -> Result<Option<Vec<u8>>, CardError> {
    let r = exchange(t, &Command::new(0xFF, 0xCA, 0x00, 0x00).le(256))?;
    Ok((r.is_ok() && !r.data.is_empty() && r.data.len() <= 10).then_some(r.data))
}

#[cfg(test)]
mod tests {
    use super::super::apdu::script::{Script, unhex};
    use super::*;

    const SELECT_AP: &str = "00A4040C0AD392F000260100000001";

    #[test]
    fn the_ap_is_selected_and_a_stranger_is_told_apart() {
        let mut card = Script::new()
            .expect(SELECT_AP, "9000")
            .expect(SELECT_AP, "6A82");
        assert!(select_ap(&mut card).unwrap());
        assert!(!select_ap(&mut card).unwrap());
        card.done();
    }

    #[test]
    fn card_types() {
        let mut card = Script::new()
            .expect("00A4020C020006", "9000")
            .expect_raw("00B0000020", {
                let mut r = b"JPKIAPICCTOKEN2".to_vec();
                r.resize(0x20, 0);
                r.extend_from_slice(&[0x90, 0]);
                r
            });
        assert_eq!(card_type(&mut card).unwrap(), CardType::MyNumberCard);
        assert_eq!(CardType::from_ef(b"JPKIAPICCTOKEN\0\0"), CardType::JukiCard);
        assert_eq!(CardType::from_ef(b"XYZ\xff"), CardType::Other("XYZ".into()));
    }

    fn cert(len: usize) -> Vec<u8> {
        let body = len - 4;
        let mut der = vec![0x30, 0x82, (body >> 8) as u8, body as u8];
        der.extend((0..body).map(|i| i as u8));
        der
    }

    fn answer(data: &[u8]) -> Vec<u8> {
        let mut r = data.to_vec();
        r.extend_from_slice(&[0x90, 0x00]);
        r
    }

    #[test]
    fn the_certificate_is_read_in_chunks_of_its_der_length() {
        let der = cert(600);
        let mut card = Script::new()
            .expect("00A4020C02000A", "9000")
            .expect_raw("00B0000004", answer(&der[..4]))
            .expect_raw("00B0000400", answer(&der[4..260]))
            .expect_raw("00B0010400", answer(&der[260..516]))
            .expect_raw("00B0020454", answer(&der[516..]));
        assert_eq!(read_certificate(&mut card).unwrap(), der);
        card.done();
    }

    #[test]
    fn a_card_pulled_mid_certificate_is_reported_as_removed() {
        let der = cert(600);
        let mut card = Script::new()
            .expect("00A4020C02000A", "9000")
            .expect_raw("00B0000004", answer(&der[..4]))
            .fail("00B0000400", CardError::Removed);
        assert!(matches!(
            read_certificate(&mut card),
            Err(CardError::Removed)
        ));
    }

    #[test]
    fn a_certificate_that_is_not_der_or_stops_short_is_malformed() {
        let mut card = Script::new()
            .expect("00A4020C02000A", "9000")
            .expect("00B0000004", "FFFFFFFF9000");
        assert!(matches!(
            read_certificate(&mut card),
            Err(CardError::Malformed(_))
        ));
        let mut card = Script::new()
            .expect("00A4020C02000A", "9000")
            .expect("00B0000004", "308200109000")
            .expect("00B0000410", "9000");
        assert!(matches!(
            read_certificate(&mut card),
            Err(CardError::Malformed(_))
        ));
        let mut card = Script::new()
            .expect("00A4020C02000A", "9000")
            .expect("00B0000004", "308240009000");
        assert!(matches!(
            read_certificate(&mut card),
            Err(CardError::Malformed(_))
        ));
    }

    #[test]
    fn tries_left_are_read_without_data() {
        let mut card = Script::new()
            .expect("00A4020C020018", "9000")
            .expect("00200080", "63C3")
            .expect("00A4020C020018", "9000")
            .expect("00200080", "63C0")
            .expect("00A4020C020018", "9000")
            .expect("00200080", "6983")
            .expect("00A4020C020018", "9000")
            .expect("00200080", "9000");
        assert_eq!(pin_status(&mut card).unwrap(), PinStatus::TriesLeft(3));
        assert_eq!(pin_status(&mut card).unwrap(), PinStatus::Locked);
        assert_eq!(pin_status(&mut card).unwrap(), PinStatus::Locked);
        assert_eq!(pin_status(&mut card).unwrap(), PinStatus::Verified);
        card.done();
        // No command carried data: no try was spent.
        assert!(card.sent.iter().all(|c| c.len() != 9));
    }

    #[test]
    fn pin_answers() {
        let pin = Pin::new("1234").unwrap();
        let mut card = Script::new()
            .expect("00A4020C020018", "9000")
            .expect("002000800431323334", "63C2")
            .expect("00A4020C020018", "9000")
            .expect("002000800431323334", "6984")
            .expect("00A4020C020018", "9000")
            .expect("002000800431323334", "9000");
        assert_eq!(
            verify_pin(&mut card, &pin).unwrap(),
            PinCheck::Wrong { tries_left: 2 }
        );
        assert_eq!(verify_pin(&mut card, &pin).unwrap(), PinCheck::Locked);
        assert_eq!(verify_pin(&mut card, &pin).unwrap(), PinCheck::Ok);
        card.done();
        assert_eq!(format!("{pin:?}"), "Pin(****)");
        assert!(Pin::new("12a4").is_none());
        assert!(Pin::new("12345").is_none());
    }

    #[test]
    fn signing_sends_a_sha256_digest_info() {
        let digest = [0xAB; 32];
        let mut command = unhex("802A008033");
        command.extend_from_slice(&sha256_digest_info(&digest));
        command.push(0);
        let signature = vec![0x5A; 256];
        let mut card = Script::new()
            .expect("00A4020C020017", "9000")
            .expect_raw(&hex::encode(&command), {
                let mut r = signature.clone();
                r.extend_from_slice(&[0x61, 0x00]);
                r
            })
            .expect("00C0000000", "9000");
        assert_eq!(sign(&mut card, &digest).unwrap(), signature);
        card.done();
        assert_eq!(sha256_digest_info(&digest).len(), 51);
    }

    #[test]
    fn signing_without_pin_or_on_a_locked_card_fails_by_name() {
        let digest = [0; 32];
        let mut command = unhex("802A008033");
        command.extend_from_slice(&sha256_digest_info(&digest));
        command.push(0);
        let command = hex::encode(&command);
        let mut card = Script::new()
            .expect("00A4020C020017", "9000")
            .expect(&command, "6982")
            .expect("00A4020C020017", "9000")
            .expect(&command, "6983")
            .expect("00A4020C020017", "9000")
            .fail(&command, CardError::Removed);
        assert!(matches!(
            sign(&mut card, &digest),
            Err(CardError::PinNeeded)
        ));
        assert!(matches!(sign(&mut card, &digest), Err(CardError::Locked)));
        assert!(matches!(sign(&mut card, &digest), Err(CardError::Removed)));
    }

    #[test]
    fn uid_cards() {
        let mut card = Script::new()
            .expect("FFCA000000", "04A1B2C39000")
            .expect("FFCA000000", "6A81")
            .expect("FFCA000000", "9000");
        assert_eq!(
            read_uid(&mut card).unwrap(),
            Some(vec![4, 0xA1, 0xB2, 0xC3])
        );
        assert_eq!(read_uid(&mut card).unwrap(), None);
        assert_eq!(read_uid(&mut card).unwrap(), None);
    }
}
