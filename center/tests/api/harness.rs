//! A center served in-process on a loopback port, with a clock the test
//! moves, and helpers to make boxes, residents and requests.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use mimamori_center::clock::ManualClock;
use mimamori_center::config::Config;
use mimamori_center::store::{Store, admin, children, stations};
use mimamori_protocol::*;
use serde_json::{Value, json};

pub(crate) struct Center {
    pub(crate) url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

pub(crate) fn config(dir: &Path) -> Config {
    let mut config = Config::parse("[http]\nmax_body_bytes = 65536\n").unwrap();
    config.data_dir = dir.to_path_buf();
    config
}

pub(crate) fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

impl Center {
    pub(crate) async fn start(dir: &Path, now: Timestamp) -> Center {
        Center::start_with(config(dir), Arc::new(ManualClock::new(now))).await
    }

    /// A center with this configuration and a clock the test keeps.
    pub(crate) async fn start_with(config: Config, clock: Arc<ManualClock>) -> Center {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Center::start_on(listener, config, clock)
    }

    /// A center on a listener the test bound (to know its URL first).
    pub(crate) fn start_on(
        listener: tokio::net::TcpListener,
        config: Config,
        clock: Arc<ManualClock>,
    ) -> Center {
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(mimamori_center::server::serve(
            config,
            clock,
            listener,
            async {
                let _ = rx.await;
            },
        ));
        Center {
            url,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    pub(crate) async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }

    pub(crate) async fn sync(&self, token: &str, body: &Value) -> (u16, Value) {
        self.post(token, serde_json::to_vec(body).unwrap()).await
    }

    pub(crate) async fn post(&self, token: &str, body: Vec<u8>) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/api/v1/sync", self.url))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

/// A box with one resident on a trial card, set up through the admin
/// functions the CLI uses.
pub(crate) struct Household {
    pub(crate) token: String,
    pub(crate) device: String,
    pub(crate) resident: i64,
    pub(crate) uid: String,
}

pub(crate) fn household(dir: &Path, device: &str, uid: &str, now: Timestamp) -> Household {
    let config = config(dir);
    let mut store = Store::open(&config.database_path()).unwrap();
    store
        .transaction(|c| {
            let token = admin::add_box(c, device, "test", now)?;
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
                        medication_slots: vec![MedicationSlot::Morning],
                        vitals: vec![VitalKind::BloodPressure],
                        reminder_at: "09:00".parse().unwrap(),
                        deadline: "12:00".parse().unwrap(),
                    },
                    box_device: Some(device.into()),
                },
                now,
            )?;
            admin::bind_uid(c, resident, &uid.parse().unwrap(), now)?;
            Ok(Household {
                token,
                device: device.into(),
                resident,
                uid: uid.into(),
            })
        })
        .unwrap()
}

pub(crate) fn check_in_event(
    id: &str,
    seq: u64,
    resident: i64,
    uid: &str,
    recorded_at: &str,
) -> Value {
    json!({
        "id": id,
        "recorded_at": recorded_at,
        "boot_id": "6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22",
        "seq": seq,
        "body": {
            "type": "check_in",
            "resident": resident,
            "condition": "good",
            "medication": [{"slot": "morning", "status": "taken"}],
            "vitals": {"blood_pressure": {"systolic_mmhg": 128, "diastolic_mmhg": 80}},
            "auth": {"method": "card_uid", "uid": uid}
        }
    })
}

pub(crate) fn request(device: &str, sent_at: &str, events: Vec<Value>) -> Value {
    json!({"protocol": "1.0", "device_id": device, "sent_at": sent_at, "events": events})
}

pub(crate) fn count(dir: &Path, sql: &str) -> i64 {
    let store = Store::open(&config(dir).database_path()).unwrap();
    store
        .connection()
        .query_row(sql, [], |row| row.get(0))
        .unwrap()
}

pub(crate) fn temp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    (dir, path)
}

/// Registers a tap station through the admin functions the CLI uses;
/// returns its token.
pub(crate) fn station(
    dir: &Path,
    device: &str,
    place: &str,
    kind: StationKind,
    now: Timestamp,
) -> String {
    let mut store = Store::open(&config(dir).database_path()).unwrap();
    store
        .transaction(|c| {
            stations::add_station(
                c,
                &stations::NewStation {
                    device_id: device.into(),
                    place: place.into(),
                    kind,
                    district: "東町".into(),
                },
                "test",
                now,
            )
        })
        .unwrap()
}

/// Registers a child with a card's UID; returns their id.
pub(crate) fn child(dir: &Path, name: &str, kana: &str, uid: &str, now: Timestamp) -> i64 {
    let mut store = Store::open(&config(dir).database_path()).unwrap();
    store
        .transaction(|c| {
            let id = children::add_child(
                c,
                &children::NewChild {
                    name: name.into(),
                    kana: kana.into(),
                    district: "東町".into(),
                    school: "南部小学校".into(),
                    birth_date: None,
                },
                "test",
                now,
            )?;
            let uid: CardUid = uid.parse().unwrap();
            children::bind_child_card(c, id, children::ChildCard::Uid(&uid), "test", now)?;
            Ok(id)
        })
        .unwrap()
}

/// Adds a guardian to a child (consent given on `consent_on`, if any);
/// returns their id and unsubscribe token.
pub(crate) fn guardian(
    dir: &Path,
    child: i64,
    email: &str,
    policy: &str,
    consent_on: Option<&str>,
    now: Timestamp,
) -> (i64, String) {
    let mut store = Store::open(&config(dir).database_path()).unwrap();
    store
        .transaction(|c| {
            let id = children::add_guardian(
                c,
                &children::NewGuardian {
                    child,
                    name: format!("保護者 {email}"),
                    email: email.into(),
                    relation: "母".into(),
                    policy: policy.parse().unwrap(),
                    consent_on: consent_on.map(|d| d.parse().unwrap()),
                },
                "test",
                now,
            )?;
            let token = c.query_row(
                "SELECT unsubscribe_token FROM guardians WHERE id = ?1",
                [id],
                |r| r.get(0),
            )?;
            Ok((id, token))
        })
        .unwrap()
}

pub(crate) fn tap_event(id: &str, seq: u64, uid: &str, recorded_at: &str) -> Value {
    json!({
        "id": id,
        "recorded_at": recorded_at,
        "boot_id": "6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22",
        "seq": seq,
        "body": {"type": "tap", "card": {"method": "card_uid", "uid": uid}}
    })
}

/// A protocol 1.1 request, as stations send them.
pub(crate) fn station_request(device: &str, sent_at: &str, events: Vec<Value>) -> Value {
    json!({"protocol": "1.1", "device_id": device, "sent_at": sent_at, "events": events})
}
