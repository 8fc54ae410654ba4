//! Newer minor versions add fields and values; older peers must cope.

use mimamori_protocol::*;
use serde_json::json;

use crate::support::*;

#[test]
fn unknown_fields_are_ignored_at_every_level() {
    let mut r = sample_request_json();
    r["protocol"] = json!("1.7");
    r["compression"] = json!("zstd");
    r["events"][0]["priority"] = json!(3);
    r["events"][0]["body"]["mood_emoji"] = json!("🙂");
    r["events"][0]["body"]["vitals"]["spo2_pct"] = json!(97);
    r["events"][0]["body"]["auth"]["reader"] = json!("ACS ACR39U");
    r["events"][0]["body"]["medication"][0]["dose"] = json!("1錠");
    r["known"]["photos"] = json!(3);
    let request: SyncRequest = decode(&bytes(&r)).unwrap();
    assert_eq!(request.protocol, ProtocolVersion { major: 1, minor: 7 });
    let plain: SyncRequest = decode(&bytes(&sample_request_json())).unwrap();
    assert_eq!(
        request.events, plain.events,
        "the extras change nothing we know"
    );
}

#[test]
fn the_tag_may_come_anywhere_from_other_producers() {
    let mut r = sample_request_json();
    let body = r["events"][0]["body"].as_object_mut().unwrap();
    let tag = body.remove("type").unwrap();
    body.insert("type".into(), tag);
    let last: SyncRequest = decode(&bytes(&r)).unwrap();
    let first: SyncRequest = decode(&bytes(&sample_request_json())).unwrap();
    assert_eq!(last, first);

    // An error in such an object is still reported within the event.
    r["events"][0]["body"]["condition"] = json!("great");
    let err = decode::<SyncRequest>(&bytes(&r)).unwrap_err();
    assert_eq!(err.field(), Some("events[0].body.condition"), "{err}");
    assert!(err.to_string().contains("unknown variant `great`"), "{err}");
}

#[test]
fn newer_response_values_reach_an_older_box_as_unknown() {
    let response = json!({
        "protocol": "1.3",
        "server_time": "2026-11-28T23:15:03.120Z",
        "acked": [],
        "rejected": [{"id": "0f8fad5b-d9cb-469f-a165-70867728950e",
                      "reason": "quota_exceeded", "message": "later"}],
        "checkups": {"revision": 2, "items": [{
            "id": 1, "resident": 1042, "examined_on": "2026-06-12", "title": "特定健康診査",
            "items": [{"name": "HbA1c", "value": "6.1", "unit": "%", "judgement": "recheck_in_3_months"}]
        }]},
        "weather": {"today": "晴れ"}
    });
    let response: SyncResponse = decode(&bytes(&response)).unwrap();
    assert_eq!(response.rejected[0].reason, RejectReason::Unknown);
    assert_eq!(
        response.checkups.unwrap().items[0].items[0].judgement,
        Some(Judgement::Unknown)
    );
}

#[test]
fn absent_optional_sections_mean_unchanged() {
    let response: SyncResponse =
        decode(br#"{"protocol": "1.0", "server_time": "2026-11-28T23:15:03Z", "acked": []}"#)
            .unwrap();
    assert!(
        response.residents.is_none() && response.notices.is_none() && response.checkups.is_none()
    );
    assert!(response.standings.is_empty());
    let text = String::from_utf8(encode(&response)).unwrap();
    assert!(
        !text.contains("residents"),
        "absent sections stay absent: {text}"
    );
}
