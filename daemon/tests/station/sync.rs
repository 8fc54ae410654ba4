//! A tap station's outbox and sync client against a stand-in center on
//! 127.0.0.1 that speaks 1.0, then 1.1: taps wait in the outbox until a 1.1
//! center has answered (heartbeats go meanwhile), then every tap arrives
//! once, in order — also after a day offline and a restart.

use crate::common::stub_center::StubCenter;
use mimamori_daemon::outbox::Outbox;
use mimamori_daemon::sync::SyncClient;
use mimamori_protocol::*;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn heartbeat() -> EventBody {
    EventBody::Heartbeat(Heartbeat {
        uptime_s: 1,
        last_key_at: None,
        tv_power: None,
        room: None,
        software_version: "test".into(),
        pending_events: 0,
    })
}

fn card(n: u32) -> CardBinding {
    CardBinding::CardUid(UidBinding {
        uid: CardUid::from_bytes(&[4, 0xC0, (n >> 8) as u8, n as u8]).unwrap(),
    })
}

fn client(url: &str) -> SyncClient {
    SyncClient::new(url, "mmb_station", "nanbu-school-01".parse().unwrap())
}

#[tokio::test]
async fn a_day_of_taps_offline_waits_for_a_1_1_center_then_arrives_once_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("box.sqlite3");
    let mut outbox = Outbox::open(&path).unwrap();
    // A day offline: 600 taps (more than one batch) from 08:00 on, every
    // two minutes or so, and a heartbeat every hour.
    let start = at("2026-12-07T08:00:00+09:00").unix_millis();
    let mut tapped = Vec::new();
    for i in 0..600u32 {
        let t = Timestamp::from_unix_nanos(
            i128::from(start + i64::from(i) * 144_000) * 1_000_000,
            9 * 3600,
        )
        .unwrap();
        if i % 25 == 0 {
            outbox.record(heartbeat(), t).unwrap();
        }
        tapped.push(outbox.record_tap(card(i % 40), t).unwrap().id);
    }
    let now = || at("2026-12-08T08:00:00+09:00");

    // The center speaks only 1.0: the heartbeats go, no tap does.
    let center = StubCenter::start(ProtocolVersion::V1_0, Vec::new()).await;
    let sync = client(&center.url);
    let outcome = sync.sync(&mut outbox, now).await.unwrap();
    assert_eq!(outcome.acked, 24, "the heartbeats");
    assert_eq!(
        center.with_seen(|s| s.taps_at_1_0),
        0,
        "no tap to a 1.0 center"
    );
    assert!(center.taps().is_empty());
    assert_eq!(outbox.pending_count().unwrap(), 600);
    assert_eq!(outbox.center_protocol().unwrap(), ProtocolVersion::V1_0);
    // Again: still held, nothing dropped.
    sync.sync(&mut outbox, now).await.unwrap();
    assert_eq!(outbox.pending_count().unwrap(), 600);
    assert_eq!(center.with_seen(|s| s.taps_at_1_0), 0);

    // The station restarts; the version it learnt is kept.
    drop(outbox);
    let mut outbox = Outbox::open(&path).unwrap();
    assert_eq!(outbox.center_protocol().unwrap(), ProtocolVersion::V1_0);

    // The center is upgraded: the first answer says 1.1, and the same sync
    // goes on to send every tap, in order, once.
    center.set_version(ProtocolVersion::V1_1);
    let outcome = client(&center.url).sync(&mut outbox, now).await.unwrap();
    assert_eq!(outcome.acked, 600);
    assert_eq!(outbox.pending_count().unwrap(), 0);
    assert_eq!(outbox.center_protocol().unwrap(), ProtocolVersion::V1_1);
    let taps = center.taps();
    let ids: Vec<EventId> = taps.iter().map(|e| e.id).collect();
    assert_eq!(ids, tapped, "every tap once, in the order tapped");
    assert!(taps.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(center.with_seen(|s| s.taps_at_1_0), 0);

    // Nothing more to send; nothing sent twice.
    client(&center.url).sync(&mut outbox, now).await.unwrap();
    assert_eq!(center.taps().len(), 600);
    assert_eq!(center.with_seen(|s| s.events.len()), 624);
}

