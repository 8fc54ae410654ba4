//! A My Number card's JPKI applet, user-authentication side, as the box
//! uses it (DESIGN's APDU table): select the AP, the card type EF, the
//! certificate EF read in chunks, tries left without spending one, VERIFY,
//! and signing a DigestInfo with the key. Three wrong PINs lock it.

use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};

use super::{ATR, Card};

const AID: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
const TRIES: u8 = 3;

/// What survives taking the card out: the PIN and its tries counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JpkiState {
    /// The 4-digit PIN.
    pub pin: String,
    /// Tries left; 0 is locked.
    pub tries_left: u8,
}

/// A simulated My Number card. Clones share the PIN state: inserting a
/// clone is inserting the same card again.
#[derive(Clone)]
pub struct JpkiCard {
    key: Arc<RsaPrivateKey>,
    certificate: Arc<Vec<u8>>,
    card_type: &'static [u8],
    state: Arc<Mutex<JpkiState>>,
    // Volatile (lost at power off / reset).
    selected: bool,
    ef: Option<[u8; 2]>,
    verified: bool,
    /// Answer the signature through `61 00` + GET RESPONSE, as some
    /// readers do.
    pub chained_signature: bool,
    pending: Vec<u8>,
}

impl std::fmt::Debug for JpkiCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JpkiCard")
            .field("state", &self.state())
            .finish()
    }
}

impl JpkiCard {
    /// A card with the test key `n` (1 or 2, `hw-tests/testdata/`), a
    /// certificate valid 2024–2031, and `pin`.
    pub fn with_key(n: u8, pin: &str) -> Self {
        let pem = match n {
            1 => include_str!("../../testdata/simcard-key-1.pem"),
            _ => include_str!("../../testdata/simcard-key-2.pem"),
        };
        Self::from_pem(pem, pin, (2024, 2031)).expect("the test keys are valid")
    }

