//! The nurses' dashboard at work, over real HTTP on 127.0.0.1 against a
//! SQLite file: districts, the alert queue and visit records, residents,
//! exports, and the audit rows they leave.

use mimamori_center::store::people::Role;
use mimamori_center::store::{Store, admin};

use crate::harness::*;
use crate::web::*;

#[tokio::test]
async fn a_nurse_sees_only_her_districts_and_a_look_elsewhere_is_audited() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    staff(&dir, "tanaka", "田中 保健師", Role::Nurse, &["東町"], now);
    let east = household(&dir, "nanbu-0101", "04A1B2C3", now).resident;
    let west = resident_in(&dir, "川上 一郎", "かわかみ いちろう", "西町", now);
    let later = at("2026-12-02T04:00:00Z");
    sweep(&config(&dir), later);
    let (center, _clock) = start(&dir, later).await;
    let mut web = Web::new(&center.url);
    web.sign_in("tanaka", PASSWORD).await;

    let queue = web.get("/dashboard/").await.text();
    assert!(queue.contains("山田 花子"));
    assert!(
        !queue.contains("川上 一郎"),
        "another district's alert is not listed"
    );
    let list = web.get("/dashboard/residents").await.text();
    assert!(list.contains("山田 花子") && !list.contains("川上 一郎"));
    let found = web
        .get("/dashboard/residents?q=%E3%83%A4%E3%83%9E%E3%83%80")
        .await
        .text();
    assert!(found.contains("山田 花子"), "katakana ヤマダ finds やまだ");

    let page = web.get(&format!("/dashboard/residents/{east}")).await;
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(
        text.contains("山田 花子 さん") && text.contains("<svg"),
        "{text}"
    );
    let page = web.get(&format!("/dashboard/residents/{west}")).await;
    assert_eq!(page.status, 404);
    assert!(!page.text().contains("川上"));
    let west_alert = alert_id(&dir, west);
    let csrf = web.get("/dashboard/").await.csrf();
    let page = web
        .post(
            &format!("/dashboard/alerts/{west_alert}/ack"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, 404);
    assert_eq!(alert_state(&dir, west_alert), "open");
    // Administrators only.
    assert_eq!(web.get("/dashboard/audit").await.status, 403);

    let rows = audit_rows(&dir);
    let view = rows.iter().find(|r| r.1 == "resident.view").unwrap();
    assert_eq!(
        view,
        &(
            "tanaka".into(),
            "resident.view".into(),
            Some(east),
            "127.0.0.1".into()
        )
    );
    let denied: Vec<_> = rows.iter().filter(|r| r.1 == "denied").collect();
    assert_eq!(denied.len(), 2, "{rows:?}");
    assert!(denied.iter().all(|r| r.2 == Some(west) && r.0 == "tanaka"));
    center.stop().await;
}

