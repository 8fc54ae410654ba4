//! The card reader through the real PC/SC stack: pcscd with vsmartcard's
//! vpcd, and the simulated cards of `mimamori_hw_tests::simcard` in its two
//! virtual readers. pcscd is started when it does not run; a test fails
//! (never skips) when it cannot be.
//!
//! There is one pcscd and two readers per machine, so the tests take turns
//! (one lock) and each starts with both readers empty.

mod box_loop;
mod cli;
#[path = "../common/mod.rs"]
mod common;
#[path = "../common/processes.rs"]
mod processes;
mod service;
mod signed;
mod station;
mod station_center;
mod tv_browser;

use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use mimamori_daemon::card::{CardReport, CardService};
use mimamori_hw_tests::pcscd;

static READERS: Mutex<()> = Mutex::new(());

/// The readers for this test alone, empty, with pcscd running.
pub(crate) fn readers() -> MutexGuard<'static, ()> {
    let guard = READERS.lock().unwrap_or_else(|e| e.into_inner());
    pcscd::ensure().expect("pcscd with vsmartcard-vpcd must run for the card tests");
    pcscd::wait_empty(Duration::from_secs(5)).expect("the virtual readers empty");
    guard
}

/// A card service whose reports the test reads.
pub(crate) struct Watched {
    pub(crate) service: CardService,
    rx: mpsc::Receiver<CardReport>,
    pub(crate) seen: Vec<CardReport>,
}

pub(crate) fn watch() -> Watched {
    let (tx, rx) = mpsc::channel();
    let service = CardService::start(move |report| {
        let _ = tx.send(report);
    });
    let mut watched = Watched {
        service,
        rx,
        seen: Vec::new(),
    };
    for _ in 0..2 {
        watched.next("a reader", |r| {
            matches!(r, CardReport::ReaderAttached { .. })
        });
    }
    watched
}

impl Watched {
    /// The next report that matches, within 10 s.
    pub(crate) fn next(&mut self, what: &str, wanted: impl Fn(&CardReport) -> bool) -> CardReport {
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(report) => {
                    self.seen.push(report.clone());
                    if wanted(&report) {
                        return report;
                    }
                }
                Err(_) => panic!("no report of {what} within 10 s; seen {:#?}", self.seen),
            }
        }
    }

    /// Reports that arrive within `wait`.
    pub(crate) fn drain(&mut self, wait: Duration) -> Vec<CardReport> {
        let until = Instant::now() + wait;
        let mut out = Vec::new();
        while let Ok(report) = self
            .rx
            .recv_timeout(until.saturating_duration_since(Instant::now()))
        {
            self.seen.push(report.clone());
            out.push(report);
        }
        out
    }
}

/// Only the JPKI AP and the UID command are ever addressed: every command
/// a card received is one of the JPKI applet's or `FF CA`, and the only
/// application selected is the JPKI AP (never the 券面事項入力補助AP).
pub(crate) fn assert_only_jpki_and_uid(commands: &[Vec<u8>]) {
    const SELECT_JPKI: [u8; 15] = [
        0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
    ];
    assert!(!commands.is_empty());
    for command in commands {
        let ok = match command.as_slice() {
            [0x00, 0xA4, 0x04, ..] => command.as_slice() == SELECT_JPKI,
            [
                0x00,
                0xA4,
                0x02,
                0x0C,
                0x02,
                0x00,
                0x06 | 0x0A | 0x17 | 0x18,
            ] => true,
            [0x00, 0xB0, ..] | [0x00, 0x20, 0x00, 0x80, ..] | [0x80, 0x2A, 0x00, 0x80, ..] => true,
            [0x00, 0xC0, 0x00, 0x00, _] | [0xFF, 0xCA, 0x00, 0x00, 0x00] => true,
            _ => false,
        };
        assert!(ok, "a command outside the JPKI AP: {}", hex(command));
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
