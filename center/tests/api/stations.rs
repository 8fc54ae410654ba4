//! Tap stations over real HTTP: taps stored once, unknown cards rejected,
//! the roster and place in the answer; home boxes and stations each kept to
//! their own events; a 1.0 box answered exactly as before 1.1.

use std::collections::BTreeSet;

use mimamori_center::store::{Store, admin, children};
use mimamori_protocol::StationKind;
use serde_json::{Value, json};

use crate::harness::*;

const T1: &str = "019af8a0-6c3e-7b1a-9d2e-3f4a5b6c7d01";
const T2: &str = "019af8a0-6c3e-7b1a-9d2e-3f4a5b6c7d02";
const T3: &str = "019af8a0-6c3e-7b1a-9d2e-3f4a5b6c7d03";
const T4: &str = "019af8a0-6c3e-7b1a-9d2e-3f4a5b6c7d04";

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn names(response: &Value) -> Vec<String> {
    response["people"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_station_stores_taps_once_and_gets_its_place_and_roster() {
    let (_tmp, dir) = temp();
    let now = at("2026-12-07T06:32:05Z");
    let h = household(&dir, "nanbu-0501", "04A1B2C3", now);
    let token = station(&dir, "nanbu-st-01", "南部小学校", StationKind::School, now);
    let shelter = station(&dir, "nanbu-st-09", "南部公民館", StationKind::Shelter, now);
    child(&dir, "山田 太郎", "やまだ たろう", "04AA0001", now);
    child(&dir, "相田 花", "あいだ はな", "04AA0002", now);
    let center = Center::start(&dir, now).await;

    let body = station_request(
        "nanbu-st-01",
        "2026-12-07T15:32:05+09:00",
        vec![
            tap_event(T1, 1, "04AA0001", "2026-12-07T15:32:00+09:00"),
            tap_event(T2, 2, "04FFFFFF", "2026-12-07T15:32:01+09:00"),
            tap_event(T3, 3, &h.uid, "2026-12-07T15:32:02+09:00"),
        ],
    );
    let (status, first) = center.sync(&token, &body).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["protocol"], "1.1");
    assert_eq!(first["acked"], json!([T1, T3]));
    assert_eq!(first["rejected"][0]["id"], T2);
    assert_eq!(first["rejected"][0]["reason"], "unknown_card");
    assert_eq!(
        first["station"],
        json!({"place": "南部小学校", "kind": "school"})
    );
    // A school knows the children with cards, by kana; no residents.
    assert_eq!(names(&first), ["相田 花", "山田 太郎"]);
    assert_eq!(
        first["people"]["items"][1]["cards"],
        json!([{"method": "card_uid", "uid": "04AA0001"}])
    );
    assert_eq!(first["residents"]["items"], json!([]));

    // The station sends the same request again: stored once.
    let (status, again) = center.sync(&token, &body).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["acked"], first["acked"]);
    assert_eq!(again["rejected"], first["rejected"]);
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM taps"), 2);
    assert_eq!(
        count(&dir, "SELECT COUNT(*) FROM events WHERE kind = 'tap'"),
        2
    );
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM rejected_events"), 1);
    assert_eq!(
        count(
            &dir,
            "SELECT COUNT(*) FROM taps WHERE local_date = '2026-12-07' AND child_id IS NOT NULL"
        ),
        1
    );
    assert_eq!(
        count(
            &dir,
            &format!(
                "SELECT COUNT(*) FROM taps WHERE resident_id = {} AND at = {}",
                h.resident,
                at("2026-12-07T15:32:02+09:00").as_millisecond()
            )
        ),
        1
    );

    // It knows the roster now: only the place comes back.
    let revision = first["people"]["revision"].clone();
    let mut known = station_request("nanbu-st-01", "2026-12-07T15:40:00+09:00", vec![]);
    known["known"] = json!({"people": revision});
    let (_, quiet) = center.sync(&token, &known).await;
    assert!(quiet.get("people").is_none(), "{quiet}");
    assert_eq!(quiet["station"]["place"], "南部小学校");

    // A resident's name changes: shelters show residents, so the roster moves.
    let config = config(&dir);
    let mut store = Store::open(&config.database_path()).unwrap();
    store
        .transaction(|c| {
            admin::edit_resident(
                c,
                h.resident,
                &admin::ResidentEdit {
                    name: Some("山田 花江".into()),
                    ..Default::default()
                },
            )
        })
        .unwrap();
    let (_, moved) = center.sync(&token, &known).await;
    assert_ne!(moved["people"]["revision"], revision, "{moved}");
    // So does a resident's card bound, and a child's.
    let mut known = known.clone();
    known["known"]["people"] = moved["people"]["revision"].clone();
    store
        .transaction(|c| admin::bind_uid(c, h.resident, &"04A1B2C9".parse().unwrap(), now))
        .unwrap();
    let (_, moved) = center.sync(&token, &known).await;
    assert!(moved.get("people").is_some(), "{moved}");
    known["known"]["people"] = moved["people"]["revision"].clone();
    child(&dir, "井上 陽", "いのうえ よう", "04AA0003", now);
    let (_, moved) = center.sync(&token, &known).await;
    assert_eq!(
        names(&moved),
        ["相田 花", "井上 陽", "山田 太郎"],
        "{moved}"
    );

    // A shelter knows children and watch-over residents, by kana.
    let (status, at_shelter) = center
        .sync(
            &shelter,
            &station_request("nanbu-st-09", "2026-12-07T15:40:00+09:00", vec![]),
        )
        .await;
    assert_eq!(status, 200, "{at_shelter}");
    assert_eq!(at_shelter["station"]["kind"], "shelter");
    assert_eq!(
        names(&at_shelter),
        ["相田 花", "井上 陽", "山田 太郎", "山田 花江"]
    );
    let hanae = &at_shelter["people"]["items"][3];
    assert_eq!(hanae["cards"].as_array().unwrap().len(), 2, "{hanae}");
    center.stop().await;
}

