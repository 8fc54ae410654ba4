//! The set-top box daemon's parts: the outbox that keeps every event safe
//! on the box ([`outbox`]) and the client that syncs it with the center
//! ([`sync`]).
//!
//! The daemon's loop, the remote-control input, the display, the card
//! service and the reminders build on these.

pub mod outbox;
pub mod sync;
