//! `uplift bench generate`: write a synthetic large company (roster, courses and enrollments, CRM users,
//! leads, opportunities, tasks) into a folder of files.
//! Each step draws from one seeded generator in turn, in the order `write_files` calls them: the same
//! seed gives byte-identical files, so reordering the steps or their draws changes every data set.

use anyhow::Result;
use chrono::NaiveDate;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use uplift_domain::Month;

use super::INDUSTRIES;
use crate::cli::GenerateArgs;

/// The folder being written, the span of the data and the generator every step draws from.
struct Gen<'a> {
    out: &'a Path,
    rng: SmallRng,
    employees: usize,
    start: Month,
    end: Month,
    /// Instants of the span's start and end in the company's default zone (Asia/Shanghai), and their distance.
    t0: i64,
    t1: i64,
    span: i64,
}

pub(super) fn generate(a: &GenerateArgs) -> Result<i32> {
    let end = Month::parse(&a.end).map_err(|e| anyhow::anyhow!("--end: {e}"))?;
    let t = Instant::now();
    write_files(a, end, a.tasks_per_file.max(1))?;
    println!("generated {} in {:.1} s", a.out.display(), t.elapsed().as_secs_f64());
    Ok(0)
}

/// Empties (or creates) the folder, then writes every file, one step after the other.
fn write_files(a: &GenerateArgs, end: Month, per_file: usize) -> Result<()> {
    let out = a.out.as_path();
    std::fs::create_dir_all(out)?;
    for e in std::fs::read_dir(out)? {
        let p = e?.path();
        if p.is_file() {
            std::fs::remove_file(p)?;
        }
    }
    let rng = SmallRng::seed_from_u64(a.seed);
    let start = end.span_start(a.months);
    let tz = uplift_domain::time::DEFAULT_TZ;
    let t0 = uplift_domain::time::month_end_exclusive(start.prev(), tz).timestamp();
    let t1 = uplift_domain::time::month_end_exclusive(end, tz).timestamp();
    let mut g = Gen {
        out,
        rng,
        employees: a.employees,
        start,
        end,
        t0,
        t1,
        span: (t1 - t0).max(1),
    };
    g.roster()?;
    g.courses()?;
    g.users()?;
    let lead_times = g.leads(a.leads)?;
    g.opportunities(a.opportunities)?;
    g.tasks(a.tasks, per_file, &lead_times)?;
    Ok(())
}

/// The CRM user id of employee `i`.
fn user(i: usize) -> String {
    format!("005{:015}", i)
}

/// A Salesforce timestamp (UTC).
fn sf_time(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S.000+0000")
        .to_string()
}

