//! `POST /api/v1/sync`: idempotency, authorization, bad input, restarts.

use serde_json::json;

use crate::harness::*;

const EV1: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
const EV2: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

#[tokio::test]
async fn a_check_in_is_stored_once_and_acked_every_time() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let h = household(&dir, "nanbu-0001", "04A1B2C3", now);
    let center = Center::start(&dir, now).await;
    let body = request(
        &h.device,
        "2026-11-29T09:00:05+09:00",
        vec![check_in_event(
            EV1,
            1,
            h.resident,
            &h.uid,
            "2026-11-29T09:00:00+09:00",
        )],
    );
    for _ in 0..3 {
        let (status, response) = center.sync(&h.token, &body).await;
        assert_eq!(status, 200, "{response}");
        assert_eq!(response["acked"], json!([EV1]));
        assert_eq!(response["rejected"], json!([]));
    }
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM check_ins"), 1);
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM events"), 1);
    assert_eq!(
        count(&dir, "SELECT points FROM residents"),
        15,
        "check-in + vitals, once"
    );
    center.stop().await;
}

#[tokio::test]
async fn concurrent_duplicates_are_stored_once() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let h = household(&dir, "nanbu-0002", "04A1B2C4", now);
    let center = std::sync::Arc::new(Center::start(&dir, now).await);
    let body = request(
        &h.device,
        "2026-11-29T09:00:05+09:00",
        vec![
            check_in_event(EV1, 1, h.resident, &h.uid, "2026-11-29T09:00:00+09:00"),
            json!({"id": EV2, "recorded_at": "2026-11-29T09:00:01+09:00",
                   "boot_id": "6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22", "seq": 2,
                   "body": {"type": "heartbeat", "uptime_s": 60, "software_version": "0.1.0"}}),
        ],
    );
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let center = center.clone();
        let token = h.token.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(
            async move { center.sync(&token, &body).await },
        ));
    }
    for task in tasks {
        let (status, response) = task.await.unwrap();
        assert_eq!(status, 200, "{response}");
        assert_eq!(response["acked"], json!([EV1, EV2]));
    }
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM check_ins"), 1);
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM heartbeats"), 1);
    assert_eq!(
        count(
            &dir,
            "SELECT COUNT(*) FROM points_ledger WHERE reason = '毎日の記録'"
        ),
        1
    );
    std::sync::Arc::into_inner(center).unwrap().stop().await;
}

#[tokio::test]
async fn tokens_are_checked() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let h = household(&dir, "nanbu-0003", "04A1B2C5", now);
    let other = household(&dir, "nanbu-0004", "04A1B2C6", now);
    let center = Center::start(&dir, now).await;
    let body = request(&h.device, "2026-11-29T09:00:05+09:00", vec![]);

    let (status, error) = center.sync("mmb_not-a-token", &body).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (401, Some("unauthorized")),
        "{error}"
    );

    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/sync", center.url))
        .body(serde_json::to_vec(&body).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert!(response.headers().contains_key("www-authenticate"));

    // Another box's token for this device id.
    let (status, error) = center.sync(&other.token, &body).await;
    assert_eq!(status, 403, "{error}");
    assert_eq!(error["field"], "device_id");

    // Revoked.
    let config = config(&dir);
    let mut store = mimamori_center::store::Store::open(&config.database_path()).unwrap();
    store
        .transaction(|c| mimamori_center::store::admin::revoke_box(c, &config, &h.device, now))
        .unwrap();
    let (status, error) = center.sync(&h.token, &body).await;
    assert_eq!(status, 401, "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("revoked"),
        "{error}"
    );
    center.stop().await;
}

#[tokio::test]
async fn a_box_writes_only_for_its_own_residents() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let h = household(&dir, "nanbu-0005", "04A1B2C7", now);
    let other = household(&dir, "nanbu-0006", "04A1B2C8", now);
    let center = Center::start(&dir, now).await;
    let body = request(
        &h.device,
        "2026-11-29T09:00:05+09:00",
        vec![
            check_in_event(EV1, 1, h.resident, &h.uid, "2026-11-29T09:00:00+09:00"),
            check_in_event(
                EV2,
                2,
                other.resident,
                &other.uid,
                "2026-11-29T09:00:00+09:00",
            ),
        ],
    );
    let (status, error) = center.sync(&h.token, &body).await;
    assert_eq!(status, 403, "{error}");
    assert_eq!(error["field"], "events[1].body.resident");
    assert_eq!(
        count(&dir, "SELECT COUNT(*) FROM events"),
        0,
        "nothing of the request is stored"
    );
    center.stop().await;
}

