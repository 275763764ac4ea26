//! HR records written one by one, keyed by employee number (roster, targets, courses, enrollments,
//! appraisals, leave, capacities), with the department tree created as paths arrive.

use sqlx::AssertSqlSafe;

use super::stage::set_clause;
use super::{AffectedMonths, ImportTx, Tx, on_tx_impl};
use crate::StoreError;
use uplift_domain::Month;
use uplift_domain::records::*;

impl ImportTx {
    async fn employee_id(&mut self, no: &str) -> Result<Option<i64>, StoreError> {
        if let Some(id) = self.employee_ids.get(no) {
            return Ok(Some(*id));
        }
        let sql = "SELECT id FROM employees WHERE employee_no = $1";
        let id: Option<i64> = on_tx_impl!(&mut self.tx, |c| sqlx::query_scalar(sql)
            .bind(no)
            .fetch_optional(c)
            .await?);
        if let Some(id) = id {
            self.employee_ids.insert(no.to_string(), id);
        }
        Ok(id)
    }

    async fn department_id(&mut self, path: &str) -> Result<i64, StoreError> {
        if let Some(id) = self.departments.get(path) {
            return Ok(*id);
        }
        let mut parent: Option<i64> = None;
        let mut prefix = String::new();
        for part in path.split('/') {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            if let Some(id) = self.departments.get(&prefix) {
                parent = Some(*id);
                continue;
            }
            let ins =
                "INSERT INTO departments (path, name, parent_id) VALUES ($1, $2, $3) ON CONFLICT (path) DO NOTHING";
            let sel = "SELECT id FROM departments WHERE path = $1";
            let id: i64 = on_tx_impl!(&mut self.tx, |c| {
                sqlx::query(ins)
                    .bind(prefix.as_str())
                    .bind(part)
                    .bind(parent)
                    .execute(&mut *c)
                    .await?;
                sqlx::query_scalar(sel).bind(prefix.as_str()).fetch_one(&mut *c).await?
            });
            self.departments.insert(prefix.clone(), id);
            parent = Some(id);
        }
        parent.ok_or_else(|| StoreError::Corrupt(format!("empty department path {path:?}")))
    }

    /// Upserts one HR record keyed by employee number (callers check that the employee exists).
    pub(super) async fn write_keyed(&mut self, r: &Record) -> Result<(), StoreError> {
        match r {
            Record::Employee(e) => self.write_employee(e).await,
            Record::Target(t) => self.write_target(t).await,
            Record::Course(k) => self.write_course(k).await,
            Record::Enrollment(en) => self.write_enrollment(en).await,
            Record::Appraisal(a) => self.write_appraisal(a).await,
            Record::Leave(l) => self.write_leave(l).await,
            Record::Capacity(k) => self.write_capacity(k).await,
            Record::OpportunitySplit(k) => self.write_split(k).await,
            Record::Payment(k) => self.write_payment(k).await,
            Record::Salary(k) => self.write_salary(k).await,
            Record::IitDeduction(k) => self.write_declaration(k).await,
            Record::PayInput(k) => self.write_pay_input(k).await,
            Record::IitOpening(k) => self.write_opening(k).await,
            _ => Err(StoreError::Corrupt(format!(
                "record of the wrong kind for a {} import",
                self.kind.as_str()
            ))),
        }
    }

