//! `mimamorid card probe | login | enroll` as installers run them.

use std::io::Write as _;
use std::process::{Command, Stdio};

use mimamori_hw_tests::simcard::{Faults, Inserted, JpkiCard, SLOT_0, StrangerCard, UidCard};
use serde_json::Value;

use crate::{assert_only_jpki_and_uid, readers};

const BIN: &str = env!("CARGO_BIN_EXE_mimamorid");

/// Runs `mimamorid card ARGS` with `stdin`; its exit code and JSON.
fn card(args: &[&str], stdin: &str) -> (i32, Value) {
    let mut child = Command::new(BIN)
        .arg("card")
        .args(args)
        .args(["--timeout", "10"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "no JSON (exit {code}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, json)
}

#[test]
fn probe_names_each_kind_of_card() {
    let _readers = readers();
    let card_a = JpkiCard::with_key(1, "1234");
    let fingerprint = mimamori_protocol::CertFingerprint::of_der(card_a.certificate()).to_string();
    let inserted = Inserted::insert(SLOT_0, Box::new(card_a)).unwrap();
    let (code, json) = card(&["probe"], "");
    assert_eq!(code, 0);
    assert_eq!(json["kind"], "jpki");
    assert_eq!(json["card_type"], "my_number_card");
    assert_eq!(json["fingerprint"], fingerprint.as_str());
    assert_eq!(json["pin_tries_left"], 3);
    assert_eq!(json["weak"], false);
    assert_eq!(json["reader"], "Virtual PCD 00 00");
    assert_only_jpki_and_uid(&inserted.remove());

    drop_and_wait();
    let inserted =
        Inserted::insert(SLOT_0, Box::new(UidCard::new(&[4, 0xA1, 0xB2, 0xC3]))).unwrap();
    let (code, json) = card(&["probe"], "");
    assert_eq!(code, 0);
    assert_eq!(json["kind"], "card_uid");
    assert_eq!(json["uid"], "04A1B2C3");
    assert_eq!(json["weak"], true, "a trial card is marked weak: {json}");
    assert_only_jpki_and_uid(&inserted.remove());

    drop_and_wait();
    let inserted = Inserted::insert(SLOT_0, Box::new(StrangerCard)).unwrap();
    let (code, json) = card(&["probe"], "");
    assert_eq!(
        (code, &json["kind"]),
        (0, &Value::from("unusable")),
        "{json}"
    );
    assert_only_jpki_and_uid(&inserted.remove());

    drop_and_wait();
    let faults = Faults {
        garbage: true,
        ..Faults::default()
    };
    let inserted = Inserted::insert_with(SLOT_0, Box::new(StrangerCard), faults).unwrap();
    let (_, json) = card(&["probe"], "");
    assert_eq!(json["kind"], "unusable", "{json}");
    assert!(
        json["why"].as_str().unwrap().contains("makes no sense"),
        "{json}"
    );
    drop(inserted);
}

fn drop_and_wait() {
    mimamori_hw_tests::pcscd::wait_empty(std::time::Duration::from_secs(5)).unwrap();
}

#[test]
fn login_with_the_right_pin_signs_and_is_verified() {
    let _readers = readers();
    let inserted = Inserted::insert(SLOT_0, Box::new(JpkiCard::with_key(1, "1234"))).unwrap();
    let (code, json) = card(
        &["login", "--pin-stdin", "--challenge", "00112233"],
        "1234\n",
    );
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["result"], "ok");
    assert_eq!(json["signature_verified"], true);
    assert_eq!(json["challenge"], "00112233");
    assert_eq!(json["signature"].as_str().unwrap().len(), 512);
    assert_only_jpki_and_uid(&inserted.remove());
}

#[test]
fn a_wrong_pin_spends_one_try_and_says_how_many_are_left() {
    let _readers = readers();
    let card_a = JpkiCard::with_key(1, "1234");
    let inserted = Inserted::insert(SLOT_0, Box::new(card_a.clone())).unwrap();
    let (code, json) = card(&["login", "--pin-stdin"], "9999\n");
    assert_eq!(code, 2, "{json}");
    assert_eq!(json["result"], "wrong_pin");
    assert_eq!(json["pin_tries_left"], 2);
    assert_eq!(card_a.state().tries_left, 2);
    let (code, json) = card(&["login", "--pin-stdin"], "1234\n");
    assert_eq!((code, &json["result"]), (0, &Value::from("ok")), "{json}");
    assert_eq!(
        card_a.state().tries_left,
        3,
        "a right PIN resets the counter"
    );
    drop(inserted);
}

#[test]
fn at_one_try_left_the_pin_is_not_tried() {
    let _readers = readers();
    let card_a = JpkiCard::with_key(1, "1234");
    card_a.set_tries_left(1);
    let inserted = Inserted::insert(SLOT_0, Box::new(card_a.clone())).unwrap();
    let (code, json) = card(&["login", "--pin-stdin"], "1234\n");
    assert_eq!(code, 2, "{json}");
    assert_eq!(json["result"], "refused_last_try");
    assert_eq!(json["pin_tries_left"], 1);
    assert_eq!(card_a.state().tries_left, 1);
    let commands = inserted.remove();
    assert!(
        !commands
            .iter()
            .any(|c| c.starts_with(&[0x00, 0x20]) && c.len() > 4),
        "no PIN was sent to the card"
    );
}

#[test]
fn a_locked_card_is_reported_locked() {
    let _readers = readers();
    let card_a = JpkiCard::with_key(1, "1234");
    card_a.set_tries_left(0);
    let inserted = Inserted::insert(SLOT_0, Box::new(card_a)).unwrap();
    let (_, json) = card(&["probe"], "");
    assert_eq!(json["locked"], true, "{json}");
    assert_eq!(json["pin_tries_left"], 0);
    let (code, json) = card(&["login", "--pin-stdin"], "1234\n");
    assert_eq!(
        (code, &json["result"]),
        (2, &Value::from("locked")),
        "{json}"
    );
    drop(inserted);
}

#[test]
fn enroll_writes_the_certificate_and_refuses_a_trial_card() {
    let _readers = readers();
    let tmp = tempfile::tempdir().unwrap();
    let card_a = JpkiCard::with_key(2, "1234");
    let inserted = Inserted::insert(SLOT_0, Box::new(card_a.clone())).unwrap();
    let der = tmp.path().join("card.der");
    let (code, json) = card(&["enroll", "--out", der.to_str().unwrap()], "");
    assert_eq!(code, 0, "{json}");
    assert_eq!(std::fs::read(&der).unwrap(), card_a.certificate());
    let pem = tmp.path().join("card.pem");
    card(&["enroll", "--out", pem.to_str().unwrap()], "");
    let text = std::fs::read_to_string(&pem).unwrap();
    assert!(text.starts_with("-----BEGIN CERTIFICATE-----\n"), "{text}");
    drop(inserted);
    drop_and_wait();

    let _uid = Inserted::insert(SLOT_0, Box::new(UidCard::new(&[1, 2, 3, 4]))).unwrap();
    let out = Command::new(BIN)
        .args(["card", "enroll", "--timeout", "10", "--out"])
        .arg(tmp.path().join("uid.der"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a My Number card"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
