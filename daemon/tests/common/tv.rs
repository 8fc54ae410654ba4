//! The box in this process with its virtual TV page, against a center in
//! this process on 127.0.0.1: starting them, reading the page's state and
//! pressing its buttons.
#![allow(dead_code)] // not every test binary uses every helper

use std::sync::Arc;
use std::time::{Duration, Instant};

use mimamori_center::clock::ManualClock;

/// Serves the center of `config` on a free port of 127.0.0.1, its clock
/// standing at `now`; its URL.
pub(crate) async fn serve_center(
    config: &mimamori_center::config::Config,
    now: jiff::Timestamp,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(mimamori_center::server::serve(
        config.clone(),
        Arc::new(ManualClock::new(now)),
        listener,
        std::future::pending(),
    ));
    url
}

/// The configuration of box `box-0001` (data under `dir/box`) with a
/// 640×360 virtual TV on a free port, and the TV's URL. `sections` follow
/// `[display]`: `[sync]`, `[card]`, ….
pub(crate) fn box_with_virtual_tv(
    dir: &std::path::Path,
    center_url: &str,
    token: &str,
    sections: &str,
) -> (mimamori_daemon::config::Config, String) {
    let tv_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = mimamori_daemon::config::Config::parse(
        &format!(
            "device_id = \"box-0001\"\ncenter_url = \"{center_url}\"\ntoken = \"{token}\"\ndata_dir = \"box\"\n\
             [display]\nbackend = \"virtual\"\nlisten = \"127.0.0.1:{tv_port}\"\nsize = \"640x360\"\n\
             {sections}"
        ),
        dir,
    )
    .unwrap();
    (config, format!("http://127.0.0.1:{tv_port}"))
}

/// The page's state (`screen`, `title`, `cards`, `version`).
pub(crate) async fn state(url: &str) -> serde_json::Value {
    match reqwest::get(format!("{url}/state")).await {
        Ok(response) => response.json().await.unwrap_or_default(),
        Err(_) => serde_json::json!({"screen": "(not up yet)"}),
    }
}

/// Presses a button of the page (`/key/ok`, `/card/insert/…`).
pub(crate) async fn post(url: &str, path: &str) {
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

/// Presses a key of the page's remote (`ok`, `1`, `red`, …).
pub(crate) async fn key(url: &str, name: &str) {
    post(url, &format!("/key/{name}")).await;
}

/// Waits up to 15 s for a state that passes `check`, naming `what` when
/// none does; the state that passed.
pub(crate) async fn wait_for(
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
