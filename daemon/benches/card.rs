//! Card timings through the real PC/SC stack (pcscd + vpcd + the simulated
//! My Number card), as the targets name them:
//!
//! * identify: from the card reported present to the resident known
//!   (card type, certificate read in chunks, tries left, binding looked up)
//!   — target ≤ 150 ms;
//! * login: PIN verified and a check-in digest signed — target ≤ 300 ms
//!   excluding the card's own compute.
//!
//! `cargo bench -p mimamori-daemon --bench card` (starts pcscd if needed).

use std::sync::mpsc;
use std::time::{Duration, Instant};

use mimamori_daemon::card::link::CardLink;
use mimamori_daemon::card::{CardReport, CardService, Pin, PinCheck};
use mimamori_hw_tests::pcscd;
use mimamori_hw_tests::simcard::{Inserted, JpkiCard, SLOT_0};
use mimamori_protocol::{CertFingerprint, ResidentInfo};

const ROUNDS: usize = 40;

fn main() -> anyhow::Result<()> {
    pcscd::ensure()?;
    pcscd::wait_empty(Duration::from_secs(5))?;
    let card = JpkiCard::with_key(1, "1234");
    let fingerprint = CertFingerprint::of_der(card.certificate());
    let residents: Vec<ResidentInfo> = serde_json::from_value(serde_json::json!([{
        "id": 1, "name": "山田 花子", "name_kana": "やまだ はなこ",
        "care_plan": {"reminder_at": "09:00", "deadline": "12:00"},
        "cards": [{"method": "jpki", "cert_fingerprint": fingerprint.to_string()}]
    }]))?;
    let (tx, rx) = mpsc::channel();
    let service = CardService::start(move |report| {
        let _ = tx.send(report);
    });
    let next = |wanted: &dyn Fn(&CardReport) -> bool| -> anyhow::Result<CardReport> {
        loop {
            let report = rx.recv_timeout(Duration::from_secs(10))?;
            if wanted(&report) {
                return Ok(report);
            }
        }
    };
    let (mut identify, mut login, mut apdus) = (Vec::new(), Vec::new(), 0usize);
    for _ in 0..ROUNDS {
        let inserted = Inserted::insert(SLOT_0, Box::new(card.clone()))?;
        let report = next(&|r| matches!(r, CardReport::Identified { .. }))?;
        let CardReport::Identified { reader, took, .. } = &report else {
            unreachable!()
        };
        let (reader, took) = (reader.clone(), *took);
        let started = Instant::now();
        let mut link = CardLink::default();
        link.on_report(report, &residents)
            .filter(|_| link.held().is_some())
            .ok_or_else(|| anyhow::anyhow!("the card was not recognised"))?;
        identify.push(took + started.elapsed());

        let started = Instant::now();
        let check = service
            .verify_pin(&reader, Pin::new("1234").expect("4 digits"))
            .blocking_recv()??;
        anyhow::ensure!(check == PinCheck::Ok, "PIN: {check:?}");
        service.sign_blocking(&reader, [0x5A; 32], Duration::from_secs(10))?;
        login.push(started.elapsed());
        apdus = inserted.log().len();
        drop(inserted);
        next(&|r| matches!(r, CardReport::Removed { .. }))?;
    }
    // The simulated card's own compute: one RSA-2048 signature.
    let key = {
        use rsa::pkcs8::DecodePrivateKey as _;
        rsa::RsaPrivateKey::from_pkcs8_pem(include_str!(
            "../../hw-tests/testdata/simcard-key-1.pem"
        ))?
    };
    let started = Instant::now();
    for _ in 0..10 {
        let mut info = vec![
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ];
        info.extend_from_slice(&[0x5A; 32]);
        key.sign(rsa::Pkcs1v15Sign::new_unprefixed(), &info)?;
    }
    let compute = started.elapsed() / 10;

    println!("card over pcscd + vpcd, {ROUNDS} insertions, {apdus} APDUs per insertion and login");
    report("identify (present → resident known)", &mut identify, 150.0);
    report("login (PIN + signature)", &mut login, 300.0);
    println!(
        "  simulated card's RSA-2048 signature: {:.1} ms (included in login)",
        ms(compute)
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(name: &str, samples: &mut [Duration], target_ms: f64) {
    samples.sort();
    let at = |q: f64| ms(samples[((samples.len() - 1) as f64 * q) as usize]);
    println!(
        "  {name}: median {:.1} ms, p95 {:.1} ms, max {:.1} ms (target ≤ {target_ms} ms)",
        at(0.5),
        at(0.95),
        at(1.0)
    );
}
