//! The demo company: a Chinese B2B software seller with sales, customer success and BD teams.
//!
//! It is written as real files (Salesforce CSV exports, an XLSX roster with Chinese headers, a GBK
//! targets CSV) and then imported through the same importer customers use, so the demo exercises
//! the whole path. Behind the numbers are patterns worth finding: reps who follow up more and
//! contact leads faster convert more, referral leads convert best, industry experience that
//! matches the lead's industry helps, new hires ramp up over about six months, and the follow-up
//! course lifts follow-up habits after it is completed — and one team (销售二部) takes it together
//! six months before the end, a planted intervention for `uplift insights effect`. Same seed and end
//! month → same company.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::path::Path;

use uplift_domain::{Lang, Money, Month};
use uplift_io::xlsx_out::{Cell, write_xlsx};
use uplift_store::{MetricFilter, Store};

use crate::AppError;
use crate::import::{files_in_dir, import_files};

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    pub seed: u64,
    pub staff: usize,
    /// Months of history.
    pub months: u32,
    /// The last month of history; default: the last full month before today.
    pub end: Option<Month>,
}

/// What was created.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub departments: i64,
    pub employees: i64,
    pub leavers: usize,
    pub joiners: usize,
    pub leads: i64,
    pub opportunities: i64,
    pub activities: i64,
    pub from: Month,
    pub to: Month,
    /// Company per-capita contribution of the last month, yuan.
    pub last_per_capita: Option<f64>,
    /// Departments by per-capita contribution in the last month: (path, yuan).
    pub league: Vec<(String, f64)>,
}

