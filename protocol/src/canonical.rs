//! The canonical bytes of a check-in: what the resident's My Number card
//! signs, and what the center verifies.
//!
//! JSON is not canonical (key order, number spelling, escapes), so the
//! signature covers a separate binary encoding that depends only on the
//! check-in's meaning. Encoding v1, all integers big-endian:
//!
//! | bytes | field |
//! |---|---|
//! | 21 | ASCII `mimamori.check_in.v1` followed by `00` (domain separation) |
//! | 16 | event id (UUID bytes) |
//! | 8 | `recorded_at`: seconds since the Unix epoch, i64 |
//! | 4 | `recorded_at`: nanoseconds, u32 |
//! | 4 | `recorded_at`: UTC offset in seconds, i32 |
//! | 8 | resident id, u64 |
//! | 1 | condition code (good 1, fair 2, poor 3) |
//! | 1 + n | symptom count, then each symptom's code, ascending |
//! | 1 [+ 4 + len] | symptom note: `00` absent, or `01`, byte length u32, UTF-8 bytes as sent |
//! | 1 + 2n | medication count, then (slot code, status code) pairs by ascending slot |
//! | 1 [+ 4] | blood pressure: `00`, or `01` systolic u16, diastolic u16 |
//! | 1 [+ 2] | pulse: `00`, or `01` u16 |
//! | 1 [+ 4] | temperature: `00`, or `01` tenths of °C, i32 |
//! | 1 [+ 4] | weight: `00`, or `01` tenths of kg, i32 |
//! | 1 [+ 4] | steps: `00`, or `01` u32 |
//! | 1 | call requested: `00` or `01` |
//! | 1 + … | authentication: `01` + 32-byte certificate fingerprint (JPKI), or `02` + UID length u8 + UID bytes |
//!
//! Codes are listed with each enum (`code()`), and never reused. The
//! signature itself is not part of the bytes. Sets (symptoms, medication
//! slots) are sorted, so their order in the JSON does not matter. Text is
//! signed byte for byte as sent, without Unicode normalisation. The card
//! signs `SHA-256(canonical bytes)` as a PKCS#1 v1.5 DigestInfo.
//!
//! The fixed vectors in `protocol/testdata/canonical/` pin this encoding;
//! changing a byte of it breaks every signature made before.

use sha2::{Digest, Sha256};

use crate::checkin::{Authentication, CheckIn};
use crate::clock::Timestamp;
use crate::ids::EventId;

/// The domain-separation prefix of encoding v1.
pub const DOMAIN_V1: &[u8] = b"mimamori.check_in.v1\0";

/// The canonical bytes of `check_in`, made as event `id` at `recorded_at`.
pub fn check_in_bytes(id: EventId, recorded_at: &Timestamp, check_in: &CheckIn) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(DOMAIN_V1);
    out.extend_from_slice(id.0.as_bytes());
    out.extend_from_slice(&recorded_at.unix_seconds().to_be_bytes());
    out.extend_from_slice(&recorded_at.nanosecond().to_be_bytes());
    out.extend_from_slice(&recorded_at.offset_seconds().to_be_bytes());
    out.extend_from_slice(&check_in.resident.0.to_be_bytes());
    out.push(check_in.condition.code());

    let mut symptoms: Vec<u8> = check_in.symptoms.iter().map(|s| s.code()).collect();
    symptoms.sort_unstable();
    push_count(&mut out, symptoms.len());
    out.extend_from_slice(&symptoms);

    match &check_in.symptom_note {
        None => out.push(0),
        Some(note) => {
            out.push(1);
            push_len32(&mut out, note.len());
            out.extend_from_slice(note.as_bytes());
        }
    }

    let mut medication: Vec<(u8, u8)> = check_in
        .medication
        .iter()
        .map(|m| (m.slot.code(), m.status.code()))
        .collect();
    medication.sort_unstable();
    push_count(&mut out, medication.len());
    for (slot, status) in medication {
        out.extend_from_slice(&[slot, status]);
    }

    let v = &check_in.vitals;
    optional(
        &mut out,
        v.blood_pressure.map(|bp| {
            let mut b = bp.systolic_mmhg.to_be_bytes().to_vec();
            b.extend_from_slice(&bp.diastolic_mmhg.to_be_bytes());
            b
        }),
    );
    optional(&mut out, v.pulse_bpm.map(|p| p.to_be_bytes().to_vec()));
    optional(
        &mut out,
        v.temperature_c.map(|t| t.0.to_be_bytes().to_vec()),
    );
    optional(&mut out, v.weight_kg.map(|w| w.0.to_be_bytes().to_vec()));
    optional(&mut out, v.steps.map(|s| s.to_be_bytes().to_vec()));

    out.push(u8::from(check_in.call_requested));

    match &check_in.auth {
        Authentication::Jpki(proof) => {
            out.push(1);
            out.extend_from_slice(&proof.cert_fingerprint.0);
        }
        Authentication::CardUid(proof) => {
            out.push(2);
            let uid = proof.uid.as_bytes();
            push_count(&mut out, uid.len());
            out.extend_from_slice(uid);
        }
    }
    out
}

/// SHA-256 of the canonical bytes: the digest the card signs.
pub fn check_in_digest(id: EventId, recorded_at: &Timestamp, check_in: &CheckIn) -> [u8; 32] {
    Sha256::digest(check_in_bytes(id, recorded_at, check_in)).into()
}

/// A count of set members. Sets here are small by construction (7 symptoms,
/// 4 slots, 10-byte UIDs); a larger one is clamped, which only happens to a
/// check-in that validation refuses anyway.
fn push_count(out: &mut Vec<u8>, n: usize) {
    out.push(u8::try_from(n).unwrap_or(u8::MAX));
}

fn push_len32(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes());
}

fn optional(out: &mut Vec<u8>, value: Option<Vec<u8>>) {
    match value {
        None => out.push(0),
        Some(bytes) => {
            out.push(1);
            out.extend_from_slice(&bytes);
        }
    }
}
