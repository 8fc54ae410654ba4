//! The tap station (`mimamorid run` with `[station]`, in this process) with
//! its cards in vpcd readers through the real pcscd, its screen on the
//! virtual TV page and a stand-in 1.1 center: known trial and My Number
//! cards (the certificate read without a PIN), a repeat within the window,
//! a card left on the reader, an unknown card, an unreadable one, a card
//! pulled mid-read, pcscd restarted, and the daemon restarted.

use std::time::{Duration, Instant};

use mimamori_daemon::devices::Devices;
use mimamori_hw_tests::pcscd;
use mimamori_hw_tests::simcard::{Faults, Inserted, JpkiCard, SLOT_0, StrangerCard, UidCard};
use mimamori_protocol::{
    CardBinding, CardUid, CertFingerprint, EventBody, JpkiBinding, Person, ProtocolVersion,
    UidBinding,
};
use serde_json::Value;

use crate::common::stub_center::StubCenter;
use crate::common::tv::{self, wait_for};
use crate::readers;

const YUI: [u8; 4] = [0x04, 0xC0, 0xFF, 0xEE];
const HARUTO: [u8; 4] = [0x04, 0x11, 0x22, 0x33];

fn uid_binding(uid: &[u8]) -> CardBinding {
    CardBinding::CardUid(UidBinding {
        uid: CardUid::from_bytes(uid).unwrap(),
    })
}

fn people(certificate: &[u8]) -> Vec<Person> {
    let person = |name: &str, kana: &str, card| Person {
        name: name.into(),
        name_kana: kana.into(),
        cards: vec![card],
    };
    vec![
        person("田中 ゆい", "たなか ゆい", uid_binding(&YUI)),
        person(
            "山田 花子",
            "やまだ はなこ",
            CardBinding::Jpki(JpkiBinding {
                cert_fingerprint: CertFingerprint::of_der(certificate),
            }),
        ),
        person("佐藤 はると", "さとう はると", uid_binding(&HARUTO)),
    ]
}

fn screen_is(kind: &'static str, text: &'static str) -> impl Fn(&Value) -> bool {
    move |s| {
        s["screen"] == kind
            && (s["title"].as_str().unwrap_or_default().contains(text)
                || s["text"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|l| l.as_str().unwrap_or("").contains(text))))
    }
}

/// The taps the station recorded: those the center has and those still
/// in the outbox, in order, as (card, seq).
fn recorded(center: &StubCenter, data: &std::path::Path) -> Vec<CardBinding> {
    let mut events = center.taps();
    let outbox = mimamori_daemon::outbox::Outbox::open(&data.join("box.sqlite3")).unwrap();
    for event in outbox.pending(10_000).unwrap() {
        if !events.iter().any(|e| e.id == event.id) {
            events.push(event);
        }
    }
    events.retain(|e| matches!(e.body, EventBody::Tap(_)));
    events.sort_by_key(|e| e.seq);
    events
        .into_iter()
        .map(|e| match e.body {
            EventBody::Tap(tap) => tap.card,
            _ => unreachable!(),
        })
        .collect()
}

struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    tv: String,
}

fn start(dir: &std::path::Path, center: &StubCenter) -> Running {
    let (config, tv) = tv::box_with_virtual_tv(
        dir,
        &center.url,
        "mmb_station",
        "[sync]\ninterval_s = 1\n[card]\nreader = \"pcsc\"\n[station]\nrepeat_window_s = 300\nshow_s = 1\n",
    );
    assert!(config.station.is_some());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(mimamori_daemon::runtime::run_with(
        config,
        Devices::none(),
        async {
            let _ = stopped.await;
        },
    ));
    Running { stop, task, tv }
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }
}

