//! Decoding with errors that name the field, and encoding.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::sync::{SyncRequest, SyncResponse};
use crate::validate::{Validate, ValidationError};
use crate::version::{PROTOCOL_VERSION, ProtocolVersion};

/// Largest sync request body a center accepts, in bytes. 500 events of
/// around 1 KiB each fit.
pub const MAX_SYNC_REQUEST_BYTES: usize = 1024 * 1024;

/// Why a message could not be accepted.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Not JSON, or cut short.
    #[error("the body is not valid JSON: {0}")]
    Syntax(String),
    /// JSON, but a field has the wrong type, an unknown value, or is missing.
    #[error("field `{field}`: {message}")]
    Field {
        /// Path of the field, e.g. `events[0].body.condition`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Well-formed, but a value is impossible or too long.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The peer speaks another major version.
    #[error("protocol version {theirs} is not supported; this side speaks {ours}")]
    UnsupportedVersion {
        /// What the peer declared.
        theirs: ProtocolVersion,
        /// What this crate speaks.
        ours: ProtocolVersion,
    },
}

impl DecodeError {
    /// The path of the offending field, where there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            DecodeError::Field { field, .. } => Some(field),
            DecodeError::Invalid(e) => Some(&e.field),
            DecodeError::UnsupportedVersion { .. } => Some("protocol"),
            DecodeError::Syntax(_) => None,
        }
    }
}

/// A message with a protocol version to check before anything else.
pub trait Versioned {
    /// The version the sender declared.
    fn protocol(&self) -> ProtocolVersion;
}

impl Versioned for SyncRequest {
    fn protocol(&self) -> ProtocolVersion {
        self.protocol
    }
}

impl Versioned for SyncResponse {
    fn protocol(&self) -> ProtocolVersion {
        self.protocol
    }
}

/// Decodes and validates a message: the one way in for bytes from the
/// network.
///
/// ```
/// use mimamori_protocol::{decode, SyncRequest};
///
/// let body = br#"{"protocol": "1.0", "device_id": "nanbu-0042",
///                 "sent_at": "2026-11-29T08:15:03",
///                 "events": []}"#;
/// let err = decode::<SyncRequest>(body).unwrap_err();
/// assert_eq!(err.field(), Some("sent_at"));
/// assert!(err.to_string().contains("no UTC offset"));
/// ```
pub fn decode<T>(bytes: &[u8]) -> Result<T, DecodeError>
where
    T: DeserializeOwned + Validate + Versioned,
{
    let mut de = serde_json::Deserializer::from_slice(bytes);
    // Plainly first: following the path costs a third of the decoding, and
    // is only needed to name the field of an error.
    let plain = T::deserialize(&mut de);
    let value: T = match plain.or_else(|_| {
        de = serde_json::Deserializer::from_slice(bytes);
        serde_path_to_error::deserialize(&mut de)
    }) {
        Ok(value) => value,
        Err(error) => {
            // A newer major version may fail in any field: say so instead.
            if let Some(theirs) = declared_version(bytes) {
                if !theirs.is_compatible() {
                    return Err(DecodeError::UnsupportedVersion {
                        theirs,
                        ours: PROTOCOL_VERSION,
                    });
                }
            }
            return Err(from_serde(locate::<T>(bytes).unwrap_or(error)));
        }
    };
    de.end().map_err(|e| DecodeError::Syntax(e.to_string()))?;
    let theirs = value.protocol();
    if !theirs.is_compatible() {
        return Err(DecodeError::UnsupportedVersion {
            theirs,
            ours: PROTOCOL_VERSION,
        });
    }
    value.validate()?;
    Ok(value)
}

/// Encodes a message as compact JSON.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    // Serialising our own types to a Vec cannot fail: no maps with non-string
    // keys, no fallible Serialize impls but timestamps in years 0..=9999.
    serde_json::to_vec(message).unwrap_or_else(|e| panic!("encoding a protocol message: {e}"))
}

fn declared_version(bytes: &[u8]) -> Option<ProtocolVersion> {
    #[derive(serde::Deserialize)]
    struct Peek {
        protocol: ProtocolVersion,
    }
    serde_json::from_slice::<Peek>(bytes)
        .ok()
        .map(|p| p.protocol)
}

/// Decodes again, with every tag field moved to the front of its object, to
/// find the exact field of an error.
///
/// A producer that writes tags last (or sorts keys) decodes fine, but the
/// tagged enums then buffer their object and an error inside loses its path.
/// Errors are rare, so the exact path is worth a second pass only then.
fn locate<T: DeserializeOwned>(
    bytes: &[u8],
) -> Option<serde_path_to_error::Error<serde_json::Error>> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    tags_first(&mut value);
    serde_path_to_error::deserialize::<_, T>(value).err()
}

fn tags_first(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for tag in crate::tagged::TAG_FIELDS {
                if let Some(tag_value) = map.shift_remove(*tag) {
                    map.shift_insert(0, (*tag).to_owned(), tag_value);
                }
            }
            map.values_mut().for_each(tags_first);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(tags_first),
        _ => {}
    }
}

fn from_serde(error: serde_path_to_error::Error<serde_json::Error>) -> DecodeError {
    let field = error.path().to_string();
    let inner = error.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => DecodeError::Field {
            field: if field == "." { String::new() } else { field },
            message: strip_position(&inner),
        },
        _ => DecodeError::Syntax(inner.to_string()),
    }
}

/// serde_json appends " at line L column C" to data errors; the field path
/// says more than that does.
fn strip_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}
