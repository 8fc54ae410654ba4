//! Dashboard benchmark: with 100,000 residents and 1,000 open alerts (each
//! alerted resident with 90 days of check-ins), the time to answer the alert
//! queue, a resident page over 90 days, the residents list, and during an
//! incident (2,000 residents tapped at five shelters, 1,000 checked by
//! nurses) the safety list page and its CSV of everyone, over HTTP
//! on 127.0.0.1 from a center served in this process (SQLite file, the
//! writer thread, templates and SVG charts included).
//!
//! Run: `cargo bench -p mimamori-center --bench dashboard`
//! (`-- --residents N --alerts N --rounds N` to change the sizes).

use std::sync::Arc;
use std::time::{Duration, Instant};

use mimamori_center::clock::ManualClock;
use mimamori_center::config::Config;
use mimamori_center::dashboard::password;
use mimamori_center::store::dashboard::auth;
use mimamori_center::store::people::{self, Role};
use mimamori_center::store::{Store, admin};
use rusqlite::params;

fn arg(name: &str, default: i64) -> i64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

const PASSWORD: &str = "benchmark-password";
const DISTRICTS: i64 = 40;

fn populate(config: &Config, residents: i64, alerts: i64, now: jiff::Timestamp) -> i64 {
    let plan = r#"{"medication_slots":["morning","evening"],"vitals":["blood_pressure","weight"],"reminder_at":"09:00","deadline":"12:00"}"#;
    let day_ms = 86_400_000i64;
    let now_ms = now.as_millisecond();
    let mut store = Store::open(&config.database_path()).unwrap();
    store
        .transaction(|c| {
            admin::add_box(c, "bench-0001", "benchmark", now)?;
            let districts: Vec<String> = (0..DISTRICTS).map(|d| format!("地区{d}")).collect();
            people::add_staff(c, "nurse", "保健師", Role::Nurse, &districts, "", now)?;
            auth::set_password(c, "nurse", &password::hash(PASSWORD).unwrap())?;
            let mut resident = c.prepare(
                "INSERT INTO residents (name, kana, district, box_id, care_plan, watched_since, last_check_in_at, created_at)
                 VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?5)",
            )?;
            for i in 0..residents {
                resident.execute(params![
                    format!("利用者 {i}"),
                    format!("りようしゃ {i}"),
                    format!("地区{}", i % DISTRICTS),
                    plan,
                    now_ms - 200 * day_ms,
                    now_ms - day_ms,
                ])?;
            }
            let mut alert = c.prepare(
                "INSERT INTO alerts (resident_id, kind, state, reason, opened_at, escalated_at)
                 VALUES (?1, ?2, 'open', '2日間記録がありません', ?3, ?4)",
            )?;
            let mut event = c.prepare(
                "INSERT INTO events (id, box_id, resident_id, kind, recorded_at, boot_id, seq, received_at, corrected_at, body)
                 VALUES (?1, 1, ?2, 'check_in', '', x'00', ?3, ?4, ?4, ?5)",
            )?;
            let mut check_in = c.prepare(
                "INSERT INTO check_ins (event_id, resident_id, at, local_date, condition, call_requested, systolic, diastolic, weight, weak_auth)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8, 1)",
            )?;
            let body = r#"{"type":"check_in","medication":[{"slot":"morning","status":"taken"},{"slot":"evening","status":"not_taken"}]}"#;
            let step = (residents / alerts.max(1)).max(1);
            let mut seq = 0i64;
            for a in 0..alerts {
                let r = 1 + a * step;
                let kind = ["missed", "declining", "vitals", "sos", "box_offline"][(a % 5) as usize];
                let opened = now_ms - (a % 72) * 3_600_000;
                alert.execute(params![r, kind, opened, (a % 10 == 0).then_some(opened)])?;
                for d in 1..=90i64 {
                    seq += 1;
                    let at = now_ms - d * day_ms;
                    let id = uuid::Uuid::new_v4();
                    event.execute(params![id.as_bytes().as_slice(), r, seq, at, body])?;
                    let date = jiff::Timestamp::from_millisecond(at)
                        .unwrap()
                        .to_zoned(config.time_zone.clone())
                        .date()
                        .to_string();
                    let condition = ["good", "good", "fair", "poor"][(d % 4) as usize];
                    check_in.execute(params![
                        id.as_bytes().as_slice(),
                        r,
                        at,
                        date,
                        condition,
                        120 + d % 30,
                        70 + d % 15,
                        520 + d % 9
                    ])?;
                }
            }
            // An incident six hours old: five shelters, every 50th resident
            // tapped at one, every 100th phoned by a nurse.
            c.execute(
                "INSERT INTO incidents (name, opened_at, opened_by) VALUES ('台風10号', ?1, 'bench')",
                [now_ms - 6 * 3_600_000],
            )?;
            let mut shelters = Vec::new();
            for n in 0..5 {
                admin::add_box(c, &format!("bench-shelter-{n}"), "shelter", now)?;
                let id = c.last_insert_rowid();
                c.execute(
                    "INSERT INTO stations (box_id, place, kind, district, created_at) VALUES (?1, ?2, 'shelter', '地区0', 0)",
                    params![id, format!("避難所 {n}")],
                )?;
                shelters.push(id);
            }
            let mut tap_event = c.prepare(
                "INSERT INTO events (id, box_id, kind, recorded_at, boot_id, seq, received_at, corrected_at, body)
                 VALUES (?1, ?2, 'tap', '', x'00', ?3, ?4, ?4, '{}')",
            )?;
            let mut tap = c.prepare(
                "INSERT INTO taps (event_id, station_id, resident_id, at, local_date) VALUES (?1, ?2, ?3, ?4, '2026-12-04')",
            )?;
            let mut check = c.prepare(
                "INSERT INTO safety_checks (incident_id, resident_id, outcome, at, login) VALUES (1, ?1, 'phone_safe', ?2, 'nurse')",
            )?;
            for r in (1..=residents).step_by(50) {
                seq += 1;
                let at = now_ms - (r % 300) * 60_000;
                let id = uuid::Uuid::new_v4();
                let station = shelters[(r % 5) as usize];
                tap_event.execute(params![id.as_bytes().as_slice(), station, seq, at])?;
                tap.execute(params![id.as_bytes().as_slice(), station, r, at])?;
            }
            for r in (7..=residents).step_by(100) {
                check.execute(params![r, now_ms - (r % 300) * 60_000])?;
            }
            Ok(())
        })
        .unwrap();
    1
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let residents = arg("--residents", 100_000);
    let alerts = arg("--alerts", 1_000);
    let rounds = arg("--rounds", 30);
    let tmp = tempfile::tempdir().unwrap();
    let config_path = tmp.path().join("center.toml");
    std::fs::write(
        &config_path,
        "data_dir = \"data\"\n[watch]\nsweep_interval_s = 3600\n[dashboard]\ntotp_for_nurses = false\n",
    )
    .unwrap();
    let config = Config::load(&config_path).unwrap();
    let now: jiff::Timestamp = "2026-12-04T03:30:00Z".parse().unwrap();
    let started = Instant::now();
    let resident = populate(&config, residents, alerts, now);
    println!(
        "{residents} residents, {alerts} open alerts, {} check-ins: populated in {:.1} s",
        alerts * 90,
        started.elapsed().as_secs_f64()
    );

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(mimamori_center::server::serve(
            config,
            Arc::new(ManualClock::new(now)),
            listener,
            async {
                let _ = stopped.await;
            },
        ));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let form = client
            .get(format!("{url}/dashboard/login"))
            .send()
            .await
            .unwrap();
        let cookie = form.headers()["set-cookie"].to_str().unwrap().to_owned();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let csrf = cookie.split_once('=').unwrap().1.to_owned();
        let signed = client
            .post(format!("{url}/dashboard/login"))
            .header("cookie", &cookie)
            .form(&[
                ("csrf", csrf.as_str()),
                ("login", "nurse"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        let session = signed.headers()["set-cookie"].to_str().unwrap().to_owned();
        let session = session.split(';').next().unwrap().to_owned();

        for (name, path) in [
            ("alert queue", "/dashboard/".to_owned()),
            (
                "resident page, 90 days",
                format!("/dashboard/residents/{resident}?days=90"),
            ),
            ("residents list", "/dashboard/residents".to_owned()),
            (
                "safety list (incident)",
                "/dashboard/incidents/1".to_owned(),
            ),
            (
                "safety list CSV, all",
                "/dashboard/incidents/1/safety.csv".to_owned(),
            ),
        ] {
            let mut times = Vec::new();
            let mut bytes = 0;
            for _ in 0..rounds {
                let started = Instant::now();
                let response = client
                    .get(format!("{url}{path}"))
                    .header("cookie", &session)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200, "{path}");
                bytes = response.bytes().await.unwrap().len();
                times.push(started.elapsed());
            }
            let max = times.iter().max().copied().unwrap_or_default();
            println!(
                "  {name:<24} median {:>7.1} ms, max {:>7.1} ms, {} kB",
                median(times).as_secs_f64() * 1000.0,
                max.as_secs_f64() * 1000.0,
                bytes / 1024
            );
        }
        let _ = stop.send(());
        server.await.unwrap().unwrap();
    });
}
