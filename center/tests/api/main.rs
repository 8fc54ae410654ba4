//! The box API over real HTTP on 127.0.0.1, against a SQLite file.

mod admin_changes;
mod admin_children;
mod admin_pages;
mod alerts;
mod browser;
mod dashboard;
mod dashboard_work;
mod guardian_mail;
mod harness;
mod incidents;
mod jpki;
mod mail;
mod mail_policies;
mod smtp;
mod smtp_errors;
mod stations;
mod sync;
mod unsubscribe;
mod web;
