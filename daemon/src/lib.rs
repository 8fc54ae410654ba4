//! The set-top box daemon's parts:
//!
//! * [`card`] — the card reader: My Number cards (JPKI) and trial cards;
//! * [`outbox`] — every event kept safe on the box until the center acks it;
//! * [`sync`] — the client that sends the outbox to the center;
//! * [`input`] — remote-control keys from evdev to the UI's keys;
//! * [`display`] — frames to the Linux framebuffer in its pixel format;
//! * [`virtual_tv`] — the frame and a clickable remote on a local web page;
//! * [`runtime`] — the loop that ties them to the UI (`mimamorid run`);
//! * [`station`] — the same daemon as a tap station (`[station]`);
//! * [`systemd`] — readiness, watchdog and status for systemd;
//! * [`logging`] — logs for a terminal or the journal;
//! * [`hardware`] — the box's LED, chime, call button and room sensor
//!   (on a Raspberry Pi with the `pi` feature);
//! * [`cec`] — waking the TV over HDMI-CEC;
//! * [`devices`] — the parts and the TV as the loop drives them;
//! * [`config`] — `/etc/mimamori/box.toml`;
//! * [`clock`] — the box's one reading of the wall clock.

pub mod card;
pub mod cec;
pub mod clock;
pub mod config;
pub mod devices;
pub mod display;
pub mod hardware;
pub mod input;
pub mod logging;
pub mod outbox;
pub mod runtime;
pub mod station;
pub mod sync;
pub mod systemd;
pub mod virtual_tv;
