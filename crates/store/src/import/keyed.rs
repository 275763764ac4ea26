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
