//! The demo's CRM: Salesforce exports (`User`, `Lead`, `Opportunity`, `Task`, `Event`, `Account`)
//! generated month by month from each person's latent skill, habits and ramp-up, with the targets
//! and wins the HR files need.

use std::fs::File;
use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::Rng;
use rand::rngs::SmallRng;

use uplift_domain::Month;

use super::csv_err;
use super::people::{CITIES, INDUSTRIES, Person, TEAMS, exponential, normal, pick_source, poisson};
use crate::AppError;

/// A Salesforce date-time (UTC, as the exports write it).
pub(super) fn sf_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S.000+0000").to_string()
}

/// A Salesforce-style id: a three-character key prefix and a number.
pub(super) fn sf_id(prefix: &str, n: usize) -> String {
    format!("{prefix}{n:015}")
}

/// What the HR files take from the CRM history.
#[derive(Default)]
pub(super) struct CrmOutcome {
    /// Rows of `targets.csv`: (工号, month, target in yuan).
    pub(super) targets: Vec<Vec<String>>,
    /// Won amounts: (index into people, close month, yuan).
    pub(super) month_won: Vec<(usize, Month, f64)>,
}

/// Writes `User.csv` and the CRM activity of every person-month from `start` to `end`.
pub(super) fn write_crm_files(
    dir: &Path,
    people: &[Person],
    start: Month,
    end: Month,
    rng: &mut SmallRng,
) -> Result<CrmOutcome, AppError> {
    write_users(dir, people)?;
    let mut files = CrmFiles::create(dir)?;
    let end_day = end.last_day();
    let now_cut = Utc.from_utc_datetime(&(end_day + Duration::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default())
        - Duration::hours(8);
    let mut out = CrmOutcome::default();
    for month in start.through(end) {
        let (m0, m1) = (month.first_day(), month.last_day());
        for (pi, p) in people.iter().enumerate() {
            let from = p.hire.max(m0);
            let to = p.leave.map(|l| l - Duration::days(1)).unwrap_or(m1).min(m1);
            if to < from {
                continue;
            }
            let days = (to - from).num_days() + 1;
            let fte = days as f64 / month.days() as f64;
            let tenure_m = ((m1 - p.hire).num_days() as f64 / 30.4).max(0.0);
            let ramp = (0.35 + 0.65 * (tenure_m / 6.0).min(1.0)).min(1.0);
            let family = TEAMS[p.team].family;
            // Targets in yuan, by ramp and team.
            let base_target = match family {
                "sales" => 160_000.0,
                "customer_success" => 110_000.0,
                _ => 130_000.0,
            };
            out.targets.push(vec![
                p.no.clone(),
                month.to_string(),
                format!("{:.0}", (base_target * ramp * fte / 10_000.0).round() * 10_000.0),
            ]);
            let habit = if p.followup_course_done.is_some_and(|d| d < m0) {
                p.habit * 1.35
            } else {
                p.habit
            };
            let expected_leads = p.capacity as f64 * 0.75 * fte * if family == "customer_success" { 0.6 } else { 1.0 };
            let rep = RepMonth {
                index: pi,
                person: p,
                from,
                days,
                habit,
                ramp,
                family,
                now_cut,
                end_day,
            };
            for _ in 0..poisson(rng, expected_leads) {
                files.lead(&rep, rng, &mut out.month_won)?;
            }
        }
    }
    files.flush()?;
    Ok(out)
}

fn write_users(dir: &Path, people: &[Person]) -> Result<(), AppError> {
    let mut users_csv = csv::Writer::from_path(dir.join("User.csv")).map_err(csv_err)?;
    users_csv
        .write_record(["Id", "Name", "Email", "IsActive", "ManagerId"])
        .map_err(csv_err)?;
    for p in people {
        let manager = p
            .manager_no
            .as_ref()
            .and_then(|m| people.iter().find(|q| &q.no == m))
            .map(|q| q.crm_id.clone())
            .unwrap_or_default();
        users_csv
            .write_record([
                p.crm_id.as_str(),
                p.name.as_str(),
                p.email.as_str(),
                if p.leave.is_some() { "false" } else { "true" },
                manager.as_str(),
            ])
            .map_err(csv_err)?;
    }
    users_csv.flush()?;
    Ok(())
}

/// One person in one month, as their leads see them.
struct RepMonth<'a> {
    index: usize,
    person: &'a Person,
    /// First day employed in the month, and the number of days employed.
    from: NaiveDate,
    days: i64,
    /// Follow-ups per lead this month (raised after the follow-up course).
    habit: f64,
    ramp: f64,
    family: &'static str,
    /// Nothing happens at or after this instant (the end of history).
    now_cut: DateTime<Utc>,
    end_day: NaiveDate,
}

/// The open CSV writers and the running id counters.
struct CrmFiles {
    leads: csv::Writer<File>,
    opps: csv::Writer<File>,
    tasks: csv::Writer<File>,
    events: csv::Writer<File>,
    accounts: csv::Writer<File>,
    n_lead: usize,
    n_opp: usize,
    n_task: usize,
    n_event: usize,
    n_acct: usize,
}

