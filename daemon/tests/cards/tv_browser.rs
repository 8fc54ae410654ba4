//! The virtual TV in headless Chromium with the simulated cards of a card
//! dock (`simcard dock`) going through the real PC/SC stack: a real center
//! process, the resident's My Number certificate bound with the center's
//! own command, `mimamorid run` with `[display] card_dock`, and a person's
//! clicks on the page — a stranger card, a check-in abandoned by pulling
//! the card, and a whole check-in with the PIN typed on the clickable
//! remote — ending in a check-in the center stores as signed by the card.
//! Screenshots go to `target/virtual-tv-screenshots/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mimamori_hw_tests::browser::Browser;
use mimamori_hw_tests::simcard::SLOT_0;
use mimamori_protocol::{Authentication, EventBody, EventId};

use crate::common;
use crate::processes::{self, Process, free_port, wait_until};
use crate::readers;

const PIN: &str = "2580";

fn shots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/virtual-tv-screenshots")
}

/// Starts `simcard dock` for reader `Virtual PCD 00 00` with a My Number
/// card, a trial card and a stranger card; waits until it answers.
async fn start_dock(dir: &Path, port: u16) -> Process {
    let log = std::fs::File::create(dir.join("dock.log")).unwrap();
    let child = Command::new(processes::simcard_binary())
        .args(["--port", &SLOT_0.to_string(), "dock"])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--card", &format!("jpki:山田 花子:{PIN}")])
        .args(["--card", "uid:お試し:04D4E5F6"])
        .args(["--card", "stranger:知らないカード"])
        .arg("--cert-dir")
        .arg(dir.join("certs"))
        .stdin(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("starting simcard dock");
    let process = Process(child);
    wait_until("the card dock", Duration::from_secs(10), || async {
        reqwest::get(format!("http://127.0.0.1:{port}/cards"))
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    process
}

/// The TV's state as the box's page reports it.
async fn tv(tv_port: u16) -> serde_json::Value {
    processes::tv_state(tv_port).await
}

/// Clicks `css` on the page and waits until the box has drawn a new frame.
async fn press(browser: &Browser, tv_port: u16, css: &str) {
    let before = tv(tv_port).await["version"].as_u64().unwrap_or(0);
    browser.click(css).await;
    wait_until(
        &format!("a new frame after {css}"),
        Duration::from_secs(10),
        || async { tv(tv_port).await["version"].as_u64().unwrap_or(0) > before },
    )
    .await;
}

/// Waits until the page (its script follows the box) shows `screen`.
async fn shown(browser: &Browser, screen: &str) -> String {
    browser
        .wait_until(&format!("data-screen=\"{screen}\""), |source| {
            source.contains(&format!("data-screen=\"{screen}\""))
        })
        .await
}

/// Waits until the TV waits for a card: standby, or the reminder when the
/// day's check-in is due (the real clock may be past her reminder time).
async fn waiting_for_a_card(browser: &Browser) -> String {
    browser
        .wait_until("standby or the reminder", |source| {
            source.contains("data-screen=\"Standby\"")
                || source.contains("data-screen=\"Reminder\"")
        })
        .await
}

/// Inserts the My Number card on the page and types the PIN on the page's
/// remote; returns once the greeting is shown.
async fn log_in(browser: &Browser, tv_port: u16) {
    browser.click("#dock-insert-0").await;
    shown(browser, "Pin").await;
    for digit in PIN.chars() {
        press(browser, tv_port, &format!("#key-{digit}")).await;
    }
    browser.click("#key-ok").await;
    shown(browser, "Greeting").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::await_holding_lock)] // the guard keeps the machine's one pcscd for the whole test
async fn a_check_in_on_the_virtual_tv_with_a_my_number_card_from_the_dock() {
    let _readers = readers();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    #[allow(clippy::disallowed_methods)] // real processes read the real clock
    let now = jiff::Timestamp::now();
    let (center_config, token, resident) = common::center_with_household(dir, now);
    let center_port = free_port();
    let _center = processes::start_center(dir, center_port).await;
    let dock_port = free_port();
    let dock = start_dock(dir, dock_port).await;

    // The card's certificate, as an installer would enrol it, bound with
    // the center's command.
    let bound = Command::new(processes::center_binary())
        .arg("--config")
        .arg(dir.join("center.toml"))
        .args(["admin", "card", "bind", &resident.to_string(), "--cert"])
        .arg(dir.join("certs/card-0.der"))
        .output()
        .unwrap();
    assert!(
        bound.status.success(),
        "{}",
        String::from_utf8_lossy(&bound.stderr)
    );
    assert!(String::from_utf8_lossy(&bound.stdout).contains("bound to resident"));

    let tv_port = free_port();
    let the_box = processes::start_box_with(
        dir,
        center_port,
        &token,
        tv_port,
        &format!("card_dock = \"http://127.0.0.1:{dock_port}\"\n"),
        "[card]\nreader = \"pcsc\"\n",
    );
    // The bindings arrive with the first sync.
    wait_until("the first sync", Duration::from_secs(30), || async {
        tv(tv_port).await["cards"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    })
    .await;

    let browser = Browser::start().await;
    browser
        .call(
            "POST",
            "/window/rect",
            serde_json::json!({"width": 1400, "height": 1250}),
        )
        .await;
    browser.go(&format!("http://127.0.0.1:{tv_port}/")).await;
    let page = waiting_for_a_card(&browser).await;
    assert!(
        page.contains("山田 花子（マイナンバーカード・暗証番号 2580）")
            && page.contains("Virtual PCD 00 00"),
        "the dock's cards on the page: {page}"
    );
    assert!(
        !page.contains("/card/insert/"),
        "no direct card buttons with a dock"
    );
    browser.screenshot(&shots(), "1-standby").await;

    // A card that is neither a My Number card nor a trial card.
    browser.click("#dock-insert-2").await;
    browser.wait_for("このカードは登録されていません").await;
    browser.screenshot(&shots(), "2-stranger-card").await;
    browser.click("#dock-remove").await;
    waiting_for_a_card(&browser).await;

    // Pulled in the middle of the check-in: nothing is saved, the TV says
    // so and then waits for a card again.
    log_in(&browser, tv_port).await;
    browser.screenshot(&shots(), "3-greeting").await;
    press(&browser, tv_port, "#key-ok").await;
    shown(&browser, "Condition").await;
    browser.click("#dock-remove").await;
    browser.wait_for("カードが抜かれました").await;
    browser.screenshot(&shots(), "4-card-pulled").await;
    // Nothing waits on the box, and after two syncs nothing arrived.
    let conn = rusqlite::Connection::open_with_flags(
        dir.join("box/box.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let waiting: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM outbox WHERE event LIKE '%check_in%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    drop(conn);
    assert_eq!(waiting, 0, "nothing saved from the pulled card");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        common::count(&center_config, "SELECT COUNT(*) FROM check_ins"),
        0
    );
    // 「カードが抜かれました」 stays 10 s, then the TV waits for a card.
    wait_until("standby again", Duration::from_secs(20), || async {
        matches!(
            tv(tv_port).await["screen"].as_str(),
            Some("Standby" | "Reminder")
        )
    })
    .await;
    waiting_for_a_card(&browser).await;

    // The whole check-in: PIN, ふつう, no symptoms, OK to the end.
    log_in(&browser, tv_port).await;
    press(&browser, tv_port, "#key-ok").await;
    shown(&browser, "Condition").await;
    browser.screenshot(&shots(), "5-condition").await;
    press(&browser, tv_port, "#key-2").await;
    for _ in 0..12 {
        let screen = tv(tv_port).await["screen"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        match screen.as_str() {
            "Done" | "TakeCard" => break,
            "SymptomsAsk" => press(&browser, tv_port, "#key-1").await,
            "Confirm" => {
                browser.screenshot(&shots(), "6-confirm").await;
                press(&browser, tv_port, "#key-ok").await;
            }
            _ => press(&browser, tv_port, "#key-ok").await,
        }
    }
    browser.wait_for("記録しました").await;
    browser.screenshot(&shots(), "7-done").await;

    // The center stored it as the card's: signed, and the signature
    // verifies with the key bound to her.
    wait_until(
        "the check-in at the center",
        Duration::from_secs(15),
        || async { common::count(&center_config, "SELECT COUNT(*) FROM check_ins") == 1 },
    )
    .await;
    assert_eq!(
        common::count(&center_config, "SELECT COUNT(*) FROM rejected_events"),
        0
    );
    let store = mimamori_center::store::Store::open(&center_config.database_path()).unwrap();
    let (id, recorded_at, body, weak, condition): (Vec<u8>, String, String, bool, String) = store
        .connection()
        .query_row(
            "SELECT e.id, e.recorded_at, e.body, c.weak_auth, c.condition
             FROM events e JOIN check_ins c ON c.event_id = e.id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert!(!weak, "a My Number card's check-in is strong");
    assert_eq!(condition, "fair");
    let bound_key: Vec<u8> = store
        .connection()
        .query_row(
            "SELECT public_key FROM cards WHERE resident_id = ?1 AND kind = 'jpki'",
            [resident],
            |r| r.get(0),
        )
        .unwrap();
    let EventBody::CheckIn(check_in) = serde_json::from_str(&body).unwrap() else {
        panic!("not a check-in: {body}");
    };
    let Authentication::Jpki(proof) = &check_in.auth else {
        panic!("not signed by a card: {body}");
    };
    let id = EventId(uuid::Uuid::from_slice(&id).unwrap());
    let recorded_at: mimamori_protocol::Timestamp = recorded_at.parse().unwrap();
    let message = mimamori_protocol::canonical::check_in_bytes(id, &recorded_at, &check_in);
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        &bound_key,
    )
    .verify(&message, proof.signature.as_bytes())
    .expect("the check-in's signature verifies with the bound key");
    let mut altered = message.clone();
    let last = altered.len() - 1;
    altered[last] ^= 1;
    assert!(
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            &bound_key,
        )
        .verify(&altered, proof.signature.as_bytes())
        .is_err()
    );

    // The box only ever spoke to the JPKI AP and asked for UIDs.
    let commands: Vec<String> = reqwest::get(format!("http://127.0.0.1:{dock_port}/commands"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let commands: Vec<Vec<u8>> = commands.iter().map(|c| hex::decode(c).unwrap()).collect();
    crate::assert_only_jpki_and_uid(&commands);
    assert!(
        commands.iter().any(|c| c.starts_with(&[0x80, 0x2A])),
        "signed"
    );

    browser.click("#dock-remove").await;
    waiting_for_a_card(&browser).await;
    drop(browser);
    the_box.stop();
    drop(dock);
    let deadline = Instant::now() + Duration::from_secs(5);
    while mimamori_hw_tests::pcscd::wait_empty(Duration::from_millis(500)).is_err() {
        assert!(Instant::now() < deadline, "the dock's card left with it");
    }
}
