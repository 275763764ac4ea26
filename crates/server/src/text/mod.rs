//! Terminal text of the use cases' results. The use cases return data; rendering it for a person at
//! a terminal is the CLI's job, as rendering it for a browser is the web's.

pub mod alerts;
pub mod demo;
pub mod effect;
pub mod forecast;
pub mod insights;
pub mod routing;

/// Whole units with thousands separators (1,234,567).
fn money_text(v: f64) -> String {
    uplift_domain::money::whole_with_separators(v)
}

/// One table line: each cell padded to its width (negative = left-aligned), by terminal columns
/// (a CJK character takes two).
fn line(cells: &[&str], widths: &[i32]) -> String {
    let mut out = String::new();
    for (c, &w) in cells.iter().zip(widths) {
        let fill = " ".repeat((w.unsigned_abs() as usize).saturating_sub(unicode_width::UnicodeWidthStr::width(*c)));
        if w < 0 {
            out.push_str(c);
            out.push_str(&fill);
        } else {
            out.push_str(&fill);
            out.push_str(c);
        }
        out.push(' ');
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
