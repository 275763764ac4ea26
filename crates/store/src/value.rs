//! Untyped cell values for bulk loading, with the column type deciding how NULL is sent.

/// A column's SQL type in staging tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColType {
    Text,
    Int,
    Real,
    Bool,
}

impl ColType {
    pub(crate) fn sql(self, pg: bool) -> &'static str {
        match self {
            ColType::Text => "TEXT",
            ColType::Int => "BIGINT",
            ColType::Real => {
                if pg {
                    "DOUBLE PRECISION"
                } else {
                    "REAL"
                }
            }
            ColType::Bool => "BOOLEAN",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Value {
        v.map(Value::Text).unwrap_or(Value::Null)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Value {
        v.map(Value::Int).unwrap_or(Value::Null)
    }
}
impl From<Option<f64>> for Value {
    fn from(v: Option<f64>) -> Value {
        v.map(Value::Real).unwrap_or(Value::Null)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}

/// Appends one value in PostgreSQL COPY text format.
pub(crate) fn copy_text(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"\\N"),
        Value::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Value::Real(f) => out.extend_from_slice(format!("{f:?}").as_bytes()),
        Value::Bool(b) => out.push(if *b { b't' } else { b'f' }),
        Value::Text(s) => {
            for &b in s.as_bytes() {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    _ => out.push(b),
                }
            }
        }
    }
}

/// Binds a value to an SQLite query, moving strings into the driver; NULLs are typed by the column.
pub(crate) fn bind_sqlite(
    q: sqlx::query::Query<'static, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    v: Value,
    t: ColType,
) -> sqlx::query::Query<'static, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    match (v, t) {
        (Value::Null, ColType::Text) => q.bind(None::<String>),
        (Value::Null, ColType::Real) => q.bind(None::<f64>),
        (Value::Null, ColType::Bool) => q.bind(None::<bool>),
        (Value::Null, ColType::Int) => q.bind(None::<i64>),
        (Value::Int(i), _) => q.bind(i),
        (Value::Real(f), _) => q.bind(f),
        (Value::Bool(b), _) => q.bind(b),
        (Value::Text(s), _) => q.bind(s),
    }
}
