//! `mimamori-center admin purge` as an operator runs it, against a SQLite
//! file filled through the center's own functions: the dry run deletes
//! nothing, the real run deletes exactly what is past its retention —
//! never an open alert — and leaves one audit row with the counts.

use jiff::{SignedDuration, Timestamp};
use mimamori_center::config::Config;
use mimamori_center::store::dashboard::{Viewer, audit};
use mimamori_center::store::sync::token_hash;
use mimamori_center::store::{Store, admin, children, stations};
use mimamori_protocol::{CarePlan, SyncRequest};
use serde_json::json;

#[path = "common/process.rs"]
mod process;

use process::ok;

/// The machine's clock: the purge reads it, so the rows are placed around it.
#[allow(clippy::disallowed_methods)]
fn machine_now() -> Timestamp {
    Timestamp::now()
}

fn days_ago(now: Timestamp, days: i64) -> Timestamp {
    now - SignedDuration::from_hours(24 * days)
}

fn sync_one(
    store: &mut Store,
    config: &Config,
    token: &str,
    resident: i64,
    n: u32,
    at: Timestamp,
    heartbeat: bool,
) {
    let body = if heartbeat {
        json!({"type": "heartbeat", "uptime_s": 600, "software_version": "0.1.0"})
    } else {
        json!({"type": "check_in", "resident": resident, "condition": "good",
               "auth": {"method": "card_uid", "uid": "04A1B2C3"}})
    };
    let request: SyncRequest = serde_json::from_value(json!({
        "protocol": "1.0",
        "device_id": "nanbu-0401",
        "sent_at": at.to_string(),
        "events": [{
            "id": format!("3b241101-e2bb-4255-8caf-4136c566a{n:03}"),
            "recorded_at": at.to_string(),
            "boot_id": "6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22",
            "seq": n,
            "body": body
        }]
    }))
    .unwrap();
    let (response, _) = store
        .transaction(|c| {
            mimamori_center::store::sync::sync(c, config, &token_hash(token), &request, at)
        })
        .unwrap();
    assert_eq!(response.acked.len(), 1, "{response:?}");
}

fn count(store: &Store, sql: &str) -> i64 {
    store
        .connection()
        .query_row(sql, [], |row| row.get(0))
        .unwrap()
}