fn take_out(inserted: Inserted) -> Vec<Vec<u8>> {
    let commands = inserted.remove();
    pcscd::wait_empty(Duration::from_secs(5)).unwrap();
    commands
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::await_holding_lock)] // the guard keeps the machine's one pcscd for the whole test
async fn a_station_confirms_known_cards_once_and_says_what_is_wrong_with_the_rest() {
    let _readers = readers();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("box");
    let hanako = JpkiCard::with_key(1, "1234");
    let center = StubCenter::start(ProtocolVersion::V1_1, people(hanako.certificate())).await;
    let station = start(tmp.path(), &center);
    let tv = station.tv.clone();
    // The roster and the place arrive with the first sync.
    wait_for(
        &tv,
        "the idle screen with the place",
        screen_is("StationIdle", "南部小学校"),
    )
    .await;

    // A known trial card: recorded, then confirmed.
    let card = Inserted::insert(SLOT_0, Box::new(UidCard::new(&YUI))).unwrap();
    let inserted_at = Instant::now();
    wait_for(
        &tv,
        "田中 ゆい confirmed",
        screen_is("StationConfirmed", "田中 ゆいさん"),
    )
    .await;
    let seen_after = inserted_at.elapsed();
    assert_eq!(recorded(&center, &data), vec![uid_binding(&YUI)]);
    // Left on the reader: the confirmation goes (show_s = 1), no second tap.
    wait_for(
        &tv,
        "idle with the card still in",
        screen_is("StationIdle", "カードをタッチしてください"),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(card.is_in());
    assert_eq!(
        recorded(&center, &data).len(),
        1,
        "a card left on the reader counts once"
    );
    take_out(card);

    // Again within the window: already confirmed, nothing recorded.
    let card = Inserted::insert(SLOT_0, Box::new(UidCard::new(&YUI))).unwrap();
    wait_for(
        &tv,
        "already confirmed",
        screen_is("StationAlready", "田中 ゆいさん"),
    )
    .await;
    take_out(card);
    assert_eq!(recorded(&center, &data).len(), 1);

    // A My Number card: known by its certificate, read without a PIN.
    let card = Inserted::insert(SLOT_0, Box::new(hanako.clone())).unwrap();
    wait_for(
        &tv,
        "山田 花子 confirmed",
        screen_is("StationConfirmed", "山田 花子さん"),
    )
    .await;
    let commands = take_out(card);
    crate::assert_only_jpki_and_uid(&commands);
    assert!(
        !commands
            .iter()
            .any(|c| c.starts_with(&[0x00, 0x20]) && c.len() > 4),
        "no PIN was sent to the card: {:?}",
        commands.iter().map(|c| crate::hex(c)).collect::<Vec<_>>()
    );
    assert!(
        !commands.iter().any(|c| c.starts_with(&[0x80, 0x2A])),
        "nothing signed"
    );
    assert_eq!(hanako.state().tries_left, 3, "no PIN try spent");
    assert_eq!(recorded(&center, &data).len(), 2);

    // An unknown card.
    let card = Inserted::insert(SLOT_0, Box::new(UidCard::new(&[1, 2, 3, 4]))).unwrap();
    wait_for(&tv, "unknown card", screen_is("StationUnknown", "受付")).await;
    take_out(card);
    // A card with neither the JPKI applet nor a UID.
    let card = Inserted::insert(SLOT_0, Box::new(StrangerCard)).unwrap();
    wait_for(
        &tv,
        "unreadable",
        screen_is("StationUnreadable", "もう一度タッチしてください"),
    )
    .await;
    take_out(card);
    // A My Number card pulled while its certificate is read.
    let pulled = Inserted::insert_with(
        SLOT_0,
        Box::new(JpkiCard::with_key(2, "1234")),
        Faults {
            remove_on: Some(vec![0x00, 0xB0, 0x00, 0x04]),
            ..Faults::default()
        },
    )
    .unwrap();
    wait_for(
        &tv,
        "card left",
        screen_is("StationCardLeft", "カードが離れました"),
    )
    .await;
    assert!(!pulled.is_in());
    take_out(pulled);
    assert_eq!(
        recorded(&center, &data).len(),
        2,
        "nothing recorded for those"
    );

    // pcscd goes away: the screen says the reader is missing; it comes back.
    pcscd::kill().unwrap();
    wait_for(
        &tv,
        "no reader",
        screen_is("StationNoReader", "係の人を呼んでください"),
    )
    .await;
    pcscd::start().unwrap();
    wait_for(&tv, "idle again", screen_is("StationIdle", "南部小学校")).await;
    pcscd::wait_empty(Duration::from_secs(5)).unwrap();
    let card = Inserted::insert(SLOT_0, Box::new(UidCard::new(&HARUTO))).unwrap();
    wait_for(
        &tv,
        "佐藤 はると confirmed",
        screen_is("StationConfirmed", "佐藤 はるとさん"),
    )
    .await;
    take_out(card);

    // The daemon restarts: the window still holds for 田中 ゆい.
    station.stop().await;
    let station = start(tmp.path(), &center);
    let tv = station.tv.clone();
    wait_for(
        &tv,
        "idle after the restart",
        screen_is("StationIdle", "南部小学校"),
    )
    .await;
    let card = Inserted::insert(SLOT_0, Box::new(UidCard::new(&YUI))).unwrap();
    wait_for(
        &tv,
        "already confirmed after the restart",
        screen_is("StationAlready", "田中 ゆいさん"),
    )
    .await;
    take_out(card);

    // Everything reaches the center once, in order.
    let deadline = Instant::now() + Duration::from_secs(15);
    while center.taps().len() < 3 {
        assert!(
            Instant::now() < deadline,
            "the taps did not reach the center"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let cards: Vec<CardBinding> = center
        .taps()
        .into_iter()
        .map(|e| match e.body {
            EventBody::Tap(t) => t.card,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        cards,
        vec![
            uid_binding(&YUI),
            CardBinding::Jpki(JpkiBinding {
                cert_fingerprint: CertFingerprint::of_der(hanako.certificate())
            }),
            uid_binding(&HARUTO),
        ]
    );
    station.stop().await;
    eprintln!("card in → 「確認しました」 seen on the page: {seen_after:?} (polled every 50 ms)");
}

/// Thirty children tap one after another, each as soon as the one before
/// was confirmed, through pcscd + vpcd: every tap is confirmed and reaches
/// the center, none lost. With `--nocapture` it also prints, for each, the
/// time from the card put in to the confirmation on the virtual TV page
/// (polled every 2 ms) — the figures in docs/performance.md
/// (`cargo test -p mimamori-daemon --test cards -- thirty_children --nocapture`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::await_holding_lock)] // the guard keeps the machine's one pcscd for the whole run
async fn thirty_children_one_after_another_none_lost() {
    let _readers = readers();
    // The daemon logs `card_to_screen_ms` (present → drawn) for each card.
    mimamori_daemon::logging::init();
    let tmp = tempfile::tempdir().unwrap();
    let uid = |i: u8| [0x04, 0x30, 0x00, i];
    let children: Vec<Person> = (0..30u8)
        .map(|i| Person {
            name: format!("児童 {i:02}"),
            name_kana: format!("じどう {i:02}"),
            cards: vec![uid_binding(&uid(i))],
        })
        .collect();
    let center = StubCenter::start(ProtocolVersion::V1_1, children).await;
    let station = start(tmp.path(), &center);
    let tv = station.tv.clone();
    wait_for(&tv, "idle", screen_is("StationIdle", "南部小学校")).await;
    let mut times = Vec::new();
    let began = Instant::now();
    for i in 0..30u8 {
        let name = format!("児童 {i:02}さん");
        let card = Inserted::insert(SLOT_0, Box::new(UidCard::new(&uid(i)))).unwrap();
        let put_in = Instant::now();
        loop {
            let s = tv::state(&tv).await;
            if s["screen"] == "StationConfirmed" && s["text"][0] == name.as_str() {
                break;
            }
            assert!(
                put_in.elapsed() < Duration::from_secs(5),
                "no confirmation for {name}: {s}"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        times.push(put_in.elapsed());
        take_out(card);
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while center.taps().len() < 30 {
        assert!(
            Instant::now() < deadline,
            "{} taps at the center",
            center.taps().len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(center.taps().len(), 30);
    station.stop().await;
    times.sort();
    eprintln!(
        "30 taps in {:?}: card in → confirmation on the page: median {:?}, p90 {:?}, max {:?}",
        began.elapsed(),
        times[15],
        times[27],
        times[29]
    );
}
