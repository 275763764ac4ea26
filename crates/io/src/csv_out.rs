//! CSV written for people who open it in a spreadsheet. A text cell that begins with `=`, `+`, `-`
//! or `@` (or a tab or carriage return) is a formula to Excel and WPS — `=HYPERLINK(…)` in a name
//! would run when the file is opened — so such cells get a leading `'`, which spreadsheets show as
//! text and hide. Numbers are never text cells here and are written as they are.

use std::borrow::Cow;

/// The text as a spreadsheet-safe CSV cell.
pub fn spreadsheet_safe(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The text a [`spreadsheet_safe`] cell stood for (for turning such CSV into typed cells, e.g. XLSX
/// text cells, which are safe by themselves).
pub fn unescape_spreadsheet_safe(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_come_back() {
        for bad in ["=1+2", "+86 138", "-3", "@SUM(A1)", "=HYPERLINK(\"http://x\",\"点我\")"] {
            let safe = spreadsheet_safe(bad);
            assert_eq!(safe, format!("'{bad}"));
            assert_eq!(unescape_spreadsheet_safe(&safe), bad);
        }
        for fine in ["销售中心/华东", "E1002", "2026-10", "", "a=b"] {
            assert_eq!(spreadsheet_safe(fine), fine);
            assert_eq!(unescape_spreadsheet_safe(fine), fine);
        }
        // A cell that merely starts with an apostrophe is left as it is.
        assert_eq!(unescape_spreadsheet_safe("'tis"), "'tis");
    }
}
