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

#[test]
fn a_station_exchange_decodes() {
    let request: SyncRequest = decode(include_bytes!(
        "../../testdata/examples/station_sync_request.json"
    ))
    .unwrap();
    assert_eq!(request.protocol, ProtocolVersion::V1_1);
    let EventBody::Tap(tap) = &request.events[0].body else {
        panic!("a tap");
    };
    assert!(matches!(tap.card, CardBinding::CardUid(_)));
    assert_eq!(request.events[1].body.kind(), "tap");
    assert_eq!(request.known.people, Some(Revision(41)));

    let response: SyncResponse = decode(include_bytes!(
        "../../testdata/examples/station_sync_response.json"
    ))
    .unwrap();
    let people = response.people.clone().unwrap();
    assert_eq!(people.items[0].name, "田中 ゆい");
    assert_eq!(response.station.as_ref().unwrap().kind, StationKind::School);
    let again: SyncResponse = decode(&encode(&response)).unwrap();
    assert_eq!(again, response);
}

#[test]
fn a_box_that_declared_1_0_may_not_send_a_tap() {
    let mut r: serde_json::Value = serde_json::from_slice(include_bytes!(
        "../../testdata/examples/station_sync_request.json"
    ))
    .unwrap();
    r["protocol"] = json!("1.0");
    let err = decode::<SyncRequest>(&bytes(&r)).unwrap_err();
    assert_eq!(err.field(), Some("events[0].body.type"), "{err}");
    assert!(
        err.to_string()
            .contains("`tap` needs protocol 1.1; the message declared 1.0"),
        "{err}"
    );
}

#[test]
fn an_older_center_refuses_a_tap_by_name() {
    // What a 1.0 center's decoder says of it: an unknown variant, which
    // is why a station sends taps only once its center declared 1.1.
    let mut r: serde_json::Value = serde_json::from_slice(include_bytes!(
        "../../testdata/examples/station_sync_request.json"
    ))
    .unwrap();
    r["events"][0]["body"]["type"] = json!("tapped");
    let err = decode::<SyncRequest>(&bytes(&r)).unwrap_err();
    assert_eq!(err.field(), Some("events[0].body.type"), "{err}");
}

#[test]
fn a_1_0_peer_gets_nothing_of_1_1() {
    let response: SyncResponse = decode(include_bytes!(
        "../../testdata/examples/station_sync_response.json"
    ))
    .unwrap();
    let old = response.clone().for_peer(ProtocolVersion::V1_0);
    assert_eq!(old.protocol, ProtocolVersion::V1_0);
    assert!(old.people.is_none() && old.station.is_none());
    let text = String::from_utf8(encode(&old)).unwrap();
    assert!(
        !text.contains("people")
            && !text.contains("station")
            && text.contains(r#""protocol":"1.0""#),
        "{text}"
    );
    // The rest is as it was.
    assert_eq!(old.acked, response.acked);
    // A newer peer gets what this side speaks, never more.
    let newer = response
        .clone()
        .for_peer(ProtocolVersion { major: 1, minor: 9 });
    assert_eq!(newer, response);

    // The 1.0 example answer is unchanged by the round through for_peer.
    let v10: SyncResponse =
        decode(include_bytes!("../../testdata/examples/sync_response.json")).unwrap();
    assert_eq!(v10.clone().for_peer(ProtocolVersion::V1_0), v10);
}

#[test]
fn station_kinds_not_known_read_as_unknown() {
    let response = json!({
        "protocol": "1.4",
        "server_time": "2026-11-28T23:15:03.120Z",
        "station": {"place": "南部町立病院", "kind": "hospital"}
    });
    let response: SyncResponse = decode(&bytes(&response)).unwrap();
    assert_eq!(response.station.unwrap().kind, StationKind::Unknown);
}
