//! Mail benchmark: the outbox's sender handing messages to an SMTP server
//! on 127.0.0.1 over its connection pool, every outcome committed.
//!
//! Run: `cargo bench -p mimamori-center --bench mail`
//! (`-- --messages N --concurrency N,N,…` to change the sizes).
//!
//! The server is `mailin-embedded` (the one the tests use), in this process
//! on its own threads. Each message is a family check-in mail composed from
//! its outbox row (askama bodies, MIME, base64), sent over a pooled
//! connection, and recorded `sent` through the database writer (group
//! commit, `synchronous = FULL`).

use std::io;
use std::net::{IpAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use jiff::Timestamp;
use mailin_embedded::{Handler, Response, Server, response};
use mimamori_center::clock::ManualClock;
use mimamori_center::config::Config;
use mimamori_center::mail::sender::Sender;
use mimamori_center::store::outbox::{ContactFacts, Payload, StoredCheckIn, StoredConsent};
use mimamori_center::store::{self, Writer};
use mimamori_protocol::{Condition, MedicationEntry, MedicationSlot, MedicationStatus, Vitals};

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_owned())
}

#[derive(Clone)]
struct Count(Arc<AtomicUsize>);

impl Handler for Count {
    fn data(&mut self, _buf: &[u8]) -> io::Result<()> {
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        self.0.fetch_add(1, Ordering::Relaxed);
        response::OK
    }

    fn mail(&mut self, _ip: IpAddr, _domain: &str, _from: &str) -> Response {
        response::OK
    }
}

fn smtp_server(threads: usize) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(AtomicUsize::new(0));
    let mut server = Server::new(Count(received.clone()));
    server
        .with_name("bench.local")
        .with_num_threads(u32::try_from(threads).unwrap())
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        if let Err(e) = server.serve() {
            eprintln!("SMTP server stopped: {e}");
        }
    });
    (port, received)
}

fn config(dir: &std::path::Path, port: u16, concurrency: usize) -> Config {
    let mut config = Config::parse(&format!(
        "[mail]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"plain\"\n\
         from = \"mimamori@center.example.jp\"\nfrom_name = \"南部町 見守りセンター\"\n\
         desk_name = \"南部町 健康福祉課\"\ndesk_phone = \"0859-00-0000\"\n\
         desk_email = \"kenko@town.example.jp\"\npublic_url = \"https://center.example.jp\"\n\
         dashboard_url = \"https://center.example.jp/dashboard\"\n\
         message_id_domain = \"center.example.jp\"\nconcurrency = {concurrency}\n"
    ))
    .unwrap();
    config.data_dir = dir.to_path_buf();
    config
}

/// Fills the outbox with `n` family check-in mails, all due.
fn fill(conn: &rusqlite::Connection, n: usize, now: Timestamp) {
    let tx = conn.unchecked_transaction().unwrap();
    for i in 0..n {
        let payload = Payload::FamilyCheckin {
            contact: ContactFacts {
                name: format!("山田 一郎{i}"),
                email: format!("family{i}@example.jp"),
                consent: StoredConsent::default(),
                unsubscribe_token: format!("{i:032x}"),
            },
            resident_name: "山田 花子".into(),
            check_in: StoredCheckIn {
                recorded_at: now,
                condition: Condition::Good,
                symptoms: Vec::new(),
                symptom_note: None,
                medication: vec![MedicationEntry {
                    slot: MedicationSlot::Morning,
                    status: MedicationStatus::Taken,
                }],
                vitals: Vitals::default(),
                call_requested: false,
            },
            more: Vec::new(),
        };
        tx.execute(
            "INSERT INTO outbox (kind, recipient, payload, created_at, next_attempt_at)
             VALUES ('family_checkin', ?1, ?2, ?3, ?3)",
            rusqlite::params![
                payload.recipient(),
                serde_json::to_string(&payload).unwrap(),
                now.as_millisecond()
            ],
        )
        .unwrap();
    }
    tx.commit().unwrap();
}

fn main() {
    let messages: usize = arg("--messages", "3000").parse().expect("a number");
    let levels: Vec<usize> = arg("--concurrency", "4,8,16,32")
        .split(',')
        .map(|c| c.parse().expect("a number"))
        .collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let now: Timestamp = "2026-11-29T09:00:00+09:00".parse().unwrap();
    println!("mail: {messages} family check-in mails per run to mailin-embedded on 127.0.0.1");
    println!("concurrency  messages/s  seconds");
    // The pooled transport keeps a task on the runtime.
    let _runtime = runtime.enter();
    for concurrency in levels {
        let tmp = tempfile::tempdir().unwrap();
        let (port, received) = smtp_server(concurrency.max(4) * 2);
        let config = config(tmp.path(), port, concurrency);
        let conn = store::open(&config.database_path()).unwrap();
        fill(&conn, messages, now);
        let (writer, thread) = Writer::start(conn);
        let sender = Sender::new(
            writer.clone(),
            Arc::new(config.mail.clone().unwrap()),
            Arc::new(ManualClock::new(now)),
        )
        .unwrap();
        let started = Instant::now();
        let mut sent = 0;
        runtime.block_on(async {
            while sent < messages {
                let (pass, read) = sender.send_due().await.unwrap();
                assert_eq!(pass.failed + pass.retried, 0, "{pass:?}");
                sent += pass.sent;
                assert!(read > 0, "nothing due, {sent} of {messages} sent");
            }
        });
        let elapsed = started.elapsed().as_secs_f64();
        assert_eq!(received.load(Ordering::Relaxed), messages);
        println!(
            "{concurrency:>11}  {:>10.0}  {elapsed:>7.2}",
            messages as f64 / elapsed
        );
        drop(sender);
        drop(writer);
        thread.join().unwrap();
    }
}
