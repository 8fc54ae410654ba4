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

use tokio::io::AsyncWriteExt as _;

use mimamori_center::config::Config;
use mimamori_center::store::{Store, admin};
use mimamori_protocol::{CarePlan, MedicationSlot, VitalKind};

#[path = "common/http.rs"]
mod http;

use http::{read_response, wait_ready};

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

    // The load generator: one thread, a plain HTTP/1.1 client per
    // connection (keep-alive, request written in one go, the answer read
    // by its Content-Length), so that its own cost on these two cores stays
    // small next to the center's.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server_pid = server.id();
    let (report, window) = runtime.block_on(async {
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
            tasks.push(tokio::spawn(async move {
                let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .unwrap();
                stream.set_nodelay(true).unwrap();
                let mut latencies = Vec::new();
                let mut known = std::collections::HashMap::<usize, Known>::new();
                let mut buffer = Vec::with_capacity(4096);
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
                    let known = known.entry(h).or_default();
                    let body = format!(
                        concat!(
                            r#"{{"protocol":"1.0","device_id":"{device}","sent_at":"2026-11-29T09:00:05+09:00","#,
                            r#""events":[{{"id":"{id}","recorded_at":"2026-11-29T09:00:00+09:00","#,
                            r#""boot_id":"6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22","seq":{seq},"#,
                            r#""body":{{"type":"check_in","resident":{resident},"condition":"good","#,
                            r#""medication":[{{"slot":"morning","status":"taken"}}],"#,
                            r#""vitals":{{"blood_pressure":{{"systolic_mmhg":128,"diastolic_mmhg":80}}}},"#,
                            r#""auth":{{"method":"card_uid","uid":"{uid}"}}}}}}],"known":{known}}}"#
                        ),
                        device = device,
                        id = uuid::Uuid::now_v7(),
                        seq = seq,
                        resident = resident,
                        uid = uid,
                        known = known.json(),
                    );
                    let request = format!(
                        "POST /api/v1/sync HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    stream.write_all(request.as_bytes()).await.unwrap();
                    let (status, answer) = read_response(&mut stream, &mut buffer).await;
                    assert_eq!(status, 200, "{}", String::from_utf8_lossy(answer));
                    let answer: Answer = serde_json::from_slice(answer).unwrap();
                    assert_eq!(answer.acked.len(), 1);
                    known.learn(&answer);
                    if sent >= measure_from {
                        latencies.push(sent.elapsed());
                    }
                }
                latencies
            }));
        }
        tokio::time::sleep_until((measure_from).into()).await;
        let before = (cpu_ns("self"), cpu_ns(&server_pid.to_string()));
        tokio::time::sleep_until(end.into()).await;
        let after = (cpu_ns("self"), cpu_ns(&server_pid.to_string()));
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await.unwrap());
        }
        latencies.sort();
        (latencies, (before, after))
    });
    let rss = std::fs::read_to_string(format!("/proc/{server_pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".into());
    let _ = server.kill();
    let _ = server.wait();
    // SQLite writes the WAL from the start again after each full
    // checkpoint and never shortens the file: its size is the longest the
    // WAL grew.
    let wal = std::fs::metadata(format!("{}-wal", config.database_path().display()))
        .map(|m| format!("{:.1} MB", m.len() as f64 / 1e6))
        .unwrap_or_else(|_| "?".into());

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
    let ((gen0, srv0), (gen1, srv1)) = window;
    let per_request = |a: &Cpu, b: &Cpu, name: &str| {
        (b.get(name).copied().unwrap_or(0) - a.get(name).copied().unwrap_or(0)) as f64
            / n as f64
            / 1e3
    };
    let total = |c: &Cpu| c.values().sum::<u64>();
    println!(
        "  CPU per request: center {:.1} µs (db-writer thread {:.1} µs), load generator {:.1} µs",
        (total(&srv1) - total(&srv0)) as f64 / n as f64 / 1e3,
        per_request(&srv0, &srv1, "db-writer"),
        (total(&gen1) - total(&gen0)) as f64 / n as f64 / 1e3,
    );
    let mut threads: Vec<(String, f64)> = srv1
        .keys()
        .map(|name| (name.clone(), per_request(&srv0, &srv1, name)))
        .filter(|(_, us)| *us >= 0.05)
        .collect();
    threads.sort_by(|a, b| b.1.total_cmp(&a.1));
    let threads: Vec<String> = threads
        .iter()
        .map(|(name, us)| format!("{name} {us:.1} µs"))
        .collect();
    println!("  center threads: {}", threads.join(", "));
    println!("  center RSS after the run: {rss}, longest WAL {wal}");
}

/// CPU time (ns) of each thread of process `pid` ("self" for this one), by
/// thread name.
type Cpu = std::collections::HashMap<String, u64>;

fn cpu_ns(pid: &str) -> Cpu {
    let mut cpu = Cpu::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return cpu;
    };
    for task in tasks.flatten() {
        let path = task.path();
        let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        let ns: u64 = std::fs::read_to_string(path.join("schedstat"))
            .unwrap_or_default()
            .split_whitespace()
            .next()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        *cpu.entry(name.trim().to_owned()).or_default() += ns;
    }
    cpu
}

/// What the generator reads of a sync answer.
#[derive(serde::Deserialize)]
struct Answer {
    acked: Vec<serde::de::IgnoredAny>,
    residents: Option<Revised>,
    notices: Option<Revised>,
    checkups: Option<Revised>,
}

#[derive(serde::Deserialize)]
struct Revised {
    revision: u64,
}

/// The revisions a box knows, sent back as `known`.
#[derive(Default)]
struct Known {
    residents: Option<u64>,
    notices: Option<u64>,
    checkups: Option<u64>,
}

impl Known {
    fn learn(&mut self, answer: &Answer) {
        let pick = |section: &Option<Revised>, old: Option<u64>| {
            section.as_ref().map(|s| s.revision).or(old)
        };
        self.residents = pick(&answer.residents, self.residents);
        self.notices = pick(&answer.notices, self.notices);
        self.checkups = pick(&answer.checkups, self.checkups);
    }

    fn json(&self) -> String {
        let fields: Vec<String> = [
            ("residents", self.residents),
            ("notices", self.notices),
            ("checkups", self.checkups),
        ]
        .into_iter()
        .filter_map(|(name, rev)| rev.map(|r| format!("\"{name}\":{r}")))
        .collect();
        format!("{{{}}}", fields.join(","))
    }
}
