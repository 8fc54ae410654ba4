//! Check-ins signed by a My Number card's key: verified against the bound
//! certificate; altered ones, expired certificates and unknown cards refused.

use mimamori_center::jpki::{BoundCertificate, parse_certificate};
use mimamori_center::store::{Store, admin};
use mimamori_protocol::canonical::check_in_bytes;
use mimamori_protocol::*;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use serde_json::Value;

use crate::harness::*;

const KEY: &str = include_str!("../../testdata/jpki/test-card-key.pem");

pub(crate) fn certificate(not_before: (i32, u8), not_after: (i32, u8)) -> (Vec<u8>, String) {
    let key = rcgen::KeyPair::from_pem_and_sign_algo(KEY, &rcgen::PKCS_RSA_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "利用者証明用電子証明書 (test)");
    params.not_before = rcgen::date_time_ymd(not_before.0, not_before.1, 1);
    params.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, 1);
    let cert = params.self_signed(&key).unwrap();
    (cert.der().to_vec(), cert.pem())
}

fn signed_event(
    id: &str,
    seq: u64,
    resident: i64,
    cert: &BoundCertificate,
    condition: Condition,
) -> Event {
    let mut check_in = CheckIn {
        resident: ResidentId(resident as u64),
        condition,
        symptoms: vec![],
        symptom_note: None,
        medication: vec![],
        vitals: Vitals::default(),
        call_requested: false,
        auth: Authentication::Jpki(JpkiProof {
            cert_fingerprint: cert.fingerprint,
            signature: Signature::from_bytes(&[0; 256]).unwrap(),
        }),
    };
    let event_id = EventId(id.parse().unwrap());
    let recorded_at: mimamori_protocol::Timestamp = "2026-11-29T09:00:00+09:00".parse().unwrap();
    let key = SigningKey::<sha2::Sha256>::new(rsa::RsaPrivateKey::from_pkcs8_pem(KEY).unwrap());
    let signature = key
        .sign(&check_in_bytes(event_id, &recorded_at, &check_in))
        .to_vec();
    check_in.auth = Authentication::Jpki(JpkiProof {
        cert_fingerprint: cert.fingerprint,
        signature: Signature::from_bytes(&signature).unwrap(),
    });
    Event {
        id: event_id,
        recorded_at,
        boot_id: BootId("6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22".parse().unwrap()),
        seq,
        body: EventBody::CheckIn(check_in),
    }
}

fn bind(dir: &std::path::Path, resident: i64, der: &[u8]) -> BoundCertificate {
    let cert = parse_certificate(der).unwrap();
    let config = config(dir);
    let mut store = Store::open(&config.database_path()).unwrap();
    store
        .transaction(|c| admin::bind_certificate(c, resident, &cert, at("2026-11-29T00:00:00Z")))
        .unwrap();
    cert
}

#[test]
fn pem_and_der_read_the_same() {
    let (der, pem) = certificate((2025, 1), (2030, 1));
    let from_der = parse_certificate(&der).unwrap();
    assert_eq!(parse_certificate(pem.as_bytes()).unwrap(), from_der);
    assert_eq!(from_der.fingerprint, CertFingerprint::of_der(&der));
    assert_eq!(from_der.not_before_ms, 1_735_689_600_000);
}

#[tokio::test]
async fn signed_check_ins_are_verified_with_the_bound_certificate() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let h = household(&dir, "nanbu-0301", "04A1B2D1", now);
    let (der, _) = certificate((2025, 1), (2030, 1));
    let cert = bind(&dir, h.resident, &der);
    let center = Center::start(&dir, now).await;

    let good = signed_event(
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        1,
        h.resident,
        &cert,
        Condition::Good,
    );
    let mut altered = signed_event(
        "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        2,
        h.resident,
        &cert,
        Condition::Good,
    );
    if let EventBody::CheckIn(c) = &mut altered.body {
        c.condition = Condition::Poor; // changed after the card signed
    }
    let body: Value = serde_json::from_slice(&encode(&SyncRequest {
        protocol: PROTOCOL_VERSION,
        device_id: h.device.parse().unwrap(),
        sent_at: "2026-11-29T09:00:05+09:00".parse().unwrap(),
        events: vec![good, altered],
        known: Known::default(),
    }))
    .unwrap();
    let (status, response) = center.sync(&h.token, &body).await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(
        response["acked"],
        serde_json::json!(["0f8fad5b-d9cb-469f-a165-70867728950e"])
    );
    assert_eq!(
        response["rejected"][0]["id"],
        "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    );
    assert_eq!(response["rejected"][0]["reason"], "bad_signature");
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM check_ins"), 1);
    assert_eq!(
        count(&dir, "SELECT COUNT(*) FROM check_ins WHERE weak_auth = 0"),
        1
    );
    assert_eq!(
        count(
            &dir,
            "SELECT COUNT(*) FROM rejected_events WHERE reason = 'bad_signature'"
        ),
        1
    );
    center.stop().await;
}

#[tokio::test]
async fn an_expired_certificate_or_an_unbound_one_is_refused() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let h = household(&dir, "nanbu-0302", "04A1B2D2", now);
    let (expired_der, _) = certificate((2020, 1), (2025, 1));
    let expired = bind(&dir, h.resident, &expired_der);
    let center = Center::start(&dir, now).await;

    let event = signed_event(
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        1,
        h.resident,
        &expired,
        Condition::Good,
    );
    let (other_der, _) = certificate((2025, 6), (2030, 6));
    let unbound = parse_certificate(&other_der).unwrap();
    let stranger = signed_event(
        "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        2,
        h.resident,
        &unbound,
        Condition::Good,
    );
    let body: Value = serde_json::from_slice(&encode(&SyncRequest {
        protocol: PROTOCOL_VERSION,
        device_id: h.device.parse().unwrap(),
        sent_at: "2026-11-29T09:00:05+09:00".parse().unwrap(),
        events: vec![event, stranger],
        known: Known::default(),
    }))
    .unwrap();
    let (status, response) = center.sync(&h.token, &body).await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(response["acked"], serde_json::json!([]));
    assert_eq!(response["rejected"][0]["reason"], "certificate_expired");
    assert_eq!(response["rejected"][1]["reason"], "unknown_card");
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM check_ins"), 0);
    center.stop().await;
}
