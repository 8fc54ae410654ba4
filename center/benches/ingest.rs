//! Ingest benchmark: boxes syncing one check-in per request over real HTTP
//! on loopback, every ack durable (group commit, `synchronous = FULL`).
//!
//! Run: `cargo bench -p mimamori-center --bench ingest`
//! (`-- --connections 64 --seconds 10` to change the load). The center runs
//! as its own process (release build); the load generator is this process,
//! on the same machine.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mimamori_center::config::Config;
use mimamori_center::store::{Store, admin};
use mimamori_protocol::{CarePlan, MedicationSlot, VitalKind};

const BIN: &str = env!("CARGO_BIN_EXE_mimamori-center");

struct Options {
    connections: usize,
    seconds: u64,
    households: usize,
}

fn options() -> Options {
    let mut o = Options {
        connections: 64,
        seconds: 10,
        households: 4096,
    };
    let args: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "--connections" => o.connections = args[i + 1].parse().expect("--connections N"),
            "--seconds" => o.seconds = args[i + 1].parse().expect("--seconds N"),
            "--households" => o.households = args[i + 1].parse().expect("--households N"),
            _ => {}
        }
        i += if args[i].starts_with("--connections") || args[i].starts_with("--seconds") {
            2
        } else {
            1
        };
    }
    o
}

fn main() {
    let o = options();
    let tmp = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config_path = tmp.path().join("center.toml");
    std::fs::write(
        &config_path,
        format!("data_dir = \"data\"\n[http]\nlisten = \"127.0.0.1:{port}\"\n[watch]\nsweep_interval_s = 3600\n"),
    )
    .unwrap();
    let config = Config::load(&config_path).unwrap();

    // Households (a box and its resident), registered directly; the
    // connections take turns over them, so each resident checks in about
    // as often as a real one would during the run.
    let now: jiff::Timestamp = "2026-11-29T00:00:00Z".parse().unwrap();
    let mut store = Store::open(&config.database_path()).unwrap();
    let households: Vec<(String, String, i64, String)> = store
        .transaction(|c| {
            (0..o.households.max(o.connections))
                .map(|i| {
                    let device = format!("bench-{i:04}");
                    let token = admin::add_box(c, &device, "", now)?;
                    let resident = admin::add_resident(
                        c,
                        &config,
                        &admin::NewResident {
                            name: format!("利用者 {i}"),
                            kana: format!("りようしゃ {i}"),
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
                            box_device: Some(device.clone()),
                        },
                        now,
                    )?;
                    let uid = format!("04{:08X}", i + 1);
                    admin::bind_uid(c, resident, &uid.parse().unwrap(), now)?;
                    Ok((device, token, resident, uid))
                })
                .collect()
        })
        .unwrap();
    drop(store);

    let mut server = Command::new(BIN)
        .arg("--config")
        .arg(&config_path)
        .arg("serve")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = runtime.block_on(async {
        wait_ready(&url).await;
        let warmup = Duration::from_secs(2);
        let start = Instant::now();
        let measure_from = start + warmup;
        let end = measure_from + Duration::from_secs(o.seconds);
        let households = Arc::new(households);
        let connections = o.connections;
        let mut tasks = Vec::new();
        for i in 0..o.connections {
            let households = households.clone();
            let url = url.clone();
            tasks.push(tokio::spawn(async move {
                let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap();
                let mut latencies = Vec::new();
                let mut known = std::collections::HashMap::<usize, serde_json::Value>::new();
                let mut seq = 0u64;
                let mut turn = i;
                loop {
                    let sent = Instant::now();
                    if sent >= end {
                        break;
                    }
                    seq += 1;
                    let h = turn % households.len();
                    turn += connections;
                    let (device, token, resident, uid) = &households[h];
                    let known = known.entry(h).or_insert_with(|| serde_json::json!({}));
                    let body = serde_json::json!({
                        "protocol": "1.0", "device_id": device, "sent_at": "2026-11-29T09:00:05+09:00",
                        "events": [{
                            "id": uuid::Uuid::now_v7().to_string(),
                            "recorded_at": "2026-11-29T09:00:00+09:00",
                            "boot_id": "6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22",
                            "seq": seq,
                            "body": {"type": "check_in", "resident": resident, "condition": "good",
                                     "medication": [{"slot": "morning", "status": "taken"}],
                                     "vitals": {"blood_pressure": {"systolic_mmhg": 128, "diastolic_mmhg": 80}},
                                     "auth": {"method": "card_uid", "uid": uid}}
                        }],
                        "known": known.clone(),
                    });
                    let response = client
                        .post(format!("{url}/api/v1/sync"))
                        .bearer_auth(token)
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status().as_u16(), 200);
                    let answer: serde_json::Value = response.json().await.unwrap();
                    assert_eq!(answer["acked"].as_array().map(Vec::len), Some(1));
                    for section in ["residents", "notices", "checkups"] {
                        if let Some(rev) = answer.get(section).map(|s| s["revision"].clone()) {
                            known[section] = rev;
                        }
                    }
                    if sent >= measure_from {
                        latencies.push(sent.elapsed());
                    }
                }
                latencies
            }));
        }
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await.unwrap());
        }
        latencies.sort();
        latencies
    });
    let _ = server.kill();
    let _ = server.wait();

    let n = report.len();
    let pct = |p: f64| report[((n as f64 * p) as usize).min(n - 1)];
    println!(
        "ingest: {} connections over {} households, {} s measured, one check-in per request, every ack durable",
        o.connections, o.households, o.seconds
    );
    println!("  requests:   {n}");
    println!(
        "  throughput: {:.0} requests/s",
        n as f64 / o.seconds as f64
    );
    println!(
        "  latency:    p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        report[n - 1].as_secs_f64() * 1e3
    );
}

async fn wait_ready(url: &str) {
    for _ in 0..400 {
        if reqwest::get(format!("{url}/healthz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the center did not start");
}