#[tokio::test]
async fn an_alert_is_acknowledged_assigned_and_resolved_with_a_visit_record() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    staff(&dir, "tanaka", "田中 保健師", Role::Nurse, &["東町"], now);
    staff(
        &dir,
        "suzuki",
        "鈴木 保健師",
        Role::Nurse,
        &["東町", "西町"],
        now,
    );
    staff(&dir, "kimura", "木村 保健師", Role::Nurse, &["西町"], now);
    let h = household(&dir, "nanbu-0101", "04A1B2C3", now);
    let later = at("2026-12-02T04:00:00Z");
    sweep(&config(&dir), later);
    let (center, _clock) = start(&dir, later).await;
    let mut web = Web::new(&center.url);
    web.sign_in("tanaka", PASSWORD).await;
    let alert = alert_id(&dir, h.resident);

    let page = web.get(&format!("/dashboard/alerts/{alert}")).await;
    let text = page.text();
    assert!(
        text.contains("鈴木 保健師") && !text.contains("木村"),
        "only staff of 東町"
    );
    let csrf = page.csrf();
    web.post(
        &format!("/dashboard/alerts/{alert}/ack"),
        &[("csrf", &csrf)],
    )
    .await;
    let suzuki = staff_id(&dir, "suzuki");
    let kimura = staff_id(&dir, "kimura");
    let page = web
        .post(
            &format!("/dashboard/alerts/{alert}/assign"),
            &[("csrf", &csrf), ("staff", &kimura.to_string())],
        )
        .await;
    assert_eq!(page.status, 400, "木村 does not cover 東町");
    let page = web
        .post(
            &format!("/dashboard/alerts/{alert}/assign"),
            &[("csrf", &csrf), ("staff", &suzuki.to_string())],
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/dashboard/?done=assign"));
    let queue = web.get("/dashboard/").await.text();
    assert!(
        queue.contains("担当：鈴木 保健師") && queue.contains("対応中"),
        "{queue}"
    );

    // A visit in the future is refused and nothing is lost from the form's page.
    let visit = |date: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("date", date.to_owned()),
            ("time", "10:30".to_owned()),
            ("visitor", "田中 保健師".to_owned()),
            ("outcome", "seen_well".to_owned()),
            ("note", "玄関先でお元気な様子を確認".to_owned()),
        ]
    };
    let form = visit("2026-12-03");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = web
        .post(&format!("/dashboard/alerts/{alert}/resolve"), &form)
        .await;
    assert_eq!(page.status, 400);
    assert!(page.text().contains("未来"));
    let form = visit("2026-12-02");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = web
        .post(&format!("/dashboard/alerts/{alert}/resolve"), &form)
        .await;
    assert_eq!(page.location.as_deref(), Some("/dashboard/?done=resolve"));
    let queue = web.get("/dashboard/?done=resolve").await.text();
    assert!(queue.contains("訪問記録を保存し"));
    assert!(
        !queue.contains(&format!("id=\"alert-{alert}\"")),
        "gone from the queue"
    );

    let store = Store::open(&config(&dir).database_path()).unwrap();
    let (state, by, outcome, note, visit_at): (String, String, String, String, i64) = store
        .connection()
        .query_row(
            "SELECT state, resolved_by, visit_outcome, visit_note, visit_at FROM alerts WHERE id = ?1",
            [alert],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!(
        (state.as_str(), by.as_str(), outcome.as_str()),
        ("resolved", "田中 保健師", "seen_well")
    );
    assert_eq!(note, "玄関先でお元気な様子を確認");
    assert_eq!(
        visit_at,
        at("2026-12-02T01:30:00Z").as_millisecond(),
        "10:30 in Tokyo"
    );
    // The resident's page shows the visit.
    let page = web
        .get(&format!("/dashboard/residents/{}", h.resident))
        .await
        .text();
    assert!(
        page.contains("本人確認（田中 保健師）玄関先でお元気な様子を確認"),
        "{page}"
    );
    let actions: Vec<String> = audit_rows(&dir).into_iter().map(|r| r.1).collect();
    for wanted in [
        "alert.acknowledge",
        "alert.assign",
        "alert.resolve",
        "resident.view",
    ] {
        assert!(
            actions.iter().any(|a| a == wanted),
            "{wanted} in {actions:?}"
        );
    }
    center.stop().await;
}

