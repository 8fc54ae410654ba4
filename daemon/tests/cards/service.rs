//! The card service against pcscd: removal mid-command, both readers, a
//! service keeping to one reader, pcscd restarts, and many insertions without leaks.

use std::time::Duration;

use mimamori_daemon::card::{CardError, CardReport, Identity, Pin, PinCheck};
use mimamori_hw_tests::pcscd;
use mimamori_hw_tests::simcard::{
    Faults, Inserted, JpkiCard, SLOT_0, SLOT_1, UidCard, reader_name,
};

use crate::{readers, watch};

fn identified(r: &CardReport) -> bool {
    matches!(r, CardReport::Identified { .. })
}

#[test]
fn a_card_pulled_while_its_certificate_is_read_is_reported_removed() {
    let _readers = readers();
    let mut cards = watch();
    let faults = Faults {
        // The second READ BINARY of the certificate (offset 4).
        remove_on: Some(vec![0x00, 0xB0, 0x00, 0x04]),
        ..Faults::default()
    };
    let inserted =
        Inserted::insert_with(SLOT_0, Box::new(JpkiCard::with_key(1, "1234")), faults).unwrap();
    cards.next("the insertion", |r| {
        matches!(r, CardReport::Inserted { .. })
    });
    cards.next("the removal", |r| matches!(r, CardReport::Removed { .. }));
    assert!(!inserted.is_in());
    assert!(
        !cards.seen.iter().any(identified),
        "a half-read card is nobody: {:#?}",
        cards.seen
    );
    drop(inserted);
    pcscd::wait_empty(Duration::from_secs(5)).unwrap();

    // The service goes on: the next card is read.
    let _again = Inserted::insert(SLOT_0, Box::new(JpkiCard::with_key(1, "1234"))).unwrap();
    cards.next("the next card", identified);
}

#[test]
fn a_card_pulled_while_signing_fails_the_signature_and_is_reported_removed() {
    let _readers = readers();
    let mut cards = watch();
    let inserted = Inserted::insert(SLOT_0, Box::new(JpkiCard::with_key(1, "1234"))).unwrap();
    let CardReport::Identified { reader, .. } = cards.next("the card", identified) else {
        unreachable!()
    };
    let check = cards
        .service
        .verify_pin(&reader, Pin::new("1234").unwrap())
        .blocking_recv()
        .unwrap();
    assert_eq!(check.unwrap(), PinCheck::Ok);
    inserted.set_faults(Faults {
        remove_on: Some(vec![0x80, 0x2A]),
        ..Faults::default()
    });
    let signed = cards
        .service
        .sign_blocking(&reader, [7; 32], Duration::from_secs(10));
    assert!(
        matches!(signed, Err(CardError::Removed | CardError::NoCard(_))),
        "{signed:?}"
    );
    cards.next("the removal", |r| matches!(r, CardReport::Removed { .. }));
    let after = cards
        .service
        .sign_blocking(&reader, [7; 32], Duration::from_secs(10));
    assert!(matches!(after, Err(CardError::NoCard(_))), "{after:?}");
    pcscd::wait_empty(Duration::from_secs(5)).unwrap();
}

#[test]
fn the_service_refuses_a_pin_at_one_try_left() {
    let _readers = readers();
    let mut cards = watch();
    let card_a = JpkiCard::with_key(1, "1234");
    let _inserted = Inserted::insert(SLOT_0, Box::new(card_a.clone())).unwrap();
    let CardReport::Identified { reader, .. } = cards.next("the card", identified) else {
        unreachable!()
    };
    let wrong = |cards: &crate::Watched| {
        cards
            .service
            .verify_pin(&reader, Pin::new("0000").unwrap())
            .blocking_recv()
            .unwrap()
    };
    assert_eq!(wrong(&cards).unwrap(), PinCheck::Wrong { tries_left: 2 });
    assert_eq!(wrong(&cards).unwrap(), PinCheck::Wrong { tries_left: 1 });
    assert!(matches!(wrong(&cards), Err(CardError::LastTry(1))));
    assert_eq!(card_a.state().tries_left, 1, "the last try was not spent");
}

#[test]
fn both_readers_at_once() {
    let _readers = readers();
    let mut cards = watch();
    let _a = Inserted::insert(SLOT_0, Box::new(JpkiCard::with_key(1, "1234"))).unwrap();
    let _b = Inserted::insert(SLOT_1, Box::new(UidCard::new(&[4, 1, 2, 3]))).unwrap();
    let mut kinds = Vec::new();
    for _ in 0..2 {
        if let CardReport::Identified {
            reader, identity, ..
        } = cards.next("a card", identified)
        {
            kinds.push((reader, identity.kind()));
        }
    }
    kinds.sort();
    assert_eq!(
        kinds,
        [
            ("Virtual PCD 00 00".to_owned(), "jpki"),
            ("Virtual PCD 00 01".to_owned(), "card_uid")
        ]
    );
}

