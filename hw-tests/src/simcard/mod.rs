//! Simulated cards for the real PC/SC stack (pcscd + vsmartcard's vpcd):
//! a My Number card's JPKI applet with a real RSA-2048 key and a
//! self-signed certificate, a PIN with a tries counter and lock; a trial
//! card that has only a UID; and a stranger card that has neither. The
//! [`dock`] puts them in and takes them out over HTTP (the virtual TV's
//! card buttons).
//!
//! ```no_run
//! use mimamori_hw_tests::simcard::{Inserted, JpkiCard, SLOT_0};
//!
//! let card = JpkiCard::with_key(1, "1234");
//! let certificate = card.certificate().to_vec();
//! let inserted = Inserted::insert(SLOT_0, Box::new(card)).unwrap();
//! // ... the box reads the card through pcscd ...
//! let commands = inserted.remove();
//! ```

pub mod dock;
mod jpki;
mod vpcd;

use std::sync::{Arc, Mutex};

pub use jpki::{JpkiCard, JpkiState};
pub use vpcd::{Faults, Inserted, SLOT_0, SLOT_1, reader_name};

/// A card's behaviour: its ATR and its answers.
pub trait Card: Send {
    /// The answer to reset.
    fn atr(&self) -> Vec<u8>;
    /// Power on (`true`, also a reset) or off: volatile state is lost.
    fn power(&mut self, on: bool);
    /// The answer (data ‖ SW1 SW2) to a command APDU.
    fn apdu(&mut self, apdu: &[u8]) -> Vec<u8>;
}

/// A plain ISO 7816 T=1 ATR with no historical bytes.
const ATR: [u8; 5] = [0x3B, 0x80, 0x80, 0x01, 0x01];

/// Every command a card received, shared with its controller.
#[derive(Debug, Clone, Default)]
pub struct Log(Arc<Mutex<Vec<Vec<u8>>>>);

impl Log {
    fn push(&self, apdu: &[u8]) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(apdu.to_vec());
    }

    /// The commands so far.
    pub fn commands(&self) -> Vec<Vec<u8>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A trial card: the reader answers `FF CA 00 00 00` with its UID; it has
/// no applications.
#[derive(Debug, Clone)]
pub struct UidCard {
    uid: Vec<u8>,
}

impl UidCard {
    /// A card with this UID (4, 7 or 8 bytes).
    pub fn new(uid: &[u8]) -> Self {
        Self { uid: uid.to_vec() }
    }
}

impl Card for UidCard {
    fn atr(&self) -> Vec<u8> {
        ATR.to_vec()
    }

    fn power(&mut self, _on: bool) {}

    fn apdu(&mut self, apdu: &[u8]) -> Vec<u8> {
        match apdu {
            [0xFF, 0xCA, 0x00, 0x00, 0x00] => [self.uid.as_slice(), &[0x90, 0x00]].concat(),
            [_, 0xA4, ..] => vec![0x6A, 0x82],
            _ => vec![0x6D, 0x00],
        }
    }
}

/// A card that is neither: no JPKI AP, and no UID from the reader.
#[derive(Debug, Clone, Default)]
pub struct StrangerCard;

impl Card for StrangerCard {
    fn atr(&self) -> Vec<u8> {
        ATR.to_vec()
    }

    fn power(&mut self, _on: bool) {}

    fn apdu(&mut self, apdu: &[u8]) -> Vec<u8> {
        match apdu {
            [0xFF, 0xCA, ..] => vec![0x6A, 0x81],
            [_, 0xA4, ..] => vec![0x6A, 0x82],
            _ => vec![0x6D, 0x00],
        }
    }
}
