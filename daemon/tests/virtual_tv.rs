//! The whole box in one process against a center on loopback: a trial card
//! inserted on the virtual TV page, a check-in with the remote's keys, and
//! the check-in stored at the center.

mod common;

use std::time::{Duration, Instant};

use common::tv::{self, post, state, wait_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_checks_in_on_the_virtual_tv() {
    let tmp = tempfile::tempdir().unwrap();
    #[allow(clippy::disallowed_methods)] // the box reads the real clock; so does this center
    let now = jiff::Timestamp::now();
    let (center_config, token, _) = common::center_with_household(tmp.path(), now);
    let center_url = tv::serve_center(&center_config, now).await;
    let (config, tv) = tv::box_with_virtual_tv(
        tmp.path(),
        &center_url,
        &token,
        "[sync]\ninterval_s = 1\n[card]\nreader = \"none\"\n",
    );
    tokio::spawn(mimamori_daemon::runtime::run(
        config,
        std::future::pending(),
    ));

    // The residents arrive with the first sync; the page offers her card.
    wait_for(&tv, "the card buttons", |s| {
        s["cards"].as_array().is_some_and(|c| !c.is_empty())
    })
    .await;
    let png = reqwest::get(format!("{tv}/frame.png"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"));

    post(&tv, "/card/insert/04A1B2C3").await;
    wait_for(&tv, "the greeting", |s| s["screen"] != "Standby").await;
    // OK on every screen takes the focused (first) choice: よい, no symptoms,
    // no call, 記録する.
    for _ in 0..12 {
        let s = state(&tv).await;
        if s["screen"] == "Done" {
            break;
        }
        post(&tv, "/key/ok").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_for(&tv, "記録しました", |s| s["screen"] == "Done").await;

    // The check-in reaches the center.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let n = common::count(&center_config, "SELECT COUNT(*) FROM check_ins");
        if n == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the check-in did not reach the center"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    post(&tv, "/card/remove").await;
    wait_for(&tv, "standby", |s| {
        s["screen"] == "Standby" || s["screen"] == "TakeCard"
    })
    .await;
}
