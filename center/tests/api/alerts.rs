//! Alerts opened by what boxes send, and by silence, through the real API.

use mimamori_center::store::{Store, admin, watch};
use serde_json::json;

use crate::harness::*;

const EV1: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
const EV2: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

fn alerts(dir: &std::path::Path) -> Vec<(String, String, String)> {
    let store = Store::open(&config(dir).database_path()).unwrap();
    admin::list_alerts(store.connection(), None)
        .unwrap()
        .into_iter()
        .map(|a| (a.kind, a.state, a.reason))
        .collect()
}

#[tokio::test]
async fn a_call_request_and_high_blood_pressure_open_alerts_at_once() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let h = household(&dir, "nanbu-0101", "04A1B2C3", now);
    let center = Center::start(&dir, now).await;
    let mut event = check_in_event(EV1, 1, h.resident, &h.uid, "2026-11-29T09:00:00+09:00");
    event["body"]["call_requested"] = json!(true);
    event["body"]["vitals"]["blood_pressure"] = json!({"systolic_mmhg": 186, "diastolic_mmhg": 95});
    let (status, response) = center
        .sync(
            &h.token,
            &request(&h.device, "2026-11-29T09:00:05+09:00", vec![event]),
        )
        .await;
    assert_eq!(status, 200, "{response}");
    let kinds: Vec<String> = alerts(&dir)
        .into_iter()
        .map(|(k, s, _)| format!("{k}:{s}"))
        .collect();
    assert!(
        kinds.contains(&"call_requested:open".to_owned()),
        "{kinds:?}"
    );
    assert!(kinds.contains(&"vitals:open".to_owned()), "{kinds:?}");
    let (_, _, reason) = alerts(&dir)
        .into_iter()
        .find(|(k, _, _)| k == "vitals")
        .unwrap();
    assert!(reason.contains("186"), "{reason}");

    // The same check-in again opens nothing more.
    let mut again = check_in_event(EV1, 1, h.resident, &h.uid, "2026-11-29T09:00:00+09:00");
    again["body"]["call_requested"] = json!(true);
    center
        .sync(
            &h.token,
            &request(&h.device, "2026-11-29T09:00:05+09:00", vec![again]),
        )
        .await;
    assert_eq!(alerts(&dir).len(), 2);
    center.stop().await;
}

#[tokio::test]
async fn an_sos_without_a_card_alerts_for_everyone_at_the_box() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let h = household(&dir, "nanbu-0102", "04A1B2C4", now);
    // A second resident at the same box.
    let config = config(&dir);
    let mut store = Store::open(&config.database_path()).unwrap();
    store
        .transaction(|c| {
            admin::add_resident(
                c,
                &config,
                &admin::NewResident {
                    name: "山田 太郎".into(),
                    kana: "やまだ たろう".into(),
                    district: "東町".into(),
                    address: String::new(),
                    phone: String::new(),
                    birth_date: None,
                    care_plan: serde_json::from_value(
                        json!({"reminder_at": "09:00", "deadline": "12:00"}),
                    )
                    .unwrap(),
                    box_device: Some(h.device.clone()),
                },
                now,
            )
        })
        .unwrap();
    let center = Center::start(&dir, now).await;
    let sos = json!({"id": EV2, "recorded_at": "2026-11-29T10:00:00+09:00",
                     "boot_id": "6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22", "seq": 7,
                     "body": {"type": "sos", "source": "call_button"}});
    let (status, response) = center
        .sync(
            &h.token,
            &request(&h.device, "2026-11-29T10:00:01+09:00", vec![sos]),
        )
        .await;
    assert_eq!(status, 200, "{response}");
    let sos_alerts = alerts(&dir)
        .into_iter()
        .filter(|(k, _, _)| k == "sos")
        .count();
    assert_eq!(sos_alerts, 2);
    center.stop().await;
}