#[test]
fn the_purge_deletes_exactly_what_is_past_retention_and_is_audited() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let config_path = dir.join("center.toml");
    std::fs::write(
        &config_path,
        format!(
            "data_dir = \"{}\"\n[retention]\ncheck_ins_days = 365\nheartbeats_days = 30\nalerts_days = 365\naudit_days = 365\n",
            dir.display()
        ),
    )
    .unwrap();
    let config = Config::load(&config_path).unwrap();
    let now = machine_now();
    let mut store = Store::open(&config.database_path()).unwrap();
    let long_ago = days_ago(now, 400);
    let (token, resident) = store
        .transaction(|c| {
            let token = admin::add_box(c, "nanbu-0401", "", long_ago)?;
            let resident = admin::add_resident(
                c,
                &config,
                &admin::NewResident {
                    name: "山田 花子".into(),
                    kana: "やまだ はなこ".into(),
                    district: "東町".into(),
                    address: String::new(),
                    phone: String::new(),
                    birth_date: None,
                    care_plan: CarePlan {
                        medication_slots: vec![],
                        vitals: vec![],
                        reminder_at: "09:00".parse().unwrap(),
                        deadline: "12:00".parse().unwrap(),
                    },
                    box_device: Some("nanbu-0401".into()),
                },
                long_ago,
            )?;
            admin::bind_uid(c, resident, &"04A1B2C3".parse().unwrap(), long_ago)?;
            Ok((token, resident))
        })
        .unwrap();
    // Check-ins 400 and 370 days ago (past 365), 10 days ago (kept);
    // heartbeats 40 days ago (past 30) and 2 days ago (kept).
    sync_one(
        &mut store,
        &config,
        &token,
        resident,
        1,
        days_ago(now, 400),
        false,
    );
    sync_one(
        &mut store,
        &config,
        &token,
        resident,
        2,
        days_ago(now, 370),
        false,
    );
    sync_one(
        &mut store,
        &config,
        &token,
        resident,
        3,
        days_ago(now, 10),
        false,
    );
    sync_one(
        &mut store,
        &config,
        &token,
        resident,
        4,
        days_ago(now, 40),
        true,
    );
    sync_one(
        &mut store,
        &config,
        &token,
        resident,
        5,
        days_ago(now, 2),
        true,
    );
    // What the watch rules opened meanwhile (open, so never purged).
    let opened = count(
        &store,
        "SELECT COUNT(*) FROM alerts WHERE state != 'resolved'",
    );
    let opened_events = count(&store, "SELECT COUNT(*) FROM alert_events");
    // Alerts opened long ago: one resolved long ago (purged), one still open
    // (never purged), one resolved recently (kept).
    let ms = |t: Timestamp| t.as_millisecond();
    store
        .transaction(|c| {
            for (kind, state, resolved) in [
                ("sos", "resolved", Some(ms(days_ago(now, 390)))),
                ("declining", "open", None),
                ("vitals", "resolved", Some(ms(days_ago(now, 5)))),
            ] {
                c.execute(
                    "INSERT INTO alerts (resident_id, kind, state, reason, opened_at, resolved_at)
                     VALUES (?1, ?2, ?3, 'test', ?4, ?5)",
                    rusqlite::params![resident, kind, state, ms(days_ago(now, 395)), resolved],
                )?;
                c.execute(
                    "INSERT INTO alert_events (alert_id, at, actor, action) VALUES (?1, ?2, 'system', 'opened')",
                    rusqlite::params![c.last_insert_rowid(), ms(days_ago(now, 395))],
                )?;
            }
            let viewer = Viewer {
                staff_id: 0,
                login: "tanaka".into(),
                name: "田中".into(),
                districts: None,
                ip: "127.0.0.1".into(),
            };
            audit::record(c, &viewer, "resident.view", Some(resident), "", days_ago(now, 500))?;
            audit::record(c, &viewer, "resident.view", Some(resident), "", days_ago(now, 1))?;
            Ok(())
        })
        .unwrap();
    let tables = |store: &Store| {
        [
            "check_ins",
            "heartbeats",
            "events",
            "alerts",
            "alert_events",
            "audit_log",
        ]
        .map(|t| count(store, &format!("SELECT COUNT(*) FROM {t}")))
    };
    let before = tables(&store);
    assert_eq!(before, [3, 2, 5, opened + 3, opened_events + 3, 2]);
    drop(store);

    let dry = ok(&config_path, &["admin", "purge", "--dry-run"]);
    assert!(dry.contains("would delete        2 check-ins"), "{dry}");
    assert!(dry.contains("would delete        1 heartbeats"), "{dry}");
    assert!(dry.contains("dry run: nothing was deleted"), "{dry}");
    let store = Store::open(&config.database_path()).unwrap();
    assert_eq!(tables(&store), before, "the dry run deleted nothing");
    drop(store);

    let out = ok(&config_path, &["admin", "purge", "--json"]);
    let purged: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        purged,
        json!({"check_ins": 2, "heartbeats": 1, "events": 3, "rejected_events": 0,
               "alerts": 1, "alert_events": 1, "mail": 0, "audit": 1, "taps": 0,
               "tap_events": 0})
    );
    let store = Store::open(&config.database_path()).unwrap();
    // One check-in, one heartbeat, their two events, the open and the
    // recent alert, the recent audit row and the purge's own row remain.
    assert_eq!(tables(&store), [1, 1, 2, opened + 2, opened_events + 2, 2]);
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM alerts WHERE kind = 'declining' AND state = 'open'"
        ),
        1,
        "an open alert is never purged, however old"
    );
    let (login, detail): (String, String) = store
        .connection()
        .query_row(
            "SELECT login, detail FROM audit_log WHERE action = 'purge'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(login, "cli");
    assert!(
        detail.contains("check_ins=2") && detail.contains("audit=1"),
        "{detail}"
    );
    // Outside a purge the audit log still refuses deletes.
    let refused = store
        .connection()
        .execute("DELETE FROM audit_log", [])
        .unwrap_err()
        .to_string();
    assert!(refused.contains("append-only"), "{refused}");
    drop(store);

    let again = ok(&config_path, &["admin", "purge"]);
    assert!(again.contains("deleted        0 check-ins"), "{again}");
}

/// One tap of card `uid` at the station `device` at `at`, synced then;
/// whether it was stored (else refused).
fn tap_one(
    store: &mut Store,
    config: &Config,
    token: &str,
    device: &str,
    n: u32,
    uid: &str,
    at: Timestamp,
) -> bool {
    let request: SyncRequest = serde_json::from_value(json!({
        "protocol": "1.1",
        "device_id": device,
        "sent_at": at.to_string(),
        "events": [{
            "id": format!("019af8a0-6c3e-7b1a-9d2e-3f4a5b6c7{n:03}"),
            "recorded_at": at.to_string(),
            "boot_id": "6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22",
            "seq": n,
            "body": {"type": "tap", "card": {"method": "card_uid", "uid": uid}}
        }]
    }))
    .unwrap();
    let (response, _) = store
        .transaction(|c| {
            mimamori_center::store::sync::sync(c, config, &token_hash(token), &request, at)
        })
        .unwrap();
    assert_eq!(
        response.acked.len() + response.rejected.len(),
        1,
        "{response:?}"
    );
    response.acked.len() == 1
}

