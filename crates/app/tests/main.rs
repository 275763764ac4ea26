//! Integration tests of the use cases against a real database: a temporary SQLite file, or a fresh
//! database on the PostgreSQL server named by `TEST_DATABASE_URL`.

mod bad_input;
mod cadence;
mod commission;
mod commission_live;
mod demo;
mod golden;
mod mapping;
mod notify;
mod payroll;
mod repair;
mod routing;
mod scoped_reads;
mod store_contract;
mod support;