#[tokio::test]
async fn home_boxes_report_no_taps_and_stations_no_check_ins() {
    let (_tmp, dir) = temp();
    let now = at("2026-12-07T06:32:05Z");
    let h = household(&dir, "nanbu-0502", "04A1B2C4", now);
    let token = station(&dir, "nanbu-st-02", "南部図書館", StationKind::Library, now);
    child(&dir, "山田 太郎", "やまだ たろう", "04AA0001", now);
    let center = Center::start(&dir, now).await;

    // A home box with a tap (and a check-in before it): nothing is stored.
    let mut body = request(
        &h.device,
        "2026-12-07T15:32:05+09:00",
        vec![
            check_in_event(T1, 1, h.resident, &h.uid, "2026-12-07T15:30:00+09:00"),
            tap_event(T2, 2, "04AA0001", "2026-12-07T15:32:00+09:00"),
        ],
    );
    body["protocol"] = json!("1.1");
    let (status, error) = center.sync(&h.token, &body).await;
    assert_eq!(status, 403, "{error}");
    assert_eq!(error["field"], "events[1].body.type");
    for table in ["events", "taps", "check_ins", "rejected_events"] {
        assert_eq!(
            count(&dir, &format!("SELECT COUNT(*) FROM {table}")),
            0,
            "{table}"
        );
    }
    assert_eq!(
        count(
            &dir,
            "SELECT COUNT(*) FROM boxes WHERE last_contact_at IS NOT NULL"
        ),
        0,
        "not even the contact is stored"
    );

    // A station with a check-in: refused the same way.
    let body = station_request(
        "nanbu-st-02",
        "2026-12-07T15:32:05+09:00",
        vec![
            tap_event(T3, 1, "04AA0001", "2026-12-07T15:32:00+09:00"),
            check_in_event(T4, 2, h.resident, &h.uid, "2026-12-07T15:30:00+09:00"),
        ],
    );
    let (status, error) = center.sync(&token, &body).await;
    assert_eq!(status, 403, "{error}");
    assert_eq!(error["field"], "events[1].body.type");
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM events"), 0);
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM taps"), 0);

    // A tap in a request that declares 1.0 is not a 1.0 request.
    let body = request(
        "nanbu-st-02",
        "2026-12-07T15:32:05+09:00",
        vec![tap_event(T3, 1, "04AA0001", "2026-12-07T15:32:00+09:00")],
    );
    let (status, error) = center.sync(&token, &body).await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["field"], "events[0].body.type");
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM events"), 0);
    center.stop().await;
}

