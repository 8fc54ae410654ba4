//! The box syncs over HTTPS: a real center process behind a TLS front with a
//! certificate from the town's own CA. A box given that CA (`[sync]
//! ca_file`) gets through; a box given another CA refuses the center's
//! certificate, sends nothing, and keeps its events.

mod common;
#[path = "common/processes.rs"]
mod processes;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use processes::*;
use tokio_rustls::rustls;

fn center_count(dir: &Path, sql: &str) -> i64 {
    let mut config = mimamori_center::config::Config::parse("").unwrap();
    config.data_dir = dir.join("center");
    common::count(&config, sql)
}

/// A CA: its certificate (to sign with, and as PEM for the box) and key.
struct Ca {
    certificate: rcgen::Certificate,
    key: rcgen::KeyPair,
}

fn ca(name: &str) -> Ca {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    Ca {
        certificate: params.self_signed(&key).unwrap(),
        key,
    }
}

/// A TLS front on 127.0.0.1 with a certificate for 127.0.0.1 signed by
/// `ca`, passing each connection on to the center's plain HTTP port.
/// Returns its port and a count of refused handshakes.
async fn tls_front(ca: &Ca, center_port: u16) -> (u16, Arc<AtomicUsize>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    let certificate = params.signed_by(&key, &ca.certificate, &ca.key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![certificate.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let refused = Arc::new(AtomicUsize::new(0));
    let counter = refused.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, counter) = (acceptor.clone(), counter.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    counter.fetch_add(1, Ordering::SeqCst);
                    return;
                };
                let Ok(mut center) =
                    tokio::net::TcpStream::connect(("127.0.0.1", center_port)).await
                else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut center).await;
            });
        }
    });
    (port, refused)
}

/// Starts a box in `dir/NAME` syncing with `https://127.0.0.1:PORT`,
/// trusting only `ca_pem`, with a heartbeat every 0.2 s.
fn https_box(dir: &Path, name: &str, port: u16, token: &str, ca_pem: &str) -> Process {
    let home = dir.join(name);
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("ca.pem"), ca_pem).unwrap();
    let config = home.join("box.toml");
    std::fs::write(
        &config,
        format!(
            "device_id = \"box-0001\"\ncenter_url = \"https://127.0.0.1:{port}\"\n\
             token = \"{token}\"\ndata_dir = \"data\"\n\
             [display]\nbackend = \"virtual\"\nlisten = \"127.0.0.1:0\"\nsize = \"640x360\"\n\
             [input]\ndevices = \"none\"\n\
             [sync]\ninterval_s = 1\nheartbeat_interval_s = 0.2\nretry_first_s = 0.2\nretry_max_s = 1\n\
             ca_file = \"ca.pem\"\n\
             [card]\nreader = \"none\"\n"
        ),
    )
    .unwrap();
    let log = std::fs::File::create(home.join("box.log")).unwrap();
    Process(
        Command::new(env!("CARGO_BIN_EXE_mimamorid"))
            .args(["run", "--config"])
            .arg(&config)
            .stderr(log)
            .spawn()
            .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_box_trusts_the_center_only_through_its_configured_ca() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    #[allow(clippy::disallowed_methods)] // both processes read the real clock
    let now = jiff::Timestamp::now();
    let (_, token, _) = common::center_with_household(dir, now);
    let center_port = free_port();
    let _center = start_center(dir, center_port).await;
    let town = ca("見守り町 テスト CA");
    let (port, refused) = tls_front(&town, center_port).await;
    let heartbeats = || center_count(dir, "SELECT COUNT(*) FROM events WHERE kind = 'heartbeat'");

    // The town's CA: heartbeats arrive over HTTPS.
    let good = https_box(dir, "good", port, &token, &town.certificate.pem());
    wait_until("heartbeats over HTTPS", Duration::from_secs(30), || async {
        heartbeats() >= 3
    })
    .await;
    good.stop();
    assert_eq!(refused.load(Ordering::SeqCst), 0);

    // Another CA: the center's certificate is refused, nothing is sent,
    // and the box keeps what it recorded.
    let before = heartbeats();
    let other = ca("よその CA");
    let bad = https_box(dir, "bad", port, &token, &other.certificate.pem());
    wait_until("a refused handshake", Duration::from_secs(30), || async {
        refused.load(Ordering::SeqCst) >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    bad.stop();
    assert_eq!(
        heartbeats(),
        before,
        "nothing passed the refused certificate"
    );
    let kept: i64 = rusqlite::Connection::open(dir.join("bad/data/box.sqlite3"))
        .unwrap()
        .query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))
        .unwrap();
    assert!(kept >= 2, "the box keeps its events: {kept}");
    let log = std::fs::read_to_string(dir.join("bad/box.log")).unwrap();
    assert!(log.contains("sync failed"), "{log}");
}
