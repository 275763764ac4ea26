//! The store's contract, the same on SQLite and PostgreSQL: every test runs on a temporary SQLite
//! file, or on a fresh database of the PostgreSQL server named by `TEST_DATABASE_URL`.

mod affected;
mod concurrency;
mod metrics;
mod schema;
mod support;
