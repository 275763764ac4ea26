//! Web tests over real HTTP against a server on a free port (SQLite, or PostgreSQL when
//! `TEST_DATABASE_URL` is set), and browser tests in Chromium through chromedriver.

mod api;
mod browser;
mod commission;
mod import;
mod payroll;
mod roles;
mod security;
mod support;