#[tokio::test]
async fn a_1_1_center_receives_taps_and_other_events_in_one_order() {
    let tmp = tempfile::tempdir().unwrap();
    let mut outbox = Outbox::open(&tmp.path().join("box.sqlite3")).unwrap();
    let now = || at("2026-12-07T15:40:00+09:00");
    let center = StubCenter::start(ProtocolVersion::V1_1, Vec::new()).await;
    // Before the first answer the station assumes 1.0: the tap waits for
    // the answer, then goes in the same sync.
    let tap = outbox
        .record_tap(card(1), at("2026-12-07T15:32:00+09:00"))
        .unwrap();
    let beat = outbox
        .record(heartbeat(), at("2026-12-07T15:33:00+09:00"))
        .unwrap();
    client(&center.url).sync(&mut outbox, now).await.unwrap();
    let seen: Vec<EventId> = center.with_seen(|s| s.events.iter().map(|e| e.id).collect());
    assert_eq!(seen, vec![beat.id, tap.id]);
    assert_eq!(outbox.pending_count().unwrap(), 0);
    // Known now: the next tap and heartbeat go in the order recorded.
    let tap2 = outbox
        .record_tap(card(2), at("2026-12-07T15:34:00+09:00"))
        .unwrap();
    let beat2 = outbox
        .record(heartbeat(), at("2026-12-07T15:35:00+09:00"))
        .unwrap();
    client(&center.url).sync(&mut outbox, now).await.unwrap();
    let seen: Vec<EventId> = center.with_seen(|s| s.events.iter().map(|e| e.id).collect());
    assert_eq!(seen, vec![beat.id, tap.id, tap2.id, beat2.id]);
}

#[test]
fn each_cards_last_tap_is_kept_across_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("box.sqlite3");
    let mut outbox = Outbox::open(&path).unwrap();
    outbox
        .record_tap(card(1), at("2026-12-07T15:00:00+09:00"))
        .unwrap();
    outbox
        .record_tap(card(2), at("2026-12-07T15:29:00+09:00"))
        .unwrap();
    outbox
        .record_tap(card(1), at("2026-12-07T15:30:00+09:00"))
        .unwrap();
    drop(outbox);
    let mut outbox = Outbox::open(&path).unwrap();
    let mut last = outbox.last_taps(&at("2026-12-07T15:29:30+09:00")).unwrap();
    last.sort_by_key(|(_, t)| t.unix_millis());
    assert_eq!(last, vec![(card(1), at("2026-12-07T15:30:00+09:00"))]);
    // The older one is forgotten; the events all wait for the center.
    assert_eq!(
        outbox
            .last_taps(&at("2026-12-07T00:00:00+09:00"))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(outbox.pending_count().unwrap(), 3);
}

/// Log lines, for the test to read.
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_station_says_once_that_its_center_speaks_only_1_0() {
    let logs = Logs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer({
            let logs = logs.clone();
            move || logs.clone()
        })
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let tmp = tempfile::tempdir().unwrap();
    let mut outbox = Outbox::open(&tmp.path().join("box.sqlite3")).unwrap();
    let now = || at("2026-12-07T15:40:00+09:00");
    let center = StubCenter::start(ProtocolVersion::V1_0, Vec::new()).await;
    let sync = client(&center.url);
    // A 1.0 center and no taps: nothing to say.
    sync.sync(&mut outbox, now).await.unwrap();
    outbox
        .record_tap(card(1), at("2026-12-07T15:32:00+09:00"))
        .unwrap();
    for _ in 0..3 {
        sync.sync(&mut outbox, now).await.unwrap();
    }
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let warnings: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("speaks protocol 1.0 only"))
        .collect();
    assert_eq!(warnings.len(), 1, "{text}");
    assert!(
        warnings[0].contains("WARN") && warnings[0].contains("1 events (taps) wait"),
        "{text}"
    );
    assert_eq!(outbox.pending_count().unwrap(), 1);
}
