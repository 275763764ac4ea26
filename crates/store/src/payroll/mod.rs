//! Payroll tables: the inputs a run reads, runs and payslips, imported policy files.

mod inputs;

pub use inputs::{
    DeclarationItems, DeclarationRow, OpeningRow, PayInputRow, PayrollInputs, PayrollPerson, PriorRow, SalaryRow,
};

use sqlx::{AssertSqlSafe, FromRow, Row};
use uplift_domain::access::Scope;

use crate::StoreError;
use crate::browse::{Arg, Sql, bind_args};
use crate::conn::{BeginWrite, Pool, Store, on_pool};
use crate::import::{Tx, bulk_insert, on_tx_impl};
use crate::value::{ColType, Value};

/// The numeric columns of `payslips`, in the order of [`PayslipRow::numbers`]: the inputs, the
/// prior cumulative position, every figure (fen; days in hundredths; the rate in ppm).
pub const PAYSLIP_NUMBERS: [&str; 48] = [
    "base_pay",
    "allowance",
    "overtime_pay",
    "performance_bonus",
    "commission",
    "other_pay",
    "absence_days_h",
    "other_pretax_deduction",
    "post_tax_deduction",
    "annual_bonus",
    "si_base",
    "hf_base",
    "hf_rate_ppm",
    "special_additional_cum",
    "prior_income",
    "prior_basic",
    "prior_special",
    "prior_special_additional",
    "prior_other",
    "prior_tax",
    "prior_withheld",
    "absence_deduction",
    "gross",
    "si_employee_pension",
    "si_employee_medical",
    "si_employee_unemployment",
    "si_employee_injury",
    "si_employee_maternity",
    "si_employer_pension",
    "si_employer_medical",
    "si_employer_unemployment",
    "si_employer_injury",
    "si_employer_maternity",
    "hf_employee",
    "hf_employer",
    "cum_income",
    "cum_basic",
    "cum_special",
    "cum_special_additional",
    "cum_other",
    "cum_tax",
    "cum_withheld",
    "iit_withheld",
    "bonus_iit",
    "bonus_iit_other",
    "net",
    "si_backpay",
    "si_backpay_employer",
];

const PAYSLIP_TEXTS: [&str; 6] = [
    "department",
    "si_city",
    "bank_account",
    "bank_name",
    "basic_rule",
    "bonus_method",
];
const PAYSLIP_FLAGS: [&str; 3] = ["bonus_separate_allowed", "contributes", "non_resident"];

/// One stored payslip.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PayslipRow {
    pub month: i32,
    pub employee_id: i64,
    /// Filled on read (from the roster).
    pub employee_no: String,
    pub name: String,
    pub department: Option<String>,
    /// The city policy's key.
    pub si_city: String,
    pub bank_account: Option<String>,
    pub bank_name: Option<String>,
    pub basic_rule: String,
    pub bonus_method: String,
    pub bonus_separate_allowed: bool,
    pub contributes: bool,
    pub non_resident: bool,
    /// In the order of [`PAYSLIP_NUMBERS`].
    pub numbers: Vec<i64>,
}

impl PayslipRow {
    /// The named number (a name of [`PAYSLIP_NUMBERS`]).
    pub fn get(&self, name: &str) -> i64 {
        PAYSLIP_NUMBERS
            .iter()
            .position(|n| *n == name)
            .and_then(|i| self.numbers.get(i).copied())
            .unwrap_or(0)
    }
}

/// A month's run.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct PayrollRunRow {
    pub month: i32,
    /// `open` | `locked`.
    pub status: String,
    pub people: i64,
    pub gross_fen: i64,
    pub net_fen: i64,
    pub iit_fen: i64,
    pub employer_cost_fen: i64,
    pub run_by: String,
    pub run_ts: i64,
    pub locked_by: Option<String>,
    pub locked_ts: Option<i64>,
}

/// One person's 补差 for a month: the difference of their 五险一金 since `from_month` under the
/// corrected policies, and the cumulative 专项扣除 through the last locked month it implies.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct CorrectionRow {
    pub month: i32,
    pub employee_id: i64,
    pub from_month: i32,
    pub si_employee_fen: i64,
    pub si_employer_fen: i64,
    pub cum_special_fen: i64,
}

