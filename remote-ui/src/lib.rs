//! The TV screens of the set-top box, driven by the ordinary TV remote.
//!
//! The UI is a pure state machine — `(state, event) -> (state, effects)` —
//! fed with remote keys, card events, sync status and clock ticks, and a
//! software renderer that draws the current screen into an RGBA frame. No
//! clock reads, no I/O, no tokio and no evdev: the daemon owns the devices.
//!
//! The screens arrive with the TV-UI work; the crate is here so the
//! workspace has its final shape.