#[tokio::test]
async fn bad_bodies_get_json_errors_naming_the_field() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let h = household(&dir, "nanbu-0007", "04A1B2C9", now);
    let center = Center::start(&dir, now).await;

    let (status, error) = center.post(&h.token, b"{not json".to_vec()).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("malformed")),
        "{error}"
    );

    let mut event = check_in_event(EV1, 1, h.resident, &h.uid, "2026-11-29T09:00:00+09:00");
    event["body"]["vitals"]["blood_pressure"]["systolic_mmhg"] = json!(500);
    let (status, error) = center
        .sync(
            &h.token,
            &request(&h.device, "2026-11-29T09:00:05+09:00", vec![event]),
        )
        .await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(
        error["field"],
        "events[0].body.vitals.blood_pressure.systolic_mmhg"
    );
    assert!(
        error["message"].as_str().unwrap().contains("500"),
        "{error}"
    );

    let (status, error) = center
        .sync(&h.token, &request(&h.device, "2026-11-29T09:00:05", vec![]))
        .await;
    assert_eq!(
        (status, error["field"].as_str()),
        (422, Some("sent_at")),
        "{error}"
    );

    // Over the configured 64 KiB.
    let big = request(
        &h.device,
        "2026-11-29T09:00:05+09:00",
        vec![json!({"padding": "x".repeat(70_000)})],
    );
    let (status, error) = center.sync(&h.token, &big).await;
    assert_eq!(status, 413, "{error}");
    assert_eq!(error["error"], "body");

    assert_eq!(count(&dir, "SELECT COUNT(*) FROM events"), 0);
    center.stop().await;
}

#[tokio::test]
async fn an_unbound_card_is_rejected_for_good_and_recorded() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let h = household(&dir, "nanbu-0008", "04A1B2CA", now);
    let center = Center::start(&dir, now).await;
    let body = request(
        &h.device,
        "2026-11-29T09:00:05+09:00",
        vec![check_in_event(
            EV1,
            1,
            h.resident,
            "0102030405",
            "2026-11-29T09:00:00+09:00",
        )],
    );
    for _ in 0..2 {
        let (status, response) = center.sync(&h.token, &body).await;
        assert_eq!(status, 200, "{response}");
        assert_eq!(response["acked"], json!([]));
        assert_eq!(response["rejected"][0]["id"], EV1);
        assert_eq!(response["rejected"][0]["reason"], "unknown_card");
    }
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM check_ins"), 0);
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM rejected_events"), 1);
    center.stop().await;
}

#[tokio::test]
async fn the_box_gets_its_residents_when_they_change_and_its_standing_always() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let h = household(&dir, "nanbu-0009", "04A1B2CB", now);
    let center = Center::start(&dir, now).await;
    let (status, first) = center
        .sync(
            &h.token,
            &request(&h.device, "2026-11-29T09:00:05+09:00", vec![]),
        )
        .await;
    assert_eq!(status, 200, "{first}");
    let residents = &first["residents"];
    assert_eq!(residents["items"][0]["name"], "山田 花子");
    assert_eq!(
        residents["items"][0]["cards"][0],
        json!({"method": "card_uid", "uid": "04A1B2CB"})
    );
    assert_eq!(residents["items"][0]["care_plan"]["deadline"], "12:00");
    assert_eq!(first["standings"][0]["streak_days"], 0);
    assert_eq!(first["notices"]["items"], json!([]));

    let mut again = request(
        &h.device,
        "2026-11-29T09:00:05+09:00",
        vec![check_in_event(
            EV1,
            1,
            h.resident,
            &h.uid,
            "2026-11-29T09:00:00+09:00",
        )],
    );
    again["known"] = json!({"residents": residents["revision"], "notices": first["notices"]["revision"],
                            "checkups": first["checkups"]["revision"]});
    let (status, second) = center.sync(&h.token, &again).await;
    assert_eq!(status, 200, "{second}");
    assert!(second.get("residents").is_none(), "unchanged: {second}");
    assert!(second.get("notices").is_none(), "unchanged: {second}");
    assert_eq!(second["standings"][0]["streak_days"], 1);
    assert_eq!(second["standings"][0]["points"], 15);
    assert_eq!(second["standings"][0]["last_check_in_on"], "2026-11-29");

    // A notice and a second card change the sections.
    let config = config(&dir);
    let mut store = mimamori_center::store::Store::open(&config.database_path()).unwrap();
    store
        .transaction(|c| {
            mimamori_center::store::admin::add_notice(
                c,
                "健康教室のお知らせ",
                "12月5日 10時から公民館で。",
                "2026-11-29".parse().unwrap(),
                None,
                true,
                now,
            )?;
            mimamori_center::store::admin::bind_uid(
                c,
                h.resident,
                &"04A1B2CC".parse().unwrap(),
                now,
            )
        })
        .unwrap();
    let (_, third) = center.sync(&h.token, &again).await;
    assert_eq!(
        third["residents"]["items"][0]["cards"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{third}"
    );
    assert_eq!(third["notices"]["items"][0]["title"], "健康教室のお知らせ");
    center.stop().await;
}

