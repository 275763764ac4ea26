//! File formats: reading CSV (UTF-8 or GBK/GB18030) and XLSX into rows, matching Chinese and English
//! headers, mapping files for other exports, value parsing, and turning rows into domain records
//! with `file:line:column: reason` errors. Writes XLSX and CSV for exports. No database, no HTTP.

// `Issue` carries a located, structured problem; it is built only for bad rows, so its size is
// not on the hot path and boxing it would only add noise at every use.
#![allow(clippy::result_large_err)]

pub mod columns;
pub mod csv_out;
pub mod error;
pub mod fields;
pub mod mapping;
pub mod records;
pub mod source;
pub mod values;
pub mod xlsx_out;

pub use columns::ColumnMap;
pub use error::{Issue, Problem};
pub use mapping::Mapping;
pub use records::{ParseContext, parse_record};
pub use source::SourceFile;
pub use uplift_domain::records::Record;
