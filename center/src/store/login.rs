//! Online My Number card login: the center hands a box a random challenge
//! (single-use, valid [`CHALLENGE_TTL_MS`]); the card signs it (RSA PKCS#1
//! v1.5 over SHA-256 of the challenge bytes); the center verifies the
//! signature with the certificate bound to the resident, and spends the
//! challenge whatever the outcome, so it can never be replayed.
//!
//! Offline check-ins do not need this: they are signed over their own
//! canonical bytes and verified on arrival (see [`super::sync`]).

use jiff::Timestamp;
use mimamori_protocol::{CertFingerprint, Signature};
use rusqlite::{Connection, OptionalExtension as _};
use serde::Serialize;

use super::{Result, StoreError};

/// How long a challenge can be answered.
pub const CHALLENGE_TTL_MS: i64 = 60_000;

/// A challenge handed to a box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Challenge {
    /// 32 random bytes, hex.
    pub challenge: String,
    /// Until when it can be answered (RFC 3339, UTC).
    pub expires_at: String,
}

/// A verified login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedIn {
    /// Whose card signed.
    pub resident: i64,
    /// Always `false` here: a My Number card signature.
    pub weak: bool,
}

fn the_box(conn: &Connection, token_hash: &[u8; 32]) -> Result<i64> {
    let row: Option<(i64, Option<i64>)> = conn
        .prepare_cached("SELECT id, revoked_at FROM boxes WHERE token_hash = ?1")?
        .query_row([&token_hash[..]], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    match row {
        Some((id, None)) => Ok(id),
        Some((_, Some(_))) => Err(StoreError::Unauthorized(
            "this box's token was revoked".into(),
        )),
        None => Err(StoreError::Unauthorized("unknown box token".into())),
    }
}

/// Stores a fresh challenge (`bytes`, random) for the box with the token,
/// dropping expired ones.
pub fn issue(
    conn: &Connection,
    token_hash: &[u8; 32],
    bytes: [u8; 32],
    now: Timestamp,
) -> Result<Challenge> {
    let box_id = the_box(conn, token_hash)?;
    let now_ms = now.as_millisecond();
    conn.prepare_cached("DELETE FROM login_challenges WHERE expires_at < ?1")?
        .execute([now_ms])?;
    let expires = now_ms + CHALLENGE_TTL_MS;
    conn.prepare_cached(
        "INSERT INTO login_challenges (challenge, box_id, expires_at) VALUES (?1, ?2, ?3)",
    )?
    .execute(rusqlite::params![&bytes[..], box_id, expires])?;
    Ok(Challenge {
        challenge: hex::encode(bytes),
        expires_at: Timestamp::from_millisecond(expires)
            .map(|t| t.to_string())
            .unwrap_or_default(),
    })
}

/// Spends the challenge and verifies the card's signature over it with the
/// certificate bound to `fingerprint`, whose resident must be served by
/// this box.
pub fn verify(
    conn: &Connection,
    token_hash: &[u8; 32],
    challenge: &[u8],
    fingerprint: &CertFingerprint,
    signature: &Signature,
    now: Timestamp,
) -> Result<LoggedIn> {
    let box_id = the_box(conn, token_hash)?;
    let refused = |why: &str| {
        tracing::warn!(box_id, "card login refused: {why}");
        StoreError::Unauthorized(why.to_owned())
    };
    let expires: Option<i64> = conn
        .prepare_cached(
            "DELETE FROM login_challenges WHERE challenge = ?1 AND box_id = ?2 RETURNING expires_at",
        )?
        .query_row(rusqlite::params![challenge, box_id], |row| row.get(0))
        .optional()?;
    let now_ms = now.as_millisecond();
    match expires {
        None => return Err(refused("unknown or already used challenge")),
        Some(t) if t < now_ms => return Err(refused("the challenge expired")),
        Some(_) => {}
    }
    type Card = (i64, Option<i64>, Option<i64>, Option<Vec<u8>>, Option<i64>);
    let card: Option<Card> = conn
        .prepare_cached(
            "SELECT c.resident_id, c.not_before, c.not_after, c.public_key, r.box_id
             FROM cards c JOIN residents r ON r.id = c.resident_id WHERE c.fingerprint = ?1",
        )?
        .query_row([&fingerprint.0[..]], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })
        .optional()?;
    let Some((resident, not_before, not_after, Some(key), resident_box)) = card else {
        return Err(refused("the certificate is not bound to a resident"));
    };
    if resident_box != Some(box_id) {
        return Err(refused("the card's resident is not served by this box"));
    }
    if not_before.is_some_and(|t| now_ms < t) || not_after.is_some_and(|t| now_ms > t) {
        return Err(refused("the certificate is not valid now"));
    }
    let verified =
        ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, &key)
            .verify(challenge, signature.as_bytes())
            .is_ok();
    if !verified {
        return Err(refused(
            "the signature does not verify with the bound certificate",
        ));
    }
    Ok(LoggedIn {
        resident,
        weak: false,
    })
}
