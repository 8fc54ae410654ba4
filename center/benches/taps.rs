//! The after-school peak: 50 stations, 10,000 children each tapping once,
//! every tap a sync request of its own over real HTTP on loopback on the
//! same ingest path as check-ins (group commit, every ack durable), and
//! every guardian's mail queued in the same transaction as its tap (two
//! guardians a child: `every_tap` and `first_of_day`). Reports the taps/s
//! the center sustains, and checks afterwards that every tap is stored
//! once and every mail queued.
//!
//! Run: `cargo bench -p mimamori-center --bench taps`
//! (`-- --stations 50 --children 10000` to change the sizes). The center
//! runs as its own process (release build); mail goes nowhere (the relay
//! port is closed): the bench counts the queue, `--bench mail` the sending.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use tokio::io::AsyncWriteExt as _;

use mimamori_center::config::Config;
use mimamori_center::store::{Store, children, stations};
use mimamori_protocol::{CardUid, StationKind};

#[path = "common/http.rs"]
mod http;

use http::{read_response, wait_ready};

const BIN: &str = env!("CARGO_BIN_EXE_mimamori-center");

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

fn main() {
    let station_count = arg("--stations", 50);
    let child_count = arg("--children", 10_000);
    let tmp = tempfile::tempdir().unwrap();
    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (port, closed) = (free_port(), free_port());
    let config_path = tmp.path().join("center.toml");
    std::fs::write(
        &config_path,
        format!(
            "data_dir = \"data\"\n[http]\nlisten = \"127.0.0.1:{port}\"\n[watch]\nsweep_interval_s = 3600\n\
             [mail]\nhost = \"127.0.0.1\"\nport = {closed}\nsecurity = \"plain\"\n\
             from = \"mimamori@center.example.jp\"\ndesk_name = \"南部町 健康福祉課\"\n\
             desk_phone = \"0859-00-0000\"\ndesk_email = \"kenko@town.example.jp\"\n\
             public_url = \"https://center.example.jp\"\n\
             dashboard_url = \"https://center.example.jp/dashboard\"\n\
             message_id_domain = \"center.example.jp\"\npoll_interval_ms = 60000\n"
        ),
    )
    .unwrap();
    let config = Config::load(&config_path).unwrap();
    let now: jiff::Timestamp = "2026-12-07T06:00:00Z".parse().unwrap();
    let started = Instant::now();
    let mut store = Store::open(&config.database_path()).unwrap();
    let tokens: Vec<(String, String)> = store
        .transaction(|c| {
            (0..station_count)
                .map(|s| {
                    let device = format!("school-{s:02}");
                    let token = stations::add_station(
                        c,
                        &stations::NewStation {
                            device_id: device.clone(),
                            place: format!("南部小学校 {s}"),
                            kind: StationKind::School,
                            district: "東町".into(),
                        },
                        "bench",
                        now,
                    )?;
                    Ok((device, token))
                })
                .collect()
        })
        .unwrap();
    store
        .transaction(|c| {
            for i in 0..child_count {
                let id = children::add_child(
                    c,
                    &children::NewChild {
                        name: format!("児童 {i}"),
                        kana: format!("じどう {i}"),
                        district: "東町".into(),
                        school: String::new(),
                        birth_date: None,
                    },
                    "bench",
                    now,
                )?;
                let uid: CardUid = uid(i).parse().unwrap();
                children::bind_child_card(c, id, children::ChildCard::Uid(&uid), "bench", now)?;
                for (n, policy) in ["every_tap", "first_of_day"].iter().enumerate() {
                    children::add_guardian(
                        c,
                        &children::NewGuardian {
                            child: id,
                            name: format!("保護者 {i}-{n}"),
                            email: format!("g{i}-{n}@example.jp"),
                            relation: "母".into(),
                            policy: policy.parse().unwrap(),
                            consent_on: Some("2026-12-01".parse().unwrap()),
                        },
                        "bench",
                        now,
                    )?;
                }
            }
            Ok(())
        })
        .unwrap();
    drop(store);
    println!(
        "taps: {station_count} stations, {child_count} children (2 guardians each): registered in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut server = Command::new(BIN)
        .arg("--config")
        .arg(&config_path)
        .arg("serve")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let tokens = Arc::new(tokens);
    let (latencies, elapsed, roster_bytes) = runtime.block_on(async {
        wait_ready(&format!("http://127.0.0.1:{port}")).await;
        // Each station's first sync takes its roster, as at the start of a
        // school day; then the peak.
        let mut rosters = 0;
        let mut revisions = Vec::new();
        for (device, token) in tokens.iter() {
            let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap();
            let body = format!(
                r#"{{"protocol":"1.1","device_id":"{device}","sent_at":"2026-12-07T15:00:00+09:00","events":[]}}"#
            );
            let mut buffer = Vec::new();
            let (status, answer) = post(&mut stream, port, token, &body, &mut buffer).await;
            assert_eq!(status, 200);
            rosters = answer.len();
            let answer: serde_json::Value = serde_json::from_slice(answer).unwrap();
            revisions.push(answer["people"]["revision"].as_u64().unwrap());
        }
        let start = Instant::now();
        let mut tasks = Vec::new();
        for (s, (device, token)) in tokens.iter().cloned().enumerate() {
            let revision = revisions[s];
            tasks.push(tokio::spawn(async move {
                let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .unwrap();
                stream.set_nodelay(true).unwrap();
                let mut buffer = Vec::with_capacity(4096);
                let mut latencies = Vec::new();
                // The children of this station, one after another.
                for (seq, child) in (s..child_count).step_by(station_count).enumerate() {
                    let body = format!(
                        concat!(
                            r#"{{"protocol":"1.1","device_id":"{device}","sent_at":"2026-12-07T15:32:05+09:00","#,
                            r#""events":[{{"id":"{id}","recorded_at":"2026-12-07T15:32:00+09:00","#,
                            r#""boot_id":"6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22","seq":{seq},"#,
                            r#""body":{{"type":"tap","card":{{"method":"card_uid","uid":"{uid}"}}}}}}],"#,
                            r#""known":{{"people":{revision}}}}}"#
                        ),
                        device = device,
                        id = uuid::Uuid::now_v7(),
                        seq = seq + 1,
                        uid = uid(child),
                        revision = revision,
                    );
                    let sent = Instant::now();
                    let (status, answer) = post(&mut stream, port, &token, &body, &mut buffer).await;
                    assert_eq!(status, 200, "{}", String::from_utf8_lossy(answer));
                    assert!(
                        std::str::from_utf8(answer).unwrap().contains(r#""acked":["#),
                        "{}",
                        String::from_utf8_lossy(answer)
                    );
                    latencies.push(sent.elapsed());
                }
                latencies
            }));
        }
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await.unwrap());
        }
        latencies.sort();
        (latencies, start.elapsed(), rosters)
    });
    let _ = server.kill();
    let _ = server.wait();

    let store = Store::open(&config.database_path()).unwrap();
    let count = |sql: &str| -> i64 {
        store
            .connection()
            .query_row(sql, [], |row| row.get(0))
            .unwrap()
    };
    let taps = count("SELECT count(*) FROM taps");
    let mails = count("SELECT count(*) FROM outbox WHERE kind = 'guardian_tap'");
    assert_eq!(taps, child_count as i64, "every tap stored once");
    assert_eq!(
        mails,
        2 * child_count as i64,
        "every guardian's mail queued"
    );
    let n = latencies.len();
    let pct = |p: f64| latencies[((n as f64 * p) as usize).min(n - 1)];
    println!(
        "  roster: {} kB for each station's first sync",
        roster_bytes / 1024
    );
    println!(
        "  {n} taps in {:.2} s: {:.0} taps/s (the peak needs {:.1}/s: 10,000 in 10 minutes)",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        10_000.0 / 600.0
    );
    println!(
        "  latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        latencies[n - 1].as_secs_f64() * 1e3
    );
    println!("  stored: {taps} taps, {mails} guardian mails queued");
}

fn uid(child: usize) -> String {
    format!("05{:08X}", child + 1)
}

async fn post<'a>(
    stream: &mut tokio::net::TcpStream,
    port: u16,
    token: &str,
    body: &str,
    buffer: &'a mut Vec<u8>,
) -> (u16, &'a [u8]) {
    let request = format!(
        "POST /api/v1/sync HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    read_response(stream, buffer).await
}
