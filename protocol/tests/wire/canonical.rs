//! The canonical bytes that a My Number card signs, pinned by fixed vectors.

use mimamori_protocol::canonical::{DOMAIN_V1, check_in_bytes, check_in_digest};
use mimamori_protocol::*;
use proptest::prelude::*;
use sha2::{Digest, Sha256};

use crate::support::*;

/// The smallest check-in: a trial card, よい, nothing else.
fn minimal() -> (EventId, Timestamp, CheckIn) {
    (
        event_id("00000000-0000-4000-8000-000000000001"),
        ts("2026-11-29T08:15:00+09:00"),
        CheckIn {
            resident: ResidentId(1042),
            condition: Condition::Good,
            symptoms: vec![],
            symptom_note: None,
            medication: vec![],
            vitals: Vitals::default(),
            call_requested: false,
            auth: Authentication::CardUid(UidProof {
                uid: "04A1B2C3".parse().unwrap(),
            }),
        },
    )
}

/// Every field set, sets in non-canonical order, a JPKI card.
fn full() -> (EventId, Timestamp, CheckIn) {
    (
        event_id("0f8fad5b-d9cb-469f-a165-70867728950e"),
        ts("2026-11-29T08:15:00.5+09:00"),
        CheckIn {
            resident: ResidentId(7),
            condition: Condition::Poor,
            symptoms: vec![Symptom::Other, Symptom::Cough],
            symptom_note: Some("のどが痛い".into()),
            medication: vec![
                MedicationEntry {
                    slot: MedicationSlot::Evening,
                    status: MedicationStatus::NotTaken,
                },
                MedicationEntry {
                    slot: MedicationSlot::Morning,
                    status: MedicationStatus::Taken,
                },
            ],
            vitals: Vitals {
                blood_pressure: Some(BloodPressure {
                    systolic_mmhg: 138,
                    diastolic_mmhg: 84,
                }),
                pulse_bpm: Some(72),
                temperature_c: Some(Tenths::new(36, 8)),
                weight_kg: Some(Tenths::new(52, 4)),
                steps: Some(3200),
            },
            call_requested: true,
            auth: Authentication::Jpki(JpkiProof {
                cert_fingerprint: CertFingerprint::of_der(b"test certificate"),
                signature: Signature::from_bytes(&[0xAB; 256]).unwrap(),
            }),
        },
    )
}

fn vector(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/testdata/canonical/{name}.hex",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let hex: String = text
        .lines()
        .map(|l| l.split('#').next().unwrap())
        .collect::<String>()
        .split_whitespace()
        .collect();
    hex::decode(hex).unwrap()
}

#[test]
fn minimal_check_in_is_spelled_out_byte_by_byte() {
    let (id, at, check_in) = minimal();
    let mut expected = Vec::new();
    expected.extend_from_slice(b"mimamori.check_in.v1\0");
    expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 1]);
    // 2026-11-28T23:15:00Z = 1 795 907 700 s since the epoch.
    expected.extend_from_slice(&1_795_907_700i64.to_be_bytes());
    expected.extend_from_slice(&0u32.to_be_bytes());
    expected.extend_from_slice(&(9 * 3600i32).to_be_bytes());
    expected.extend_from_slice(&1042u64.to_be_bytes());
    expected.push(1); // good
    expected.push(0); // no symptoms
    expected.push(0); // no note
    expected.push(0); // no medication
    expected.extend_from_slice(&[0, 0, 0, 0, 0]); // no vitals
    expected.push(0); // no call
    expected.extend_from_slice(&[2, 4, 0x04, 0xA1, 0xB2, 0xC3]); // UID card
    assert_eq!(check_in_bytes(id, &at, &check_in), expected);
    assert_eq!(vector("minimal"), expected);
}

#[test]
fn full_check_in_matches_its_vector() {
    let (id, at, check_in) = full();
    assert_eq!(check_in_bytes(id, &at, &check_in), vector("full"));
}

#[test]
fn digests_match_their_vectors() {
    for (name, (id, at, check_in)) in [("minimal", minimal()), ("full", full())] {
        let digest = check_in_digest(id, &at, &check_in);
        let expected: [u8; 32] = Sha256::digest(vector(name)).into();
        assert_eq!(digest, expected, "{name}");
    }
    // Pinned so that a change to the vector files is seen, too.
    let (id, at, check_in) = full();
    assert_eq!(
        hex::encode(check_in_digest(id, &at, &check_in)),
        include_str!("../../testdata/canonical/full.sha256").trim()
    );
}

#[test]
fn the_signature_is_not_signed_and_json_order_does_not_matter() {
    let (id, at, check_in) = full();
    let mut other = check_in.clone();
    other.auth = Authentication::Jpki(JpkiProof {
        cert_fingerprint: CertFingerprint::of_der(b"test certificate"),
        signature: Signature::from_bytes(&[0x11; 256]).unwrap(),
    });
    other.symptoms.reverse();
    other.medication.reverse();
    assert_eq!(
        check_in_bytes(id, &at, &check_in),
        check_in_bytes(id, &at, &other)
    );
}

#[test]
fn every_answer_changes_the_bytes() {
    let (id, at, base) = full();
    let reference = check_in_bytes(id, &at, &base);
    let mut changed: Vec<CheckIn> = Vec::new();
    let mut c = base.clone();
    c.condition = Condition::Fair;
    changed.push(c);
    let mut c = base.clone();
    c.symptoms.pop();
    changed.push(c);
    let mut c = base.clone();
    c.symptom_note = Some("のどが痛いです".into());
    changed.push(c);
    let mut c = base.clone();
    c.medication[0].status = MedicationStatus::Taken;
    changed.push(c);
    let mut c = base.clone();
    c.vitals.pulse_bpm = Some(73);
    changed.push(c);
    let mut c = base.clone();
    c.vitals.steps = None;
    changed.push(c);
    let mut c = base.clone();
    c.call_requested = false;
    changed.push(c);
    let mut c = base.clone();
    c.resident = ResidentId(8);
    changed.push(c);
    for (i, c) in changed.iter().enumerate() {
        assert_ne!(check_in_bytes(id, &at, c), reference, "change {i}");
    }
    assert_ne!(
        check_in_bytes(event_id("00000000-0000-4000-8000-000000000002"), &at, &base),
        reference
    );
    assert_ne!(
        check_in_bytes(id, &ts("2026-11-28T23:15:00.5Z"), &base),
        reference,
        "offset is signed"
    );
}

proptest! {
    #[test]
    fn canonical_bytes_survive_the_wire(event in arb_event()) {
        let EventBody::CheckIn(check_in) = &event.body else { return Ok(()); };
        let back: Event = serde_json::from_slice(&encode(&event)).unwrap();
        let EventBody::CheckIn(back_check_in) = &back.body else { panic!("kind changed") };
        let bytes = check_in_bytes(event.id, &event.recorded_at, check_in);
        prop_assert!(bytes.starts_with(DOMAIN_V1));
        prop_assert_eq!(bytes, check_in_bytes(back.id, &back.recorded_at, back_check_in));
    }
}