    async fn write_employee(&mut self, e: &Employee) -> Result<(), StoreError> {
        let dept = match &e.department {
            Some(d) => Some(self.department_id(d).await?),
            None => None,
        };
        let existed = self.employee_id(&e.employee_no).await?.is_some();
        let attrs = serde_json::to_string(&e.attributes).unwrap_or_else(|_| "{}".into());
        let sql = format!(
            "INSERT INTO employees (employee_no, name, department_id, position, role_family, hire_date, leave_date, \
            manager_no, email, mobile, city, crm_user_id, industry_experience, birth_date, gender, attributes) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
            ON CONFLICT (employee_no) {}",
            set_clause(
                &[
                    ("name", "name"),
                    ("department_id", "department"),
                    ("position", "position"),
                    ("role_family", "role_family"),
                    ("hire_date", "hire_date"),
                    ("leave_date", "leave_date"),
                    ("manager_no", "manager_no"),
                    ("email", "email"),
                    ("mobile", "mobile"),
                    ("city", "city"),
                    ("crm_user_id", "crm_user_id"),
                    ("industry_experience", "industry_experience"),
                    ("birth_date", "birth_date"),
                    ("gender", "gender"),
                    ("attributes", "attributes"),
                ],
                &self.present,
            )
        );
        on_tx_impl!(&mut self.tx, |c| {
            sqlx::query(AssertSqlSafe(sql.clone()))
                .bind(&e.employee_no)
                .bind(&e.name)
                .bind(dept)
                .bind(&e.position)
                .bind(&e.role_family)
                .bind(e.hire_date.to_string())
                .bind(e.leave_date.map(|d| d.to_string()))
                .bind(&e.manager_no)
                .bind(&e.email)
                .bind(&e.mobile)
                .bind(&e.city)
                .bind(&e.crm_user_id)
                .bind(&e.industry_experience)
                .bind(e.birth_date.map(|d| d.to_string()))
                .bind(&e.gender)
                .bind(&attrs)
                .execute(c)
                .await?;
        });
        self.count(existed);
        self.touch(AffectedMonths::All);
        Ok(())
    }

    async fn write_target(&mut self, t: &Target) -> Result<(), StoreError> {
        let Some(emp) = self.employee_id(&t.employee_no).await? else {
            return Ok(());
        };
        let month = t.month.to_key() as i64;
        let exists = "SELECT COUNT(*) FROM targets WHERE employee_id = $1 AND month = $2";
        let sql = "INSERT INTO targets (employee_id, month, amount_fen) VALUES ($1, $2, $3) \
            ON CONFLICT (employee_id, month) DO UPDATE SET amount_fen = excluded.amount_fen";
        let n: i64 = on_tx_impl!(&mut self.tx, |c| {
            let n: i64 = sqlx::query_scalar(exists)
                .bind(emp)
                .bind(month)
                .fetch_one(&mut *c)
                .await?;
            sqlx::query(sql)
                .bind(emp)
                .bind(month)
                .bind(t.amount.fen())
                .execute(&mut *c)
                .await?;
            n
        });
        self.count(n > 0);
        self.touch(AffectedMonths::Set([t.month.to_key()].into()));
        Ok(())
    }

    async fn write_course(&mut self, k: &Course) -> Result<(), StoreError> {
        let exists = "SELECT COUNT(*) FROM courses WHERE course_id = $1";
        let sql = format!(
            "INSERT INTO courses (course_id, name, skills, format, hours) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (course_id) {}",
            set_clause(
                &[
                    ("name", "course_name"),
                    ("skills", "skill"),
                    ("format", "format"),
                    ("hours", "hours")
                ],
                &self.present
            )
        );
        let n: i64 = on_tx_impl!(&mut self.tx, |c| {
            let n: i64 = sqlx::query_scalar(exists).bind(&k.course_id).fetch_one(&mut *c).await?;
            sqlx::query(AssertSqlSafe(sql.clone()))
                .bind(&k.course_id)
                .bind(&k.name)
                .bind(k.skills.join(";"))
                .bind(&k.format)
                .bind(k.hours)
                .execute(&mut *c)
                .await?;
            n
        });
        self.count(n > 0);
        Ok(())
    }