#[tokio::test]
async fn check_ins_export_as_csv_with_a_bom_and_are_audited() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    staff(&dir, "tanaka", "田中 保健師", Role::Nurse, &["東町"], now);
    let h = household(&dir, "nanbu-0101", "04A1B2C3", now);
    let (center, _clock) = start(&dir, at("2026-11-29T00:00:06Z")).await;
    let event = check_in_event(
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        1,
        h.resident,
        &h.uid,
        "2026-11-29T09:00:00+09:00",
    );
    let (status, body) = center
        .sync(
            &h.token,
            &request(&h.device, "2026-11-29T09:00:05+09:00", vec![event]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut web = Web::new(&center.url);
    web.sign_in("tanaka", PASSWORD).await;

    let page = web
        .get("/dashboard/export/check-ins.csv?from=2026-11-01&to=2026-11-30&district=")
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(
        page.headers.get("content-type").unwrap(),
        "text/csv; charset=utf-8"
    );
    assert!(
        page.headers
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    assert_eq!(&page.body[..3], &[0xEF, 0xBB, 0xBF], "UTF-8 BOM for Excel");
    let text = std::str::from_utf8(&page.body[3..]).unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "利用者ID,氏名,地区,日時,体調,最高血圧,最低血圧,脈拍,体温,体重,歩数,連絡希望,認証"
    );
    assert_eq!(
        lines[1],
        format!(
            "{},山田 花子,東町,2026-11-29 09:00,よい,128,80,,,,,,お試しカード",
            h.resident
        )
    );
    assert_eq!(lines.len(), 2);
    // Another district is not hers.
    let page = web
        .get("/dashboard/export/check-ins.csv?from=2026-11-01&to=2026-11-30&district=%E8%A5%BF%E7%94%BA")
        .await;
    assert_eq!(page.status, 404);
    // A range outside the check-in: the header alone.
    let page = web
        .get("/dashboard/export/alerts.csv?from=2026-10-01&to=2026-10-31")
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(
        std::str::from_utf8(&page.body[3..])
            .unwrap()
            .lines()
            .count(),
        1
    );
    let bad = web
        .get("/dashboard/export/alerts.csv?from=2026-11-30&to=2026-11-01")
        .await;
    assert_eq!(bad.status, 400);

    let rows = audit_rows(&dir);
    let exports: Vec<_> = rows.iter().filter(|r| r.1.starts_with("export.")).collect();
    assert_eq!(exports.len(), 2, "{rows:?}");
    assert_eq!(exports[0].1, "export.check_ins");
    assert_eq!(exports[1].1, "export.alerts");
    center.stop().await;
}

#[tokio::test]
async fn the_visit_list_and_the_resident_filters() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    staff(
        &dir,
        "tanaka",
        "田中 保健師",
        Role::Nurse,
        &["東町", "西町"],
        now,
    );
    let h = household(&dir, "nanbu-0101", "04A1B2C3", now);
    let quiet = resident_in(&dir, "川上 一郎", "かわかみ いちろう", "西町", now);
    {
        let config = config(&dir);
        let mut store = Store::open(&config.database_path()).unwrap();
        store
            .transaction(|c| {
                admin::pause(
                    c,
                    &config,
                    quiet,
                    Some((
                        "2026-12-20".parse().unwrap(),
                        mimamori_center::domain::PauseReason::Hospital,
                    )),
                    now,
                )
            })
            .unwrap();
    }
    let later = at("2026-12-02T04:00:00Z");
    sweep(&config(&dir), later);
    let (center, _clock) = start(&dir, later).await;
    let mut web = Web::new(&center.url);
    web.sign_in("tanaka", PASSWORD).await;

    let visits = web.get("/dashboard/visits").await.text();
    assert!(
        visits.contains("山田 花子") && visits.contains("□本人確認"),
        "{visits}"
    );
    assert!(!visits.contains("川上"), "paused, no alert: no visit");

    let alerting = web.get("/dashboard/residents?status=alert").await.text();
    assert!(alerting.contains("山田 花子") && !alerting.contains("川上 一郎"));
    let paused = web.get("/dashboard/residents?status=paused").await.text();
    assert!(paused.contains("川上 一郎") && !paused.contains("山田 花子"));
    assert!(paused.contains("一時停止（2026-12-20まで）"));
    let west = web
        .get("/dashboard/residents?district=%E8%A5%BF%E7%94%BA")
        .await
        .text();
    assert!(west.contains("川上 一郎") && !west.contains("山田 花子"));
    // Riskiest first: the resident with alerts above the quiet one.
    let all = web.get("/dashboard/residents").await.text();
    assert!(all.find("山田 花子").unwrap() < all.find("川上 一郎").unwrap());

    // The pause control from the resident page, audited.
    let page = web
        .get(&format!("/dashboard/residents/{}", h.resident))
        .await;
    let csrf = page.csrf();
    let answer = web
        .post(
            &format!("/dashboard/residents/{}/pause", h.resident),
            &[
                ("csrf", csrf.as_str()),
                ("action", "pause"),
                ("through", "2026-12-10"),
                ("reason", "travel"),
            ],
        )
        .await;
    assert_eq!(answer.status, 303);
    let page = web
        .get(&format!("/dashboard/residents/{}", h.resident))
        .await
        .text();
    assert!(
        page.contains("2026-12-10まで一時停止中（旅行中）"),
        "{page}"
    );
    let answer = web
        .post(
            &format!("/dashboard/residents/{}/pause", h.resident),
            &[
                ("csrf", csrf.as_str()),
                ("action", "pause"),
                ("through", "2026-11-01"),
                ("reason", "travel"),
            ],
        )
        .await;
    assert_eq!(answer.status, 400, "a pause ending in the past");
    let actions: Vec<String> = audit_rows(&dir).into_iter().map(|r| r.1).collect();
    assert!(
        actions.contains(&"resident.pause".to_owned()),
        "{actions:?}"
    );
    assert!(actions.contains(&"visits.view".to_owned()), "{actions:?}");
    center.stop().await;
}