#[tokio::test]
async fn silence_opens_missed_and_box_offline_and_a_check_in_closes_missed() {
    let (_tmp, dir) = temp();
    // Registered Sunday 29 Nov, 09:00 in Tokyo.
    let registered = at("2026-11-29T00:00:00Z");
    let h = household(&dir, "nanbu-0103", "04A1B2C5", registered);
    let center = Center::start(&dir, registered).await;
    let (status, _) = center
        .sync(
            &h.token,
            &request(
                &h.device,
                "2026-11-29T09:00:05+09:00",
                vec![check_in_event(
                    EV1,
                    1,
                    h.resident,
                    &h.uid,
                    "2026-11-29T09:00:00+09:00",
                )],
            ),
        )
        .await;
    assert_eq!(status, 200);
    center.stop().await;

    // Two deadlines pass without a word: a sweep as of Tuesday 12:00 opens
    // `missed`; the box has been silent more than 24 h too.
    let config = config(&dir);
    let mut store = Store::open(&config.database_path()).unwrap();
    let before = store
        .transaction(|c| watch::sweep(c, &config, at("2026-12-01T02:59:59Z")))
        .unwrap();
    assert!(
        before.applied.iter().all(|a| a.kind.as_str() != "missed"),
        "{before:?}"
    );
    let report = store
        .transaction(|c| watch::sweep(c, &config, at("2026-12-01T03:00:00Z")))
        .unwrap();
    let opened: Vec<&str> = report.applied.iter().map(|a| a.kind.as_str()).collect();
    assert!(opened.contains(&"missed"), "{report:?}");
    assert!(
        alerts(&dir)
            .iter()
            .any(|(k, s, _)| k == "box_offline" && s == "open"),
        "{:?}",
        alerts(&dir)
    );

    // Wednesday morning she checks in: missed and box_offline close.
    let center = Center::start(&dir, at("2026-12-02T00:00:00Z")).await;
    let (status, response) = center
        .sync(
            &h.token,
            &request(
                &h.device,
                "2026-12-02T09:00:05+09:00",
                vec![check_in_event(
                    EV2,
                    2,
                    h.resident,
                    &h.uid,
                    "2026-12-02T09:00:00+09:00",
                )],
            ),
        )
        .await;
    assert_eq!(status, 200, "{response}");
    let now_alerts = alerts(&dir);
    assert!(
        now_alerts.iter().all(|(_, s, _)| s == "resolved"),
        "{now_alerts:?}"
    );
    center.stop().await;
}

fn heartbeat(id: u128, seq: u64, recorded_at: &str, room: (f64, f64)) -> serde_json::Value {
    json!({"id": uuid::Uuid::from_u128(id).to_string(), "recorded_at": recorded_at,
           "boot_id": "6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22", "seq": seq,
           "body": {"type": "heartbeat", "uptime_s": seq * 900, "software_version": "0.1.0",
                    "room": {"temperature_c": room.0, "humidity_pct": room.1}}})
}

#[tokio::test]
async fn a_room_at_danger_for_an_hour_opens_room_heat_and_cooling_closes_it() {
    let (_tmp, dir) = temp();
    // 10 Aug, 14:20 in Tokyo: the box sends the afternoon's heartbeats.
    let now = at("2026-08-10T05:20:00Z");
    let h = household(&dir, "nanbu-0104", "04A1B2C6", at("2026-08-01T00:00:00Z"));
    let center = Center::start(&dir, now).await;
    let afternoon: Vec<_> = [
        ("12:45", (28.0, 50.0)),
        ("13:00", (35.0, 70.0)),
        ("13:15", (35.2, 70.0)),
        ("13:30", (35.5, 68.0)),
        ("13:45", (35.1, 70.0)),
        ("14:00", (35.0, 71.0)),
        ("14:15", (35.3, 70.0)),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (time, room))| {
        heartbeat(
            0x100 + i as u128,
            i as u64 + 1,
            &format!("2026-08-10T{time}:00+09:00"),
            room,
        )
    })
    .collect();
    let (status, response) = center
        .sync(
            &h.token,
            &request(&h.device, "2026-08-10T14:20:00+09:00", afternoon),
        )
        .await;
    assert_eq!(status, 200, "{response}");
    let room: Vec<_> = alerts(&dir)
        .into_iter()
        .filter(|(k, _, _)| k == "room_heat")
        .collect();
    assert_eq!(room.len(), 1, "{room:?}");
    assert_eq!(room[0].1, "open");
    assert_eq!(
        room[0].2,
        "室内の暑さ指数が1時間「危険」のままです（8月10日 13:00から。8月10日 14:00に 33.8、室温 35.0℃・湿度 71.0%）"
    );

    // The air conditioner goes on.
    let (status, _) = center
        .sync(
            &h.token,
            &request(
                &h.device,
                "2026-08-10T14:20:00+09:00",
                vec![heartbeat(
                    0x200,
                    20,
                    "2026-08-10T14:20:00+09:00",
                    (27.0, 50.0),
                )],
            ),
        )
        .await;
    assert_eq!(status, 200);
    let room: Vec<_> = alerts(&dir)
        .into_iter()
        .filter(|(k, _, _)| k == "room_heat")
        .collect();
    assert_eq!(room[0].1, "resolved", "{room:?}");
    center.stop().await;
}
