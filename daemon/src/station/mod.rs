//! A tap station: the daemon as a card reader and a display at a fixed
//! place (a school, a library, a community center, a shelter), chosen by
//! `[station]` in the configuration. A card tapped there becomes a `tap`
//! event in the outbox; the screen says whose card it was.
//!
//! * [`logic`] — the state machine, pure;
//! * [`run`] — the loop: card service, outbox, screen, chime, sync.

pub mod logic;
pub mod run;