#[test]
fn taps_are_purged_after_their_own_retention_with_their_events() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let config_path = dir.join("center.toml");
    std::fs::write(
        &config_path,
        format!(
            "data_dir = \"{}\"\n[retention]\ntaps_days = 30\n",
            dir.display()
        ),
    )
    .unwrap();
    let config = Config::load(&config_path).unwrap();
    let now = machine_now();
    let long_ago = days_ago(now, 400);
    let mut store = Store::open(&config.database_path()).unwrap();
    let token = store
        .transaction(|c| {
            let token = stations::add_station(
                c,
                &stations::NewStation {
                    device_id: "nanbu-st-21".into(),
                    place: "南部小学校".into(),
                    kind: mimamori_protocol::StationKind::School,
                    district: "東町".into(),
                },
                "cli",
                long_ago,
            )?;
            let child = children::add_child(
                c,
                &children::NewChild {
                    name: "山田 太郎".into(),
                    kana: "やまだ たろう".into(),
                    district: "東町".into(),
                    school: String::new(),
                    birth_date: None,
                },
                "cli",
                long_ago,
            )?;
            let uid: mimamori_protocol::CardUid = "04AA0021".parse().unwrap();
            children::bind_child_card(c, child, children::ChildCard::Uid(&uid), "cli", long_ago)?;
            Ok(token)
        })
        .unwrap();
    // Taps 40 and 31 days ago (past 30 days), 29 and 1 days ago (kept);
    // unknown cards refused 40 days ago (purged) and 1 day ago (kept).
    for (n, days, uid, stored) in [
        (1, 40, "04AA0021", true),
        (2, 31, "04AA0021", true),
        (3, 29, "04AA0021", true),
        (4, 1, "04AA0021", true),
        (5, 40, "04FFFF01", false),
        (6, 1, "04FFFF02", false),
    ] {
        let at = days_ago(now, days);
        assert_eq!(
            tap_one(&mut store, &config, &token, "nanbu-st-21", n, uid, at),
            stored
        );
    }
    // A heartbeat of the station 40 days ago: not a tap, kept 90 days.
    let heartbeat: SyncRequest = serde_json::from_value(json!({
        "protocol": "1.1", "device_id": "nanbu-st-21", "sent_at": days_ago(now, 40).to_string(),
        "events": [{"id": "3b241101-e2bb-4255-8caf-4136c566a999",
                    "recorded_at": days_ago(now, 40).to_string(),
                    "boot_id": "6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22", "seq": 9,
                    "body": {"type": "heartbeat", "uptime_s": 60, "software_version": "0.1.0"}}]
    }))
    .unwrap();
    store
        .transaction(|c| {
            mimamori_center::store::sync::sync(
                c,
                &config,
                &token_hash(&token),
                &heartbeat,
                days_ago(now, 40),
            )
        })
        .unwrap();
    let tables = |store: &Store| {
        [
            "SELECT COUNT(*) FROM taps",
            "SELECT COUNT(*) FROM events WHERE kind = 'tap'",
            "SELECT COUNT(*) FROM events WHERE kind = 'heartbeat'",
            "SELECT COUNT(*) FROM rejected_events",
        ]
        .map(|sql| count(store, sql))
    };
    assert_eq!(tables(&store), [4, 4, 1, 2]);
    drop(store);

    let out = ok(&config_path, &["admin", "purge", "--json"]);
    let purged: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(purged["taps"], 2, "{purged}");
    assert_eq!(purged["tap_events"], 2, "{purged}");
    assert_eq!(purged["events"], 0, "{purged}");
    assert_eq!(purged["rejected_events"], 1, "{purged}");
    let store = Store::open(&config.database_path()).unwrap();
    assert_eq!(tables(&store), [2, 2, 1, 1]);
    let oldest: i64 = count(&store, "SELECT MIN(at) FROM taps");
    assert_eq!(
        oldest,
        days_ago(now, 29).as_millisecond(),
        "the younger taps are kept"
    );
    let detail: String = store
        .connection()
        .query_row(
            "SELECT detail FROM audit_log WHERE action = 'purge'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert!(
        detail.contains("taps=2") && detail.contains("tap_events=2"),
        "{detail}"
    );
}

#[test]
fn retention_errors_name_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("center.toml");
    std::fs::write(&path, "[retention]\nheartbeats_days = 1\n").unwrap();
    let out = process::center(&path, &["admin", "purge", "--dry-run"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("retention.heartbeats_days"), "{err}");
}