    /// A card with an RSA key (PKCS#8 PEM), a self-signed certificate valid
    /// from 1 January of the first year to 1 January of the second, and
    /// `pin` (4 digits).
    pub fn from_pem(pem: &str, pin: &str, valid: (i32, i32)) -> anyhow::Result<Self> {
        anyhow::ensure!(
            pin.len() == 4 && pin.bytes().all(|b| b.is_ascii_digit()),
            "the PIN is 4 digits"
        );
        let key = RsaPrivateKey::from_pkcs8_pem(pem).context("reading the card's RSA key")?;
        let pair = rcgen::KeyPair::from_pem_and_sign_algo(pem, &rcgen::PKCS_RSA_SHA256)
            .context("the card's key for the certificate")?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            "利用者証明用電子証明書 (simulated card)",
        );
        params.not_before = rcgen::date_time_ymd(valid.0, 1, 1);
        params.not_after = rcgen::date_time_ymd(valid.1, 1, 1);
        let certificate = params.self_signed(&pair)?.der().to_vec();
        Ok(Self {
            key: Arc::new(key),
            certificate: Arc::new(certificate),
            card_type: b"JPKIAPICCTOKEN2",
            state: Arc::new(Mutex::new(JpkiState {
                pin: pin.to_owned(),
                tries_left: TRIES,
            })),
            selected: false,
            ef: None,
            verified: false,
            chained_signature: false,
            pending: Vec::new(),
        })
    }

    /// The user-authentication certificate, DER.
    pub fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    /// The PIN and tries left now.
    pub fn state(&self) -> JpkiState {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Sets the tries left (0 locks the card).
    pub fn set_tries_left(&self, tries: u8) {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .tries_left = tries.min(TRIES);
    }

    fn ef_content(&self) -> Option<Vec<u8>> {
        match self.ef? {
            [0x00, 0x06] => {
                let mut ef = self.card_type.to_vec();
                ef.resize(0x20, 0);
                Some(ef)
            }
            [0x00, 0x0A] => Some(self.certificate.to_vec()),
            _ => None,
        }
    }

    fn read_binary(&self, offset: usize, le: usize) -> Vec<u8> {
        let Some(content) = self.ef_content() else {
            return vec![0x69, 0x86];
        };
        if offset > content.len() {
            return vec![0x6B, 0x00];
        }
        let end = (offset + le).min(content.len());
        [&content[offset..end], &[0x90, 0x00]].concat()
    }

    fn verify(&mut self, pin: Option<&[u8]>) -> Vec<u8> {
        if self.ef != Some([0x00, 0x18]) {
            return vec![0x69, 0x86];
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.tries_left == 0 {
            return vec![0x69, 0x83];
        }
        match pin {
            None if self.verified => vec![0x90, 0x00],
            None => vec![0x63, 0xC0 | state.tries_left],
            Some(pin) if pin == state.pin.as_bytes() => {
                state.tries_left = TRIES;
                self.verified = true;
                vec![0x90, 0x00]
            }
            Some(_) => {
                state.tries_left -= 1;
                self.verified = false;
                vec![0x63, 0xC0 | state.tries_left]
            }
        }
    }

    fn sign(&mut self, digest_info: &[u8]) -> Vec<u8> {
        if self.ef != Some([0x00, 0x17]) {
            return vec![0x69, 0x86];
        }
        if self.state().tries_left == 0 {
            return vec![0x69, 0x83];
        }
        if !self.verified {
            return vec![0x69, 0x82];
        }
        // SHA-256 DigestInfo: 19-byte prefix + 32-byte digest.
        if digest_info.len() != 51 || !digest_info.starts_with(&[0x30, 0x31, 0x30, 0x0d]) {
            return vec![0x6A, 0x80];
        }
        match self.key.sign(Pkcs1v15Sign::new_unprefixed(), digest_info) {
            Ok(signature) if self.chained_signature => {
                self.pending = signature;
                vec![0x61, 0x00]
            }
            Ok(signature) => [signature.as_slice(), &[0x90, 0x00]].concat(),
            Err(_) => vec![0x6F, 0x00],
        }
    }
}

impl Card for JpkiCard {
    fn atr(&self) -> Vec<u8> {
        ATR.to_vec()
    }

    fn power(&mut self, _on: bool) {
        self.selected = false;
        self.ef = None;
        self.verified = false;
        self.pending.clear();
    }

    fn apdu(&mut self, apdu: &[u8]) -> Vec<u8> {
        match apdu {
            [0x00, 0xA4, 0x04, 0x0C, 0x0A, aid @ ..] if aid == AID => {
                self.selected = true;
                self.ef = None;
                self.verified = false;
                vec![0x90, 0x00]
            }
            [_, 0xA4, 0x04, ..] => {
                self.selected = false;
                vec![0x6A, 0x82]
            }
            [0x00, 0xA4, 0x02, 0x0C, 0x02, hi, lo] if self.selected => match [*hi, *lo] {
                ef @ ([0x00, 0x06] | [0x00, 0x0A] | [0x00, 0x17] | [0x00, 0x18]) => {
                    self.ef = Some(ef);
                    vec![0x90, 0x00]
                }
                _ => vec![0x6A, 0x82],
            },
            [0x00, 0xB0, p1, p2, le] if self.selected => {
                let le = if *le == 0 { 256 } else { usize::from(*le) };
                self.read_binary(usize::from(u16::from_be_bytes([*p1, *p2])), le)
            }
            [0x00, 0x20, 0x00, 0x80] if self.selected => self.verify(None),
            [0x00, 0x20, 0x00, 0x80, 0x04, pin @ ..] if self.selected && pin.len() == 4 => {
                let pin = pin.to_vec();
                self.verify(Some(&pin))
            }
            [0x80, 0x2A, 0x00, 0x80, lc, rest @ ..]
                if self.selected && rest.len() == usize::from(*lc) + 1 =>
            {
                let data = rest[..rest.len() - 1].to_vec();
                self.sign(&data)
            }
            [0x00, 0xC0, 0x00, 0x00, _] if !self.pending.is_empty() => {
                let data = std::mem::take(&mut self.pending);
                [data.as_slice(), &[0x90, 0x00]].concat()
            }
            [0xFF, 0xCA, ..] => vec![0x6A, 0x81],
            _ => vec![0x6D, 0x00],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_wrong_pins_lock_the_card_and_a_right_one_resets_the_counter() {
        let mut card = JpkiCard::with_key(1, "1234");
        let select = [&[0x00, 0xA4, 0x04, 0x0C, 0x0A][..], &AID].concat();
        assert_eq!(card.apdu(&select), [0x90, 0x00]);
        assert_eq!(
            card.apdu(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18]),
            [0x90, 0x00]
        );
        assert_eq!(card.apdu(&[0x00, 0x20, 0x00, 0x80]), [0x63, 0xC3]);
        assert_eq!(
            card.apdu(&[0, 0x20, 0, 0x80, 4, b'9', b'9', b'9', b'9']),
            [0x63, 0xC2]
        );
        assert_eq!(
            card.apdu(&[0, 0x20, 0, 0x80, 4, b'1', b'2', b'3', b'4']),
            [0x90, 0x00]
        );
        assert_eq!(card.state().tries_left, 3);
        for left in [2, 1, 0] {
            assert_eq!(
                card.apdu(&[0, 0x20, 0, 0x80, 4, b'0', b'0', b'0', b'0']),
                [0x63, 0xC0 | left]
            );
        }
        assert_eq!(
            card.apdu(&[0, 0x20, 0, 0x80, 4, b'1', b'2', b'3', b'4']),
            [0x69, 0x83]
        );
    }
}