fn writer(dir: &Path, file: &str, headers: &[&str]) -> Result<csv::Writer<File>, AppError> {
    let mut w = csv::Writer::from_path(dir.join(file)).map_err(csv_err)?;
    w.write_record(headers).map_err(csv_err)?;
    Ok(w)
}

impl CrmFiles {
    fn create(dir: &Path) -> Result<CrmFiles, AppError> {
        Ok(CrmFiles {
            leads: writer(
                dir,
                "Lead.csv",
                &[
                    "Id",
                    "OwnerId",
                    "CreatedDate",
                    "LeadSource",
                    "Industry",
                    "Status",
                    "Rating",
                    "IsConverted",
                    "ConvertedDate",
                    "ConvertedOpportunityId",
                    "Company",
                    "LastName",
                    "City",
                ],
            )?,
            opps: writer(
                dir,
                "Opportunity.csv",
                &[
                    "Id",
                    "OwnerId",
                    "AccountId",
                    "Name",
                    "Amount",
                    "StageName",
                    "IsClosed",
                    "IsWon",
                    "Probability",
                    "CloseDate",
                    "CreatedDate",
                    "LeadSource",
                    "Type",
                ],
            )?,
            tasks: writer(
                dir,
                "Task.csv",
                &[
                    "Id",
                    "OwnerId",
                    "WhoId",
                    "WhatId",
                    "Subject",
                    "TaskSubtype",
                    "Status",
                    "ActivityDate",
                    "CreatedDate",
                    "CompletedDateTime",
                ],
            )?,
            events: writer(
                dir,
                "Event.csv",
                &[
                    "Id",
                    "OwnerId",
                    "WhoId",
                    "WhatId",
                    "Subject",
                    "StartDateTime",
                    "EndDateTime",
                    "Type",
                ],
            )?,
            accounts: writer(
                dir,
                "Account.csv",
                &["Id", "Name", "Industry", "OwnerId", "CreatedDate"],
            )?,
            n_lead: 0,
            n_opp: 0,
            n_task: 0,
            n_event: 0,
            n_acct: 0,
        })
    }

    fn flush(&mut self) -> Result<(), AppError> {
        for w in [
            &mut self.leads,
            &mut self.opps,
            &mut self.tasks,
            &mut self.events,
            &mut self.accounts,
        ] {
            w.flush()?;
        }
        Ok(())
    }

    /// One lead: its follow-up tasks, and when it converts the account, deal and visits.
    fn lead(
        &mut self,
        rep: &RepMonth,
        rng: &mut SmallRng,
        month_won: &mut Vec<(usize, Month, f64)>,
    ) -> Result<(), AppError> {
        let p = rep.person;
        self.n_lead += 1;
        let n_lead = self.n_lead;
        let lead_id = sf_id("00Q", n_lead);
        let created_day = rep.from + Duration::days(rng.random_range(0..rep.days));
        let created = Utc.from_utc_datetime(
            &created_day
                .and_hms_opt(rng.random_range(0..24), rng.random_range(0..60), 0)
                .unwrap_or_default(),
        ) - Duration::hours(8);
        let src = pick_source(rng);
        let industry = INDUSTRIES[rng.random_range(0..INDUSTRIES.len())];
        let first_delay_h = exponential(rng, p.speed_hours);
        let n_follow = poisson(rng, rep.habit).min(20);
        let exp_match = if industry == p.industry { 1.45 } else { 1.0 };
        let contact_boost = if first_delay_h <= 24.0 { 1.25 } else { 0.7 };
        let follow_boost = 0.55 + 0.18 * (n_follow as f64).min(6.0);
        let fam_boost = match rep.family {
            "customer_success" => 1.8,
            "bd" => 1.1,
            _ => 1.0,
        };
        let p_conv = (src.2 * p.skill * exp_match * contact_boost * follow_boost * rep.ramp * fam_boost).min(0.9);
        let first = created + Duration::minutes((first_delay_h * 60.0) as i64);
        let last_touch = self.follow_ups(rep, &lead_id, created, first, n_follow, rng)?;
        let converted = rng.random::<f64>() < p_conv && last_touch > created;
        let status;
        let (mut conv_date, mut conv_opp) = (String::new(), String::new());
        if converted {
            let cdate = last_touch + Duration::days(rng.random_range(1..10));
            if cdate < rep.now_cut {
                (conv_date, conv_opp) = self.deal(rep, industry, src.0, cdate, rng, month_won)?;
                status = "Closed - Converted";
            } else {
                status = "Working - Contacted";
            }
        } else if last_touch > created {
            status = if rng.random::<f64>() < 0.5 {
                "Working - Contacted"
            } else {
                "Closed - Not Converted"
            };
        } else {
            status = "Open - Not Contacted";
        }
        let rating = ["Hot", "Warm", "Cold"][rng.random_range(0..3)];
        self.leads
            .write_record([
                lead_id.as_str(),
                p.crm_id.as_str(),
                &sf_time(created),
                src.0,
                industry,
                status,
                rating,
                if conv_opp.is_empty() { "false" } else { "true" },
                conv_date.as_str(),
                conv_opp.as_str(),
                &format!("{}客户{}", CITIES[rng.random_range(0..CITIES.len())], n_lead),
                &format!("联系人{n_lead}"),
                CITIES[rng.random_range(0..CITIES.len())],
            ])
            .map_err(csv_err)?;
        Ok(())
    }

