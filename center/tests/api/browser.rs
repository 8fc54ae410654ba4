//! The dashboard in a real headless Chromium, driven over WebDriver
//! (`chromedriver`, started here on a free port): sign in, find the alert a
//! missed check-in raised, acknowledge it, resolve it with a visit record,
//! and see it gone from the queue. Screenshots go to
//! `target/dashboard-screenshots/`.
//!
//! The WebDriver client is `mimamori_hw_tests::browser` (shared with the
//! virtual TV's test). Needs Debian's `chromium` and `chromium-driver`
//! (`cargo xtask test` installs them); fails when they cannot start.

use mimamori_center::store::people::Role;
use mimamori_hw_tests::browser::Browser;
use serde_json::json;

use crate::harness::*;
use crate::web::*;

/// Where the screenshots go: `target/dashboard-screenshots/`.
fn shots() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/dashboard-screenshots")
}

#[tokio::test]
async fn a_nurse_resolves_a_missed_check_in_alert_in_chromium() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    staff(&dir, "tanaka", "田中 保健師", Role::Nurse, &["東町"], now);
    let h = household(&dir, "nanbu-0101", "04A1B2C3", now);
    let well = household(&dir, "nanbu-0102", "04D4E5F6", at("2026-11-01T00:00:00Z"));
    {
        let mut store = mimamori_center::store::Store::open(&config(&dir).database_path()).unwrap();
        let edit = mimamori_center::store::admin::ResidentEdit {
            name: Some("佐藤 和子".into()),
            kana: Some("さとう かずこ".into()),
            ..Default::default()
        };
        store
            .transaction(|c| mimamori_center::store::admin::edit_resident(c, well.resident, &edit))
            .unwrap();
    }
    let later = at("2026-12-02T04:00:00Z");
    let center = Center::start_with(
        config_without_nurse_totp(&dir),
        std::sync::Arc::new(mimamori_center::clock::ManualClock::new(later)),
    )
    .await;
    sync_a_month(&center, &well).await;
    sweep(&config(&dir), later);
    let browser = Browser::start().await;

    browser.go(&format!("{}/dashboard/", center.url)).await;
    assert!(browser.url().await.ends_with("/dashboard/login"));
    browser.type_into("#login", "tanaka").await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("#sign-in").await;
    browser.wait_for("通知の一覧").await;
    assert!(
        browser.url().await.ends_with("/dashboard/"),
        "{}",
        browser.url().await
    );
    let queue = browser.source().await;
    assert!(
        queue.contains("山田 花子") && queue.contains("記録が途絶えています"),
        "{queue}"
    );
    let shot = browser.screenshot(&shots(), "alert-queue").await;
    eprintln!("screenshot: {}", shot.display());

    let alert = {
        let store = mimamori_center::store::Store::open(&config(&dir).database_path()).unwrap();
        store
            .connection()
            .query_row(
                "SELECT id FROM alerts WHERE resident_id = ?1 AND kind = 'missed'",
                [h.resident],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
    };
    browser.click(&format!("#alert-{alert} button.ack")).await;
    let queue = browser.wait_for("対応中にしました").await;
    assert!(queue.contains("確認：田中 保健師"));

    browser.click(&format!("#alert-{alert} a.resolve")).await;
    browser.wait_for("訪問記録（解決）").await;
    browser.click("input[name=outcome][value=not_home]").await;
    browser
        .type_into(
            "#note",
            "不在。隣の方によると朝は見かけたとのこと。夕方に再訪問。",
        )
        .await;
    browser.screenshot(&shots(), "visit-record").await;
    browser.click("#resolve").await;
    let queue = browser.wait_for("訪問記録を保存し").await;
    assert!(
        !queue.contains(&format!("id=\"alert-{alert}\"")),
        "resolved alert gone: {queue}"
    );
    browser.screenshot(&shots(), "after-resolve").await;

    browser
        .go(&format!(
            "{}/dashboard/residents/{}",
            center.url, h.resident
        ))
        .await;
    let page = browser.source().await;
    assert!(
        page.contains("不在（田中 保健師）不在。隣の方によると"),
        "{page}"
    );
    browser.screenshot(&shots(), "resident").await;

    browser
        .go(&format!(
            "{}/dashboard/residents/{}",
            center.url, well.resident
        ))
        .await;
    let page = browser.source().await;
    assert!(
        page.contains("佐藤 和子 さん") && page.contains("わるい"),
        "{page}"
    );
    browser
        .call(
            "POST",
            "/window/rect",
            json!({"width": 1280, "height": 2400}),
        )
        .await;
    browser.screenshot(&shots(), "resident-charts").await;

    let (state, outcome): (String, String) = {
        let store = mimamori_center::store::Store::open(&config(&dir).database_path()).unwrap();
        store
            .connection()
            .query_row(
                "SELECT state, visit_outcome FROM alerts WHERE id = ?1",
                [alert],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    };
    assert_eq!((state.as_str(), outcome.as_str()), ("resolved", "not_home"));
    drop(browser);
    center.stop().await;
}

#[tokio::test]
async fn an_administrator_records_a_withdrawal_of_consent_in_chromium() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    crate::admin_pages::admin_with_totp(&dir, now);
    let h = household(&dir, "nanbu-0103", "04A1B2C7", now);
    {
        let mut store = mimamori_center::store::Store::open(&config(&dir).database_path()).unwrap();
        store
            .transaction(|c| {
                mimamori_center::store::people::add_family(
                    c,
                    h.resident,
                    "山田 一郎",
                    "ichiro@example.jp",
                    "長男",
                    mimamori_center::store::people::FamilyPolicy::DailyDigest,
                    now,
                )
            })
            .unwrap();
    }
    let (center, _clock) = start(&dir, now).await;
    let browser = Browser::start().await;
    browser.go(&format!("{}/dashboard/login", center.url)).await;
    browser.type_into("#login", "sato").await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("#sign-in").await;
    browser.wait_for("確認コード").await;
    browser
        .type_into(
            "#code",
            &mimamori_center::dashboard::totp::code_at(crate::admin_pages::SECRET, now),
        )
        .await;
    browser.click("button[type=submit]").await;
    browser.wait_for("通知の一覧").await;

    browser
        .go(&format!(
            "{}/dashboard/admin/residents/{}",
            center.url, h.resident
        ))
        .await;
    browser.wait_for("同意の記録").await;
    browser.click("input[name=action][value=withdraw]").await;
    browser.click("input[name=item_vitals]").await;
    browser.type_into("#note", "電話で本人から").await;
    browser.click("#record-consent").await;
    let page = browser.wait_for("同意の記録を追加しました").await;
    assert!(page.contains("電話で本人から"), "{page}");
    browser
        .call(
            "POST",
            "/window/rect",
            json!({"width": 1280, "height": 2600}),
        )
        .await;
    let shot = browser.screenshot(&shots(), "admin-resident").await;
    eprintln!("screenshot: {}", shot.display());
    let shared: String = {
        let store = mimamori_center::store::Store::open(&config(&dir).database_path()).unwrap();
        store
            .connection()
            .query_row("SELECT consent FROM family_contacts", [], |r| r.get(0))
            .unwrap()
    };
    assert!(shared.contains("\"vitals\":false"), "{shared}");
    drop(browser);
    center.stop().await;
}

