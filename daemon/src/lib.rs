//! The set-top box daemon's parts:
//!
//! * [`outbox`] — every event kept safe on the box until the center acks it;
//! * [`sync`] — the client that sends the outbox to the center;
//! * [`input`] — remote-control keys from evdev to the UI's keys;
//! * [`display`] — frames to the Linux framebuffer in its pixel format.
//!
//! The daemon's loop, device discovery on `/dev/input`, the virtual TV, the
//! card service and the reminders build on these.

pub mod display;
pub mod input;
pub mod outbox;
pub mod sync;
