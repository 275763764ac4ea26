//! The policies in force over time, and which one holds on a day.

use super::{Calendar, CityPolicy, Policy, SpecialAdditionalPolicy, TaxPolicy};
use chrono::NaiveDate;
use serde::Serialize;

/// Why a policy cannot join a set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetError {
    #[error("{kind} policy {key} from {from} overlaps the one from {other}")]
    Overlap {
        kind: &'static str,
        key: String,
        from: NaiveDate,
        other: NaiveDate,
    },
}

/// All policies in force over time. Periods of one kind and key never overlap, so every month
/// has at most one city table, one tax table and one deduction table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PolicySet {
    pub cities: Vec<CityPolicy>,
    pub taxes: Vec<TaxPolicy>,
    pub special_additional: Vec<SpecialAdditionalPolicy>,
    pub calendars: Vec<Calendar>,
}

fn covers(from: NaiveDate, to: Option<NaiveDate>, day: NaiveDate) -> bool {
    from <= day && to.is_none_or(|t| day <= t)
}

fn overlaps(a: (NaiveDate, Option<NaiveDate>), b: (NaiveDate, Option<NaiveDate>)) -> bool {
    a.1.is_none_or(|a_to| b.0 <= a_to) && b.1.is_none_or(|b_to| a.0 <= b_to)
}

impl PolicySet {
    /// Adds a policy. One with the same kind, key and start replaces the old one (a corrected
    /// table); one that overlaps another period is refused.
    pub fn insert(&mut self, policy: Policy) -> Result<(), SetError> {
        let (kind, key, span) = (policy.kind(), policy.key(), policy.effective());
        let clash = self
            .all()
            .into_iter()
            .find(|p| p.kind() == kind && p.key() == key && p.effective().0 != span.0 && overlaps(p.effective(), span));
        if let Some(other) = clash {
            return Err(SetError::Overlap {
                kind,
                key,
                from: span.0,
                other: other.effective().0,
            });
        }
        match policy {
            Policy::City(c) => {
                self.cities
                    .retain(|o| !(o.city == c.city && o.effective_from == c.effective_from));
                self.cities.push(*c);
                self.cities
                    .sort_by(|a, b| (&a.city, a.effective_from).cmp(&(&b.city, b.effective_from)));
            }
            Policy::Tax(t) => {
                self.taxes.retain(|o| o.effective_from != t.effective_from);
                self.taxes.push(t);
                self.taxes.sort_by_key(|t| t.effective_from);
            }
            Policy::SpecialAdditional(s) => {
                self.special_additional.retain(|o| o.effective_from != s.effective_from);
                self.special_additional.push(s);
                self.special_additional.sort_by_key(|s| s.effective_from);
            }
            Policy::Calendar(c) => {
                self.calendars.retain(|o| o.year != c.year);
                self.calendars.push(c);
                self.calendars.sort_by_key(|c| c.year);
            }
        }
        Ok(())
    }

    /// Every policy, as [`Policy`] values (cloned; for listing).
    pub fn all(&self) -> Vec<Policy> {
        let mut out: Vec<Policy> = self.cities.iter().cloned().map(|c| Policy::City(Box::new(c))).collect();
        out.extend(self.taxes.iter().cloned().map(Policy::Tax));
        out.extend(self.special_additional.iter().cloned().map(Policy::SpecialAdditional));
        out.extend(self.calendars.iter().cloned().map(Policy::Calendar));
        out
    }

    /// The city (by key or name) whose table is in force on `day`.
    pub fn city(&self, name: &str, day: NaiveDate) -> Option<&CityPolicy> {
        self.cities
            .iter()
            .find(|c| c.answers_to(name) && covers(c.effective_from, c.effective_to, day))
    }

    /// Whether any period of the city exists (to tell "unknown city" from "no table that month").
    pub fn knows_city(&self, name: &str) -> bool {
        self.cities.iter().any(|c| c.answers_to(name))
    }

    pub fn tax(&self, day: NaiveDate) -> Option<&TaxPolicy> {
        self.taxes
            .iter()
            .find(|t| covers(t.effective_from, t.effective_to, day))
    }

    pub fn special_additional(&self, day: NaiveDate) -> Option<&SpecialAdditionalPolicy> {
        self.special_additional
            .iter()
            .find(|s| covers(s.effective_from, s.effective_to, day))
    }

    pub fn calendar(&self, year: i32) -> Option<&Calendar> {
        self.calendars.iter().find(|c| c.year == year)
    }
}
