//! Bad input is refused with a message that names the field.

use mimamori_protocol::*;
use serde_json::{Value, json};

use crate::support::*;

/// Applies `change` to the sample request, decodes it, and checks that the
/// error names `field` and says something containing `says`.
fn refused(change: impl FnOnce(&mut Value), field: &str, says: &str) {
    let mut request = sample_request_json();
    change(&mut request);
    let err = decode::<SyncRequest>(&bytes(&request))
        .expect_err(&format!("expected `{field}` to be refused"));
    assert_eq!(err.field(), Some(field), "wrong field in: {err}");
    let text = err.to_string();
    assert!(text.contains(says), "`{text}` should say `{says}`");
    assert!(text.contains(field), "`{text}` should name `{field}`");
}

fn check_in(request: &mut Value) -> &mut Value {
    &mut request["events"][0]["body"]
}

#[test]
fn the_sample_itself_is_accepted() {
    let request: SyncRequest = decode(&bytes(&sample_request_json())).unwrap();
    assert_eq!(request.events.len(), 2);
}

#[test]
fn impossible_vitals() {
    let bp = "events[0].body.vitals.blood_pressure";
    refused(
        |r| check_in(r)["vitals"]["blood_pressure"]["systolic_mmhg"] = json!(500),
        &format!("{bp}.systolic_mmhg"),
        "500 is outside the possible range 60..=260",
    );
    refused(
        |r| check_in(r)["vitals"]["blood_pressure"]["diastolic_mmhg"] = json!(150),
        bp,
        "diastolic pressure must be lower than systolic",
    );
    refused(
        |r| check_in(r)["vitals"]["pulse_bpm"] = json!(0),
        "events[0].body.vitals.pulse_bpm",
        "outside the possible range",
    );
    refused(
        |r| check_in(r)["vitals"]["temperature_c"] = json!(48.2),
        "events[0].body.vitals.temperature_c",
        "48.2 is outside the possible range 32.0..=43.0",
    );
    refused(
        |r| check_in(r)["vitals"]["weight_kg"] = json!(-3),
        "events[0].body.vitals.weight_kg",
        "outside the possible range",
    );
    refused(
        |r| check_in(r)["vitals"]["steps"] = json!(250_000),
        "events[0].body.vitals.steps",
        "outside the possible range",
    );
    refused(
        |r| check_in(r)["vitals"]["pulse_bpm"] = json!(-5),
        "events[0].body.vitals.pulse_bpm",
        "invalid value",
    );
}

#[test]
fn numbers_with_false_precision() {
    refused(
        |r| check_in(r)["vitals"]["temperature_c"] = json!(36.55),
        "events[0].body.vitals.temperature_c",
        "more than one digit after the decimal point",
    );
    refused(
        |r| check_in(r)["vitals"]["temperature_c"] = json!("36.5"),
        "events[0].body.vitals.temperature_c",
        "invalid type",
    );
}

#[test]
fn unknown_enum_values() {
    refused(
        |r| check_in(r)["condition"] = json!("great"),
        "events[0].body.condition",
        "unknown variant `great`",
    );
    refused(
        |r| check_in(r)["symptoms"][1] = json!("sneezing"),
        "events[0].body.symptoms[1]",
        "unknown variant `sneezing`",
    );
    refused(
        |r| check_in(r)["medication"][0]["slot"] = json!("lunch"),
        "events[0].body.medication[0].slot",
        "unknown variant `lunch`",
    );
    refused(
        |r| check_in(r)["medication"][0]["status"] = json!(true),
        "events[0].body.medication[0].status",
        "invalid type",
    );
    refused(
        |r| check_in(r)["type"] = json!("party"),
        "events[0].body.type",
        "unknown variant `party`",
    );
    refused(
        |r| check_in(r)["auth"]["method"] = json!("password"),
        "events[0].body.auth.method",
        "unknown variant `password`",
    );
    refused(
        |r| r["events"][1]["body"]["tv_power"] = json!("off"),
        "events[1].body.tv_power",
        "unknown variant `off`",
    );
}

#[test]
fn oversize_or_unprintable_text() {
    refused(
        |r| check_in(r)["symptom_note"] = json!("あ".repeat(MAX_SYMPTOM_NOTE_CHARS + 1)),
        "events[0].body.symptom_note",
        "longer than the limit of 200",
    );
    refused(
        |r| check_in(r)["symptom_note"] = json!("せき\u{1b}[31m"),
        "events[0].body.symptom_note",
        "control character (U+001B)",
    );
    refused(
        |r| check_in(r)["symptom_note"] = json!("   "),
        "events[0].body.symptom_note",
        "must not be empty",
    );
    refused(
        |r| r["events"][1]["body"]["software_version"] = json!("x".repeat(65)),
        "events[1].body.software_version",
        "longer than the limit of 64",
    );
}

