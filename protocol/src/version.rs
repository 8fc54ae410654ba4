//! The protocol version and the compatibility rules that go with it.

use std::fmt;
use std::str::FromStr;

use crate::clock::serde_via_str;

/// `major.minor`, on the wire `"1.0"`.
///
/// * A **minor** version adds optional fields or new values that the other
///   side only sends once it has seen the peer declare that minor version.
///   Unknown fields are ignored on decode, so an older center reads a newer
///   box and the other way round.
/// * A **major** version breaks the format; a peer refuses a major it does
///   not speak, with [`crate::DecodeError::UnsupportedVersion`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProtocolVersion {
    /// Incompatible changes.
    pub major: u16,
    /// Compatible additions.
    pub minor: u16,
}

/// The version this crate speaks.
pub const PROTOCOL_VERSION: ProtocolVersion = ProtocolVersion::V1_1;

impl ProtocolVersion {
    /// The first version: check-ins, heartbeats, SOS.
    pub const V1_0: ProtocolVersion = ProtocolVersion { major: 1, minor: 0 };
    /// Tap stations: the `tap` event; the `people` and `station` parts of
    /// a sync response.
    pub const V1_1: ProtocolVersion = ProtocolVersion { major: 1, minor: 1 };

    /// The version two peers share: the lower of the two (both of one
    /// major, see [`Self::is_compatible`]).
    pub fn common(self, peer: ProtocolVersion) -> ProtocolVersion {
        self.min(peer)
    }

    /// Whether a peer at this version can be understood by this crate.
    pub fn is_compatible(&self) -> bool {
        self.major == PROTOCOL_VERSION.major
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for ProtocolVersion {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{text}` is not a protocol version written as MAJOR.MINOR, e.g. 1.0");
        let (major, minor) = text.split_once('.').ok_or_else(bad)?;
        Ok(Self {
            major: major.parse().map_err(|_| bad())?,
            minor: minor.parse().map_err(|_| bad())?,
        })
    }
}

serde_via_str!(ProtocolVersion);