/// A policy file a user imported.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct PolicyRow {
    pub kind: String,
    pub policy_key: String,
    pub effective_from: String,
    pub body: String,
    pub imported_by: String,
    pub imported_ts: i64,
}

const RUN_COLS: &str =
    "month, status, people, gross_fen, net_fen, iit_fen, employer_cost_fen, run_by, run_ts, locked_by, locked_ts";

fn payslip_select() -> String {
    format!(
        "SELECT s.month, s.employee_id, e.employee_no, e.name, {}, {}, {} FROM payslips s JOIN employees e ON e.id = s.employee_id \
         LEFT JOIN departments d ON d.id = e.department_id",
        PAYSLIP_TEXTS.map(|c| format!("s.{c}")).join(", "),
        PAYSLIP_FLAGS.map(|c| format!("s.{c}")).join(", "),
        PAYSLIP_NUMBERS.map(|c| format!("s.{c}")).join(", ")
    )
}

fn payslip_of<R: Row>(r: &R) -> Result<PayslipRow, sqlx::Error>
where
    usize: sqlx::ColumnIndex<R>,
    for<'a> i32: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let t = 4;
    let f = t + PAYSLIP_TEXTS.len();
    let n = f + PAYSLIP_FLAGS.len();
    Ok(PayslipRow {
        month: r.try_get(0)?,
        employee_id: r.try_get(1)?,
        employee_no: r.try_get(2)?,
        name: r.try_get(3)?,
        department: r.try_get(t)?,
        si_city: r.try_get(t + 1)?,
        bank_account: r.try_get(t + 2)?,
        bank_name: r.try_get(t + 3)?,
        basic_rule: r.try_get(t + 4)?,
        bonus_method: r.try_get(t + 5)?,
        bonus_separate_allowed: r.try_get(f)?,
        contributes: r.try_get(f + 1)?,
        non_resident: r.try_get(f + 2)?,
        numbers: (0..PAYSLIP_NUMBERS.len())
            .map(|i| r.try_get(n + i))
            .collect::<Result<_, _>>()?,
    })
}

/// Why a run's write did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunRefused {
    Locked,
}

impl Store {
    pub async fn payroll_runs(&self) -> Result<Vec<PayrollRunRow>, StoreError> {
        let sql = format!("SELECT {RUN_COLS} FROM payroll_runs ORDER BY month DESC");
        Ok(on_pool!(self, |p| sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(p)
            .await?))
    }

    pub async fn payroll_run(&self, month: i32) -> Result<Option<PayrollRunRow>, StoreError> {
        let sql = format!("SELECT {RUN_COLS} FROM payroll_runs WHERE month = $1");
        Ok(on_pool!(self, |p| sqlx::query_as(AssertSqlSafe(sql))
            .bind(month)
            .fetch_optional(p)
            .await?))
    }