    /// Up to `n_follow` follow-up tasks on a lead from `first` on; returns the last touch (or
    /// `created` when there was none).
    fn follow_ups(
        &mut self,
        rep: &RepMonth,
        lead_id: &str,
        created: DateTime<Utc>,
        first: DateTime<Utc>,
        n_follow: u32,
        rng: &mut SmallRng,
    ) -> Result<DateTime<Utc>, AppError> {
        let p = rep.person;
        let mut t = first;
        let mut last_touch = created;
        for k in 0..n_follow {
            if t >= rep.now_cut || p.leave.is_some_and(|l| t.date_naive() >= l) {
                break;
            }
            self.n_task += 1;
            let completed = rng.random::<f64>() < 0.93;
            let subtype = ["Call", "Call", "Email", "Call", "Task"][rng.random_range(0..5)];
            self.tasks
                .write_record([
                    sf_id("00T", self.n_task).as_str(),
                    p.crm_id.as_str(),
                    lead_id,
                    "",
                    if k == 0 { "首次联系" } else { "跟进" },
                    subtype,
                    if completed { "Completed" } else { "Not Started" },
                    &(t + Duration::hours(8)).date_naive().to_string(),
                    &sf_time(t),
                    &if completed {
                        sf_time(t + Duration::minutes(rng.random_range(5..90)))
                    } else {
                        String::new()
                    },
                ])
                .map_err(csv_err)?;
            last_touch = t;
            t += Duration::hours((exponential(rng, 72.0) + 6.0) as i64);
        }
        Ok(last_touch)
    }

    /// A converted lead's account, deal and customer visits; returns (converted date, deal id).
    fn deal(
        &mut self,
        rep: &RepMonth,
        industry: &str,
        source: &str,
        cdate: DateTime<Utc>,
        rng: &mut SmallRng,
        month_won: &mut Vec<(usize, Month, f64)>,
    ) -> Result<(String, String), AppError> {
        let p = rep.person;
        self.n_opp += 1;
        self.n_acct += 1;
        let (n_opp, n_acct) = (self.n_opp, self.n_acct);
        let opp_id = sf_id("006", n_opp);
        let acct_id = sf_id("001", n_acct);
        let conv_date = (cdate + Duration::hours(8)).date_naive().to_string();
        self.accounts
            .write_record([
                acct_id.as_str(),
                &format!("{}{}科技有限公司", CITIES[rng.random_range(0..CITIES.len())], n_acct),
                industry,
                p.crm_id.as_str(),
                &sf_time(cdate),
            ])
            .map_err(csv_err)?;
        let amount = ((10.55 + 0.55 * normal(rng) + 0.15 * (p.skill - 1.0)).exp() / 100.0).round() * 100.0;
        let close = (cdate + Duration::days(rng.random_range(7..75)) + Duration::hours(8)).date_naive();
        let p_win = (0.55 * p.skill * if source == "Partner Referral" { 1.15 } else { 1.0 }).min(0.92);
        let (stage, closed, won, prob) = if close > rep.end_day {
            (
                [
                    "Qualification",
                    "Needs Analysis",
                    "Proposal/Price Quote",
                    "Negotiation/Review",
                ][rng.random_range(0..4)],
                false,
                false,
                "40",
            )
        } else if rng.random::<f64>() < p_win {
            ("Closed Won", true, true, "100")
        } else {
            ("Closed Lost", true, false, "0")
        };
        if won {
            month_won.push((rep.index, Month::of(close), amount));
        }
        self.opps
            .write_record([
                opp_id.as_str(),
                p.crm_id.as_str(),
                acct_id.as_str(),
                &format!("{industry}项目{n_opp}"),
                &format!("{amount:.2}"),
                stage,
                if closed { "true" } else { "false" },
                if won { "true" } else { "false" },
                prob,
                &close.to_string(),
                &sf_time(cdate),
                source,
                "New Business",
            ])
            .map_err(csv_err)?;
        for _ in 0..rng.random_range(1..4) {
            let start = cdate + Duration::days(rng.random_range(1..20)) + Duration::hours(rng.random_range(1..8));
            if start >= rep.now_cut || p.leave.is_some_and(|l| start.date_naive() >= l) {
                continue;
            }
            self.n_event += 1;
            self.events
                .write_record([
                    sf_id("00U", self.n_event).as_str(),
                    p.crm_id.as_str(),
                    "",
                    opp_id.as_str(),
                    "客户拜访",
                    &sf_time(start),
                    &sf_time(start + Duration::hours(1)),
                    "Meeting",
                ])
                .map_err(csv_err)?;
        }
        Ok((conv_date, opp_id))
    }
}
