//! The whole box in one process against a center on loopback: a trial card
//! inserted on the virtual TV page, a check-in with the remote's keys, and
//! the check-in stored at the center.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use mimamori_center::clock::ManualClock;
use mimamori_daemon::config::Config;

async fn state(url: &str) -> serde_json::Value {
    match reqwest::get(format!("{url}/state")).await {
        Ok(response) => response.json().await.unwrap(),
        Err(_) => serde_json::json!({"screen": "(not up yet)"}),
    }
}

async fn post(url: &str, path: &str) {
    let status = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{url}{path}"))
        .send()
        .await
        .unwrap()
        .status();
    assert!(
        status.is_redirection() || status.is_success(),
        "{path}: {status}"
    );
}

async fn wait_for(
    url: &str,
    what: &str,
    check: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let s = state(url).await;
        if check(&s) {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "waited for {what}; the TV shows {s}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_checks_in_on_the_virtual_tv() {
    let tmp = tempfile::tempdir().unwrap();
    #[allow(clippy::disallowed_methods)] // the box reads the real clock; so does this center
    let now = jiff::Timestamp::now();
    let (center_config, token, _) = common::center_with_household(tmp.path(), now);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let center_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(mimamori_center::server::serve(
        center_config.clone(),
        Arc::new(ManualClock::new(now)),
        listener,
        std::future::pending(),
    ));

    let tv_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = Config::parse(
        &format!(
            "device_id = \"box-0001\"\ncenter_url = \"{center_url}\"\ntoken = \"{token}\"\ndata_dir = \"box\"\n\
             [display]\nbackend = \"virtual\"\nlisten = \"127.0.0.1:{tv_port}\"\nsize = \"640x360\"\n\
             [sync]\ninterval_s = 1\n[card]\nreader = \"none\"\n"
        ),
        tmp.path(),
    )
    .unwrap();
    tokio::spawn(mimamori_daemon::runtime::run(
        config,
        std::future::pending(),
    ));
    let tv = format!("http://127.0.0.1:{tv_port}");

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
