//! Kogi's end-to-end tests: real `kogi` processes on loopback, driven over HTTP, SMTP and a
//! headless browser. `scripts/test` runs them on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

mod accounts;
mod admin;
mod bad_input;
mod bench;
mod bench_peer;
mod browser;
mod communities;
mod federation;
mod hostile;
mod interop;
mod ops;
mod outbox;
mod pages;
mod portfolios;
mod security_delivery;
mod security_groups;
mod security_inbox;
mod security_views;
