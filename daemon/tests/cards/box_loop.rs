//! The box's loop (`mimamorid run`) with a My Number card in a PC/SC
//! reader: the card is recognised as the resident's, the PIN is typed on
//! the remote and checked by the card, the check-in is signed by the card
//! and the center stores it as strongly authenticated.

use std::time::{Duration, Instant};

use mimamori_center::store::{Store, admin};
use mimamori_hw_tests::simcard::{Inserted, JpkiCard, SLOT_0};

use crate::common::tv::{self, key, state, wait_for};
use crate::{common, readers};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::await_holding_lock)] // the guard keeps the machine's one pcscd for the whole test
async fn a_resident_logs_in_with_a_my_number_card_and_the_check_in_is_signed() {
    let _readers = readers();
    let tmp = tempfile::tempdir().unwrap();
    #[allow(clippy::disallowed_methods)] // the box reads the real clock; so does this center
    let now = jiff::Timestamp::now();
    let (center_config, token, resident) = common::center_with_household(tmp.path(), now);
    let card = JpkiCard::with_key(1, "2580");
    let cert = mimamori_center::jpki::parse_certificate(card.certificate()).unwrap();
    Store::open(&center_config.database_path())
        .unwrap()
        .transaction(|c| admin::bind_certificate(c, resident, &cert, now))
        .unwrap();
    let center_url = tv::serve_center(&center_config, now).await;
    let (config, tv) = tv::box_with_virtual_tv(
        tmp.path(),
        &center_url,
        &token,
        "[sync]\ninterval_s = 1\n[card]\nreader = \"pcsc\"\n",
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let the_box = tokio::spawn(mimamori_daemon::runtime::run(config, async {
        let _ = stopped.await;
    }));
    // The residents (and her card's binding) arrive with the first sync.
    wait_for(&tv, "the residents", |s| {
        s["cards"].as_array().is_some_and(|c| !c.is_empty())
    })
    .await;

    let inserted = Inserted::insert(SLOT_0, Box::new(card.clone())).unwrap();
    wait_for(&tv, "the PIN screen", |s| s["screen"] == "Pin").await;
    let asked_at = state(&tv).await["version"].as_u64().unwrap();
    // A wrong PIN first: the card counts it, the TV says how many are left.
    for d in ["1", "1", "1", "1", "ok"] {
        key(&tv, d).await;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while card.state().tries_left != 2 {
        assert!(
            Instant::now() < deadline,
            "the wrong PIN never reached the card"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The card may answer before the TV has even drawn "checking": wait
    // for the PIN screen drawn after the answer (four digits, checking and
    // the new PIN screen are three frames and more after the first one),
    // or the next digits would reach the checking screen.
    wait_for(&tv, "the second try", |s| {
        s["screen"] == "Pin" && s["version"].as_u64().is_some_and(|v| v >= asked_at + 6)
    })
    .await;
    for d in ["2", "5", "8", "0", "ok"] {
        key(&tv, d).await;
    }
    wait_for(&tv, "the greeting", |s| {
        !matches!(s["screen"].as_str(), Some("Pin" | "PinChecking"))
    })
    .await;
    assert_eq!(card.state().tries_left, 3);
    for _ in 0..12 {
        if state(&tv).await["screen"] == "Done" {
            break;
        }
        key(&tv, "ok").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_for(&tv, "記録しました", |s| s["screen"] == "Done").await;

    // The center verified the card's signature: stored, not weak.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let strong = common::count(
            &center_config,
            "SELECT COUNT(*) FROM check_ins WHERE weak_auth = 0",
        );
        let rejected = common::count(&center_config, "SELECT COUNT(*) FROM rejected_events");
        assert_eq!(rejected, 0, "the center refused the signed check-in");
        if strong == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the check-in did not reach the center"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let commands = inserted.remove();
    crate::assert_only_jpki_and_uid(&commands);
    assert!(
        commands.iter().any(|c| c.starts_with(&[0x80, 0x2A])),
        "the card signed"
    );
    wait_for(&tv, "standby", |s| {
        matches!(s["screen"].as_str(), Some("Standby" | "TakeCard"))
    })
    .await;
    let _ = stop.send(());
    the_box.await.unwrap().unwrap();
}