impl Gen<'_> {
    fn file(&self, name: &str) -> Result<BufWriter<File>> {
        Ok(BufWriter::with_capacity(1 << 20, File::create(self.out.join(name))?))
    }

    /// roster.csv: 200 teams of 50 under 10 regions; the first 200 people lead their teams.
    /// Attributes for the wider feature table of driver analysis (40 candidate features in all).
    fn roster(&mut self) -> Result<()> {
        let (start, end) = (self.start, self.end);
        let mut w = self.file("roster.csv")?;
        let rng = &mut self.rng;
        writeln!(
            w,
            "工号,姓名,部门,入职日期,离职日期,CRM用户ID,直属上级工号,出生日期,性别,城市,行业经验,学历,出勤率"
        )?;
        let cities = ["上海", "北京", "深圳", "杭州", "成都"];
        let educations = ["大专", "本科", "本科", "硕士", "博士"];
        for i in 0..self.employees {
            let hire = start.first_day() - chrono::Duration::days(rng.random_range(0..1500));
            let leave = if rng.random::<f64>() < 0.1 {
                // Never before the hire date (short spans have recent hires).
                (end.first_day() - chrono::Duration::days(rng.random_range(0..300)))
                    .max(hire + chrono::Duration::days(1))
                    .to_string()
            } else {
                String::new()
            };
            let manager = if i >= 200 {
                format!("B{:06}", i % 200)
            } else {
                String::new()
            };
            let birth = NaiveDate::from_ymd_opt(
                1970 + rng.random_range(0..32),
                rng.random_range(1..13),
                rng.random_range(1..29),
            )
            .unwrap_or_default();
            writeln!(
                w,
                "B{:06},员工{i},销售中心/大区{}/团队{},{hire},{leave},{},{manager},{birth},{},{},{},{},{:.3}",
                i,
                i % 10,
                i % 200,
                user(i),
                if rng.random::<f64>() < 0.45 { "女" } else { "男" },
                cities[rng.random_range(0..cities.len())],
                INDUSTRIES[rng.random_range(0..INDUSTRIES.len())],
                educations[rng.random_range(0..educations.len())],
                0.85 + 0.15 * rng.random::<f64>()
            )?;
        }
        w.flush()?;
        Ok(())
    }

    /// courses.csv and enrollments.csv: eight courses, one skill each; about three completions per
    /// person at random dates.
    fn courses(&mut self) -> Result<()> {
        let (start, end) = (self.start, self.end);
        let skills = [
            "negotiation",
            "product",
            "follow-up",
            "key-account",
            "industry",
            "onboarding",
            "demo",
            "pricing",
        ];
        let mut w = self.file("courses.csv")?;
        writeln!(w, "课程编号,课程名称,技能,形式,时长")?;
        for (k, skill) in skills.iter().enumerate() {
            writeln!(w, "K{k:02},课程{k},{skill},online,4")?;
        }
        w.flush()?;
        let mut w = self.file("enrollments.csv")?;
        writeln!(w, "工号,课程编号,分配日期,完成日期,成绩")?;
        let days = (end.last_day() - start.first_day()).num_days().max(2);
        let rng = &mut self.rng;
        for i in 0..self.employees {
            for k in 0..skills.len() {
                if rng.random::<f64>() < 0.4 {
                    let assigned = start.first_day() + chrono::Duration::days(rng.random_range(0..days - 1));
                    let done = assigned + chrono::Duration::days(rng.random_range(3..40));
                    let done = if done <= end.last_day() {
                        done.to_string()
                    } else {
                        String::new()
                    };
                    writeln!(w, "B{i:06},K{k:02},{assigned},{done},{}", rng.random_range(60..100))?;
                }
            }
        }
        w.flush()?;
        Ok(())
    }

    /// User.csv: one active CRM user per employee (draws nothing).
    fn users(&self) -> Result<()> {
        let mut w = self.file("User.csv")?;
        writeln!(w, "Id,Name,Email,IsActive")?;
        for i in 0..self.employees {
            writeln!(w, "{},员工{i},b{i}@bench.cn,true", user(i))?;
        }
        w.flush()?;
        Ok(())
    }

    /// Lead.csv: `leads` leads at random instants and owners; returns each lead's (instant, owner)
    /// for the tasks.
    fn leads(&mut self, leads: usize) -> Result<Vec<(i64, usize)>> {
        let (t0, span, employees) = (self.t0, self.span, self.employees);
        let mut lead_times = Vec::with_capacity(leads);
        let mut w = self.file("Lead.csv")?;
        let rng = &mut self.rng;
        writeln!(w, "Id,OwnerId,CreatedDate,LeadSource,Industry,Status,IsConverted")?;
        let sources = [
            "Web",
            "Partner Referral",
            "Trade Show",
            "Cold Call",
            "Purchased List",
            "Webinar",
            "Employee Referral",
        ];
        let industries = INDUSTRIES;
        for i in 0..leads {
            let ts = t0 + rng.random_range(0..span);
            let owner = rng.random_range(0..employees.max(1));
            lead_times.push((ts, owner));
            let conv = rng.random::<f64>() < 0.15;
            writeln!(
                w,
                "00Q{:015},{},{},{},{},{},{}",
                i,
                user(owner),
                sf_time(ts),
                sources[i % sources.len()],
                industries[(i / 7) % industries.len()],
                if conv {
                    "Closed - Converted"
                } else {
                    "Working - Contacted"
                },
                conv
            )?;
        }
        w.flush()?;
        Ok(lead_times)
    }

    /// Opportunity.csv: `opps` opportunities; those closing after the span are still open.
    fn opportunities(&mut self, opps: usize) -> Result<()> {
        let (t0, t1, span, employees) = (self.t0, self.t1, self.span, self.employees);
        let mut w = self.file("Opportunity.csv")?;
        let rng = &mut self.rng;
        writeln!(w, "Id,OwnerId,Amount,StageName,IsClosed,IsWon,CloseDate,CreatedDate")?;
        for i in 0..opps {
            let created = t0 + rng.random_range(0..span);
            let close = created + rng.random_range(86_400..90 * 86_400);
            let close_date = chrono::DateTime::from_timestamp(close + 8 * 3600, 0)
                .unwrap_or_default()
                .date_naive();
            let r: f64 = rng.random();
            let (stage, closed, won) = if close >= t1 {
                ("Proposal", false, false)
            } else if r < 0.55 {
                ("Closed Won", true, true)
            } else {
                ("Closed Lost", true, false)
            };
            writeln!(
                w,
                "006{:015},{},{}.00,{stage},{closed},{won},{close_date},{}",
                i,
                user(rng.random_range(0..employees.max(1))),
                rng.random_range(5_000..300_000),
                sf_time(created)
            )?;
        }
        w.flush()?;
        Ok(())
    }

    /// Task.csv, or Task_01.csv… of at most `per_file` rows: `tasks` follow-ups of random leads by
    /// their owners, after the lead's creation.
    fn tasks(&mut self, tasks: usize, per_file: usize, lead_times: &[(i64, usize)]) -> Result<()> {
        let (t0, t1) = (self.t0, self.t1);
        let leads = lead_times.len();
        let files = tasks.div_ceil(per_file);
        let mut n = 0usize;
        for f in 0..files {
            let name = if files == 1 {
                "Task.csv".to_string()
            } else {
                format!("Task_{:02}.csv", f + 1)
            };
            let mut w = self.file(&name)?;
            writeln!(w, "Id,OwnerId,WhoId,Subject,TaskSubtype,Status,CreatedDate")?;
            for _ in 0..per_file.min(tasks - n) {
                let li = self.rng.random_range(0..leads.max(1));
                let (lts, owner) = lead_times.get(li).copied().unwrap_or((t0, 0));
                let ts = (lts + self.rng.random_range(600..30 * 86_400)).min(t1 - 1);
                let done = self.rng.random::<f64>() < 0.92;
                writeln!(
                    w,
                    "00T{:015},{},00Q{:015},跟进,Call,{},{}",
                    n,
                    user(owner),
                    li,
                    if done { "Completed" } else { "Not Started" },
                    sf_time(ts)
                )?;
                n += 1;
            }
            w.flush()?;
        }
        Ok(())
    }
}
