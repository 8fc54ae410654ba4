//! Identifiers and byte strings on the wire.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::clock::serde_via_str;

/// The id of one event, chosen on the box when the event is made: the
/// idempotency key. The center stores an event id once, however often it
/// arrives. `"0f8fad5b-d9cb-469f-a165-70867728950e"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(pub Uuid);

impl EventId {
    /// A fresh id: a UUIDv7, time-ordered with 74 random bits. Ids made one
    /// after another sort together, so the center's index takes them at its
    /// right edge instead of all over (a third more ingest throughput than
    /// random v4 ids). Uniqueness does not depend on the clock being right.
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A random id the box makes at every boot. With [`crate::Event::seq`] it
/// orders events even when the box's clock was wrong (the Pi has no battery
/// clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BootId(pub Uuid);

/// A resident, as numbered by the center. `1042`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ResidentId(pub u64);

impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A revision of data the center sends to boxes (residents, notices,
/// checkups). A box says which revision it has; the center sends a section
/// only when it changed. `17`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Revision(pub u64);

/// A box's name at the center: 1 to 64 of `A-Z a-z 0-9 . _ -`, starting with
/// a letter or digit. `"nanbu-0042"`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceId(String);

impl DeviceId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for DeviceId {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        let starts_well = text
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        if (1..=64).contains(&text.len()) && starts_well && text.chars().all(allowed) {
            Ok(Self(text.to_owned()))
        } else {
            Err(format!(
                "`{text}` is not a device id: use 1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter or digit"
            ))
        }
    }
}

/// SHA-256 of a certificate's DER bytes: how a JPKI card is bound to a
/// resident. On the wire 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CertFingerprint(pub [u8; 32]);

impl CertFingerprint {
    /// The fingerprint of a DER-encoded certificate.
    pub fn of_der(certificate_der: &[u8]) -> Self {
        Self(Sha256::digest(certificate_der).into())
    }
}

impl fmt::Debug for CertFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CertFingerprint({self})")
    }
}

impl fmt::Display for CertFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl FromStr for CertFingerprint {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| {
            format!("`{text}` is not a SHA-256 fingerprint: expected 64 hex digits")
        })?;
        Ok(Self(bytes))
    }
}

/// The UID (MIFARE, 4, 7 or 10 bytes) or IDm (FeliCa, 8 bytes) of a trial
/// card, as the reader's `FF CA 00 00 00` returns it. On the wire uppercase
/// hex: `"04A1B2C3D4E5F6"`. Clonable: weak authentication.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CardUid(Vec<u8>);

impl CardUid {
    /// Shortest UID accepted, in bytes.
    pub const MIN_LEN: usize = 4;
    /// Longest UID accepted, in bytes.
    pub const MAX_LEN: usize = 10;

    /// A UID from the bytes the reader returned.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        if (Self::MIN_LEN..=Self::MAX_LEN).contains(&bytes.len()) {
            Ok(Self(bytes.to_vec()))
        } else {
            Err(format!(
                "a card UID has {} to {} bytes, not {}",
                Self::MIN_LEN,
                Self::MAX_LEN,
                bytes.len()
            ))
        }
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for CardUid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardUid({self})")
    }
}

impl fmt::Display for CardUid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode_upper(&self.0))
    }
}

impl FromStr for CardUid {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bytes = hex::decode(text)
            .map_err(|_| format!("`{text}` is not a card UID: expected hex digits"))?;
        Self::from_bytes(&bytes)
    }
}

/// An RSA signature made by the card (PKCS#1 v1.5, SHA-256), 64 to 512
/// bytes; JPKI cards make 256. On the wire standard base64.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Signature(Vec<u8>);

impl Signature {
    /// Shortest signature accepted, in bytes.
    pub const MIN_LEN: usize = 64;
    /// Longest signature accepted, in bytes (RSA-4096).
    pub const MAX_LEN: usize = 512;

    /// A signature from the card's answer.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        if (Self::MIN_LEN..=Self::MAX_LEN).contains(&bytes.len()) {
            Ok(Self(bytes.to_vec()))
        } else {
            Err(format!(
                "a signature has {} to {} bytes, not {}",
                Self::MIN_LEN,
                Self::MAX_LEN,
                bytes.len()
            ))
        }
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({} bytes)", self.0.len())
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&BASE64.encode(&self.0))
    }
}

impl FromStr for Signature {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bytes = BASE64
            .decode(text)
            .map_err(|e| format!("a signature is standard base64: {e}"))?;
        Self::from_bytes(&bytes)
    }
}

serde_via_str!(DeviceId, CertFingerprint, CardUid, Signature);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_ids() {
        assert!("nanbu-0042".parse::<DeviceId>().is_ok());
        assert!("-leading".parse::<DeviceId>().is_err());
        assert!("".parse::<DeviceId>().is_err());
        assert!("has space".parse::<DeviceId>().is_err());
        assert!("a".repeat(65).parse::<DeviceId>().is_err());
    }

    #[test]
    fn fingerprints_are_sha256_of_der_in_lowercase_hex() {
        let f = CertFingerprint::of_der(b"abc");
        assert_eq!(
            f.to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let upper = f.to_string().to_uppercase();
        assert_eq!(upper.parse::<CertFingerprint>().unwrap(), f);
        assert!("ba78".parse::<CertFingerprint>().is_err());
    }

    #[test]
    fn card_uids_and_signatures_check_their_length() {
        let uid: CardUid = "04a1b2c3d4e5f6".parse().unwrap();
        assert_eq!(uid.to_string(), "04A1B2C3D4E5F6");
        assert!("04A1B2".parse::<CardUid>().is_err());
        assert!("zz".parse::<CardUid>().is_err());
        let sig = Signature::from_bytes(&[7; 256]).unwrap();
        assert_eq!(sig.to_string().parse::<Signature>().unwrap(), sig);
        assert!(Signature::from_bytes(&[7; 10]).is_err());
    }
}
