//! Which metric months an import changed, and how many rows it inserted and updated.

use std::collections::BTreeSet;

use uplift_domain::Month;

/// Which metric months an import changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AffectedMonths {
    #[default]
    None,
    /// These months (keys `yyyymm`).
    Set(BTreeSet<i32>),
    /// This month and every later one.
    From(i32),
    /// Every month.
    All,
}

impl AffectedMonths {
    /// Combines two sets of affected months.
    pub fn union(self, other: AffectedMonths) -> AffectedMonths {
        use AffectedMonths::*;
        match (self, other) {
            (All, _) | (_, All) => All,
            (None, x) | (x, None) => x,
            (From(a), From(b)) => From(a.min(b)),
            (From(a), Set(s)) | (Set(s), From(a)) => From(s.iter().copied().min().map_or(a, |m| m.min(a))),
            (Set(mut a), Set(b)) => {
                a.extend(b);
                Set(a)
            }
        }
    }

    /// A compact text form, stored while a recompute is pending: `all`, `from:202503`,
    /// `set:202501,202502`, or empty for none.
    pub fn encode(&self) -> String {
        match self {
            AffectedMonths::None => String::new(),
            AffectedMonths::All => "all".into(),
            AffectedMonths::From(m) => format!("from:{m}"),
            AffectedMonths::Set(s) => format!("set:{}", s.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(",")),
        }
    }

    /// Reads [`AffectedMonths::encode`]'s form; anything unreadable means all months.
    pub fn decode(s: &str) -> AffectedMonths {
        let s = s.trim();
        if s.is_empty() {
            return AffectedMonths::None;
        }
        if let Some(m) = s.strip_prefix("from:").and_then(|m| m.parse().ok()) {
            return AffectedMonths::From(m);
        }
        if let Some(list) = s.strip_prefix("set:") {
            let parsed: Result<BTreeSet<i32>, _> = list.split(',').filter(|x| !x.is_empty()).map(str::parse).collect();
            if let Ok(set) = parsed {
                return AffectedMonths::Set(set);
            }
        }
        AffectedMonths::All
    }

    /// The affected months within `range` (inclusive keys).
    pub fn within(&self, range: (i32, i32)) -> Vec<i32> {
        let all: Vec<i32> = match (Month::from_key(range.0), Month::from_key(range.1)) {
            (Some(a), Some(b)) => a.through(b).into_iter().map(Month::to_key).collect(),
            _ => return Vec::new(),
        };
        match self {
            AffectedMonths::None => Vec::new(),
            AffectedMonths::All => all,
            AffectedMonths::From(m) => all.into_iter().filter(|k| k >= m).collect(),
            AffectedMonths::Set(s) => all.into_iter().filter(|k| s.contains(k)).collect(),
        }
    }
}

/// Rows inserted and updated by one import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub inserted: u64,
    pub updated: u64,
    pub affected: AffectedMonths,
}
