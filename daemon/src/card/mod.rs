//! The box's card reader: My Number cards (JPKI) and trial UID cards over
//! PC/SC.
//!
//! * [`apdu`] — command/response APDUs and the `61xx` / `6Cxx` rules;
//! * [`jpki`] — the JPKI applet (user-authentication side) and the UID
//!   command, pure over a [`apdu::Transport`];
//! * [`service`] — the thread that owns the PC/SC context and turns the
//!   readers' world into [`CardReport`]s, and carries out PIN checks and
//!   signatures for the daemon.
//!
//! ```no_run
//! use mimamori_daemon::card::{CardReport, CardService};
//!
//! let (tx, rx) = std::sync::mpsc::channel();
//! let cards = CardService::start(move |report| {
//!     let _ = tx.send(report);
//! });
//! while let Ok(report) = rx.recv() {
//!     if let CardReport::Identified { reader, identity, .. } = report {
//!         println!("{reader}: {}", identity.kind());
//!         break;
//!     }
//! }
//! drop(cards); // stops and joins the thread
//! ```

pub mod apdu;
pub mod cli;
pub mod jpki;
pub mod link;
mod pcsc_transport;
pub mod service;

use std::time::Duration;

use mimamori_protocol::canonical::check_in_digest;
use mimamori_protocol::{
    Authentication, CertFingerprint, CheckIn, EventId, JpkiProof, Signature, Timestamp,
};
use mimamori_remote_ui::CheckInDraft;

pub use jpki::{CardType, Pin, PinCheck, PinStatus};
pub use service::{CardReport, CardService};

/// What went wrong talking to a card.
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// The card was taken out (or reset) during the exchange.
    #[error("the card was removed")]
    Removed,
    /// pcscd is not running, or went away.
    #[error("pcscd is not running or went away")]
    NoService,
    /// Another PC/SC failure.
    #[error("the reader failed")]
    Reader(#[source] pcsc::Error),
    /// The card refused a step.
    #[error("the card answered {sw:04X} to `{step}`")]
    Status {
        /// What was being done.
        step: &'static str,
        /// SW1 SW2.
        sw: u16,
    },
    /// The card's answer makes no sense.
    #[error("the card's answer makes no sense: {0}")]
    Malformed(&'static str),
    /// Signing needs a verified PIN first.
    #[error("the PIN has not been verified")]
    PinNeeded,
    /// The card's PIN is locked.
    #[error("the card's PIN is locked; only the city office can unlock it")]
    Locked,
    /// Refused without trying: this many tries left (1 or 0), and a wrong
    /// PIN now would lock the card.
    #[error("only {0} PIN try left: not tried (the city office can help)")]
    LastTry(u8),
    /// Not a My Number card.
    #[error("not a My Number card")]
    NotJpki,
    /// No card in that reader (any more).
    #[error("no card in reader {0}")]
    NoCard(String),
    /// The card service has stopped.
    #[error("the card service has stopped")]
    Stopped,
}

impl CardError {
    /// Whether the card (not the reader or pcscd) is the cause: the card is
    /// unusable as it is.
    pub fn is_card_fault(&self) -> bool {
        matches!(
            self,
            CardError::Status { .. } | CardError::Malformed(_) | CardError::NotJpki
        )
    }
}

/// Who a card says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// A My Number card (strong: certificate + PIN + signature).
    Jpki {
        /// What the card type EF says.
        card_type: CardType,
        /// The user-authentication certificate, DER.
        certificate: Vec<u8>,
        /// SHA-256 of the certificate.
        fingerprint: CertFingerprint,
        /// The PIN's state, read without spending a try.
        pin: PinStatus,
    },
    /// A trial card (weak: a clonable UID).
    Uid {
        /// The UID / IDm.
        uid: Vec<u8>,
    },
}

impl Identity {
    /// `jpki` or `card_uid`, as the protocol names them.
    pub fn kind(&self) -> &'static str {
        match self {
            Identity::Jpki { .. } => "jpki",
            Identity::Uid { .. } => "card_uid",
        }
    }

    /// Whether this is the weak, clonable kind.
    pub fn is_weak(&self) -> bool {
        matches!(self, Identity::Uid { .. })
    }
}

/// A confirmed check-in signed by the My Number card in `reader`: the card
/// signs the SHA-256 of the check-in's canonical bytes as event `id` at
/// `at` (the signature itself is not part of them), so the center can
/// verify it with the bound certificate, also when it arrives late.
pub fn sign_check_in(
    service: &CardService,
    reader: &str,
    fingerprint: CertFingerprint,
    draft: CheckInDraft,
    id: EventId,
    at: &Timestamp,
    limit: Duration,
) -> Result<CheckIn, CardError> {
    let proof = |signature| {
        Authentication::Jpki(JpkiProof {
            cert_fingerprint: fingerprint,
            signature,
        })
    };
    let placeholder = Signature::from_bytes(&[0; 256])
        .map_err(|_| CardError::Malformed("placeholder signature"))?;
    let mut check_in = draft.into_check_in(proof(placeholder));
    let signature = service.sign_blocking(reader, check_in_digest(id, at, &check_in), limit)?;
    let signature = Signature::from_bytes(&signature)
        .map_err(|_| CardError::Malformed("a signature of an impossible length"))?;
    check_in.auth = proof(signature);
    Ok(check_in)
}

/// Checks a card's signature over `message` (RSA PKCS#1 v1.5, SHA-256)
/// with the public key of `certificate` (DER).
pub fn verify_signature(
    certificate: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    let (_, cert) = x509_parser::parse_x509_certificate(certificate)
        .map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let key = &cert.public_key().subject_public_key.data;
    ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, key)
        .verify(message, signature)
        .map_err(|_| "the signature does not verify".to_owned())
}

/// Finds out what a freshly inserted card is: the JPKI AP (card type,
/// certificate, PIN state), else the reader's UID. `Ok(None)`: neither
/// (unusable). Only the JPKI AP and `FF CA` are ever addressed.
pub fn identify(t: &mut impl apdu::Transport) -> Result<Option<Identity>, CardError> {
    if jpki::select_ap(t)? {
        let card_type = jpki::card_type(t)?;
        let certificate = jpki::read_certificate(t)?;
        let pin = jpki::pin_status(t)?;
        return Ok(Some(Identity::Jpki {
            fingerprint: CertFingerprint::of_der(&certificate),
            card_type,
            certificate,
            pin,
        }));
    }
    Ok(jpki::read_uid(t)?.map(|uid| Identity::Uid { uid }))
}

#[cfg(test)]
mod tests {
    use super::apdu::script::Script;
    use super::*;

    #[test]
    fn a_card_without_the_ap_is_asked_for_its_uid_only() {
        let mut card = Script::new()
            .expect("00A4040C0AD392F000260100000001", "6A82")
            .expect("FFCA000000", "0102030405060708 9000");
        assert_eq!(
            identify(&mut card).unwrap(),
            Some(Identity::Uid {
                uid: vec![1, 2, 3, 4, 5, 6, 7, 8]
            })
        );
        card.done();
        let mut card = Script::new()
            .expect("00A4040C0AD392F000260100000001", "6A82")
            .expect("FFCA000000", "6A81");
        assert_eq!(identify(&mut card).unwrap(), None);
        let mut card = Script::new().expect("00A4040C0AD392F000260100000001", "42");
        assert!(identify(&mut card).unwrap_err().is_card_fault());
    }
}