#[test]
fn timestamps_without_offset() {
    refused(
        |r| r["sent_at"] = json!("2026-11-29T08:15:03"),
        "sent_at",
        "has no UTC offset",
    );
    refused(
        |r| r["events"][0]["recorded_at"] = json!("2026-11-29 08:15:00"),
        "events[0].recorded_at",
        "has no UTC offset",
    );
    refused(
        |r| r["events"][1]["body"]["last_key_at"] = json!("2026-11-29T07:00:00.125"),
        "events[1].body.last_key_at",
        "has no UTC offset",
    );
    refused(
        |r| r["sent_at"] = json!("29/11/2026"),
        "sent_at",
        "not an RFC 3339 timestamp",
    );
}

#[test]
fn malformed_identifiers() {
    refused(
        |r| r["device_id"] = json!("box 42"),
        "device_id",
        "not a device id",
    );
    refused(
        |r| r["events"][0]["id"] = json!("not-a-uuid"),
        "events[0].id",
        "invalid",
    );
    refused(
        |r| r["events"][0]["seq"] = json!(0),
        "events[0].seq",
        "outside the possible range",
    );
    refused(
        |r| {
            check_in(r)["auth"] =
                json!({"method": "jpki", "cert_fingerprint": "abcd", "signature": "AAAA"})
        },
        "events[0].body.auth.cert_fingerprint",
        "expected 64 hex digits",
    );
    refused(
        |r| check_in(r)["auth"]["uid"] = json!("04A1"),
        "events[0].body.auth.uid",
        "4 to 10 bytes",
    );
    refused(|r| r["protocol"] = json!("one"), "protocol", "MAJOR.MINOR");
}

#[test]
fn sets_with_repeats_and_missing_fields() {
    refused(
        |r| check_in(r)["symptoms"] = json!(["cough", "cough"]),
        "events[0].body.symptoms",
        "`cough` appears more than once",
    );
    refused(
        |r| check_in(r)["medication"][1]["slot"] = json!("morning"),
        "events[0].body.medication",
        "`morning` appears more than once",
    );
    refused(
        |r| {
            check_in(r).as_object_mut().unwrap().remove("condition");
        },
        "events[0].body",
        "missing field `condition`",
    );
    refused(
        |r| {
            r.as_object_mut().unwrap().remove("device_id");
        },
        "",
        "missing field `device_id`",
    );
}

#[test]
fn out_of_range_heartbeat_readings() {
    refused(
        |r| r["events"][1]["body"]["room"]["humidity_pct"] = json!(120.0),
        "events[1].body.room.humidity_pct",
        "outside the possible range 0.0..=100.0",
    );
}

#[test]
fn too_many_events() {
    refused(
        |r| {
            let one = r["events"][1].clone();
            r["events"] = Value::Array(vec![one; MAX_EVENTS_PER_SYNC + 1]);
        },
        "events",
        "501 entries are more than the limit of 500",
    );
}

#[test]
fn not_json_at_all() {
    for body in [
        &b"hello"[..],
        b"{\"protocol\": \"1.0\"",
        b"",
        &[0xff, 0xfe, 0x00][..],
    ] {
        let err = decode::<SyncRequest>(body).unwrap_err();
        assert!(matches!(err, DecodeError::Syntax(_)), "{err:?}");
        assert!(
            err.to_string().starts_with("the body is not valid JSON"),
            "{err}"
        );
    }
    let mut trailing = bytes(&sample_request_json());
    trailing.extend_from_slice(b" {}");
    assert!(matches!(
        decode::<SyncRequest>(&trailing),
        Err(DecodeError::Syntax(_))
    ));
}

#[test]
fn another_major_version_is_named_as_such() {
    let err =
        decode::<SyncRequest>(br#"{"protocol": "2.0", "box": "entirely different"}"#).unwrap_err();
    assert!(
        matches!(err, DecodeError::UnsupportedVersion { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "protocol version 2.0 is not supported; this side speaks 1.1"
    );
    let mut request = sample_request_json();
    request["protocol"] = json!("2.3");
    let err = decode::<SyncRequest>(&bytes(&request)).unwrap_err();
    assert_eq!(err.field(), Some("protocol"));
}
