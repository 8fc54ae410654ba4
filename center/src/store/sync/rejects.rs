//! Refusing events: a check-in whose card does not prove its resident, a
//! tap of a card bound to nobody. A refused event is kept in
//! `rejected_events` and answered the same way whenever it is sent again.

use jiff::Timestamp;
use mimamori_protocol::{Authentication, CardBinding, CheckIn, Event, RejectReason, RejectedEvent};
use rusqlite::{Connection, params};

use super::super::cache::{BoxEntry, Card};
use super::super::{Result, ms};
use super::Stored;

/// Stores `event` as rejected (unless it was stored before, when it is
/// acked as then) and answers so.
pub(super) fn reject(
    conn: &Connection,
    the_box: &BoxEntry,
    event: &Event,
    reason: RejectReason,
    message: String,
    body: &str,
    now: Timestamp,
) -> Result<Stored> {
    let id = event.id.0.as_bytes().as_slice();
    let stored = conn
        .prepare_cached("SELECT 1 FROM events WHERE id = ?1")?
        .exists([id])?;
    if stored {
        return Ok(Stored::Acked);
    }
    conn.prepare_cached(
        "INSERT INTO rejected_events (event_id, box_id, received_at, reason, message, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        id,
        the_box.id,
        ms(now),
        reason_name(reason),
        message,
        body
    ])?;
    tracing::warn!(event = %event.id, box_id = %the_box.device_id, "{} rejected: {message}", event.body.kind());
    Ok(Stored::Rejected(RejectedEvent {
        id: event.id,
        reason,
        message,
    }))
}

/// A card as messages name it: its UID, or its certificate's fingerprint.
pub(super) fn card_name(card: &CardBinding) -> String {
    match card {
        CardBinding::CardUid(b) => b.uid.to_string(),
        CardBinding::Jpki(b) => {
            format!("with certificate {}", b.cert_fingerprint)
        }
    }
}

pub(super) fn reason_name(reason: RejectReason) -> String {
    match serde_json::to_value(reason) {
        Ok(serde_json::Value::String(name)) => name,
        _ => "unknown".into(),
    }
}

/// Whether the card that authenticated a check-in is one of `cards`, bound
/// to its resident, and valid then. `None`: accepted.
pub(super) fn check_card(
    cards: &[Card],
    resident: i64,
    event: &Event,
    check_in: &CheckIn,
    at: Timestamp,
) -> Option<(RejectReason, String)> {
    match &check_in.auth {
        Authentication::CardUid(proof) => {
            let uid = proof.uid.as_bytes();
            if !cards
                .iter()
                .any(|card| matches!(card, Card::Uid(bound) if bound[..] == uid[..]))
            {
                return Some((
                    RejectReason::UnknownCard,
                    format!("card {} is not bound to resident {resident}", proof.uid),
                ));
            }
        }
        Authentication::Jpki(proof) => {
            let bound = cards.iter().find_map(|card| match card {
                Card::Jpki {
                    fingerprint,
                    not_before,
                    not_after,
                    public_key,
                } if fingerprint[..] == proof.cert_fingerprint.0[..] => {
                    Some((*not_before, *not_after, public_key))
                }
                _ => None,
            });
            let Some((not_before, not_after, public_key)) = bound else {
                return Some((
                    RejectReason::UnknownCard,
                    format!(
                        "certificate {} is not bound to resident {resident}",
                        proof.cert_fingerprint
                    ),
                ));
            };
            let verified = public_key.as_ref().is_some_and(|key| {
                crate::jpki::verify_check_in(
                    key,
                    event.id,
                    &event.recorded_at,
                    check_in,
                    &proof.signature,
                )
            });
            if !verified {
                return Some((
                    RejectReason::BadSignature,
                    format!(
                        "the signature does not verify with certificate {}: the check-in was altered or not signed by that card",
                        proof.cert_fingerprint
                    ),
                ));
            }
            let at = ms(at);
            if not_before.is_some_and(|t| at < t) || not_after.is_some_and(|t| at > t) {
                return Some((
                    RejectReason::CertificateExpired,
                    format!(
                        "certificate {} was not valid at the check-in's time",
                        proof.cert_fingerprint
                    ),
                ));
            }
        }
    }
    None
}