    async fn write_enrollment(&mut self, en: &Enrollment) -> Result<(), StoreError> {
        let Some(emp) = self.employee_id(&en.employee_no).await? else {
            return Ok(());
        };
        let assigned = en.assigned_date.to_string();
        let exists =
            "SELECT COUNT(*) FROM enrollments WHERE employee_id = $1 AND course_id = $2 AND assigned_date = $3";
        let sql = format!(
            "INSERT INTO enrollments (employee_id, course_id, assigned_date, completed_date, score) VALUES ($1, $2, $3, $4, $5) \
            ON CONFLICT (employee_id, course_id, assigned_date) {}",
            set_clause(
                &[("completed_date", "completed_date"), ("score", "score")],
                &self.present
            )
        );
        let n: i64 = on_tx_impl!(&mut self.tx, |c| {
            let n: i64 = sqlx::query_scalar(exists)
                .bind(emp)
                .bind(&en.course_id)
                .bind(&assigned)
                .fetch_one(&mut *c)
                .await?;
            sqlx::query(AssertSqlSafe(sql.clone()))
                .bind(emp)
                .bind(&en.course_id)
                .bind(&assigned)
                .bind(en.completed_date.map(|d| d.to_string()))
                .bind(en.score)
                .execute(&mut *c)
                .await?;
            n
        });
        self.count(n > 0);
        self.touch(AffectedMonths::From(Month::of(en.assigned_date).to_key()));
        Ok(())
    }

    async fn write_appraisal(&mut self, a: &Appraisal) -> Result<(), StoreError> {
        let Some(emp) = self.employee_id(&a.employee_no).await? else {
            return Ok(());
        };
        let exists = "SELECT COUNT(*) FROM appraisals WHERE employee_id = $1 AND period = $2";
        let sql = format!(
            "INSERT INTO appraisals (employee_id, period, period_end, score, grade, reviewer_no) VALUES ($1, $2, $3, $4, $5, $6) \
            ON CONFLICT (employee_id, period) {}",
            set_clause(
                &[
                    ("period_end", "period"),
                    ("score", "score"),
                    ("grade", "grade"),
                    ("reviewer_no", "reviewer_no")
                ],
                &self.present
            )
        );
        let n: i64 = on_tx_impl!(&mut self.tx, |c| {
            let n: i64 = sqlx::query_scalar(exists)
                .bind(emp)
                .bind(&a.period)
                .fetch_one(&mut *c)
                .await?;
            sqlx::query(AssertSqlSafe(sql.clone()))
                .bind(emp)
                .bind(&a.period)
                .bind(a.period_end.to_string())
                .bind(a.score)
                .bind(&a.grade)
                .bind(&a.reviewer_no)
                .execute(&mut *c)
                .await?;
            n
        });
        self.count(n > 0);
        self.touch(AffectedMonths::From(Month::of(a.period_end).to_key()));
        Ok(())
    }

    async fn write_leave(&mut self, l: &Leave) -> Result<(), StoreError> {
        let Some(emp) = self.employee_id(&l.employee_no).await? else {
            return Ok(());
        };
        let exists = "SELECT COUNT(*) FROM employee_leaves WHERE employee_id = $1 AND start_date = $2";
        let sql = "INSERT INTO employee_leaves (employee_id, start_date, end_date, leave_type) VALUES ($1, $2, $3, $4) \
            ON CONFLICT (employee_id, start_date) DO UPDATE SET end_date = excluded.end_date, leave_type = excluded.leave_type";
        let n: i64 = on_tx_impl!(&mut self.tx, |c| {
            let n: i64 = sqlx::query_scalar(exists)
                .bind(emp)
                .bind(l.start_date.to_string())
                .fetch_one(&mut *c)
                .await?;
            sqlx::query(sql)
                .bind(emp)
                .bind(l.start_date.to_string())
                .bind(l.end_date.to_string())
                .bind(&l.leave_type)
                .execute(&mut *c)
                .await?;
            n
        });
        self.count(n > 0);
        Ok(())
    }

