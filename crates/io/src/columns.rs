//! Which cells of a row feed which field: from the header, optionally through a mapping file.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::error::{Issue, Problem};
use crate::fields::{field_for_header, fields, normalise_header};
use crate::mapping::Mapping;
use crate::source::RawRow;
use uplift_domain::records::ImportKind;

#[derive(Debug, Clone)]
struct Slot {
    name: &'static str,
    /// Source column indices, first non-empty wins.
    columns: Vec<usize>,
    values: Option<BTreeMap<String, String>>,
    constant: Option<String>,
}

/// The resolved layout of one file for one import kind.
#[derive(Debug, Clone)]
pub struct ColumnMap {
    pub kind: ImportKind,
    pub file: String,
    pub headers: Vec<String>,
    slots: Vec<Slot>,
    /// Header cells no field uses (listed once in the import report).
    pub unknown_columns: Vec<String>,
    /// For the roster: unknown columns kept as employee attributes, by index.
    pub attribute_columns: Vec<(usize, String)>,
    pub date_formats: Vec<String>,
    pub datetime_formats: Vec<String>,
}

impl ColumnMap {
    /// Matches the header to the kind's fields; a mapping's columns take precedence.
    pub fn new(
        kind: ImportKind,
        file: &str,
        headers: &[String],
        mapping: Option<&Mapping>,
    ) -> Result<ColumnMap, Issue> {
        let issue = |p| Issue {
            file: file.to_string(),
            line: Some(1),
            column: None,
            problem: p,
        };
        let find = |col: &str| {
            headers
                .iter()
                .position(|h| normalise_header(h) == normalise_header(col))
        };
        let mut used = vec![false; headers.len()];
        let mut slots = Vec::new();
        for spec in fields(kind) {
            let mut columns = Vec::new();
            if let Some(cols) = mapping.and_then(|m| m.columns.get(spec.name)) {
                for c in cols {
                    let i = find(c).ok_or_else(|| {
                        issue(Problem::MissingColumn {
                            field: format!("{} ← {c}", spec.name),
                            found: headers.to_vec(),
                        })
                    })?;
                    columns.push(i);
                }
            } else {
                for (i, h) in headers.iter().enumerate() {
                    if field_for_header(kind, h).is_some_and(|f| f.name == spec.name) {
                        if !columns.is_empty() {
                            return Err(issue(Problem::DuplicateColumn(spec.name.to_string())));
                        }
                        columns.push(i);
                    }
                }
            }
            for &i in &columns {
                used[i] = true;
            }
            let constant = mapping.and_then(|m| m.constants.get(spec.name).cloned());
            if spec.required && columns.is_empty() && constant.is_none() {
                return Err(issue(Problem::MissingColumn {
                    field: spec.name.to_string(),
                    found: headers.to_vec(),
                }));
            }
            let values = mapping.and_then(|m| m.values.get(spec.name).cloned());
            slots.push(Slot {
                name: spec.name,
                columns,
                values,
                constant,
            });
        }
        let mut unknown_columns = Vec::new();
        let mut attribute_columns = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            if used[i] || h.trim().is_empty() {
                continue;
            }
            if kind == ImportKind::Roster {
                let name = mapping
                    .and_then(|m| {
                        m.columns
                            .iter()
                            .find(|(_, cols)| cols.iter().any(|c| normalise_header(c) == normalise_header(h)))
                    })
                    .map(|(f, _)| f.clone())
                    .unwrap_or_else(|| h.trim().to_string());
                attribute_columns.push((i, name));
            } else {
                unknown_columns.push(h.clone());
            }
        }
        // Roster fields that a mapping names but the contract does not become attributes too.
        Ok(ColumnMap {
            kind,
            file: file.to_string(),
            headers: headers.to_vec(),
            slots,
            unknown_columns,
            attribute_columns,
            date_formats: mapping.map(|m| m.date_formats.clone()).unwrap_or_default(),
            datetime_formats: mapping.map(|m| m.datetime_formats.clone()).unwrap_or_default(),
        })
    }

    fn slot(&self, field: &str) -> Option<&Slot> {
        self.slots.iter().find(|s| s.name == field)
    }

    /// The trimmed value of `field` in `row`, `None` when empty; value tables and constants applied.
    pub fn get<'r>(&'r self, row: &'r RawRow, field: &str) -> Option<Cow<'r, str>> {
        let slot = self.slot(field)?;
        let cell = slot
            .columns
            .iter()
            .filter_map(|&i| row.cells.get(i))
            .map(str::trim)
            .find(|c| !c.is_empty());
        let value: Cow<'r, str> = match cell {
            Some(c) => Cow::Borrowed(c),
            None => Cow::Borrowed(slot.constant.as_deref()?),
        };
        if let Some(table) = &slot.values {
            if let Some(v) = table.get(value.as_ref()) {
                return Some(Cow::Owned(v.clone()));
            }
            let lower = value.to_lowercase();
            if let Some((_, v)) = table.iter().find(|(k, _)| k.to_lowercase() == lower) {
                return Some(Cow::Owned(v.clone()));
            }
        }
        Some(value)
    }

    /// The 1-based column a field is read from, whatever the row (its first, when several).
    pub fn column_of_field(&self, field: &str) -> Option<usize> {
        self.slot(field)?.columns.first().map(|i| i + 1)
    }

    /// The 1-based column number feeding `field` in `row` (the first non-empty source column).
    pub fn column_of(&self, row: &RawRow, field: &str) -> Option<usize> {
        let slot = self.slot(field)?;
        slot.columns
            .iter()
            .find(|&&i| row.cells.get(i).is_some_and(|c| !c.trim().is_empty()))
            .or(slot.columns.first())
            .map(|i| i + 1)
    }

    /// The fields this file (or its mapping) provides; `attributes` when a roster has extra columns.
    pub fn present_fields(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = self
            .slots
            .iter()
            .filter(|s| !s.columns.is_empty() || s.constant.is_some())
            .map(|s| s.name)
            .collect();
        if !self.attribute_columns.is_empty() {
            out.push("attributes");
        }
        out
    }

    /// Whether the file (or mapping) provides `field` at all.
    pub fn has(&self, field: &str) -> bool {
        self.slot(field)
            .is_some_and(|s| !s.columns.is_empty() || s.constant.is_some())
    }
}