#[test]
fn a_service_keeps_to_the_reader_it_names() {
    let _readers = readers();
    let (tx, rx) = std::sync::mpsc::channel();
    let service =
        mimamori_daemon::card::CardService::start_with(vec![reader_name(SLOT_1)], move |report| {
            let _ = tx.send(report);
        });
    let next = || rx.recv_timeout(Duration::from_secs(10)).expect("a report");
    let mut attached = Vec::new();
    while attached.is_empty() {
        if let CardReport::ReaderAttached { reader } = next() {
            attached.push(reader);
        }
    }
    // A card in the other reader is not seen at all.
    let other = Inserted::insert(SLOT_0, Box::new(UidCard::new(&[4, 9, 9, 9]))).unwrap();
    let quiet: Vec<CardReport> =
        std::iter::from_fn(|| rx.recv_timeout(Duration::from_millis(800)).ok()).collect();
    assert!(
        !quiet.iter().any(|r| matches!(
            r,
            CardReport::ReaderAttached { .. }
                | CardReport::Inserted { .. }
                | CardReport::Identified { .. }
        )),
        "{quiet:#?}"
    );
    other.remove();
    pcscd::wait_empty(Duration::from_secs(5)).unwrap();
    // One in its own reader is.
    let own = Inserted::insert(SLOT_1, Box::new(UidCard::new(&[4, 1, 2, 3]))).unwrap();
    let reader = loop {
        if let CardReport::Identified { reader, .. } = next() {
            break reader;
        }
    };
    assert_eq!(attached, [reader_name(SLOT_1)]);
    assert_eq!(reader, reader_name(SLOT_1));
    own.remove();
    pcscd::wait_empty(Duration::from_secs(5)).unwrap();
    drop(service);
}

#[test]
fn pcscd_killed_and_restarted_while_the_box_waits() {
    let _readers = readers();
    let mut cards = watch();
    pcscd::kill().unwrap();
    cards.next("pcscd gone", |r| matches!(r, CardReport::ServiceDown));
    assert!(
        cards
            .seen
            .iter()
            .any(|r| matches!(r, CardReport::ReaderDetached { .. })),
        "{:#?}",
        cards.seen
    );
    // Down for a while: the service waits without spinning.
    let quiet = cards.drain(Duration::from_millis(800));
    assert!(quiet.is_empty(), "{quiet:#?}");
    pcscd::start().unwrap();
    cards.next("pcscd back", |r| matches!(r, CardReport::ServiceUp));
    cards.next("a reader back", |r| {
        matches!(r, CardReport::ReaderAttached { .. })
    });
    let _card = Inserted::insert(SLOT_0, Box::new(JpkiCard::with_key(1, "1234"))).unwrap();
    cards.next("a card after the restart", identified);
}

fn count(dir: &str) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn two_hundred_insertions_leak_no_descriptor_thread_or_memory() {
    let _readers = readers();
    let mut cards = watch();
    let uid = UidCard::new(&[4, 0xA1, 0xB2, 0xC3]);
    let jpki = JpkiCard::with_key(1, "1234");
    let cycle = |cards: &mut crate::Watched, i: usize| {
        let port = if i % 2 == 0 { SLOT_0 } else { SLOT_1 };
        let card: Box<dyn mimamori_hw_tests::simcard::Card> = if i % 4 < 2 {
            Box::new(jpki.clone())
        } else {
            Box::new(uid.clone())
        };
        let inserted = Inserted::insert(port, card).unwrap();
        let CardReport::Identified { identity, .. } = cards.next("a card", identified) else {
            unreachable!()
        };
        assert_eq!(matches!(identity, Identity::Jpki { .. }), i % 4 < 2);
        drop(inserted);
        cards.next("the removal", |r| matches!(r, CardReport::Removed { .. }));
    };
    // Warm up (first allocations, lazily created threads).
    for i in 0..4 {
        cycle(&mut cards, i);
    }
    let (fds, threads, rss) = (count("/proc/self/fd"), count("/proc/self/task"), rss_kib());
    for i in 4..200 {
        cycle(&mut cards, i);
    }
    cards.seen.clear();
    let (fds_after, threads_after, rss_after) =
        (count("/proc/self/fd"), count("/proc/self/task"), rss_kib());
    assert!(fds_after <= fds, "file descriptors {fds} → {fds_after}");
    assert!(
        threads_after <= threads,
        "threads {threads} → {threads_after}"
    );
    assert!(
        rss_after < rss + 4 * 1024,
        "resident memory {rss} KiB → {rss_after} KiB"
    );
}