    /// Writes a month's run: its payslips replace the month's old ones, in one transaction that
    /// first checks (and on PostgreSQL locks) the run's row, so a run racing a lock or another
    /// run of the month waits for it and never rewrites a locked month.
    pub async fn write_payroll_run(
        &self,
        run: &PayrollRunRow,
        slips: &[PayslipRow],
    ) -> Result<Result<(), RunRefused>, StoreError> {
        let mut tx = match &self.pool {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin_write().await?),
            Pool::Pg(p) => Tx::Pg(p.begin_write().await?),
        };
        let upsert = "INSERT INTO payroll_runs (month, status, people, gross_fen, net_fen, iit_fen, employer_cost_fen, run_by, run_ts) \
            VALUES ($1, 'open', 0, 0, 0, 0, 0, $2, $3) ON CONFLICT (month) DO NOTHING";
        let check = match tx {
            Tx::Pg(_) => "SELECT status FROM payroll_runs WHERE month = $1 FOR UPDATE",
            Tx::Sqlite(_) => "SELECT status FROM payroll_runs WHERE month = $1",
        };
        let status: String = on_tx_impl!(&mut tx, |c| {
            sqlx::query(upsert)
                .bind(run.month)
                .bind(&run.run_by)
                .bind(run.run_ts)
                .execute(&mut *c)
                .await?;
            sqlx::query_scalar(check).bind(run.month).fetch_one(&mut *c).await?
        });
        if status == "locked" {
            return Ok(Err(RunRefused::Locked));
        }
        on_tx_impl!(&mut tx, |c| {
            sqlx::query("DELETE FROM payslips WHERE month = $1")
                .bind(run.month)
                .execute(&mut *c)
                .await?;
            sqlx::query(
                "UPDATE payroll_runs SET people = $2, gross_fen = $3, net_fen = $4, iit_fen = $5, employer_cost_fen = $6, \
                 run_by = $7, run_ts = $8 WHERE month = $1",
            )
            .bind(run.month)
            .bind(run.people)
            .bind(run.gross_fen)
            .bind(run.net_fen)
            .bind(run.iit_fen)
            .bind(run.employer_cost_fen)
            .bind(&run.run_by)
            .bind(run.run_ts)
            .execute(&mut *c)
            .await?;
        });
        let mut cols: Vec<(&str, ColType)> = vec![("month", ColType::Int), ("employee_id", ColType::Int)];
        cols.extend(PAYSLIP_TEXTS.iter().map(|c| (*c, ColType::Text)));
        cols.extend(PAYSLIP_FLAGS.iter().map(|c| (*c, ColType::Bool)));
        cols.extend(PAYSLIP_NUMBERS.iter().map(|c| (*c, ColType::Int)));
        let mut values = Vec::with_capacity(slips.len() * cols.len());
        for s in slips {
            values.push(Value::Int(i64::from(s.month)));
            values.push(Value::Int(s.employee_id));
            values.push(s.department.clone().into());
            values.push(s.si_city.as_str().into());
            values.push(s.bank_account.clone().into());
            values.push(s.bank_name.clone().into());
            values.push(s.basic_rule.as_str().into());
            values.push(s.bonus_method.as_str().into());
            values.extend([s.bonus_separate_allowed, s.contributes, s.non_resident].map(Value::Bool));
            values.extend(s.numbers.iter().map(|n| Value::Int(*n)));
        }
        bulk_insert(&mut tx, "payslips", &cols, values).await?;
        match tx {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Pg(t) => t.commit().await?,
        }
        Ok(Ok(()))
    }

    /// Locks a month's run; `false` when there is no open run of the month.
    pub async fn lock_payroll(&self, month: i32, by: &str, now: i64) -> Result<bool, StoreError> {
        let sql = "UPDATE payroll_runs SET status = 'locked', locked_by = $2, locked_ts = $3 WHERE month = $1 AND status = 'open'";
        let n = on_pool!(self, |p| sqlx::query(sql)
            .bind(month)
            .bind(by)
            .bind(now)
            .execute(p)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// A month's payslips of the people in `scope`, by employee number.
    pub async fn payslips(&self, month: i32, scope: &Scope) -> Result<Vec<PayslipRow>, StoreError> {
        let mut q = Sql::new(&payslip_select());
        let ph = q.arg(Arg::Int(Some(i64::from(month))));
        q.push(&format!(" WHERE s.month = {ph}"));
        q.scope(scope);
        q.push(" ORDER BY e.employee_no");
        Ok(on_pool!(self, |p| {
            let rows = bind_args!(sqlx::query(AssertSqlSafe(q.text.clone())), &q.args)
                .fetch_all(p)
                .await?;
            rows.iter().map(payslip_of).collect::<Result<Vec<_>, _>>()?
        }))
    }

    /// One person's payslips, newest month first.
    pub async fn payslips_of(&self, employee_no: &str) -> Result<Vec<PayslipRow>, StoreError> {
        let sql = format!("{} WHERE e.employee_no = $1 ORDER BY s.month DESC", payslip_select());
        Ok(on_pool!(self, |p| {
            let rows = sqlx::query(AssertSqlSafe(sql)).bind(employee_no).fetch_all(p).await?;
            rows.iter().map(payslip_of).collect::<Result<Vec<_>, _>>()?
        }))
    }

    /// People whose payslips between `from` (inclusive) and `before` carry an annual bonus taxed
    /// separately.
    pub async fn separate_bonus_paid(&self, from: i32, before: i32) -> Result<Vec<i64>, StoreError> {
        let sql = "SELECT DISTINCT employee_id FROM payslips WHERE month >= $1 AND month < $2 \
            AND annual_bonus > 0 AND bonus_method = 'separate'";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(from)
            .bind(before)
            .fetch_all(p)
            .await?))
    }

    /// The 补差 to apply in `month`, by employee id.
    pub async fn payroll_corrections(&self, month: i32) -> Result<Vec<CorrectionRow>, StoreError> {
        let sql = "SELECT month, employee_id, from_month, si_employee_fen, si_employer_fen, cum_special_fen \
            FROM payroll_corrections WHERE month = $1 ORDER BY employee_id";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(month).fetch_all(p).await?))
    }

    /// Replaces the 补差 of `month` with `rows` (one transaction); refused when the month is locked.
    pub async fn replace_payroll_corrections(
        &self,
        month: i32,
        rows: &[CorrectionRow],
        by: &str,
        now: i64,
    ) -> Result<Result<(), RunRefused>, StoreError> {
        let mut tx = match &self.pool {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin_write().await?),
            Pool::Pg(p) => Tx::Pg(p.begin_write().await?),
        };
        let status: Option<String> = on_tx_impl!(&mut tx, |c| {
            sqlx::query_scalar("SELECT status FROM payroll_runs WHERE month = $1")
                .bind(month)
                .fetch_optional(&mut *c)
                .await?
        });
        if status.as_deref() == Some("locked") {
            return Ok(Err(RunRefused::Locked));
        }
        on_tx_impl!(&mut tx, |c| {
            sqlx::query("DELETE FROM payroll_corrections WHERE month = $1")
                .bind(month)
                .execute(&mut *c)
                .await?;
        });
        let cols = [
            ("month", ColType::Int),
            ("employee_id", ColType::Int),
            ("from_month", ColType::Int),
            ("si_employee_fen", ColType::Int),
            ("si_employer_fen", ColType::Int),
            ("cum_special_fen", ColType::Int),
            ("created_by", ColType::Text),
            ("created_ts", ColType::Int),
        ];
        let mut values = Vec::with_capacity(rows.len() * cols.len());
        for r in rows {
            values.extend([
                Value::Int(i64::from(month)),
                Value::Int(r.employee_id),
                Value::Int(i64::from(r.from_month)),
                Value::Int(r.si_employee_fen),
                Value::Int(r.si_employer_fen),
                Value::Int(r.cum_special_fen),
                Value::from(by),
                Value::Int(now),
            ]);
        }
        bulk_insert(&mut tx, "payroll_corrections", &cols, values).await?;
        match tx {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Pg(t) => t.commit().await?,
        }
        Ok(Ok(()))
    }

    pub async fn payroll_policies(&self) -> Result<Vec<PolicyRow>, StoreError> {
        let sql = "SELECT kind, policy_key, effective_from, body, imported_by, imported_ts FROM payroll_policies \
            ORDER BY imported_ts, kind, policy_key, effective_from";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).fetch_all(p).await?))
    }

    /// Stores an imported policy file; one with the same kind, key and start is replaced.
    pub async fn save_payroll_policy(&self, row: &PolicyRow) -> Result<(), StoreError> {
        let sql = "INSERT INTO payroll_policies (kind, policy_key, effective_from, body, imported_by, imported_ts) \
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (kind, policy_key, effective_from) DO UPDATE SET \
            body = excluded.body, imported_by = excluded.imported_by, imported_ts = excluded.imported_ts";
        on_pool!(self, |p| {
            sqlx::query(sql)
                .bind(&row.kind)
                .bind(&row.policy_key)
                .bind(&row.effective_from)
                .bind(&row.body)
                .bind(&row.imported_by)
                .bind(row.imported_ts)
                .execute(p)
                .await?;
        });
        Ok(())
    }
}