#[tokio::test]
async fn a_1_0_box_gets_exactly_a_1_0_answer() {
    let (_tmp, dir) = temp();
    let now = at("2026-12-07T00:00:05Z");
    let h = household(&dir, "nanbu-0503", "04A1B2C5", now);
    let token = station(&dir, "nanbu-st-03", "南部小学校", StationKind::School, now);
    child(&dir, "山田 太郎", "やまだ たろう", "04AA0001", now);
    let center = Center::start(&dir, now).await;
    let one_oh: BTreeSet<String> = [
        "protocol",
        "server_time",
        "acked",
        "rejected",
        "residents",
        "notices",
        "checkups",
        "standings",
        "next_sync_in_s",
    ]
    .into_iter()
    .map(String::from)
    .collect();

    let body = request(
        &h.device,
        "2026-12-07T09:00:05+09:00",
        vec![check_in_event(
            T1,
            1,
            h.resident,
            &h.uid,
            "2026-12-07T09:00:00+09:00",
        )],
    );
    let (status, answer) = center.sync(&h.token, &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["protocol"], "1.0");
    assert_eq!(keys(&answer), one_oh, "{answer}");
    assert_eq!(answer["acked"], json!([T1]));

    // The same box speaking 1.1 gets 1.1, still without a station's parts.
    let mut body = request(&h.device, "2026-12-07T09:00:06+09:00", vec![]);
    body["protocol"] = json!("1.1");
    let (_, answer) = center.sync(&h.token, &body).await;
    assert_eq!(answer["protocol"], "1.1");
    assert_eq!(keys(&answer), one_oh, "{answer}");

    // Even a station that speaks 1.0 gets nothing newer than 1.0.
    let (status, answer) = center
        .sync(
            &token,
            &request("nanbu-st-03", "2026-12-07T09:00:06+09:00", vec![]),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["protocol"], "1.0");
    assert_eq!(keys(&answer), one_oh, "{answer}");
    center.stop().await;
}

#[tokio::test]
async fn a_my_number_card_is_known_by_its_certificate_at_a_station() {
    let (_tmp, dir) = temp();
    let now = at("2026-12-07T06:32:05Z");
    let token = station(&dir, "nanbu-st-04", "南部図書館", StationKind::Library, now);
    let taro = child(&dir, "山田 太郎", "やまだ たろう", "04AA0001", now);
    let (der, _) = crate::jpki::certificate((2025, 1), (2030, 1));
    let cert = mimamori_center::jpki::parse_certificate(&der).unwrap();
    let mut store = Store::open(&config(&dir).database_path()).unwrap();
    store
        .transaction(|c| {
            children::bind_child_card(
                c,
                taro,
                children::ChildCard::Certificate(&cert),
                "test",
                now,
            )
        })
        .unwrap();
    let fingerprint = cert.fingerprint.to_string();
    let center = Center::start(&dir, now).await;

    let mut event = tap_event(T1, 1, "04AA0001", "2026-12-07T15:32:00+09:00");
    event["body"]["card"] = json!({"method": "jpki", "cert_fingerprint": fingerprint});
    let (status, answer) = center
        .sync(
            &token,
            &station_request("nanbu-st-04", "2026-12-07T15:32:05+09:00", vec![event]),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["acked"], json!([T1]));
    assert_eq!(
        answer["people"]["items"][0]["cards"],
        json!([
            {"method": "card_uid", "uid": "04AA0001"},
            {"method": "jpki", "cert_fingerprint": fingerprint}
        ])
    );
    assert_eq!(
        count(
            &dir,
            &format!("SELECT COUNT(*) FROM taps WHERE child_id = {taro}")
        ),
        1
    );
    center.stop().await;
}
