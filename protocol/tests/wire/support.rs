//! Sample messages and proptest strategies for valid messages.

use mimamori_protocol::*;
use proptest::prelude::*;
use time::{OffsetDateTime, UtcOffset};
use uuid::Uuid;

pub(crate) fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

pub(crate) fn event_id(text: &str) -> EventId {
    EventId(Uuid::parse_str(text).unwrap())
}

/// A valid sync request as JSON text, for mutation by the reject tests.
pub(crate) fn sample_request_json() -> serde_json::Value {
    serde_json::json!({
        "protocol": "1.0",
        "device_id": "nanbu-0042",
        "sent_at": "2026-11-29T08:15:03+09:00",
        "events": [{
            "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
            "recorded_at": "2026-11-29T08:15:00+09:00",
            "boot_id": "6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22",
            "seq": 412,
            "body": {
                "type": "check_in",
                "resident": 1042,
                "condition": "fair",
                "symptoms": ["cough", "other"],
                "symptom_note": "のどが痛い",
                "medication": [
                    {"slot": "morning", "status": "taken"},
                    {"slot": "evening", "status": "not_taken"}
                ],
                "vitals": {
                    "blood_pressure": {"systolic_mmhg": 138, "diastolic_mmhg": 84},
                    "pulse_bpm": 72,
                    "temperature_c": 36.8,
                    "weight_kg": 52.4,
                    "steps": 3200
                },
                "call_requested": false,
                "auth": {"method": "card_uid", "uid": "04A1B2C3D4E5F6"}
            }
        }, {
            "id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
            "recorded_at": "2026-11-29T08:30:00+09:00",
            "boot_id": "6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22",
            "seq": 413,
            "body": {
                "type": "heartbeat",
                "uptime_s": 86400,
                "tv_power": "on",
                "room": {"temperature_c": 31.5, "humidity_pct": 68.0},
                "software_version": "0.1.0"
            }
        }],
        "known": {"residents": 17}
    })
}

pub(crate) fn bytes(value: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

prop_compose! {
    pub(crate) fn arb_timestamp()(
        secs in 0i64..4_102_444_800,
        nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000],
        offset_min in -720i32..=840,
    ) -> Timestamp {
        let offset = UtcOffset::from_whole_seconds(offset_min * 60).unwrap();
        let at = OffsetDateTime::from_unix_timestamp(secs).unwrap()
            .replace_nanosecond(nanos).unwrap()
            .to_offset(offset);
        Timestamp::new(at)
    }
}

fn arb_tenths(range: std::ops::RangeInclusive<Tenths>) -> impl Strategy<Value = Tenths> {
    (range.start().0..=range.end().0).prop_map(Tenths)
}

fn arb_vitals() -> impl Strategy<Value = Vitals> {
    (
        proptest::option::of(
            (61u16..=260, 30u16..=160).prop_filter_map("dia < sys", |(s, d)| {
                (d < s).then_some(BloodPressure {
                    systolic_mmhg: s,
                    diastolic_mmhg: d,
                })
            }),
        ),
        proptest::option::of(ranges::PULSE_BPM),
        proptest::option::of(arb_tenths(ranges::TEMPERATURE_C)),
        proptest::option::of(arb_tenths(ranges::WEIGHT_KG)),
        proptest::option::of(ranges::STEPS),
    )
        .prop_map(
            |(blood_pressure, pulse_bpm, temperature_c, weight_kg, steps)| Vitals {
                blood_pressure,
                pulse_bpm,
                temperature_c,
                weight_kg,
                steps,
            },
        )
}

fn arb_auth() -> impl Strategy<Value = Authentication> {
    prop_oneof![
        (
            any::<[u8; 32]>(),
            proptest::collection::vec(any::<u8>(), 64..=512)
        )
            .prop_map(|(fp, sig)| Authentication::Jpki(JpkiProof {
                cert_fingerprint: CertFingerprint(fp),
                signature: Signature::from_bytes(&sig).unwrap(),
            })),
        proptest::collection::vec(any::<u8>(), 4..=10).prop_map(|uid| {
            Authentication::CardUid(UidProof {
                uid: CardUid::from_bytes(&uid).unwrap(),
            })
        }),
    ]
}

