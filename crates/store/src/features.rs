//! What the wider feature table of driver analysis reads beyond the metric table: people's
//! attributes, the mix of leads they received, and the skills of the courses they completed.

use sqlx::FromRow;

use crate::StoreError;
use crate::conn::{Store, on_pool};

/// A person's attributes from the roster.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct PersonAttributes {
    pub employee_no: String,
    pub birth_date: Option<String>,
    pub gender: Option<String>,
    pub city: Option<String>,
    pub industry_experience: Option<String>,
    /// JSON object of the roster's other columns (e.g. `{"education": "本科"}`).
    pub attributes: String,
}

/// The leads one person received in one month, as stored with the metric table (migration 0004):
/// lines of `kind<TAB>value<TAB>leads`, kind `s` (source), `i` (industry), `o` (own industry).
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct LeadMixRow {
    pub employee_no: String,
    pub month: i64,
    pub mix: String,
}

/// A completed course with its skills (`;`-separated).
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct CompletedCourse {
    pub employee_no: String,
    pub completed_date: String,
    pub skills: String,
}

impl Store {
    pub async fn person_attributes(&self) -> Result<Vec<PersonAttributes>, StoreError> {
        let sql = "SELECT employee_no, birth_date, gender, city, industry_experience, attributes FROM employees";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).fetch_all(p).await?))
    }

    /// The stored lead mix of months `from..=to` (keys).
    pub async fn lead_mix(&self, from: i32, to: i32) -> Result<Vec<LeadMixRow>, StoreError> {
        let sql = "SELECT e.employee_no, m.month, m.mix FROM employee_lead_mix m JOIN employees e ON e.id = m.employee_id \
            WHERE m.month >= $1 AND m.month <= $2";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(from as i64)
            .bind(to as i64)
            .fetch_all(p)
            .await?))
    }

    /// Courses completed by `until` (ISO date) that teach at least one skill.
    pub async fn completed_courses(&self, until: &str) -> Result<Vec<CompletedCourse>, StoreError> {
        let sql = "SELECT e.employee_no, n.completed_date, c.skills FROM enrollments n \
            JOIN courses c ON c.course_id = n.course_id JOIN employees e ON e.id = n.employee_id \
            WHERE n.completed_date IS NOT NULL AND n.completed_date <= $1 AND c.skills <> ''";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(until).fetch_all(p).await?))
    }
}