/// A month of check-ins for `h`, one a day at 9:00, with a few bad days,
/// blood pressure and weight, and a forgotten evening dose now and then.
async fn sync_a_month(center: &Center, h: &Household) {
    let mut events = Vec::new();
    let mut day = jiff::civil::date(2026, 11, 3);
    for seq in 1..=29u64 {
        if seq == 12 {
            day = day.tomorrow().unwrap(); // a day without a check-in
            continue;
        }
        let id = uuid::Uuid::new_v4().to_string();
        let recorded = format!("{day}T09:00:00+09:00");
        let mut event = check_in_event(&id, seq, h.resident, &h.uid, &recorded);
        let n = seq as i64;
        event["body"]["condition"] = json!(match seq % 9 {
            0 => "poor",
            4 | 5 => "fair",
            _ => "good",
        });
        event["body"]["vitals"] = json!({
            "blood_pressure": {"systolic_mmhg": 124 + (n * 7) % 23, "diastolic_mmhg": 76 + (n * 5) % 11},
            "weight_kg": 52.0 + ((n * 3) % 7) as f64 / 10.0
        });
        event["body"]["medication"] = json!([{"slot": "morning", "status": if seq % 6 == 0 { "not_taken" } else { "taken" }}]);
        events.push(event);
        day = day.tomorrow().unwrap();
    }
    let (status, body) = center
        .sync(
            &h.token,
            &request(&h.device, "2026-12-02T13:00:00+09:00", events),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// The page's width and the window's, and the elements reaching past the
/// window's right edge (to find what makes a page scroll sideways).
async fn fits_width(browser: &Browser) -> (i64, i64, String) {
    let sizes = browser
        .call(
            "POST",
            "/execute/sync",
            json!({"script": "const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth).map(e => e.tagName + (e.id ? '#' + e.id : '') + (e.name ? '[' + e.name + ']' : '')); return [document.documentElement.scrollWidth, window.innerWidth, wide.join(' ')];", "args": []}),
        )
        .await;
    (
        sizes[0].as_i64().unwrap(),
        sizes[1].as_i64().unwrap(),
        sizes[2].as_str().unwrap_or("").to_owned(),
    )
}

#[tokio::test]
async fn an_administrator_registers_a_child_on_a_375_px_phone_in_chromium() {
    let (_tmp, dir) = temp();
    let now = at("2026-12-01T00:00:00Z");
    crate::admin_pages::admin_with_totp(&dir, now);
    station(
        &dir,
        "nanbu-st-0001",
        "南部小学校",
        mimamori_protocol::StationKind::School,
        now,
    );
    let (center, _clock) = start(&dir, now).await;
    let browser = Browser::start().await;
    browser
        .call("POST", "/window/rect", json!({"width": 375, "height": 812}))
        .await;
    browser.go(&format!("{}/dashboard/login", center.url)).await;
    browser.type_into("#login", "sato").await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("#sign-in").await;
    browser.wait_for("確認コード").await;
    browser
        .type_into(
            "#code",
            &mimamori_center::dashboard::totp::code_at(crate::admin_pages::SECRET, now),
        )
        .await;
    browser.click("button[type=submit]").await;
    browser.wait_for("通知の一覧").await;

    browser
        .go(&format!("{}/dashboard/admin/stations", center.url))
        .await;
    browser.wait_for("南部小学校").await;
    let (page, window, wide) = fits_width(&browser).await;
    assert!(
        page <= window,
        "stations: {page} px wide in {window} px: {wide}"
    );
    browser.screenshot(&shots(), "admin-stations-375").await;

    browser
        .go(&format!("{}/dashboard/admin/children", center.url))
        .await;
    browser.wait_for("児童を登録する").await;
    browser.type_into("#name", "山田 太郎").await;
    browser.type_into("#kana", "やまだ たろう").await;
    browser.type_into("#district", "東町").await;
    browser.type_into("#school", "南部小学校").await;
    browser.click("#add-child").await;
    browser.wait_for("登録しました").await;
    browser.type_into("#uid", "04C0FFEE112233").await;
    browser.click("#bind-card").await;
    browser.wait_for("カードを登録しました").await;
    browser.type_into("#g_name", "山田 良子").await;
    browser.type_into("#g_relation", "母").await;
    browser.type_into("#g_email", "yoshiko@example.jp").await;
    browser.click("#add-guardian").await;
    let page = browser.wait_for("保護者を追加しました").await;
    assert!(
        page.contains("04C0FFEE112233") && page.contains("yoshiko@example.jp"),
        "{page}"
    );
    let (width, window, wide) = fits_width(&browser).await;
    assert!(
        width <= window,
        "child: {width} px wide in {window} px: {wide}"
    );
    let shot = browser.screenshot(&shots(), "admin-child-375").await;
    eprintln!("screenshot: {}", shot.display());
    browser
        .go(&format!("{}/dashboard/admin/children", center.url))
        .await;
    browser.wait_for("山田 太郎").await;
    let (width, window, wide) = fits_width(&browser).await;
    assert!(
        width <= window,
        "children: {width} px wide in {window} px: {wide}"
    );
    drop(browser);
    center.stop().await;
}
