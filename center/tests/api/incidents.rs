//! 安否確認 over real HTTP: an administrator opens an incident, the safety
//! list puts the unconfirmed first, a check-in through the box API and a
//! tap at a shelter confirm, a nurse records a phone call, the CSV goes to
//! the disaster headquarters, and every look and record is audited. In
//! headless Chromium the page is looked at on a PC and on a phone.

use mimamori_center::store::Store;
use mimamori_center::store::people::Role;
use mimamori_hw_tests::browser::Browser;
use serde_json::json;

use crate::harness::*;
use crate::web::*;

/// Binds a trial card to `resident`.
fn bind(dir: &std::path::Path, resident: i64, uid: &str) {
    let mut store = Store::open(&config(dir).database_path()).unwrap();
    store
        .transaction(|c| {
            mimamori_center::store::admin::bind_uid(
                c,
                resident,
                &uid.parse().unwrap(),
                at("2026-12-01T00:00:00Z"),
            )
        })
        .unwrap();
}

/// A tap of the card `uid` at the station, synced over HTTP.
async fn tap(center: &Center, token: &str, device: &str, uid: &str, seq: u64, recorded: &str) {
    let id = uuid::Uuid::now_v7().to_string();
    let body = station_request(device, recorded, vec![tap_event(&id, seq, uid, recorded)]);
    let (status, response) = center.sync(token, &body).await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(response["acked"].as_array().unwrap().len(), 1, "{response}");
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
    bind(&dir, sheltered, "04CAFE01");
    let shelter = station(
        &dir,
        "shelter-1",
        "南部中学校体育館",
        mimamori_protocol::StationKind::Shelter,
        before,
    );
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
    tap(
        &center,
        &shelter,
        "shelter-1",
        "04CAFE01",
        1,
        "2026-12-07T09:07:00+09:00",
    )
    .await;

    // The nurse of 東町: the silent ones first, her districts only.
    clock.set(at("2026-12-07T00:10:00Z"));
    let mut nurse = Web::new(&center.url);
    nurse.sign_in("tanaka", PASSWORD).await;
    let page = nurse.get(&path).await;
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(!text.contains("北村 清"), "another district: {text}");
    let list = &text[text.find("id=\"safety\"").unwrap()..];
    let order: Vec<usize> = ["高橋 トメ", "鈴木 一郎", "山田 花子", "佐藤 和子"]
        .iter()
        .map(|name| {
            list.find(&format!("<strong>{name}</strong>"))
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
    bind(&dir, sheltered, "04CAFE01");
    let shelter = station(
        &dir,
        "shelter-1",
        "南部中学校体育館",
        mimamori_protocol::StationKind::Shelter,
        before,
    );
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
    clock.set(at("2026-12-07T01:30:00Z"));
    tap(
        &center,
        &shelter,
        "shelter-1",
        "04CAFE01",
        1,
        "2026-12-07T10:30:00+09:00",
    )
    .await;
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

#[tokio::test]
async fn an_arrival_at_a_shelter_is_mailed_once_to_family_and_guardians() {
    use crate::smtp::Smtp;
    let (_tmp, dir) = temp();
    let before = at("2026-12-06T00:00:00Z");
    let smtp = Smtp::up();
    let home = household(&dir, "nanbu-0101", "04A1B2C3", before);
    {
        let mut store = Store::open(&config(&dir).database_path()).unwrap();
        store
            .transaction(|c| {
                mimamori_center::store::people::add_family(
                    c,
                    home.resident,
                    "山田 恵子",
                    "keiko@example.jp",
                    "長女",
                    mimamori_center::store::people::FamilyPolicy::ConcernsOnly,
                    before,
                )
            })
            .unwrap();
    }
    let yui = child(&dir, "田中 ゆい", "たなか ゆい", "04AA0021", before);
    guardian(
        &dir,
        yui,
        "mother@example.jp",
        "first_of_day",
        Some("2026-12-01"),
        before,
    );
    guardian(
        &dir,
        yui,
        "quiet@example.jp",
        "none",
        Some("2026-12-01"),
        before,
    );
    let shelter = station(
        &dir,
        "shelter-1",
        "南部中学校体育館",
        mimamori_protocol::StationKind::Shelter,
        before,
    );
    let clock = std::sync::Arc::new(mimamori_center::clock::ManualClock::new(at(
        "2026-12-07T00:00:00Z",
    )));
    let center = Center::start_with(crate::mail::mail_config(&dir, smtp.port), clock.clone()).await;

    // Before the incident a tap at the shelter is a child's tap like any.
    tap(
        &center,
        &shelter,
        "shelter-1",
        "04AA0021",
        1,
        "2026-12-07T09:00:00+09:00",
    )
    .await;
    smtp.wait_for(1).await;
    assert_eq!(
        crate::mail::parse(&smtp.received()[0]).subject(),
        Some("田中 ゆいさんが 南部中学校体育館 に 9:00 にタッチしました")
    );

    {
        let mut store = Store::open(&config(&dir).database_path()).unwrap();
        store
            .transaction(|c| {
                mimamori_center::store::incidents::open(
                    c,
                    "台風10号",
                    "管理 太郎",
                    at("2026-12-07T01:00:00Z"),
                )
            })
            .unwrap();
    }
    clock.set(at("2026-12-07T02:00:00Z"));
    tap(
        &center,
        &shelter,
        "shelter-1",
        "04AA0021",
        2,
        "2026-12-07T11:00:00+09:00",
    )
    .await;
    tap(
        &center,
        &shelter,
        "shelter-1",
        "04A1B2C3",
        3,
        "2026-12-07T11:00:30+09:00",
    )
    .await;
    // Tapped again an hour later: no second arrival.
    clock.set(at("2026-12-07T03:00:00Z"));
    tap(
        &center,
        &shelter,
        "shelter-1",
        "04AA0021",
        4,
        "2026-12-07T12:00:00+09:00",
    )
    .await;
    tap(
        &center,
        &shelter,
        "shelter-1",
        "04A1B2C3",
        5,
        "2026-12-07T12:00:30+09:00",
    )
    .await;
    smtp.wait_for(4).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let received = smtp.received();
    let subjects: Vec<String> = received
        .iter()
        .map(|r| {
            crate::mail::parse(r)
                .subject()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    // (The silent home box's family concern mail comes too; not ours.)
    assert_eq!(
        subjects
            .iter()
            .filter(|s| s.contains("南部中学校体育館"))
            .count(),
        3,
        "one tap mail, two arrivals: {subjects:?}"
    );
    let to = |address: &str| {
        received
            .iter()
            .filter(|r| r.to.iter().any(|t| t.contains(address)))
            .map(crate::mail::parse)
            .map(|m| m.subject().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        to("mother@"),
        [
            "田中 ゆいさんが 南部中学校体育館 に 9:00 にタッチしました",
            "田中 ゆいさんが 南部中学校体育館 で確認されました"
        ]
    );
    assert!(to("quiet@").is_empty(), "chose no mail");
    let keiko = to("keiko@");
    assert_eq!(
        keiko
            .iter()
            .filter(|s| s.contains("避難所") || s.contains("体育館"))
            .collect::<Vec<_>>(),
        ["山田 花子さんが 南部中学校体育館 で確認されました"]
    );
    let arrival = crate::mail::parse(
        received
            .iter()
            .find(|r| {
                r.to.iter().any(|t| t.contains("keiko@"))
                    && crate::mail::parse(r)
                        .subject()
                        .is_some_and(|s| s.contains("体育館"))
            })
            .unwrap(),
    );
    let text = arrival.body_text(0).unwrap();
    assert!(
        text.contains("台風10号") && text.contains("11:00"),
        "{text}"
    );
    assert!(arrival.header_raw("List-Unsubscribe").is_some());
    center.stop().await;
}
