//! 安否確認 over real HTTP: an administrator opens an incident, the safety
//! list puts the unconfirmed first, a check-in through the box API and a
//! tap at a shelter confirm, a nurse records a phone call, the CSV goes to
//! the disaster headquarters, and every look and record is audited. In
//! headless Chromium the page is looked at on a PC and on a phone.

use jiff::Timestamp;
use mimamori_center::store::Store;
use mimamori_center::store::people::Role;
use mimamori_hw_tests::browser::Browser;
use serde_json::json;

use crate::harness::*;
use crate::web::*;

/// A shelter station with a tap of `resident` at `at`, written as the tap
/// path stores them.
fn shelter_tap(dir: &std::path::Path, place: &str, resident: i64, at: Timestamp, n: u8) {
    let store = Store::open(&config(dir).database_path()).unwrap();
    let c = store.connection();
    let device = format!("shelter-{n}");
    c.execute(
        "INSERT INTO boxes (device_id, token_hash, created_at) VALUES (?1, randomblob(32), 0)",
        [&device],
    )
    .unwrap();
    let station = c.last_insert_rowid();
    c.execute(
        "INSERT INTO stations (box_id, place, kind, district, created_at) VALUES (?1, ?2, 'shelter', '東町', 0)",
        rusqlite::params![station, place],
    )
    .unwrap();
    let id = uuid::Uuid::now_v7();
    c.execute(
        "INSERT INTO events (id, box_id, resident_id, kind, recorded_at, boot_id, seq, received_at, corrected_at, body)
         VALUES (?1, ?2, NULL, 'tap', '', randomblob(16), 1, ?3, ?3, '{}')",
        rusqlite::params![id.as_bytes().as_slice(), station, at.as_millisecond()],
    )
    .unwrap();
    c.execute(
        "INSERT INTO taps (event_id, station_id, resident_id, at, local_date) VALUES (?1, ?2, ?3, ?4, '2026-12-07')",
        rusqlite::params![id.as_bytes().as_slice(), station, resident, at.as_millisecond()],
    )
    .unwrap();
}

#[tokio::test]
async fn the_safety_list_confirms_by_check_in_shelter_and_phone_call() {
    let (_tmp, dir) = temp();
    let before = at("2026-12-06T00:00:00Z");
    staff(&dir, "admin", "管理 太郎", Role::Admin, &[], before);
    staff(
        &dir,
        "tanaka",
        "田中 保健師",
        Role::Nurse,
        &["東町"],
        before,
    );
    staff(&dir, "kita", "北 保健師", Role::Nurse, &["北町"], before);
    let home = household(&dir, "nanbu-0101", "04A1B2C3", before);
    let sheltered = resident_in(&dir, "佐藤 和子", "さとう かずこ", "東町", before);
    let phoned = resident_in(&dir, "鈴木 一郎", "すずき いちろう", "東町", before);
    let silent = resident_in(&dir, "高橋 トメ", "たかはし とめ", "東町", before);
    let north = resident_in(&dir, "北村 清", "きたむら きよし", "北町", before);

    let (center, clock) = start(&dir, at("2026-12-07T00:00:00Z")).await;
    let mut admin =
        crate::admin_pages::admin_web(&dir, &center.url, at("2026-12-07T00:00:00Z")).await;
    let list = admin.get("/dashboard/incidents").await;
    assert_eq!(list.status, 200);
    let opened = admin
        .post(
            "/dashboard/incidents",
            &[("csrf", &list.csrf()), ("name", "台風10号")],
        )
        .await;
    assert_eq!(opened.status, 303, "{}", opened.text());
    let path = opened.location.clone().unwrap();
    assert!(path.starts_with("/dashboard/incidents/"), "{path}");
    // Only one at a time.
    let again = admin
        .post(
            "/dashboard/incidents",
            &[("csrf", &list.csrf()), ("name", "大雨")],
        )
        .await;
    assert!(
        again.text().contains("開いている災害があります"),
        "{}",
        again.text()
    );

    // After the opening: a check-in through the box API, a shelter tap.
    clock.set(at("2026-12-07T00:05:00Z"));
    let (status, _) = center
        .sync(
            &home.token,
            &request(
                &home.device,
                "2026-12-07T09:05:05+09:00",
                vec![check_in_event(
                    "0f8fad5b-d9cb-469f-a165-70867728950e",
                    1,
                    home.resident,
                    &home.uid,
                    "2026-12-07T09:05:00+09:00",
                )],
            ),
        )
        .await;
    assert_eq!(status, 200);
    shelter_tap(
        &dir,
        "南部中学校体育館",
        sheltered,
        at("2026-12-07T00:07:00Z"),
        1,
    );

    // The nurse of 東町: the silent ones first, her districts only.
    clock.set(at("2026-12-07T00:10:00Z"));
    let mut nurse = Web::new(&center.url);
    nurse.sign_in("tanaka", PASSWORD).await;
    let page = nurse.get(&path).await;
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(!text.contains("北村 清"), "another district: {text}");
    let order: Vec<usize> = ["高橋 トメ", "鈴木 一郎", "山田 花子", "佐藤 和子"]
        .iter()
        .map(|name| {
            text.find(&format!("<strong>{name}</strong>"))
                .unwrap_or_else(|| panic!("{name} in {text}"))
        })
        .collect();
    assert!(
        order[0] < order[2] && order[1] < order[2] && order[1] < order[3],
        "{order:?}"
    );
    assert!(
        text.contains("未確認 2人") && text.contains("確認済み 2人"),
        "{text}"
    );
    assert!(
        text.contains("避難所でタッチ（南部中学校体育館）"),
        "{text}"
    );
    assert!(text.contains("テレビで記録"), "{text}");
    assert!(text.contains("南部中学校体育館（東町）　1人"), "{text}");

    // A phone call confirms 鈴木 一郎.
    let recorded = nurse
        .post(
            &format!("{path}/check"),
            &[
                ("csrf", &page.csrf()),
                ("resident", &phoned.to_string()),
                ("outcome", "phone_safe"),
                ("note", "=自宅で無事"),
            ],
        )
        .await;
    assert_eq!(recorded.status, 303, "{}", recorded.text());
    let page = nurse.get(recorded.location.as_deref().unwrap()).await;
    let text = page.text();
    assert!(
        text.contains("鈴木 一郎 さんの確認を記録しました"),
        "{text}"
    );
    assert!(text.contains("電話で無事を確認（田中 保健師）"), "{text}");
    assert!(text.contains("未確認 1人"), "{text}");

    // Not hers: 404, audited, nothing recorded.
    let mut other = Web::new(&center.url);
    other.sign_in("kita", PASSWORD).await;
    let theirs = other.get(&path).await;
    let refused = other
        .post(
            &format!("{path}/check"),
            &[
                ("csrf", &theirs.csrf()),
                ("resident", &silent.to_string()),
                ("outcome", "visit_safe"),
            ],
        )
        .await;
    assert_eq!(refused.status, 404);
    assert_eq!(
        count(
            &dir,
            &format!("SELECT count(*) FROM safety_checks WHERE resident_id = {silent}")
        ),
        0
    );
    // A nurse cannot open or close one.
    let close = other
        .post(&format!("{path}/close"), &[("csrf", &theirs.csrf())])
        .await;
    assert_eq!(close.status, 404);

    // The CSV: everyone of her districts, the unconfirmed first, formulas
    // disarmed.
    let csv = nurse.get(&format!("{path}/safety.csv")).await;
    assert_eq!(csv.status, 200);
    let csv = csv.text();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(
        lines[1].contains("高橋 トメ") && lines[1].contains("未確認"),
        "{csv}"
    );
    assert!(!csv.contains("北村"), "{csv}");

    let actions: Vec<String> = audit_rows(&dir).into_iter().map(|r| r.1).collect();
    for action in [
        "incident.open",
        "incident.view",
        "incident.check",
        "incident.export",
        "denied",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }

    // Closed: no more records.
    let page = admin.get(&path).await;
    assert_eq!(page.status, 200, "{:?} {}", page.location, page.text());
    let closed = admin
        .post(&format!("{path}/close"), &[("csrf", &page.csrf())])
        .await;
    assert_eq!(closed.status, 303);
    let late = nurse
        .post(
            &format!("{path}/check"),
            &[
                ("csrf", &page.csrf()),
                ("resident", &silent.to_string()),
                ("outcome", "visit_safe"),
            ],
        )
        .await;
    assert_ne!(late.status, 303, "{}", late.text());
    let _ = north;
    center.stop().await;
}