#[tokio::test]
async fn data_survives_a_restart_between_two_syncs() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let h = household(&dir, "nanbu-0010", "04A1B2CD", now);
    let first = request(
        &h.device,
        "2026-11-29T09:00:05+09:00",
        vec![check_in_event(
            EV1,
            1,
            h.resident,
            &h.uid,
            "2026-11-29T09:00:00+09:00",
        )],
    );
    let center = Center::start(&dir, now).await;
    assert_eq!(center.sync(&h.token, &first).await.0, 200);
    center.stop().await;

    let center = Center::start(&dir, at("2026-11-30T00:00:00Z")).await;
    let second = request(
        &h.device,
        "2026-11-30T09:00:05+09:00",
        vec![
            check_in_event(EV1, 1, h.resident, &h.uid, "2026-11-29T09:00:00+09:00"),
            check_in_event(EV2, 2, h.resident, &h.uid, "2026-11-30T09:00:00+09:00"),
        ],
    );
    let (status, response) = center.sync(&h.token, &second).await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(response["acked"], json!([EV1, EV2]));
    assert_eq!(response["standings"][0]["streak_days"], 2);
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM check_ins"), 2);
    center.stop().await;
}

#[tokio::test]
async fn the_health_endpoint_answers() {
    let (_tmp, dir) = temp();
    let center = Center::start(&dir, at("2026-11-29T00:00:00Z")).await;
    let response = reqwest::get(format!("{}/healthz", center.url))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.text().await.unwrap(), "ok\n");
    center.stop().await;
}

#[tokio::test]
async fn what_the_command_line_changes_is_seen_by_the_next_sync() {
    // The server keeps box and resident facts in memory between syncs; the
    // command line is another connection, so the next sync must see its
    // changes: a card bound, a box revoked.
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let h = household(&dir, "nanbu-0011", "04A1B2D1", now);
    let center = Center::start(&dir, now).await;
    let check_in = |id: &str, seq: u64, uid: &str| {
        request(
            &h.device,
            "2026-11-29T09:00:05+09:00",
            vec![check_in_event(
                id,
                seq,
                h.resident,
                uid,
                "2026-11-29T09:00:00+09:00",
            )],
        )
    };
    let (status, first) = center.sync(&h.token, &check_in(EV1, 1, &h.uid)).await;
    assert_eq!((status, &first["acked"]), (200, &json!([EV1])), "{first}");

    let config = config(&dir);
    let mut store = mimamori_center::store::Store::open(&config.database_path()).unwrap();
    store
        .transaction(|c| {
            mimamori_center::store::admin::bind_uid(
                c,
                h.resident,
                &"04A1B2D2".parse().unwrap(),
                now,
            )
        })
        .unwrap();
    let (status, second) = center.sync(&h.token, &check_in(EV2, 2, "04A1B2D2")).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(
        second["acked"],
        json!([EV2]),
        "the new card is known: {second}"
    );

    store
        .transaction(|c| mimamori_center::store::admin::revoke_box(c, &config, &h.device, now))
        .unwrap();
    let (status, error) = center
        .sync(
            &h.token,
            &request(&h.device, "2026-11-29T09:10:05+09:00", vec![]),
        )
        .await;
    assert_eq!(status, 401, "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("revoked"),
        "{error}"
    );
    center.stop().await;
}

/// The server keeps each resident's recent check-ins in memory for the
/// event rules (and, in this debug build, compares them with the database
/// at every use). Check-ins that arrive out of order — today's, a late one
/// from four days ago that the box held back, then today's again — are
/// counted as if each had been read from the database: one day's points per
/// day, and a late day does not touch today's streak.
#[tokio::test]
async fn late_check_ins_between_todays_count_once_per_day() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T03:00:00Z"); // 12:00 in Tokyo
    let h = household(&dir, "nanbu-0012", "04A1B2CF", now);
    let center = Center::start(&dir, now).await;
    let check_ins = [
        (
            "0f8fad5b-d9cb-469f-a165-708677289601",
            "2026-11-29T09:00:00+09:00",
        ),
        (
            "0f8fad5b-d9cb-469f-a165-708677289602",
            "2026-11-29T10:00:00+09:00",
        ),
        (
            "0f8fad5b-d9cb-469f-a165-708677289603",
            "2026-11-25T09:00:00+09:00",
        ),
        (
            "0f8fad5b-d9cb-469f-a165-708677289604",
            "2026-11-29T11:00:00+09:00",
        ),
        (
            "0f8fad5b-d9cb-469f-a165-708677289605",
            "2026-11-25T10:00:00+09:00",
        ),
    ];
    let mut standing = json!(null);
    for (seq, (id, recorded_at)) in check_ins.iter().enumerate() {
        let body = request(
            &h.device,
            "2026-11-29T12:00:00+09:00",
            vec![check_in_event(
                id,
                seq as u64 + 1,
                h.resident,
                &h.uid,
                recorded_at,
            )],
        );
        let (status, response) = center.sync(&h.token, &body).await;
        assert_eq!(status, 200, "{response}");
        assert_eq!(response["acked"], json!([id]), "{recorded_at}: {response}");
        standing = response["standings"][0].clone();
    }
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM check_ins"), 5);
    assert_eq!(
        standing["points"], 30,
        "two days of check-in + vitals: {standing}"
    );
    assert_eq!(standing["streak_days"], 1, "{standing}");
    assert_eq!(standing["last_check_in_on"], "2026-11-29", "{standing}");
    center.stop().await;
}
