//! Writing tables to XLSX (exports) and CSV.

use rust_xlsxwriter::{Format, Workbook};
use std::path::Path;

/// A cell to export.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// An amount, shown with thousands separators and two decimals.
    Money(f64),
    /// A fraction, shown as a percentage (0.125 → 12.5%).
    Percent(f64),
}

/// Writes a one-sheet workbook with a bold header row.
pub fn write_xlsx(
    path: &Path,
    sheet: &str,
    headers: &[String],
    rows: &[Vec<Cell>],
) -> Result<(), rust_xlsxwriter::XlsxError> {
    workbook(sheet, headers, rows)?.save(path)
}

/// The same workbook as bytes (for a download).
pub fn xlsx_bytes(sheet: &str, headers: &[String], rows: &[Vec<Cell>]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    workbook(sheet, headers, rows)?.save_to_buffer()
}

fn workbook(sheet: &str, headers: &[String], rows: &[Vec<Cell>]) -> Result<Workbook, rust_xlsxwriter::XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet)?;
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let percent = Format::new().set_num_format("0.0%");
    // CJK characters are about twice as wide as Latin ones.
    let text_width = |t: &str| t.chars().map(|ch| if ch.is_ascii() { 1.0 } else { 2.0 }).sum::<f64>();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)?;
        // Wide enough for the header and the text of the first rows (department paths are long),
        // at most 60 characters.
        let widest_text = rows
            .iter()
            .take(200)
            .filter_map(|r| match r.get(c) {
                Some(Cell::Text(t)) => Some(text_width(t)),
                _ => None,
            })
            .fold(0.0, f64::max);
        let width = text_width(h).max(widest_text).clamp(12.0, 60.0) + 2.0;
        ws.set_column_width(c as u16, width)?;
    }
    ws.set_freeze_panes(1, 0)?;
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            match cell {
                Cell::Empty => {}
                Cell::Text(s) => {
                    ws.write_string(r, c, s)?;
                }
                Cell::Number(n) => {
                    ws.write_number(r, c, *n)?;
                }
                Cell::Money(n) => {
                    ws.write_number_with_format(r, c, *n, &money)?;
                }
                Cell::Percent(n) => {
                    ws.write_number_with_format(r, c, *n, &percent)?;
                }
            }
        }
    }
    Ok(wb)
}