    /// Upserts a payroll row: `exists` counts the key's rows (to tell inserts from updates),
    /// `upsert` writes it with the employee id as `$1` and `binds` after it.
    async fn write_payroll_row(
        &mut self,
        employee_no: &str,
        exists: &'static str,
        key: i64,
        upsert: &'static str,
        binds: Vec<crate::value::Value>,
    ) -> Result<(), StoreError> {
        let Some(emp) = self.employee_id(employee_no).await? else {
            return Ok(());
        };
        let n: i64 = on_tx_impl!(&mut self.tx, |c| {
            let n: i64 = sqlx::query_scalar(exists)
                .bind(emp)
                .bind(key)
                .fetch_one(&mut *c)
                .await?;
            let mut q = sqlx::query(upsert).bind(emp);
            for v in &binds {
                q = match v {
                    crate::value::Value::Int(i) => q.bind(*i),
                    crate::value::Value::Text(t) => q.bind(t.clone()),
                    crate::value::Value::Bool(b) => q.bind(*b),
                    crate::value::Value::Real(r) => q.bind(*r),
                    // The only nullable values these rows bind are months (to_month): an integer
                    // NULL, as PostgreSQL will not assign a text NULL to an integer column.
                    crate::value::Value::Null => q.bind(None::<i64>),
                };
            }
            q.execute(&mut *c).await?;
            n
        });
        self.count(n > 0);
        Ok(())
    }

    async fn write_salary(&mut self, r: &SalaryRecord) -> Result<(), StoreError> {
        let n_sql = "SELECT COUNT(*) FROM salary_records WHERE employee_id = $1 AND effective_from = $2";
        let Some(emp) = self.employee_id(&r.employee_no).await? else {
            return Ok(());
        };
        let upsert = "INSERT INTO salary_records (employee_id, effective_from, base_pay_fen, allowance_fen, performance_base_fen,             si_city, si_base_fen, hf_base_fen, hf_rate, non_resident, first_job_this_year, sixty_thousand, bank_account, bank_name)             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (employee_id, effective_from) DO UPDATE SET             base_pay_fen = excluded.base_pay_fen, allowance_fen = excluded.allowance_fen, performance_base_fen = excluded.performance_base_fen,             si_city = excluded.si_city, si_base_fen = excluded.si_base_fen, hf_base_fen = excluded.hf_base_fen, hf_rate = excluded.hf_rate,             non_resident = excluded.non_resident, first_job_this_year = excluded.first_job_this_year,             sixty_thousand = excluded.sixty_thousand, bank_account = excluded.bank_account, bank_name = excluded.bank_name";
        let date = r.effective_from.to_string();
        let n: i64 = on_tx_impl!(&mut self.tx, |c| {
            let n: i64 = sqlx::query_scalar(n_sql)
                .bind(emp)
                .bind(&date)
                .fetch_one(&mut *c)
                .await?;
            sqlx::query(upsert)
                .bind(emp)
                .bind(&date)
                .bind(r.base_pay.0)
                .bind(r.allowance.0)
                .bind(r.performance_base.map(|m| m.0))
                .bind(&r.si_city)
                .bind(r.si_base.map(|m| m.0))
                .bind(r.hf_base.map(|m| m.0))
                .bind(r.hf_rate.map(|d| d.normalize().to_string()))
                .bind(r.non_resident)
                .bind(r.first_job_this_year)
                .bind(r.sixty_thousand)
                .bind(&r.bank_account)
                .bind(&r.bank_name)
                .execute(&mut *c)
                .await?;
            n
        });
        self.count(n > 0);
        Ok(())
    }

    async fn write_declaration(&mut self, r: &IitDeclaration) -> Result<(), StoreError> {
        use crate::value::Value;
        let month = i64::from(r.from_month.to_key());
        self.write_payroll_row(
            &r.employee_no,
            "SELECT COUNT(*) FROM iit_declarations WHERE employee_id = $1 AND from_month = $2",
            month,
            "INSERT INTO iit_declarations (employee_id, from_month, to_month, child_education_fen, continuing_education_fen,              mortgage_interest_fen, rent_fen, elderly_support_fen, infant_care_fen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)              ON CONFLICT (employee_id, from_month) DO UPDATE SET to_month = excluded.to_month,              child_education_fen = excluded.child_education_fen, continuing_education_fen = excluded.continuing_education_fen,              mortgage_interest_fen = excluded.mortgage_interest_fen, rent_fen = excluded.rent_fen,              elderly_support_fen = excluded.elderly_support_fen, infant_care_fen = excluded.infant_care_fen",
            vec![
                Value::Int(month),
                r.to_month.map(|m| i64::from(m.to_key())).into(),
                Value::Int(r.child_education.0),
                Value::Int(r.continuing_education.0),
                Value::Int(r.mortgage_interest.0),
                Value::Int(r.rent.0),
                Value::Int(r.elderly_support.0),
                Value::Int(r.infant_care.0),
            ],
        )
        .await
    }

