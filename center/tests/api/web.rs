//! A small browser stand-in for the dashboard's HTTP tests: keeps cookies,
//! does not follow redirects, reads CSRF tokens out of forms.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;
use mimamori_center::config::Config;
use mimamori_center::dashboard::password;
use mimamori_center::store::dashboard::auth;
use mimamori_center::store::people::{self, Role};
use std::sync::Arc;

use mimamori_center::clock::ManualClock;
use mimamori_center::store::{Store, admin, watch};
use mimamori_protocol::{CarePlan, MedicationSlot};

use crate::harness::{Center, config};

pub(crate) struct Web {
    pub(crate) base: String,
    client: reqwest::Client,
    pub(crate) cookies: BTreeMap<String, String>,
}

pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) set_cookies: Vec<String>,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Page {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The value of the first `name="csrf"` hidden field.
    pub(crate) fn csrf(&self) -> String {
        let text = self.text();
        let at = text
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no CSRF field in\n{text}"));
        let rest = &text[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

impl Web {
    pub(crate) fn new(base: &str) -> Web {
        Web {
            base: base.to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = if cookie.is_empty() {
            request
        } else {
            request.header("cookie", cookie)
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let set_cookies: Vec<String> = headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for set in &set_cookies {
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || set.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        Page {
            status,
            location: headers
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned()),
            set_cookies,
            headers,
            body: response.bytes().await.unwrap().to_vec(),
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    pub(crate) async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let request = self.client.post(format!("{}{path}", self.base)).form(form);
        self.send(request).await
    }

    /// Posts a body of the given content type (a multipart form).
    pub(crate) async fn post_raw(&mut self, path: &str, content_type: &str, body: Vec<u8>) -> Page {
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body);
        self.send(request).await
    }

    /// Signs in with a password (no second factor expected).
    pub(crate) async fn sign_in(&mut self, login: &str, password: &str) -> Page {
        let form = self.get("/dashboard/login").await;
        let csrf = form.csrf();
        self.post(
            "/dashboard/login",
            &[("csrf", &csrf), ("login", login), ("password", password)],
        )
        .await
    }
}

pub(crate) const PASSWORD: &str = "kenko-hoken-2026";

/// Adds a staff member with the test password.
pub(crate) fn staff(
    dir: &Path,
    login: &str,
    name: &str,
    role: Role,
    districts: &[&str],
    now: Timestamp,
) {
    let config = crate::harness::config(dir);
    let mut store = Store::open(&config.database_path()).unwrap();
    let districts: Vec<String> = districts.iter().map(|d| (*d).to_owned()).collect();
    let hash = password::hash(PASSWORD).unwrap();
    store
        .transaction(|c| {
            people::add_staff(c, login, name, role, &districts, "", now)?;
            auth::set_password(c, login, &hash)
        })
        .unwrap();
}

/// Runs the watch engine's sweep on the database as of `now`.
pub(crate) fn sweep(config: &Config, now: Timestamp) {
    let mut store = Store::open(&config.database_path()).unwrap();
    store.transaction(|c| watch::sweep(c, config, now)).unwrap();
}

/// A configuration where nurses sign in with a password alone.
pub(crate) fn config_without_nurse_totp(dir: &Path) -> Config {
    let mut config = crate::harness::config(dir);
    config.dashboard.totp_for_nurses = false;
    config
}

/// RFC 4648 base32 (no padding) decoded, for the enrolment page's key.
pub(crate) fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for c in text.chars() {
        buffer = (buffer << 5) | ALPHABET.find(c).unwrap() as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

/// Rows of the audit log as (login, action, resident, ip).
pub(crate) fn audit_rows(dir: &Path) -> Vec<(String, String, Option<i64>, String)> {
    let store = Store::open(&crate::harness::config(dir).database_path()).unwrap();
    let filter = mimamori_center::store::dashboard::audit::AuditFilter {
        limit: 10_000,
        ..Default::default()
    };
    mimamori_center::store::dashboard::audit::list(store.connection(), &filter)
        .unwrap()
        .into_iter()
        .rev()
        .map(|r| (r.login, r.action, r.resident, r.ip))
        .collect()
}

pub(crate) fn resident_in(
    dir: &std::path::Path,
    name: &str,
    kana: &str,
    district: &str,
    now: Timestamp,
) -> i64 {
    let config = config(dir);
    let mut store = Store::open(&config.database_path()).unwrap();
    store
        .transaction(|c| {
            admin::add_resident(
                c,
                &config,
                &admin::NewResident {
                    name: name.into(),
                    kana: kana.into(),
                    district: district.into(),
                    address: "南部町 1-2-3".into(),
                    phone: "0859-00-0001".into(),
                    birth_date: None,
                    care_plan: CarePlan {
                        medication_slots: vec![MedicationSlot::Morning],
                        vitals: vec![],
                        reminder_at: "09:00".parse().unwrap(),
                        deadline: "12:00".parse().unwrap(),
                    },
                    box_device: None,
                },
                now,
            )
        })
        .unwrap()
}

pub(crate) async fn start(dir: &std::path::Path, now: Timestamp) -> (Center, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(now));
    let center = Center::start_with(config_without_nurse_totp(dir), clock.clone()).await;
    (center, clock)
}

pub(crate) fn alert_id(dir: &std::path::Path, resident: i64) -> i64 {
    let store = Store::open(&config(dir).database_path()).unwrap();
    store
        .connection()
        .query_row(
            "SELECT id FROM alerts WHERE resident_id = ?1 ORDER BY id DESC",
            [resident],
            |row| row.get(0),
        )
        .unwrap()
}

pub(crate) fn alert_state(dir: &std::path::Path, alert: i64) -> String {
    let store = Store::open(&config(dir).database_path()).unwrap();
    store
        .connection()
        .query_row("SELECT state FROM alerts WHERE id = ?1", [alert], |row| {
            row.get(0)
        })
        .unwrap()
}

pub(crate) fn staff_id(dir: &std::path::Path, login: &str) -> i64 {
    let store = Store::open(&config(dir).database_path()).unwrap();
    store
        .connection()
        .query_row("SELECT id FROM staff WHERE login = ?1", [login], |r| {
            r.get(0)
        })
        .unwrap()
}
