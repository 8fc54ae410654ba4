//! A My Number card from enrolment to a verified check-in: `mimamorid card
//! enroll`, `mimamori-center admin card bind --cert`, the card signs a
//! check-in over its canonical bytes, the box syncs it over real HTTP, the
//! center verifies it; an altered one is refused and recorded. Online
//! login: a challenge from the center, signed by the card, accepted once.

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

use crate::{common, readers, watch};

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
#[allow(clippy::await_holding_lock)] // the guard keeps the machine's one pcscd for the whole test
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::await_holding_lock)] // the guard keeps the machine's one pcscd for the whole test
async fn online_login_answers_a_center_challenge_once() {
    let _readers = readers();
    let tmp = tempfile::tempdir().unwrap();
    let now: jiff::Timestamp = "2026-11-29T00:00:00Z".parse().unwrap();
    let (config, token, resident) = common::center_with_household(tmp.path(), now);
    let card = JpkiCard::with_key(1, "1234");
    let cert = mimamori_center::jpki::parse_certificate(card.certificate()).unwrap();
    mimamori_center::store::Store::open(&config.database_path())
        .unwrap()
        .transaction(|c| mimamori_center::store::admin::bind_certificate(c, resident, &cert, now))
        .unwrap();
    let _inserted = Inserted::insert(SLOT_0, Box::new(card)).unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(mimamori_center::server::serve(
        config.clone(),
        Arc::new(ManualClock::new(now)),
        listener,
        std::future::pending(),
    ));
    let http = reqwest::Client::new();
    let challenge = || async {
        let answer: serde_json::Value = http
            .post(format!("{url}/api/v1/login/challenge"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["challenge"].as_str().unwrap().to_owned()
    };
    let sign = |challenge: String| {
        tokio::task::spawn_blocking(move || {
            let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mimamorid"))
                .args(["card", "login", "--pin-stdin", "--timeout", "10"])
                .args(["--challenge", &challenge])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write as _;
            child.stdin.take().unwrap().write_all(b"1234\n").unwrap();
            let out = child.wait_with_output().unwrap();
            let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(json["result"], "ok", "{json}");
            json
        })
    };
    let (http_ref, url_ref, token_ref) = (&http, &url, &token);
    let login = move |body: serde_json::Value| async move {
        let (http, url, token) = (http_ref, url_ref, token_ref);
        let response = http
            .post(format!("{url}/api/v1/login"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json::<serde_json::Value>().await.unwrap())
    };

    let first = challenge().await;
    let signed = sign(first.clone()).await.unwrap();
    let body = serde_json::json!({
        "challenge": first,
        "cert_fingerprint": signed["fingerprint"],
        "signature": signed["signature"],
    });
    let (status, answer) = login(body.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["resident"], resident);
    assert_eq!(answer["weak"], false);
    let (status, answer) = login(body).await;
    assert_eq!(status, 401, "a challenge is answered once: {answer}");
    assert!(answer["message"].as_str().unwrap().contains("already used"));

    // A signature over another challenge does not answer this one.
    let second = challenge().await;
    let (status, answer) = login(serde_json::json!({
        "challenge": second,
        "cert_fingerprint": signed["fingerprint"],
        "signature": signed["signature"],
    }))
    .await;
    assert_eq!(status, 401, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("does not verify")
    );

    // A challenge answered too late is refused.
    let third = challenge().await;
    let signed = sign(third.clone()).await.unwrap();
    let late = now + jiff::SignedDuration::from_secs(61);
    let store = mimamori_center::store::Store::open(&config.database_path()).unwrap();
    let refused = mimamori_center::store::login::verify(
        store.connection(),
        &mimamori_center::store::sync::token_hash(&token),
        &hex::decode(&third).unwrap(),
        &signed["fingerprint"].as_str().unwrap().parse().unwrap(),
        &mimamori_protocol::Signature::from_bytes(
            &hex::decode(signed["signature"].as_str().unwrap()).unwrap(),
        )
        .unwrap(),
        late,
    )
    .unwrap_err();
    assert!(refused.to_string().contains("expired"), "{refused}");
}