    async fn write_pay_input(&mut self, r: &PayInputRecord) -> Result<(), StoreError> {
        use crate::value::Value;
        let month = i64::from(r.month.to_key());
        let days_h = r.unpaid_leave_days_h();
        self.write_payroll_row(
            &r.employee_no,
            "SELECT COUNT(*) FROM pay_inputs WHERE employee_id = $1 AND month = $2",
            month,
            "INSERT INTO pay_inputs (employee_id, month, overtime_pay_fen, performance_bonus_fen, other_pay_fen, unpaid_leave_days_h,              other_pretax_deduction_fen, post_tax_deduction_fen, annual_bonus_fen, bonus_merged)              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (employee_id, month) DO UPDATE SET              overtime_pay_fen = excluded.overtime_pay_fen, performance_bonus_fen = excluded.performance_bonus_fen,              other_pay_fen = excluded.other_pay_fen, unpaid_leave_days_h = excluded.unpaid_leave_days_h,              other_pretax_deduction_fen = excluded.other_pretax_deduction_fen,              post_tax_deduction_fen = excluded.post_tax_deduction_fen, annual_bonus_fen = excluded.annual_bonus_fen,              bonus_merged = excluded.bonus_merged",
            vec![
                Value::Int(month),
                Value::Int(r.overtime_pay.0),
                Value::Int(r.performance_bonus.0),
                Value::Int(r.other_pay.0),
                Value::Int(days_h),
                Value::Int(r.other_pretax_deduction.0),
                Value::Int(r.post_tax_deduction.0),
                Value::Int(r.annual_bonus.0),
                Value::Bool(r.bonus_merged),
            ],
        )
        .await
    }

    async fn write_opening(&mut self, r: &IitOpening) -> Result<(), StoreError> {
        use crate::value::Value;
        let month = i64::from(r.as_of_month.to_key());
        self.write_payroll_row(
            &r.employee_no,
            "SELECT COUNT(*) FROM iit_openings WHERE employee_id = $1 AND as_of_month = $2",
            month,
            "INSERT INTO iit_openings (employee_id, as_of_month, cum_income_fen, cum_basic_fen, cum_special_fen,              cum_special_additional_fen, cum_withheld_fen, cum_other_fen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)              ON CONFLICT (employee_id, as_of_month) DO UPDATE SET cum_income_fen = excluded.cum_income_fen,              cum_basic_fen = excluded.cum_basic_fen, cum_special_fen = excluded.cum_special_fen,              cum_special_additional_fen = excluded.cum_special_additional_fen,              cum_withheld_fen = excluded.cum_withheld_fen, cum_other_fen = excluded.cum_other_fen",
            vec![
                Value::Int(month),
                Value::Int(r.cum_income.0),
                Value::Int(r.cum_basic.0),
                Value::Int(r.cum_special.0),
                Value::Int(r.cum_special_additional.0),
                Value::Int(r.cum_withheld.0),
                Value::Int(r.cum_other.0),
            ],
        )
        .await
    }

    async fn write_capacity(&mut self, k: &Capacity) -> Result<(), StoreError> {
        let Some(emp) = self.employee_id(&k.employee_no).await? else {
            return Ok(());
        };
        let exists = "SELECT COUNT(*) FROM capacities WHERE employee_id = $1";
        let sql = "INSERT INTO capacities (employee_id, max_leads_per_month) VALUES ($1, $2) \
            ON CONFLICT (employee_id) DO UPDATE SET max_leads_per_month = excluded.max_leads_per_month";
        let n: i64 = on_tx_impl!(&mut self.tx, |c| {
            let n: i64 = sqlx::query_scalar(exists).bind(emp).fetch_one(&mut *c).await?;
            sqlx::query(sql)
                .bind(emp)
                .bind(k.max_leads_per_month)
                .execute(&mut *c)
                .await?;
            n
        });
        self.count(n > 0);
        Ok(())
    }