impl DemoSummary {
    pub fn render(&self, lang: Lang) -> String {
        let money = |x: f64| Money((x * 100.0).round() as i64).display_cny();
        let mut s = if lang == Lang::Zh {
            format!(
                "示例公司已创建：{} 个部门，{} 名员工（期间入职 {} 人、离职 {} 人），{}至{}；线索 {} 条，商机 {} 个，活动 {} 条。\n",
                self.departments,
                self.employees,
                self.joiners,
                self.leavers,
                self.from.label_zh(),
                self.to.label_zh(),
                self.leads,
                self.opportunities,
                self.activities
            )
        } else {
            format!(
                "Demo company created: {} departments, {} staff ({} joined, {} left in the period), {} to {}; {} leads, {} opportunities, {} activities.\n",
                self.departments,
                self.employees,
                self.joiners,
                self.leavers,
                self.from,
                self.to,
                self.leads,
                self.opportunities,
                self.activities
            )
        };
        if let Some(p) = self.last_per_capita {
            s.push_str(&format!(
                "{} {}: {}\n",
                if lang == Lang::Zh {
                    self.to.label_zh()
                } else {
                    self.to.to_string()
                },
                lang.pick("全公司人均贡献额", "company per-capita contribution"),
                money(p)
            ));
        }
        for (i, (d, v)) in self.league.iter().enumerate() {
            s.push_str(&format!("  {}. {d}  {}\n", i + 1, money(*v)));
        }
        s
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗",
    "高", "梁", "郑", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞",
    "平", "刚", "桂英", "晨", "浩", "宇", "欣", "佳", "婷", "博", "思远", "子涵", "雨轩", "梓萱", "一鸣", "嘉怡",
];
const INDUSTRIES: &[&str] = &["Manufacturing", "Retail", "Finance", "Healthcare", "Technology"];
const CITIES: &[&str] = &["上海", "杭州", "南京", "苏州", "深圳", "广州", "北京"];

/// (lead source, share of leads, base conversion rate)
const SOURCES: &[(&str, f64, f64)] = &[
    ("Partner Referral", 0.15, 0.26),
    ("Web", 0.35, 0.14),
    ("Trade Show", 0.15, 0.12),
    ("Cold Call", 0.20, 0.06),
    ("Purchased List", 0.15, 0.04),
];

struct Team {
    path: &'static str,
    family: &'static str,
    position: &'static str,
    share: f64,
    city: &'static str,
}

/// The team of the planted follow-up programme (see `write_demo_files`).
pub const PROGRAM_TEAM: &str = "销售中心/华东大区/销售二部";

const TEAMS: &[Team] = &[
    Team {
        path: "销售中心/华东大区/销售一部",
        family: "sales",
        position: "销售代表",
        share: 0.22,
        city: "上海",
    },
    Team {
        path: "销售中心/华东大区/销售二部",
        family: "sales",
        position: "销售代表",
        share: 0.20,
        city: "杭州",
    },
    Team {
        path: "销售中心/华南大区/销售三部",
        family: "sales",
        position: "销售代表",
        share: 0.20,
        city: "深圳",
    },
    Team {
        path: "客户成功部/客户成功一组",
        family: "customer_success",
        position: "客户成功经理",
        share: 0.20,
        city: "上海",
    },
    Team {
        path: "商务拓展部",
        family: "bd",
        position: "商务拓展经理",
        share: 0.18,
        city: "北京",
    },
];

struct Person {
    no: String,
    crm_id: String,
    name: String,
    email: String,
    team: usize,
    hire: NaiveDate,
    leave: Option<NaiveDate>,
    birth: NaiveDate,
    gender: &'static str,
    education: &'static str,
    industry: &'static str,
    /// Latent selling skill (multiplies conversion and win odds).
    skill: f64,
    /// Follow-ups per lead the rep tends to make.
    habit: f64,
    /// Typical hours to first contact.
    speed_hours: f64,
    capacity: i64,
    manager_no: Option<String>,
    /// Completion date of the follow-up course, if taken.
    followup_course_done: Option<NaiveDate>,
}

fn normal(rng: &mut SmallRng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn exponential(rng: &mut SmallRng, mean: f64) -> f64 {
    -mean * rng.random::<f64>().max(1e-12).ln()
}

fn poisson(rng: &mut SmallRng, mean: f64) -> u32 {
    // Knuth for small means, normal approximation for large ones.
    if mean > 30.0 {
        return (mean + mean.sqrt() * normal(rng)).round().max(0.0) as u32;
    }
    let l = (-mean).exp();
    let (mut k, mut p) = (0u32, 1.0);
    loop {
        p *= rng.random::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

/// A lead source drawn by its share of leads (one uniform draw).
fn pick_source(rng: &mut SmallRng) -> (&'static str, f64, f64) {
    let mut r = rng.random::<f64>();
    for s in SOURCES {
        if r < s.1 {
            return *s;
        }
        r -= s.1;
    }
    SOURCES[0]
}

fn sf_time(t: chrono::DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S.000+0000").to_string()
}

fn sf_id(prefix: &str, n: usize) -> String {
    format!("{prefix}{n:015}")
}

/// Default end of history: the last full month before today (Asia/Shanghai).
pub fn default_end() -> Month {
    Month::of(Utc::now().with_timezone(&uplift_domain::time::DEFAULT_TZ).date_naive()).prev()
}

/// Writes the demo company's source files into `dir` (replacing them).
pub fn write_demo_files(cfg: &DemoConfig, dir: &Path) -> Result<(usize, usize), AppError> {
    let end = cfg.end.unwrap_or_else(default_end);
    let start = end.span_start(cfg.months);
    let (start_day, end_day) = (start.first_day(), end.last_day());
    let mut rng = SmallRng::seed_from_u64(cfg.seed);
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_file() {
            std::fs::remove_file(p)?;
        }
    }

    // People: each team gets a manager (hired long ago) and reps; some leave, some join later.
    let mut people: Vec<Person> = Vec::new();
    let staff = cfg.staff.max(TEAMS.len() * 2);
    let mut joiners = 0;
    let mut leavers = 0;
    let window_days = (end_day - start_day).num_days().max(1);
    for (ti, team) in TEAMS.iter().enumerate() {
        let n = ((staff as f64) * team.share).round().max(2.0) as usize;
        let mut manager_no = None;
        for k in 0..n {
            let idx = people.len();
            let no = format!("E{}", 1001 + idx);
            let is_manager = k == 0;
            let joins_late = !is_manager && rng.random::<f64>() < 0.18;
            let hire = if joins_late {
                joiners += 1;
                start_day + Duration::days(rng.random_range(0..window_days - 30))
            } else if is_manager {
                start_day - Duration::days(rng.random_range(1500..3500))
            } else {
                start_day - Duration::days(rng.random_range(20..2200))
            };
            let leave = if !is_manager && rng.random::<f64>() < 0.14 {
                let earliest = hire.max(start_day) + Duration::days(60);
                (earliest < end_day - Duration::days(10)).then(|| {
                    leavers += 1;
                    earliest + Duration::days(rng.random_range(0..(end_day - earliest).num_days().max(1)))
                })
            } else {
                None
            };
            let skill = (0.25 * normal(&mut rng)).exp() * if is_manager { 1.2 } else { 1.0 };
            let habit = (1.2 + 0.35 * normal(&mut rng)).exp().clamp(1.0, 9.0);
            let name = format!(
                "{}{}",
                SURNAMES[rng.random_range(0..SURNAMES.len())],
                GIVEN[rng.random_range(0..GIVEN.len())]
            );
            let age = rng.random_range(23..46);
            let birth = NaiveDate::from_ymd_opt(end.year() - age, rng.random_range(1..=12), rng.random_range(1..=28))
                .unwrap_or(start_day);
            people.push(Person {
                no: no.clone(),
                crm_id: sf_id("005", 1000 + idx),
                name,
                email: format!("{}@uplift-demo.cn", no.to_lowercase()),
                team: ti,
                hire,
                leave,
                birth,
                gender: if rng.random::<f64>() < 0.45 { "女" } else { "男" },
                education: ["大专", "本科", "本科", "本科", "硕士"][rng.random_range(0..5)],
                industry: INDUSTRIES[rng.random_range(0..INDUSTRIES.len())],
                skill,
                habit,
                speed_hours: (1.6 + 0.8 * normal(&mut rng) - 0.25 * (habit - 3.0))
                    .exp()
                    .clamp(0.3, 96.0),
                capacity: rng.random_range(22..46),
                manager_no: manager_no.clone(),
                followup_course_done: None,
            });
            if is_manager {
                manager_no = Some(no);
            }
        }
    }

    // Courses and enrollments; the follow-up course really lifts habits after completion.
    let courses = [
        ("C01", "谈判技巧", "negotiation", "offline", 8.0),
        ("C02", "产品知识", "product", "online", 6.0),
        ("C03", "客户跟进方法", "follow-up", "online", 4.0),
        ("C04", "行业解决方案：制造业", "industry;manufacturing", "online", 3.0),
        ("C05", "大客户销售", "key-account;negotiation", "offline", 12.0),
        ("C06", "新员工入职培训", "onboarding;product", "offline", 16.0),
    ];
    let mut enrollments: Vec<Vec<String>> = Vec::new();
    // A planted intervention: the whole of one team takes the follow-up course together six
    // months before the end, so `uplift insights effect` has a real effect to find.
    let program_day = end.span_start(6).first_day();
    for p in people.iter_mut() {
        let active_from = p.hire.max(start_day);
        let active_to = p.leave.unwrap_or(end_day).min(end_day);
        if active_to <= active_from + Duration::days(20) {
            continue;
        }
        if p.hire >= start_day {
            let done = p.hire + Duration::days(rng.random_range(5..20));
            enrollments.push(vec![
                p.no.clone(),
                "C06".into(),
                p.hire.to_string(),
                if done < active_to {
                    done.to_string()
                } else {
                    String::new()
                },
                "85".into(),
            ]);
        }
        let in_program = TEAMS[p.team].path == PROGRAM_TEAM && p.hire + Duration::days(30) < program_day;
        for (cid, ..) in courses.iter().take(5) {
            if in_program && *cid == "C03" {
                // The whole team takes it together (below).
                if p.leave.is_none_or(|l| l > program_day) {
                    p.followup_course_done = Some(program_day - Duration::days(1));
                    enrollments.push(vec![
                        p.no.clone(),
                        cid.to_string(),
                        (program_day - Duration::days(10)).to_string(),
                        (program_day - Duration::days(1)).to_string(),
                        format!("{}", rng.random_range(70..100)),
                    ]);
                }
                continue;
            }
            if rng.random::<f64>() < 0.28 {
                let span = (active_to - active_from).num_days().max(2);
                let assigned = active_from + Duration::days(rng.random_range(0..span - 1));
                let completed = (rng.random::<f64>() < 0.72)
                    .then(|| assigned + Duration::days(rng.random_range(3..30)))
                    .filter(|d| *d <= active_to);
                if *cid == "C03" {
                    p.followup_course_done = completed;
                }
                let score = completed
                    .map(|_| format!("{}", rng.random_range(60..100)))
                    .unwrap_or_default();
                enrollments.push(vec![
                    p.no.clone(),
                    cid.to_string(),
                    assigned.to_string(),
                    completed.map(|d| d.to_string()).unwrap_or_default(),
                    score,
                ]);
            }
        }
    }

    // CRM activity, month by month.
    let mut users_csv = csv::Writer::from_path(dir.join("User.csv")).map_err(csv_err)?;
    users_csv
        .write_record(["Id", "Name", "Email", "IsActive", "ManagerId"])
        .map_err(csv_err)?;
    for p in &people {
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

    let mut leads = csv::Writer::from_path(dir.join("Lead.csv")).map_err(csv_err)?;
    leads
        .write_record([
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
        ])
        .map_err(csv_err)?;
    let mut opps = csv::Writer::from_path(dir.join("Opportunity.csv")).map_err(csv_err)?;
    opps.write_record([
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
    ])
    .map_err(csv_err)?;
    let mut tasks = csv::Writer::from_path(dir.join("Task.csv")).map_err(csv_err)?;
    tasks
        .write_record([
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
        ])
        .map_err(csv_err)?;
    let mut events = csv::Writer::from_path(dir.join("Event.csv")).map_err(csv_err)?;
    events
        .write_record([
            "Id",
            "OwnerId",
            "WhoId",
            "WhatId",
            "Subject",
            "StartDateTime",
            "EndDateTime",
            "Type",
        ])
        .map_err(csv_err)?;
    let mut accounts = csv::Writer::from_path(dir.join("Account.csv")).map_err(csv_err)?;
    accounts
        .write_record(["Id", "Name", "Industry", "OwnerId", "CreatedDate"])
        .map_err(csv_err)?;

    let (mut n_lead, mut n_opp, mut n_task, mut n_event, mut n_acct) = (0usize, 0usize, 0usize, 0usize, 0usize);
    let now_cut = Utc.from_utc_datetime(&(end_day + Duration::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default())
        - Duration::hours(8);
    let mut targets: Vec<Vec<String>> = Vec::new();
    let mut month_won: Vec<(usize, Month, f64)> = Vec::new();
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
            targets.push(vec![
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
            for _ in 0..poisson(&mut rng, expected_leads) {
                n_lead += 1;
                let lead_id = sf_id("00Q", n_lead);
                let created_day = from + Duration::days(rng.random_range(0..days));
                let created = Utc.from_utc_datetime(
                    &created_day
                        .and_hms_opt(rng.random_range(0..24), rng.random_range(0..60), 0)
                        .unwrap_or_default(),
                ) - Duration::hours(8);
                let src = pick_source(&mut rng);
                let industry = INDUSTRIES[rng.random_range(0..INDUSTRIES.len())];
                let first_delay_h = exponential(&mut rng, p.speed_hours);
                let n_follow = poisson(&mut rng, habit).min(20);
                let exp_match = if industry == p.industry { 1.45 } else { 1.0 };
                let contact_boost = if first_delay_h <= 24.0 { 1.25 } else { 0.7 };
                let follow_boost = 0.55 + 0.18 * (n_follow as f64).min(6.0);
                let fam_boost = match family {
                    "customer_success" => 1.8,
                    "bd" => 1.1,
                    _ => 1.0,
                };
                let p_conv = (src.2 * p.skill * exp_match * contact_boost * follow_boost * ramp * fam_boost).min(0.9);
                let mut t = created + Duration::minutes((first_delay_h * 60.0) as i64);
                let mut last_touch = created;
                for k in 0..n_follow {
                    if t >= now_cut || p.leave.is_some_and(|l| t.date_naive() >= l) {
                        break;
                    }
                    n_task += 1;
                    let completed = rng.random::<f64>() < 0.93;
                    let subtype = ["Call", "Call", "Email", "Call", "Task"][rng.random_range(0..5)];
                    tasks
                        .write_record([
                            sf_id("00T", n_task).as_str(),
                            p.crm_id.as_str(),
                            lead_id.as_str(),
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
                    t += Duration::hours((exponential(&mut rng, 72.0) + 6.0) as i64);
                }
                let converted = rng.random::<f64>() < p_conv && last_touch > created;
                let status;
                let (mut conv_date, mut conv_opp) = (String::new(), String::new());
                if converted {
                    let cdate = last_touch + Duration::days(rng.random_range(1..10));
                    if cdate < now_cut {
                        n_opp += 1;
                        n_acct += 1;
                        let opp_id = sf_id("006", n_opp);
                        let acct_id = sf_id("001", n_acct);
                        conv_date = (cdate + Duration::hours(8)).date_naive().to_string();
                        conv_opp = opp_id.clone();
                        accounts
                            .write_record([
                                acct_id.as_str(),
                                &format!("{}{}科技有限公司", CITIES[rng.random_range(0..CITIES.len())], n_acct),
                                industry,
                                p.crm_id.as_str(),
                                &sf_time(cdate),
                            ])
                            .map_err(csv_err)?;
                        let amount =
                            ((10.55 + 0.55 * normal(&mut rng) + 0.15 * (p.skill - 1.0)).exp() / 100.0).round() * 100.0;
                        let close = (cdate + Duration::days(rng.random_range(7..75)) + Duration::hours(8)).date_naive();
                        let p_win = (0.55 * p.skill * if src.0 == "Partner Referral" { 1.15 } else { 1.0 }).min(0.92);
                        let (stage, closed, won, prob) = if close > end_day {
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
                            let m = Month::of(close);
                            month_won.push((pi, m, amount));
                        }
                        opps.write_record([
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
                            src.0,
                            "New Business",
                        ])
                        .map_err(csv_err)?;
                        for _ in 0..rng.random_range(1..4) {
                            let start = cdate
                                + Duration::days(rng.random_range(1..20))
                                + Duration::hours(rng.random_range(1..8));
                            if start >= now_cut || p.leave.is_some_and(|l| start.date_naive() >= l) {
                                continue;
                            }
                            n_event += 1;
                            events
                                .write_record([
                                    sf_id("00U", n_event).as_str(),
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
                leads
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
            }
        }
    }
    for w in [&mut leads, &mut opps, &mut tasks, &mut events, &mut accounts] {
        w.flush()?;
    }

    // Roster as XLSX with Chinese headers, free attributes included.
    let headers: Vec<String> = [
        "工号",
        "姓名",
        "部门",
        "岗位",
        "岗位类别",
        "入职日期",
        "离职日期",
        "直属上级工号",
        "邮箱",
        "城市",
        "行业经验",
        "出生日期",
        "性别",
        "学历",
        "出勤率",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows: Vec<Vec<Cell>> = people
        .iter()
        .map(|p| {
            let team = &TEAMS[p.team];
            let position = if p.manager_no.is_none() {
                "主管"
            } else {
                team.position
            };
            let attendance = (0.97 - 0.02 * normal(&mut rng).abs()).clamp(0.85, 1.0);
            vec![
                Cell::Text(p.no.clone()),
                Cell::Text(p.name.clone()),
                Cell::Text(team.path.into()),
                Cell::Text(position.into()),
                Cell::Text(team.family.into()),
                Cell::Text(p.hire.to_string()),
                p.leave.map(|d| Cell::Text(d.to_string())).unwrap_or(Cell::Empty),
                p.manager_no.clone().map(Cell::Text).unwrap_or(Cell::Empty),
                Cell::Text(p.email.clone()),
                Cell::Text(team.city.into()),
                Cell::Text(p.industry.into()),
                Cell::Text(p.birth.to_string()),
                Cell::Text(p.gender.into()),
                Cell::Text(p.education.into()),
                Cell::Number((attendance * 1000.0).round() / 1000.0),
            ]
        })
        .collect();
    write_xlsx(&dir.join("roster.xlsx"), "花名册", &headers, &rows).map_err(|e| AppError::Invalid(e.to_string()))?;

    // Targets as GBK CSV, the way Chinese Excel saves it.
    let mut text = String::from("工号,月份,目标金额\r\n");
    for t in &targets {
        text.push_str(&format!("{},{},{}\r\n", t[0], t[1], t[2]));
    }
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    std::fs::write(dir.join("targets.csv"), gbk)?;

    write_simple(
        &dir.join("courses.csv"),
        &["课程编号", "课程名称", "技能", "形式", "时长"],
        courses.iter().map(|c| {
            vec![
                c.0.to_string(),
                c.1.to_string(),
                c.2.to_string(),
                c.3.to_string(),
                c.4.to_string(),
            ]
        }),
    )?;
    write_simple(
        &dir.join("enrollments.csv"),
        &["工号", "课程编号", "分配日期", "完成日期", "成绩"],
        enrollments.into_iter(),
    )?;
    write_simple(
        &dir.join("capacity.csv"),
        &["工号", "每月线索上限"],
        people.iter().map(|p| vec![p.no.clone(), p.capacity.to_string()]),
    )?;

    // Quarterly appraisals, tied to won business and some noise.
    let mut appraisals = Vec::new();
    let mut q = Month::new(start.year(), ((start.month() - 1) / 3) * 3 + 3).unwrap_or(start);
    while q <= end {
        for (pi, p) in people.iter().enumerate() {
            if p.hire > q.last_day() - Duration::days(45) || p.leave.is_some_and(|l| l <= q.last_day()) {
                continue;
            }
            let won: f64 = month_won
                .iter()
                .filter(|(i, m, _)| *i == pi && *m <= q && *m > q.prev().prev().prev())
                .map(|(_, _, a)| a)
                .sum();
            let score = (2.6 + won / 400_000.0 + 0.3 * normal(&mut rng)).clamp(1.5, 5.0);
            let grade = match score {
                s if s >= 4.2 => "S",
                s if s >= 3.6 => "A",
                s if s >= 3.0 => "B",
                s if s >= 2.4 => "C",
                _ => "D",
            };
            appraisals.push(vec![
                p.no.clone(),
                format!("{}-Q{}", q.year(), q.month() / 3),
                format!("{score:.1}"),
                grade.to_string(),
            ]);
        }
        q = q.next().next().next();
    }
    write_simple(
        &dir.join("appraisals.csv"),
        &["工号", "期间", "绩效得分", "等级"],
        appraisals.into_iter(),
    )?;
    Ok((joiners, leavers))
}

fn csv_err(e: csv::Error) -> AppError {
    AppError::Invalid(format!("writing demo files: {e}"))
}

fn write_simple(path: &Path, headers: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Result<(), AppError> {
    let mut w = csv::Writer::from_path(path).map_err(csv_err)?;
    w.write_record(headers).map_err(csv_err)?;
    for r in rows {
        w.write_record(&r).map_err(csv_err)?;
    }
    w.flush()?;
    Ok(())
}

/// Writes the demo files into `source_dir`, imports them into `store` and summarises the result.
pub async fn create_demo(
    store: &Store,
    cfg: &DemoConfig,
    source_dir: &Path,
    progress: &(dyn Fn(&str, u64) + Sync),
) -> Result<DemoSummary, AppError> {
    let end = cfg.end.unwrap_or_else(default_end);
    let cfg = DemoConfig {
        end: Some(end),
        ..cfg.clone()
    };
    let (joiners, leavers) = write_demo_files(&cfg, source_dir)?;
    let (files, skipped) = files_in_dir(source_dir)?;
    let report = import_files(store, files, skipped, false, progress).await?;
    if !report.committed {
        let lines = report.issue_lines(Lang::En);
        return Err(AppError::Invalid(format!(
            "the demo files did not import: {}",
            lines.into_iter().take(5).collect::<Vec<_>>().join("; ")
        )));
    }
    let counts: std::collections::HashMap<&str, i64> = store.counts().await?.into_iter().collect();
    let from = end.span_start(cfg.months);
    let last = MetricFilter {
        from: Some(end),
        to: Some(end),
        ..Default::default()
    };
    let units = store.unit_metrics(&last).await?;
    let company = units
        .iter()
        .find(|u| u.department.is_none())
        .and_then(|u| u.metrics.per_capita_contribution);
    let mut league: Vec<(String, f64)> = units
        .iter()
        .filter_map(|u| {
            let d = u.department.clone()?;
            // Leaf teams only: the league compares teams, not their parents.
            let leaf = !units
                .iter()
                .any(|o| o.department.as_ref().is_some_and(|p| p.starts_with(&format!("{d}/"))));
            (leaf).then_some((d, u.metrics.per_capita_contribution?))
        })
        .collect();
    league.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(DemoSummary {
        departments: counts.get("departments").copied().unwrap_or(0),
        employees: counts.get("employees").copied().unwrap_or(0),
        leavers,
        joiners,
        leads: counts.get("leads").copied().unwrap_or(0),
        opportunities: counts.get("opportunities").copied().unwrap_or(0),
        activities: counts.get("activities").copied().unwrap_or(0),
        from,
        to: end,
        last_per_capita: company,
        league,
    })
}

/// The demo company's sign-in password (every demo account); printed when the demo starts.
pub const DEMO_PASSWORD: &str = "uplift-demo";

/// One demo account.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoAccount {
    pub username: String,
    pub role: uplift_domain::access::Role,
    pub employee_no: Option<String>,
    /// Who it is, for the printed list.
    pub description: String,
}

/// Creates (once) one account per role on the demo company: admin, HR, payroll, the sales director
/// of 销售中心, the manager of 销售一部 and one of his reps. Returns them all.
pub async fn ensure_demo_accounts(store: &Store) -> Result<Vec<DemoAccount>, AppError> {
    use uplift_domain::access::{Role, Scope};
    const TEAM: &str = "销售中心/华东大区/销售一部";
    let (members, _) = store
        .employee_records(&Scope::Departments(vec![TEAM.into()]), None, None, None, 1000, 0)
        .await?;
    let manager = members
        .iter()
        .find(|e| e.manager_no.is_none() && e.leave_date.is_none())
        .ok_or_else(|| AppError::Invalid(format!("the demo roster has no manager in {TEAM}")))?;
    let rep = members
        .iter()
        .find(|e| e.manager_no.as_deref() == Some(&manager.employee_no) && e.leave_date.is_none())
        .ok_or_else(|| AppError::Invalid(format!("the demo roster has no rep in {TEAM}")))?;
    let accounts = vec![
        DemoAccount {
            username: "admin".into(),
            role: Role::Admin,
            employee_no: None,
            description: "系统管理员 / administrator".into(),
        },
        DemoAccount {
            username: "hr".into(),
            role: Role::Hr,
            employee_no: None,
            description: "HRBP".into(),
        },
        DemoAccount {
            username: "payroll".into(),
            role: Role::Payroll,
            employee_no: None,
            description: "薪酬专员 / payroll".into(),
        },
        DemoAccount {
            username: "director".into(),
            role: Role::Director,
            employee_no: None,
            description: "销售中心总监 / sales director of 销售中心".into(),
        },
        DemoAccount {
            username: "manager".into(),
            role: Role::Manager,
            employee_no: Some(manager.employee_no.clone()),
            description: format!("{}，销售一部经理 / manager of 销售一部", manager.name),
        },
        DemoAccount {
            username: "rep".into(),
            role: Role::Employee,
            employee_no: Some(rep.employee_no.clone()),
            description: format!("{}，销售一部销售 / a rep of 销售一部", rep.name),
        },
    ];
    for a in &accounts {
        if store.user_by_name(&a.username).await?.is_some() {
            continue;
        }
        let u = crate::access::NewUser {
            username: a.username.clone(),
            password: DEMO_PASSWORD.into(),
            role: a.role,
            employee_no: a.employee_no.clone(),
            department_path: (a.role == Role::Director).then(|| "销售中心".to_string()),
        };
        crate::access::add_user(store, &u, "demo", Lang::Zh).await?;
    }
    Ok(accounts)
}

/// Today's new leads for the demo: routed as a CRM webhook would (the real online router, so
/// each has its reason), spread over the last 30 hours, none contacted yet — reps see
/// first-contact countdowns on Today and managers see overdue leads on the SLA board. Only for a
/// demo that ends last month (a fixed `--end` makes a company of the past).
pub async fn route_live_leads(store: &Store, count: usize, seed: u64) -> Result<usize, AppError> {
    let router = crate::routing::OnlineRouter::default();
    let tz = crate::settings::company_tz(store).await?;
    let mut rng = SmallRng::seed_from_u64(seed ^ 0x11FE);
    let now = Utc::now();
    let mut n = 0;
    for i in 0..count {
        let src = pick_source(&mut rng);
        let city = CITIES[rng.random_range(0..CITIES.len())];
        let lead = crate::routing::IncomingLead {
            id: format!("00QLIVE{:011}", i + 1),
            source: Some(src.0.to_string()),
            industry: Some(INDUSTRIES[rng.random_range(0..INDUSTRIES.len())].to_string()),
            rating: Some(["Hot", "Warm", "Cold"][rng.random_range(0..3)].to_string()),
            company: Some(format!("{city}新客户{}", i + 1)),
            city: Some(city.to_string()),
            number_of_employees: None,
        };
        if router.route(store, &lead, "demo", None, Lang::Zh).await.is_err() {
            continue;
        }
        let at = now - Duration::seconds(rng.random_range(0..30 * 3600));
        let month = Month::of(at.with_timezone(&tz).date_naive());
        store
            .backdate_lead(&lead.id, at.timestamp(), month.to_key() as i64)
            .await?;
        n += 1;
    }
    Ok(n)
}

/// A demo of today gets the follow-ups of the time since its history ended (the start of this
/// month) on the customers under a cadence — leads, open deals and won customers' care — each rep
/// as diligent as a per-rep draw: written as `live/Task.csv` beside the source files and
/// imported like any CRM export, so the Today page, the cadence board and this month's
/// `cadence_compliance` look like a working team's.
pub async fn live_followups(store: &Store, source_dir: &Path, seed: u64) -> Result<usize, AppError> {
    use uplift_routing::cadence::RecordKind;
    let now = Utc::now();
    let tz = crate::settings::company_tz(store).await?;
    let this_month = Month::of(now.with_timezone(&tz).date_naive());
    let history_end = uplift_domain::time::month_end_exclusive(this_month.prev(), tz).timestamp();
    let rules = crate::cadence::rules(store).await?;
    let records = crate::cadence::all_records(store, &rules, now).await?;
    let owners: std::collections::HashMap<i64, String> = store
        .routing_reps()
        .await?
        .into_iter()
        .filter_map(|r| Some((r.id, r.crm_user_id?)))
        .collect();
    let mut rng = SmallRng::seed_from_u64(seed ^ 0xCADE);
    let mut diligence: std::collections::HashMap<i64, f64> = std::collections::HashMap::new();
    let dir = source_dir.join("live");
    std::fs::create_dir_all(&dir)?;
    let mut w = csv::Writer::from_path(dir.join("Task.csv")).map_err(|e| AppError::Invalid(e.to_string()))?;
    w.write_record([
        "Id",
        "OwnerId",
        "WhoId",
        "WhatId",
        "Subject",
        "TaskSubtype",
        "Status",
        "ActivityDate",
        "CreatedDate",
    ])
    .map_err(|e| AppError::Invalid(e.to_string()))?;
    let mut n = 0usize;
    let mut ordered: Vec<&crate::cadence::CadenceRecord> = records.iter().collect();
    ordered.sort_by(|a, b| (a.employee_id, &a.id).cmp(&(b.employee_id, &b.id)));
    for r in ordered {
        let Some(owner) = owners.get(&r.employee_id) else {
            continue;
        };
        let d = *diligence
            .entry(r.employee_id)
            .or_insert_with(|| 0.3 + 0.7 * rng.random::<f64>());
        // History already has the follow-ups of leads and deals, and no care: the company starts
        // caring for won customers this month (past months' follow-ups stay as they were).
        let from = r.start.max(history_end);
        let end = r.rule_end(&rules, now.timestamp());
        let gap = rules.rule(r.stage).interval_secs() as f64 / d;
        let mut t = from as f64 + gap * rng.random_range(0.2..1.2);
        while (t as i64) < end {
            n += 1;
            let at = chrono::DateTime::from_timestamp(t as i64, 0).unwrap_or(now);
            let (who, what) = match r.kind {
                RecordKind::Lead => (r.id.as_str(), ""),
                _ => ("", r.id.as_str()),
            };
            w.write_record([
                format!("00TLIVE{n:011}").as_str(),
                owner,
                who,
                what,
                if r.kind == RecordKind::Account {
                    "客户关怀回访"
                } else {
                    "跟进"
                },
                "Call",
                "Completed",
                &(at + Duration::hours(8)).date_naive().to_string(),
                &sf_time(at),
            ])
            .map_err(|e| AppError::Invalid(e.to_string()))?;
            t += gap * rng.random_range(0.6..1.4);
        }
    }
    w.flush()?;
    drop(w);
    let (files, skipped) = files_in_dir(&dir)?;
    let report = import_files(store, files, skipped, false, &|_, _| {}).await?;
    if !report.committed {
        return Err(AppError::Invalid(format!(
            "the demo's live follow-ups did not import: {}",
            report
                .issue_lines(Lang::En)
                .into_iter()
                .take(5)
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    Ok(n)
}

/// Makes sure the demo's `rep` account has one of today's leads waiting (the router may have given
/// them none): one more new lead, assigned to them directly and labelled as such.
pub async fn ensure_rep_has_live_lead(store: &Store, employee_no: &str) -> Result<bool, AppError> {
    let now = Utc::now();
    let waiting = crate::sla::waiting_leads(store, &uplift_domain::access::Scope::All, Some(employee_no), now).await?;
    if !waiting.is_empty() {
        return Ok(false);
    }
    let Some(rep) = store
        .routing_reps()
        .await?
        .into_iter()
        .find(|r| r.employee_no == employee_no && r.crm_user_id.is_some())
    else {
        return Ok(false);
    };
    let tz = crate::settings::company_tz(store).await?;
    let at = now - Duration::hours(3);
    let month = Month::of(at.with_timezone(&tz).date_naive()).to_key() as i64;
    let row = uplift_store::AssignmentRow {
        lead_id: "00QLIVEDEMOREP01".into(),
        employee_id: rep.id,
        assigned_ts: at.timestamp(),
        month,
        strategy: "demo".into(),
        origin: "demo".into(),
        expected_conversion: 0.0,
        expected_value: 0.0,
        reason: "演示：直接分配给演示账号 rep，用来展示首联倒计时".into(),
        previous_owner: None,
        assigned_by: "demo".into(),
    };
    let lead = uplift_store::NewLeadRow {
        source_id: row.lead_id.clone(),
        owner_id: rep.crm_user_id.clone().unwrap_or_default(),
        created_ts: at.timestamp(),
        created_month: month,
        lead_source: Some("Web".into()),
        industry: Some(rep.industry_experience.clone().unwrap_or_else(|| "Technology".into())),
        rating: Some("Hot".into()),
        company: Some("杭州演示新客户".into()),
        city: Some("杭州".into()),
        number_of_employees: None,
    };
    Ok(store.record_routed_lead(&row, &lead).await?)
}
