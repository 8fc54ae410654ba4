//! The box's outbox and sync client against a center serving real HTTP on
//! 127.0.0.1 over a SQLite file: nothing recorded on the box is lost while
//! the center is away, and nothing is stored twice.

use std::sync::Arc;

mod common;

use mimamori_center::clock::ManualClock;
use mimamori_daemon::outbox::Outbox;
use mimamori_daemon::sync::{SyncClient, SyncError};
use mimamori_protocol::*;

fn box_now() -> Timestamp {
    "2026-11-29T09:00:00+09:00".parse().unwrap()
}

fn check_in(resident: u64) -> EventBody {
    EventBody::CheckIn(CheckIn {
        resident: ResidentId(resident),
        condition: Condition::Good,
        symptoms: vec![],
        symptom_note: None,
        medication: vec![],
        vitals: Vitals::default(),
        call_requested: false,
        auth: Authentication::CardUid(UidProof {
            uid: "04A1B2C3".parse().unwrap(),
        }),
    })
}

#[tokio::test]
async fn a_check_in_made_while_the_center_is_away_arrives_once() {
    let tmp = tempfile::tempdir().unwrap();
    let now: jiff::Timestamp = "2026-11-29T00:00:00Z".parse().unwrap();
    let (config, token, resident) = common::center_with_household(tmp.path(), now);

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener); // nothing listens yet: the center is away

    let outbox_path = tmp.path().join("box.sqlite3");
    let mut outbox = Outbox::open(&outbox_path).unwrap();
    let first = outbox.record(check_in(resident as u64), box_now()).unwrap();
    assert_eq!(first.seq, 1);
    let client = SyncClient::new(
        &format!("http://{address}"),
        &token,
        "box-0001".parse().unwrap(),
    );
    let err = client.sync(&mut outbox, box_now).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert!(matches!(err, SyncError::Unreachable(_)));
    assert_eq!(outbox.pending_count().unwrap(), 1, "kept on the box");

    // The center comes back.
    let listener = tokio::net::TcpListener::bind(address).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(mimamori_center::server::serve(
        config.clone(),
        Arc::new(ManualClock::new(now)),
        listener,
        async {
            let _ = stopped.await;
        },
    ));
    let outcome = client.sync(&mut outbox, box_now).await.unwrap();
    assert_eq!((outcome.acked, outcome.rejected), (1, 0));
    assert_eq!(outbox.pending_count().unwrap(), 0);
    assert!(
        outbox.known().unwrap().residents.is_some(),
        "the residents came with the answer"
    );
    assert!(
        outbox
            .center_data("residents")
            .unwrap()
            .unwrap()
            .contains("山田 花子")
    );

    // A box that crashed after sending but before taking the ack sends the
    // same event again: acked again, stored once.
    {
        let conn = rusqlite::Connection::open(&outbox_path).unwrap();
        conn.execute(
            "INSERT INTO outbox (seq, id, event) VALUES (1, ?1, ?2)",
            rusqlite::params![
                first.id.0.as_bytes().as_slice(),
                serde_json::to_string(&first).unwrap()
            ],
        )
        .unwrap();
    }
    let outcome = client.sync(&mut outbox, box_now).await.unwrap();
    assert_eq!(outcome.acked, 1);
    assert_eq!(common::count(&config, "SELECT COUNT(*) FROM check_ins"), 1);

    // After a restart the sequence goes on.
    drop(outbox);
    let mut outbox = Outbox::open(&outbox_path).unwrap();
    let second = outbox.record(check_in(resident as u64), box_now()).unwrap();
    assert_eq!(second.seq, 2);
    assert_ne!(second.boot_id, first.boot_id);
    client.sync(&mut outbox, box_now).await.unwrap();
    assert_eq!(common::count(&config, "SELECT COUNT(*) FROM check_ins"), 2);

    // A wrong token is refused for good, and the event stays on the box.
    outbox.record(check_in(resident as u64), box_now()).unwrap();
    let stranger = SyncClient::new(
        &format!("http://{address}"),
        "mmb_wrong",
        "box-0001".parse().unwrap(),
    );
    let err = stranger.sync(&mut outbox, box_now).await.unwrap_err();
    assert!(
        matches!(err, SyncError::Refused { status: 401, .. }),
        "{err}"
    );
    assert_eq!(outbox.pending_count().unwrap(), 1);

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
