//! Tests against real hardware or its stand-ins: pcscd with virtual readers
//! and the project's simulated cards, a real SMTP server on 127.0.0.1, and
//! the box and the center as real processes talking HTTP, and the box
//! daemon's device adapters on real kernel devices in a QEMU guest
//! (`tests/qemu.rs`, with the `guest-devices` program inside the guest).
//!
//! On a real Raspberry Pi box the same tests run against its devices when
//! `MIMAMORI_HW=1` is set. The library holds what the tests share:
//!
//! * [`simcard`] — simulated My Number (JPKI), trial (UID) and stranger
//!   cards speaking vpcd's protocol;
//! * [`pcscd`] — starting pcscd with vpcd for a test, and restarting it;
//! * [`mailbox`] — the demo's local SMTP server with pages to read its
//!   messages (the `mailbox` program);
//! * [`browser`] — a headless Chromium driven over WebDriver.

pub mod browser;
pub mod mailbox;
pub mod pcscd;
pub mod simcard;
