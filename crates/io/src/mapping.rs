//! Mapping files (TOML) that adapt any other export to one of the import kinds.
//!
//! ```toml
//! kind = "opportunity"            # the import kind this mapping produces
//! sheet = "Deals"                 # XLSX sheet (default: the first)
//! date_formats = ["%m/%d/%Y"]     # extra chrono formats for dates, tried first
//! datetime_formats = []           # extra chrono formats for date-times
//! owner_match = "name"            # how OwnerId is matched to CRM users: id (default), email or name
//!
//! [columns]                       # contract field = source column, or a list: first non-empty wins
//! Id = "opportunity_id"
//! CloseDate = ["close_date", "engage_date"]
//!
//! [values.StageName]              # value table applied before parsing
//! Won = "Closed Won"
//!
//! [constants]                     # used when the field has no column or its cells are empty
//! CurrencyIsoCode = "USD"
//! ```

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Issue, Problem};
use crate::fields::fields;
use uplift_domain::records::ImportKind;

/// How the owner column of CRM records is matched to CRM users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OwnerMatch {
    #[default]
    Id,
    Email,
    Name,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    kind: Option<String>,
    sheet: Option<String>,
    #[serde(default)]
    date_formats: Vec<String>,
    #[serde(default)]
    datetime_formats: Vec<String>,
    #[serde(default)]
    owner_match: OwnerMatch,
    #[serde(default)]
    columns: BTreeMap<String, OneOrMany>,
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    constants: BTreeMap<String, String>,
}

/// A parsed, validated mapping.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    pub kind: Option<ImportKind>,
    pub sheet: Option<String>,
    pub date_formats: Vec<String>,
    pub datetime_formats: Vec<String>,
    pub owner_match: OwnerMatch,
    /// Contract field name → source columns, first non-empty wins.
    pub columns: BTreeMap<String, Vec<String>>,
    /// Contract field name → (source value → contract value).
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    /// Contract field name → value used when no cell gives one.
    pub constants: BTreeMap<String, String>,
}

impl Mapping {
    /// Reads and checks a mapping file. `kind` is the kind it is used for when the file does not say.
    pub fn load(path: &Path, kind: Option<ImportKind>) -> Result<Mapping, Issue> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Issue::file(&name, Problem::Unreadable(e.to_string())))?;
        Mapping::parse(&text, kind).map_err(|p| Issue::file(&name, p))
    }

    /// Parses mapping TOML text.
    pub fn parse(text: &str, kind: Option<ImportKind>) -> Result<Mapping, Problem> {
        let raw: MappingFile = toml::from_str(text).map_err(|e| Problem::BadMapping(e.to_string()))?;
        let file_kind = match &raw.kind {
            Some(k) => Some(ImportKind::parse(k).ok_or_else(|| Problem::BadMapping(format!("unknown kind \"{k}\"")))?),
            None => None,
        };
        let kind = match (file_kind, kind) {
            (Some(a), Some(b)) if a != b => {
                return Err(Problem::BadMapping(format!(
                    "the mapping is for kind {}, not {}",
                    a.as_str(),
                    b.as_str()
                )));
            }
            (a, b) => a
                .or(b)
                .ok_or_else(|| Problem::BadMapping("say which kind it maps to: kind = \"lead\"".into()))?,
        };
        let canonical = |f: &str| -> Result<String, Problem> {
            let specs = fields(kind);
            specs
                .iter()
                .find(|s| {
                    s.name.eq_ignore_ascii_case(f.trim()) || s.aliases.iter().any(|a| a.eq_ignore_ascii_case(f.trim()))
                })
                .map(|s| s.name.to_string())
                .or_else(|| (kind == ImportKind::Roster).then(|| f.trim().to_string()))
                .ok_or_else(|| {
                    Problem::BadMapping(format!(
                        "\"{f}\" is not a field of {}; fields: {}",
                        kind.as_str(),
                        specs.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
                    ))
                })
        };
        let mut columns = BTreeMap::new();
        for (f, c) in raw.columns {
            let cols = match c {
                OneOrMany::One(s) => vec![s],
                OneOrMany::Many(v) if !v.is_empty() => v,
                OneOrMany::Many(_) => {
                    return Err(Problem::BadMapping(format!("columns.{f} is an empty list")));
                }
            };
            columns.insert(canonical(&f)?, cols);
        }
        let mut values = BTreeMap::new();
        for (f, t) in raw.values {
            values.insert(canonical(&f)?, t);
        }
        let mut constants = BTreeMap::new();
        for (f, v) in raw.constants {
            constants.insert(canonical(&f)?, v);
        }
        Ok(Mapping {
            kind: Some(kind),
            sheet: raw.sheet,
            date_formats: raw.date_formats,
            datetime_formats: raw.datetime_formats,
            owner_match: raw.owner_match,
            columns,
            values,
            constants,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_validates() {
        let m = Mapping::parse(
            r#"kind = "opportunity"
owner_match = "name"
[columns]
Id = "opportunity_id"
closedate = ["close_date", "engage_date"]
[values.StageName]
Won = "Closed Won"
[constants]
CurrencyIsoCode = "USD""#,
            None,
        )
        .unwrap();
        assert_eq!(m.kind, Some(ImportKind::Opportunity));
        assert_eq!(m.columns["CloseDate"], vec!["close_date", "engage_date"]);
        assert_eq!(m.owner_match, OwnerMatch::Name);
        let err = Mapping::parse("kind = \"lead\"\n[columns]\nNope = \"x\"", None).unwrap_err();
        assert!(
            matches!(err, Problem::BadMapping(ref s) if s.contains("Nope")),
            "{err:?}"
        );
        assert!(Mapping::parse("[columns]\nId = \"x\"", None).is_err());
        assert!(Mapping::parse("kind = \"lead\"", Some(ImportKind::Task)).is_err());
    }
}
