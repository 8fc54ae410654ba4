//! The box API over real HTTP on 127.0.0.1, against a SQLite file.

mod alerts;
mod harness;
mod jpki;
mod mail;
mod mail_policies;
mod smtp;
mod smtp_errors;
mod sync;
mod unsubscribe;
