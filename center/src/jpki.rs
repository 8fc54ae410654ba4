//! The center's side of My Number card (JPKI) trust: reading a resident's
//! user-authentication certificate at binding, and verifying the signature
//! each check-in carries.
//!
//! The model is "enrolled key + PIN": the certificate read from the card at
//! registration is bound to the resident; a check-in is accepted when its
//! signature over the check-in's canonical bytes verifies with that
//! certificate's key and the certificate was valid at the check-in's time.
//! Revocation needs a ministry-certified verifier and is not checked here.

use mimamori_protocol::canonical::check_in_bytes;
use mimamori_protocol::{CertFingerprint, CheckIn, EventId, Signature, Timestamp};
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};

/// OID of rsaEncryption.
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

/// A certificate ready to be bound to a resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundCertificate {
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// SHA-256 of the DER: how boxes name the card.
    pub fingerprint: CertFingerprint,
    /// Start of validity, Unix milliseconds.
    pub not_before_ms: i64,
    /// End of validity, Unix milliseconds.
    pub not_after_ms: i64,
    /// The RSA public key (PKCS#1 `RSAPublicKey`, DER).
    pub public_key: Vec<u8>,
}

/// Reads a certificate, PEM or DER, holding an RSA key.
pub fn parse_certificate(bytes: &[u8]) -> Result<BoundCertificate, String> {
    let der = if bytes.starts_with(b"-----BEGIN") {
        let (_, pem) = x509_parser::pem::parse_x509_pem(bytes)
            .map_err(|e| format!("not a PEM certificate: {e}"))?;
        pem.contents
    } else {
        bytes.to_vec()
    };
    let (_, cert) = x509_parser::parse_x509_certificate(&der)
        .map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let spki = cert.public_key();
    if spki.algorithm.algorithm.to_id_string() != RSA_ENCRYPTION {
        return Err(format!(
            "the certificate's key is not RSA ({}); a JPKI user-authentication certificate holds an RSA-2048 key",
            spki.algorithm.algorithm.to_id_string()
        ));
    }
    let validity = cert.validity();
    let not_before_ms = validity.not_before.timestamp() * 1000;
    let not_after_ms = validity.not_after.timestamp() * 1000;
    if not_before_ms >= not_after_ms {
        return Err("the certificate's validity period is empty".into());
    }
    let public_key = spki.subject_public_key.data.to_vec();
    Ok(BoundCertificate {
        fingerprint: CertFingerprint::of_der(&der),
        der,
        not_before_ms,
        not_after_ms,
        public_key,
    })
}

/// Whether `signature` is the card's RSA PKCS#1 v1.5 SHA-256 signature over
/// the canonical bytes of `check_in`, made as event `id` at `recorded_at`.
pub fn verify_check_in(
    public_key: &[u8],
    id: EventId,
    recorded_at: &Timestamp,
    check_in: &CheckIn,
    signature: &Signature,
) -> bool {
    let message = check_in_bytes(id, recorded_at, check_in);
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_key)
        .verify(&message, signature.as_bytes())
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(
            parse_certificate(b"hello")
                .unwrap_err()
                .contains("not an X.509 certificate")
        );
        assert!(parse_certificate(b"-----BEGIN CERTIFICATE-----\nxx\n").is_err());
    }
}