fn subset<T: Copy + std::fmt::Debug + 'static>(all: &'static [T]) -> impl Strategy<Value = Vec<T>> {
    proptest::sample::subsequence(all, 0..=all.len()).prop_shuffle()
}

prop_compose! {
    pub(crate) fn arb_check_in()(
        resident in any::<u64>(),
        condition in proptest::sample::select(Condition::ALL),
        symptoms in subset(Symptom::ALL),
        note in proptest::option::of("[a-zA-Zあ-んア-ン一-龠 、。]{1,200}"
            .prop_filter("not blank", |s| !s.trim().is_empty())),
        slots in subset(MedicationSlot::ALL),
        statuses in proptest::collection::vec(proptest::sample::select(MedicationStatus::ALL), 4),
        vitals in arb_vitals(),
        call_requested in any::<bool>(),
        auth in arb_auth(),
    ) -> CheckIn {
        CheckIn {
            resident: ResidentId(resident),
            condition,
            symptoms,
            symptom_note: note,
            medication: slots.into_iter().zip(statuses).map(|(slot, status)| MedicationEntry { slot, status }).collect(),
            vitals,
            call_requested,
            auth,
        }
    }
}

fn arb_body() -> impl Strategy<Value = EventBody> {
    prop_oneof![
        arb_check_in().prop_map(EventBody::CheckIn),
        (
            any::<u64>(),
            proptest::option::of(arb_timestamp()),
            proptest::option::of(prop_oneof![Just(TvPower::On), Just(TvPower::Standby)]),
            proptest::option::of((-400i32..=850, 0i32..=1000)),
            "[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2}",
            any::<u32>(),
        )
            .prop_map(
                |(uptime_s, last_key_at, tv_power, room, software_version, pending_events)| {
                    EventBody::Heartbeat(Heartbeat {
                        uptime_s,
                        last_key_at,
                        tv_power,
                        room: room.map(|(t, h)| RoomClimate {
                            temperature_c: Tenths(t),
                            humidity_pct: Tenths(h),
                        }),
                        software_version,
                        pending_events,
                    })
                }
            ),
        (proptest::option::of(any::<u64>()), any::<bool>()).prop_map(|(resident, button)| {
            EventBody::Sos(Sos {
                resident: resident.map(ResidentId),
                source: if button {
                    SosSource::CallButton
                } else {
                    SosSource::Remote
                },
            })
        }),
        prop_oneof![
            any::<[u8; 32]>().prop_map(|fp| CardBinding::Jpki(JpkiBinding {
                cert_fingerprint: CertFingerprint(fp)
            })),
            proptest::collection::vec(any::<u8>(), 4..=10).prop_map(|uid| CardBinding::CardUid(
                UidBinding {
                    uid: CardUid::from_bytes(&uid).unwrap()
                }
            )),
        ]
        .prop_map(|card| EventBody::Tap(Tap { card })),
    ]
}

prop_compose! {
    pub(crate) fn arb_event()(
        id in any::<u128>(),
        recorded_at in arb_timestamp(),
        boot in any::<u128>(),
        seq in 1u64..,
        body in arb_body(),
    ) -> Event {
        Event {
            id: EventId(Uuid::from_u128(id)),
            recorded_at,
            boot_id: BootId(Uuid::from_u128(boot)),
            seq,
            body,
        }
    }
}

prop_compose! {
    pub(crate) fn arb_sync_request()(
        device in "[a-z0-9][a-z0-9._-]{0,20}",
        sent_at in arb_timestamp(),
        events in proptest::collection::vec(arb_event(), 0..8),
        residents in proptest::option::of(any::<u64>()),
        notices in proptest::option::of(any::<u64>()),
    ) -> SyncRequest {
        SyncRequest {
            protocol: PROTOCOL_VERSION,
            device_id: device.parse().unwrap(),
            sent_at,
            events,
            known: Known {
                residents: residents.map(Revision),
                notices: notices.map(Revision),
                checkups: None,
                people: None,
            },
        }
    }
}
