//! Commission exports: the contract's columns as CSV, JSON and XLSX.

use uplift_domain::Money;
use uplift_io::xlsx_out::Cell;

use uplift_domain::Lang;

use super::{LineView, PersonStatement, Statements};
use crate::error::AppError;

/// The contract's export columns.
pub const STATEMENT_COLUMNS: [&str; 10] = [
    "employee_no",
    "period",
    "plan_id",
    "credited_amount",
    "target_amount",
    "attainment",
    "commission",
    "adjustments",
    "payable",
    "status",
];

pub const LINE_COLUMNS: [&str; 8] = [
    "employee_no",
    "period",
    "kind",
    "opportunity_id",
    "credited_amount",
    "rate",
    "multiplier",
    "pay",
];

/// Yuan with two decimals and no separators: `6080.00` (exports read by other programs).
fn yuan(fen: i64) -> String {
    Money(fen).to_decimal().to_string()
}

impl Statements {
    /// The export table: the contract's columns, text cells exactly as the CSV has them.
    pub fn table(&self) -> Vec<Vec<String>> {
        let status = self.status.clone().unwrap_or_default();
        self.rows
            .iter()
            .map(|r| {
                vec![
                    r.employee_no.clone(),
                    r.period.clone(),
                    r.plan_id.clone(),
                    yuan(r.credited_fen),
                    r.target_fen.map(yuan).unwrap_or_default(),
                    r.attainment.clone().unwrap_or_default(),
                    yuan(r.commission_fen),
                    yuan(r.adjustments_fen),
                    yuan(r.payable_fen),
                    status.clone(),
                ]
            })
            .collect()
    }

    /// The same table for a workbook: amounts as numbers with two decimals, attainment as a percentage.
    pub fn xlsx(&self) -> Result<Vec<u8>, AppError> {
        let status = self.status.clone().unwrap_or_default();
        let money = |fen: i64| Cell::Money(Money(fen).yuan_f64());
        let rows: Vec<Vec<Cell>> = self
            .rows
            .iter()
            .map(|r| {
                vec![
                    Cell::Text(r.employee_no.clone()),
                    Cell::Text(r.period.clone()),
                    Cell::Text(r.plan_id.clone()),
                    money(r.credited_fen),
                    r.target_fen.map_or(Cell::Empty, money),
                    r.attainment
                        .as_deref()
                        .and_then(|a| a.parse::<f64>().ok())
                        .map_or(Cell::Empty, Cell::Percent),
                    money(r.commission_fen),
                    money(r.adjustments_fen),
                    money(r.payable_fen),
                    Cell::Text(status.clone()),
                ]
            })
            .collect();
        xlsx(&STATEMENT_COLUMNS, &rows)
    }
}

/// The lines' export table.
pub fn line_table(lines: &[LineView]) -> Vec<Vec<String>> {
    lines
        .iter()
        .map(|l| &l.row)
        .map(|l| {
            vec![
                l.employee_no.clone(),
                l.period.clone(),
                l.kind.clone(),
                l.opportunity_id.clone().unwrap_or_default(),
                yuan(l.credited_fen),
                l.rate.clone(),
                l.multiplier.clone(),
                yuan(l.pay_fen),
            ]
        })
        .collect()
}

/// One person's statement as a workbook in the reader's language: every line with its
/// explanation, then the totals (commission, adjustments, payable, year to date).
pub fn statement_xlsx(st: &PersonStatement, lang: Lang) -> Result<Vec<u8>, AppError> {
    let headers: Vec<String> = [
        ("期间", "Period"),
        ("类型", "Kind"),
        ("商机", "Deal"),
        ("业绩金额", "Credited"),
        ("提成比例", "Rate"),
        ("系数", "Multiplier"),
        ("提成", "Pay"),
        ("说明", "Explanation"),
    ]
    .iter()
    .map(|(zh, en)| lang.pick(zh, en).to_string())
    .collect();
    let money = |fen: i64| Cell::Money(Money(fen).yuan_f64());
    let text = |s: &str| Cell::Text(s.to_string());
    let mut rows: Vec<Vec<Cell>> = st
        .lines
        .iter()
        .map(|l| {
            vec![
                text(&l.row.period),
                text(&l.row.kind),
                text(l.row.opportunity_id.as_deref().unwrap_or("")),
                money(l.row.credited_fen),
                text(&l.row.rate),
                text(&l.row.multiplier),
                money(l.row.pay_fen),
                text(&l.explanation),
            ]
        })
        .collect();
    if let Some(s) = &st.statement {
        for (label, fen) in [
            (lang.pick("提成合计", "Commission"), s.commission_fen),
            (lang.pick("调整", "Adjustments"), s.adjustments_fen),
            (lang.pick("应发提成", "Payable"), s.payable_fen),
            (lang.pick("本年累计应发", "Payable, year to date"), st.year_to_date_fen),
        ] {
            rows.push(vec![
                text(&st.period),
                text(label),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                money(fen),
                Cell::Empty,
            ]);
        }
    }
    uplift_io::xlsx_out::xlsx_bytes(lang.pick("提成单", "Statement"), &headers, &rows)
        .map_err(|e| AppError::internal(e.to_string()))
}

/// A table of text cells as a workbook (amount columns stay text: exact).
pub fn text_xlsx(headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, AppError> {
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| r.iter().map(|c| Cell::Text(c.clone())).collect())
        .collect();
    xlsx(headers, &cells)
}

fn xlsx(headers: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>, AppError> {
    let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    uplift_io::xlsx_out::xlsx_bytes("commission", &headers, rows).map_err(|e| AppError::internal(e.to_string()))
}

/// A table as CSV (UTF-8, header first).
pub fn csv(headers: &[&str], rows: &[Vec<String>]) -> Result<String, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| AppError::internal(e.to_string());
    w.write_record(headers).map_err(io)?;
    for r in rows {
        w.write_record(r).map_err(io)?;
    }
    let bytes = w.into_inner().map_err(|e| AppError::internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| AppError::internal(e.to_string()))
}

/// A table as JSON objects keyed by column (amounts as exact decimal strings).
pub fn json(headers: &[&str], rows: &[Vec<String>]) -> serde_json::Value {
    serde_json::Value::Array(
        rows.iter()
            .map(|r| {
                serde_json::Value::Object(
                    headers
                        .iter()
                        .zip(r)
                        .map(|(h, c)| (h.to_string(), serde_json::Value::String(c.clone())))
                        .collect(),
                )
            })
            .collect(),
    )
}
