//! The tap station's loop in this process without a PC/SC reader: the
//! virtual page's card buttons hand in trial cards, the chime plays through
//! the box's hardware path (a fake board), and a tap the outbox cannot
//! store is not confirmed; and `mimamorid run` with `[station]` as a
//! process, killed right after a confirmation and started again.

use std::time::{Duration, Instant};

use crate::common::stub_center::StubCenter;
use crate::common::tv::{self as tv, post, wait_for};
use crate::processes;
use mimamori_daemon::cec::Tv;
use mimamori_daemon::devices::Devices;
use mimamori_daemon::hardware::fake::FakeBoard;
use mimamori_firmware::Melody;
use mimamori_protocol::{CardBinding, CardUid, EventBody, Person, ProtocolVersion, UidBinding};
use serde_json::Value;

fn person(name: &str, kana: &str, uid: &str) -> Person {
    Person {
        name: name.into(),
        name_kana: kana.into(),
        cards: vec![CardBinding::CardUid(UidBinding {
            uid: uid.parse::<CardUid>().unwrap(),
        })],
    }
}

fn screen(kind: &'static str) -> impl Fn(&Value) -> bool {
    move |s| s["screen"] == kind
}

async fn until(what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "waited for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taps_from_the_page_chime_and_a_failed_write_is_not_confirmed() {
    let tmp = tempfile::tempdir().unwrap();
    let center = StubCenter::start(
        ProtocolVersion::V1_1,
        vec![
            person("田中 ゆい", "たなか ゆい", "04C0FFEE"),
            person("佐藤 はると", "さとう はると", "04112233"),
        ],
    )
    .await;
    let (config, tv) = tv::box_with_virtual_tv(
        tmp.path(),
        &center.url,
        "mmb_station",
        "[sync]\ninterval_s = 1\n[card]\nreader = \"none\"\n[station]\nshow_s = 1\n",
    );
    let (board, parts) = FakeBoard::new();
    let devices = Devices {
        board: Some(Box::new(board)),
        tv: Tv::Absent,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let station = tokio::spawn(mimamori_daemon::runtime::run_with(config, devices, async {
        let _ = stopped.await;
    }));
    // The page offers the roster's trial cards once the roster is in.
    let state = wait_for(&tv, "the roster's cards on the page", |s| {
        s["screen"] == "StationIdle" && s["cards"].as_array().is_some_and(|c| c.len() == 2)
    })
    .await;
    assert_eq!(state["title"], "南部小学校");

    post(&tv, "/card/insert/04C0FFEE").await;
    let s = wait_for(&tv, "confirmed", screen("StationConfirmed")).await;
    assert_eq!(s["title"], "確認しました");
    assert_eq!(s["text"][0], "田中 ゆいさん");
    until("the confirming chime", || {
        parts.melodies() == vec![Melody::Confirm]
    })
    .await;
    post(&tv, "/card/remove").await;

    // The outbox refuses the next tap (as a full disk would).
    let db = rusqlite::Connection::open(tmp.path().join("box/box.sqlite3")).unwrap();
    db.execute_batch(
        "CREATE TRIGGER full BEFORE INSERT ON station_taps BEGIN SELECT RAISE(FAIL, 'disk full'); END;",
    )
    .unwrap();
    post(&tv, "/card/insert/04112233").await;
    let s = wait_for(&tv, "the error screen", screen("StationError")).await;
    assert_eq!(s["title"], "記録できませんでした");
    until("the error chime", || {
        parts.melodies() == vec![Melody::Confirm, Melody::Error]
    })
    .await;
    post(&tv, "/card/remove").await;
    db.execute_batch("DROP TRIGGER full;").unwrap();

    // The same card once the outbox works again: recorded and confirmed.
    post(&tv, "/card/insert/04112233").await;
    let s = wait_for(&tv, "confirmed", screen("StationConfirmed")).await;
    assert_eq!(s["text"][0], "佐藤 はるとさん");
    post(&tv, "/card/remove").await;

    let deadline = Instant::now() + Duration::from_secs(10);
    while center.taps().len() < 2 {
        assert!(
            Instant::now() < deadline,
            "the taps did not reach the center"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let uids: Vec<String> = center
        .taps()
        .iter()
        .map(|e| match &e.body {
            EventBody::Tap(t) => match &t.card {
                CardBinding::CardUid(b) => b.uid.to_string(),
                CardBinding::Jpki(_) => unreachable!(),
            },
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        uids,
        ["04C0FFEE", "04112233"],
        "the failed tap was never recorded"
    );
    let _ = stop.send(());
    station.await.unwrap().unwrap();
}

/// Taps of the card `uid` the center has or the outbox in `dir` holds.
fn taps_of(center: &StubCenter, dir: &std::path::Path, uid: &str) -> usize {
    let outbox = mimamori_daemon::outbox::Outbox::open(&dir.join("box/box.sqlite3")).unwrap();
    let mut ids: Vec<_> = center.taps().into_iter().chain(outbox.pending(10_000).unwrap()).filter(|e| {
        matches!(&e.body, EventBody::Tap(t) if matches!(&t.card, CardBinding::CardUid(b) if b.uid.to_string() == uid))
    }).map(|e| e.id).collect();
    ids.sort_by_key(|id| id.0);
    ids.dedup();
    ids.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mimamorid_run_as_a_station_keeps_a_confirmed_tap_through_a_power_cut() {
    let tmp = tempfile::tempdir().unwrap();
    let center = StubCenter::start(
        ProtocolVersion::V1_1,
        vec![person("田中 ゆい", "たなか ゆい", "04C0FFEE")],
    )
    .await;
    let center_port: u16 = center.url.rsplit(':').next().unwrap().parse().unwrap();
    let tv_port = processes::free_port();
    let tv = format!("http://127.0.0.1:{tv_port}");
    let sections = "[card]\nreader = \"none\"\n[station]\nrepeat_window_s = 600\nshow_s = 2\n";
    let station = processes::start_box_with(
        tmp.path(),
        center_port,
        "mmb_station",
        tv_port,
        "",
        sections,
    );
    wait_for(&tv, "the station's idle screen", |s| {
        s["screen"] == "StationIdle" && s["title"] == "南部小学校"
    })
    .await;
    post(&tv, "/card/insert/04C0FFEE").await;
    wait_for(&tv, "confirmed", screen("StationConfirmed")).await;
    // The power goes the moment the screen confirms: the tap is on disk.
    station.kill();
    assert_eq!(taps_of(&center, tmp.path(), "04C0FFEE"), 1);

    let station = processes::start_box_with(
        tmp.path(),
        center_port,
        "mmb_station",
        tv_port,
        "",
        sections,
    );
    wait_for(&tv, "idle after the restart", screen("StationIdle")).await;
    post(&tv, "/card/insert/04C0FFEE").await;
    let s = wait_for(&tv, "already confirmed", screen("StationAlready")).await;
    assert_eq!(s["text"][0], "田中 ゆいさん");
    post(&tv, "/card/remove").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while center.taps().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the tap did not reach the center"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    station.stop();
    assert_eq!(
        taps_of(&center, tmp.path(), "04C0FFEE"),
        1,
        "once, through the power cut"
    );
    // The center may have it twice (sent just before the power cut, its
    // answer lost): under one id, which a center stores once.
    let mut ids: Vec<_> = center.taps().iter().map(|e| e.id.0).collect();
    ids.dedup();
    assert_eq!(ids.len(), 1);
}
