//! A My Number card from enrolment to a verified check-in: `mimamorid card
//! enroll`, `mimamori-center admin card bind --cert`, the card signs a
//! check-in over its canonical bytes, the box syncs it over real HTTP, the
//! center verifies it; an altered one is refused and recorded.

use std::sync::Arc;
use std::time::Duration;

use clap::Parser as _;
use mimamori_center::clock::ManualClock;
use mimamori_daemon::card::{CardReport, Pin, PinCheck, sign_check_in};
use mimamori_daemon::outbox::Outbox;
use mimamori_daemon::sync::SyncClient;
use mimamori_hw_tests::simcard::{Inserted, JpkiCard, SLOT_0};
use mimamori_protocol::{Condition, EventBody, EventId, ResidentId, Vitals};
use mimamori_remote_ui::CheckInDraft;

#[path = "../common/mod.rs"]
mod common;

use crate::{readers, watch};

fn draft(resident: i64, condition: Condition) -> CheckInDraft {
    CheckInDraft {
        resident: ResidentId(resident as u64),
        condition,
        symptoms: vec![],
        medication: vec![],
        vitals: Vitals::default(),
        call_requested: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrolled_card_signs_check_ins_the_center_accepts_and_an_altered_one_is_refused() {
    let _readers = readers();
    let tmp = tempfile::tempdir().unwrap();
    let now: jiff::Timestamp = "2026-11-29T00:00:00Z".parse().unwrap();
    let (config, token, resident) = common::center_with_household(tmp.path(), now);
    let card = JpkiCard::with_key(2, "4321");
    let inserted = Inserted::insert(SLOT_0, Box::new(card)).unwrap();

    // Enrolment at the box, binding at the center.
    let cert = tmp.path().join("card.pem");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mimamorid"))
        .args(["card", "enroll", "--timeout", "10", "--out"])
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let center_toml = tmp.path().join("center.toml");
    std::fs::write(
        &center_toml,
        format!("data_dir = \"{}\"\n", config.data_dir.display()),
    )
    .unwrap();
    mimamori_center::cli::run(mimamori_center::cli::Cli::parse_from([
        "mimamori-center",
        "--config",
        center_toml.to_str().unwrap(),
        "admin",
        "card",
        "bind",
        &resident.to_string(),
        "--cert",
        cert.to_str().unwrap(),
    ]))
    .unwrap();

    // The box: the card's PIN, then two check-ins signed by the card.
    let (service, reader) = tokio::task::spawn_blocking(|| {
        let mut cards = watch();
        let CardReport::Identified { reader, .. } =
            cards.next("the card", |r| matches!(r, CardReport::Identified { .. }))
        else {
            unreachable!()
        };
        (cards, reader)
    })
    .await
    .unwrap();
    let check = service
        .service
        .verify_pin(&reader, Pin::new("4321").unwrap())
        .await
        .unwrap();
    assert_eq!(check.unwrap(), PinCheck::Ok);
    let fingerprint = mimamori_protocol::CertFingerprint::of_der(&{
        let pem = std::fs::read(&cert).unwrap();
        mimamori_center::jpki::parse_certificate(&pem).unwrap().der
    });
    let at: mimamori_protocol::Timestamp = "2026-11-29T09:00:00+09:00".parse().unwrap();
    let mut outbox = Outbox::open(&tmp.path().join("box.sqlite3")).unwrap();
    let sign = |condition| {
        let id = EventId::generate();
        let check_in = sign_check_in(
            &service.service,
            &reader,
            fingerprint,
            draft(resident, condition),
            id,
            &at,
            Duration::from_secs(10),
        )
        .unwrap();
        (id, check_in)
    };
    let (good_id, good) = sign(Condition::Good);
    let (_, mut altered) = sign(Condition::Poor);
    altered.condition = Condition::Good; // changed after signing
    let altered_id = EventId::generate(); // and filed under another id
    outbox
        .record_as(good_id, EventBody::CheckIn(good), at)
        .unwrap();
    outbox
        .record_as(altered_id, EventBody::CheckIn(altered), at)
        .unwrap();
    drop(inserted);

    // The center, over real HTTP.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(mimamori_center::server::serve(
        config.clone(),
        Arc::new(ManualClock::new(now)),
        listener,
        async {
            let _ = stopped.await;
        },
    ));
    let client = SyncClient::new(
        &format!("http://{address}"),
        &token,
        "box-0001".parse().unwrap(),
    );
    let outcome = client.sync(&mut outbox, || at).await.unwrap();
    assert_eq!((outcome.acked, outcome.rejected), (1, 1));
    assert_eq!(
        common::count(&config, "SELECT COUNT(*) FROM check_ins"),
        1,
        "the signed check-in is stored"
    );
    assert_eq!(
        common::count(
            &config,
            "SELECT COUNT(*) FROM rejected_events WHERE reason = 'bad_signature'"
        ),
        1,
        "the altered one is refused and recorded"
    );
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    drop(service);
}
