//! Tests of the wire format through its public API: round trips, the
//! canonical-byte vectors, refused input, and compatibility between versions.

mod canonical;
mod compat;
mod rejects;
mod roundtrip;
mod support;
