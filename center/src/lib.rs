//! The Mimamori center: where silence is noticed.
//!
//! Boxes post their check-ins, heartbeats and SOS calls to the box API
//! (`POST /api/v1/sync`); the center stores each event once, keeps every
//! resident's next due instant in an index, and its watch engine opens
//! alerts when check-ins stop (missed days, a silent box) or decline
//! (わるい several days, vitals out of range, a call requested). Nurses work
//! the alerts (acknowledge → visit → resolve); unacknowledged alerts escalate;
//! pauses hold alerts back during hospital stays and trips.
//!
//! * [`domain`] — alert kinds and states, pauses, visit outcomes.
//! * [`watch`] — the rules: pure functions of a resident's facts and `now`.
//! * [`store`] — SQLite storage, the sync, sweeps and admin operations.
//! * [`api`] / [`server`] — the box API over HTTP and the periodic sweep.
//! * [`dashboard`] — the nurses' web pages: sign-in, alert queue, residents,
//!   audit log, CSV exports.
//! * [`import`] — municipal CSV files (UTF-8 or Shift_JIS), pure parsing.
//! * [`jpki`] — binding My Number certificates, verifying check-in signatures.
//! * [`mail`] — the Japanese emails to families and nurses, composed.
//! * [`retention`] — how long records are kept; the purge's cutoffs.
//! * [`cli`], [`config`], [`clock`] — the command line, its TOML file, and
//!   the one place that reads the clock.

pub mod api;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dashboard;
pub mod domain;
pub mod import;
pub mod jpki;
pub mod mail;
pub mod retention;
pub mod safety;
pub mod server;
pub mod store;
pub mod watch;