    /// A deal's credit share (commissions only: no metric month changes). The first share of a
    /// deal in an import replaces every stored share of that deal, so a corrected file never
    /// leaves an old share behind (which would credit more than 100 %).
    async fn write_split(&mut self, k: &OpportunitySplit) -> Result<(), StoreError> {
        if !self.split_deals.contains_key(&k.opportunity_id) {
            let ids: Vec<String> = on_tx_impl!(&mut self.tx, |c| {
                let ids: Vec<String> =
                    sqlx::query_scalar("SELECT source_id FROM opportunity_splits WHERE opportunity_id = $1")
                        .bind(&k.opportunity_id)
                        .fetch_all(&mut *c)
                        .await?;
                sqlx::query("DELETE FROM opportunity_splits WHERE opportunity_id = $1")
                    .bind(&k.opportunity_id)
                    .execute(&mut *c)
                    .await?;
                ids
            });
            self.split_deals
                .insert(k.opportunity_id.clone(), ids.into_iter().collect());
        }
        let existed = self
            .split_deals
            .get(&k.opportunity_id)
            .is_some_and(|ids| ids.contains(&k.source_id));
        // A split id moved from another deal: its old row goes too.
        let sql = "INSERT INTO opportunity_splits (source_id, opportunity_id, owner_id, percentage) \
            VALUES ($1, $2, $3, $4) ON CONFLICT (source_id) DO UPDATE SET opportunity_id = excluded.opportunity_id, \
            owner_id = excluded.owner_id, percentage = excluded.percentage";
        let month: Option<i64> = on_tx_impl!(&mut self.tx, |c| {
            sqlx::query(sql)
                .bind(&k.source_id)
                .bind(&k.opportunity_id)
                .bind(&k.owner_id)
                .bind(k.percentage.normalize().to_string())
                .execute(&mut *c)
                .await?;
            sqlx::query_scalar("SELECT close_month FROM opportunities WHERE source_id = $1")
                .bind(&k.opportunity_id)
                .fetch_optional(&mut *c)
                .await?
        });
        // The deal's month: its commission drafts move with the new shares.
        if let Some(m) = month {
            self.touch(AffectedMonths::Set([m as i32].into()));
        }
        self.count(existed);
        Ok(())
    }

    /// A payment on a deal (commissions of collected-basis plans). Its month, and the month it
    /// was in before when its date was corrected, are affected.
    async fn write_payment(&mut self, k: &Payment) -> Result<(), StoreError> {
        let month = i64::from(Month::of(k.payment_date).to_key());
        let sql = "INSERT INTO payments (source_id, opportunity_id, payment_date, payment_month, amount_fen) \
            VALUES ($1, $2, $3, $4, $5) ON CONFLICT (source_id) DO UPDATE SET opportunity_id = excluded.opportunity_id, \
            payment_date = excluded.payment_date, payment_month = excluded.payment_month, amount_fen = excluded.amount_fen";
        let old: Option<i32> = on_tx_impl!(&mut self.tx, |c| {
            // payment_month is INTEGER: 4 bytes in PostgreSQL.
            let old: Option<i32> = sqlx::query_scalar("SELECT payment_month FROM payments WHERE source_id = $1")
                .bind(&k.source_id)
                .fetch_optional(&mut *c)
                .await?;
            sqlx::query(sql)
                .bind(&k.source_id)
                .bind(&k.opportunity_id)
                .bind(k.payment_date.to_string())
                .bind(month)
                .bind(k.amount.0)
                .execute(&mut *c)
                .await?;
            old
        });
        let months = old.into_iter().chain([month as i32]).collect();
        self.touch(AffectedMonths::Set(months));
        self.count(old.is_some());
        Ok(())
    }
}
