//! The tap station without a PC/SC reader: its loop with the virtual
//! page's card buttons, the chime and a refused write, `mimamorid run` as a
//! process ([`page`]); its outbox and sync client against a stand-in
//! center that speaks 1.0, then 1.1 ([`sync`]). Through real pcscd: the
//! `cards` tests.

#[allow(dead_code)] // the household center is not used here
#[path = "../common/mod.rs"]
mod common;
#[path = "../common/processes.rs"]
mod processes;

mod page;
mod sync;
