//! `mimamori-center admin backup` as an operator runs it: online backups of
//! a database the running server keeps writing to, each a consistent copy,
//! and a restore from one of them that carries on.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "common/process.rs"]
mod process;

use process::{Server, center, free_port, ok};

fn write_config(dir: &Path, port: u16) -> std::path::PathBuf {
    let config = dir.join("center.toml");
    std::fs::write(
        &config,
        format!("data_dir = \"data\"\n[http]\nlisten = \"127.0.0.1:{port}\"\n"),
    )
    .unwrap();
    config
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A sync carrying one heartbeat, number `seq` of the box's boot.
fn heartbeat(seq: u64) -> Value {
    json!({
        "protocol": "1.0",
        "device_id": "backup-0001",
        "sent_at": "2026-11-29T09:00:05+09:00",
        "events": [{
            "id": uuid::Uuid::from_u128(0x5eed_0000_0000_4000_8000_0000_0000_0000 | u128::from(seq)),
            "recorded_at": "2026-11-29T09:00:00+09:00",
            "boot_id": "6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22",
            "seq": seq,
            "body": {"type": "heartbeat", "uptime_s": seq, "software_version": "0.1.0"}
        }]
    })
}

/// Posts one sync; whether the center stored (acked) its event.
async fn sync(client: &reqwest::Client, url: &str, token: &str, body: &Value) -> bool {
    let Ok(response) = client
        .post(format!("{url}/api/v1/sync"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
    else {
        return false;
    };
    if !response.status().is_success() {
        return false;
    }
    let answer: Value = response.json().await.unwrap();
    answer["acked"].as_array().is_some_and(|a| a.len() == 1)
}

fn events_in(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok", "{}", db.display());
    conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn backups_of_a_database_being_written_are_consistent_and_restore() {
    let tmp = tempfile::tempdir().unwrap();
    let live = tmp.path().join("live");
    std::fs::create_dir(&live).unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let config = write_config(&live, port);
    let out = ok(&config, &["admin", "box", "add", "backup-0001"]);
    let token = out.lines().nth(1).unwrap().trim().to_owned();
    let server = Server::start(&config, &url);

    // A box syncing as fast as the center acks, until told to stop (at most
    // 5,000 syncs or 60 s).
    let acked = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acked, stop, url, token) = (acked.clone(), stop.clone(), url.clone(), token.clone());
        std::thread::spawn(move || {
            runtime().block_on(async {
                let client = reqwest::Client::new();
                let deadline = Instant::now() + Duration::from_secs(60);
                for seq in 1..=5_000u64 {
                    if stop.load(Ordering::SeqCst) || Instant::now() > deadline {
                        break;
                    }
                    assert!(
                        sync(&client, &url, &token, &heartbeat(seq)).await,
                        "sync {seq} was not acked"
                    );
                    acked.fetch_add(1, Ordering::SeqCst);
                }
            });
        })
    };
    let wait_for = |n: usize| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while acked.load(Ordering::SeqCst) < n {
            assert!(Instant::now() < deadline, "the box's syncs stalled");
            std::thread::sleep(Duration::from_millis(5));
        }
    };

    // Backups while the box keeps syncing: each holds every event acked
    // before it started, and no event the center had not stored.
    let mut backups = Vec::new();
    for round in 1..=4usize {
        wait_for(round * 25);
        let before = acked.load(Ordering::SeqCst);
        let file = tmp.path().join(format!("backup-{round}.sqlite3"));
        let report: Value = serde_json::from_str(&ok(
            &config,
            &["admin", "backup", "--out", file.to_str().unwrap(), "--json"],
        ))
        .unwrap();
        let after = acked.load(Ordering::SeqCst);
        let events = report["events"].as_i64().unwrap();
        assert!(
            (before as i64) <= events && events <= after as i64 + 1,
            "backup {round}: {events} events, acked {before} before and {after} after"
        );
        assert_eq!(events_in(&file), events, "the report counts the file");
        assert!(
            !tmp.path()
                .join(format!("backup-{round}.sqlite3-wal"))
                .exists()
        );
        backups.push((file, events));
    }
    // The server was not held up: the box went on syncing after the last backup.
    let last = acked.load(Ordering::SeqCst);
    wait_for(last + 25);
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    let total = acked.load(Ordering::SeqCst);
    drop(server);
    assert_eq!(events_in(&live.join("data/center.sqlite3")), total as i64);

    // A second backup to the same name is refused and changes nothing.
    let (first, first_events) = &backups[0];
    let again = center(
        &config,
        &["admin", "backup", "--out", first.to_str().unwrap()],
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    assert_eq!(events_in(first), *first_events);

    // Restore (deploy/README.md): the backup becomes the database of a
    // fresh data directory, and the center carries on with it.
    let (chosen, events) = backups.last().unwrap();
    let restored = tmp.path().join("restored");
    std::fs::create_dir_all(restored.join("data")).unwrap();
    std::fs::copy(chosen, restored.join("data/center.sqlite3")).unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let config = write_config(&restored, port);
    let boxes: Value =
        serde_json::from_str(&ok(&config, &["admin", "box", "list", "--json"])).unwrap();
    assert_eq!(boxes[0]["device_id"], "backup-0001", "{boxes}");
    let server = Server::start(&config, &url);
    runtime().block_on(async {
        let client = reqwest::Client::new();
        // The box resends what the backup missed; the center stores each
        // event once, with the same token as before.
        for seq in 1..=total as u64 {
            assert!(sync(&client, &url, &token, &heartbeat(seq)).await);
        }
    });
    drop(server);
    let db = restored.join("data/center.sqlite3");
    assert_eq!(events_in(&db), total as i64);
    assert!(*events <= total as i64);
}