#[tokio::test]
async fn the_incident_page_reads_on_a_pc_and_a_phone() {
    let (_tmp, dir) = temp();
    let before = at("2026-12-06T00:00:00Z");
    staff(
        &dir,
        "tanaka",
        "田中 保健師",
        Role::Nurse,
        &["東町"],
        before,
    );
    let sheltered = resident_in(&dir, "佐藤 和子", "さとう かずこ", "東町", before);
    resident_in(&dir, "高橋 トメ", "たかはし とめ", "東町", before);
    let (center, clock) = start(&dir, at("2026-12-07T00:00:00Z")).await;
    {
        let mut store = Store::open(&config(&dir).database_path()).unwrap();
        store
            .transaction(|c| {
                mimamori_center::store::incidents::open(
                    c,
                    "台風10号",
                    "管理 太郎",
                    at("2026-12-07T00:00:00Z"),
                )
            })
            .unwrap();
    }
    shelter_tap(
        &dir,
        "南部中学校体育館",
        sheltered,
        at("2026-12-07T01:30:00Z"),
        1,
    );
    clock.set(at("2026-12-07T02:00:00Z"));

    let browser = Browser::start().await;
    browser.go(&format!("{}/dashboard/login", center.url)).await;
    browser.type_into("#login", "tanaka").await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("#sign-in").await;
    browser.wait_for("通知の一覧").await;
    browser
        .go(&format!("{}/dashboard/incidents", center.url))
        .await;
    browser.wait_for("台風10号").await;
    browser.click("#incidents a").await;
    let page = browser.wait_for("見守り対象の方の安否").await;
    assert!(
        page.contains("高橋 トメ") && page.contains("未確認 1人"),
        "{page}"
    );
    let shots =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/dashboard-screenshots");
    browser
        .call(
            "POST",
            "/window/rect",
            json!({"width": 1280, "height": 1400}),
        )
        .await;
    browser.screenshot(&shots, "incident").await;
    browser
        .call(
            "POST",
            "/window/rect",
            json!({"width": 375, "height": 1400}),
        )
        .await;
    browser.screenshot(&shots, "incident-phone").await;
    // Recorded with the keyboard's form as a nurse would on her phone.
    browser.click("#safety button").await;
    browser.wait_for("さんの確認を記録しました").await;
    center.stop().await;
}
