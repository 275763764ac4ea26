//! The demo's people: teams, hiring and leaving, latent skill and habits, and the courses they take
//! (with the planted follow-up programme of one team).

use chrono::{Duration, NaiveDate};
use rand::Rng;
use rand::rngs::SmallRng;

use uplift_domain::Month;

pub(super) const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗",
    "高", "梁", "郑", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
];
pub(super) const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞",
    "平", "刚", "桂英", "晨", "浩", "宇", "欣", "佳", "婷", "博", "思远", "子涵", "雨轩", "梓萱", "一鸣", "嘉怡",
];
pub(super) const INDUSTRIES: &[&str] = &["Manufacturing", "Retail", "Finance", "Healthcare", "Technology"];
pub(super) const CITIES: &[&str] = &["上海", "杭州", "南京", "苏州", "深圳", "广州", "北京"];

/// (lead source, share of leads, base conversion rate)
pub(super) const SOURCES: &[(&str, f64, f64)] = &[
    ("Partner Referral", 0.15, 0.26),
    ("Web", 0.35, 0.14),
    ("Trade Show", 0.15, 0.12),
    ("Cold Call", 0.20, 0.06),
    ("Purchased List", 0.15, 0.04),
];

pub(super) struct Team {
    pub(super) path: &'static str,
    pub(super) family: &'static str,
    pub(super) position: &'static str,
    pub(super) share: f64,
    pub(super) city: &'static str,
}

/// The team of the planted follow-up programme (see [`enroll`]).
pub const PROGRAM_TEAM: &str = "销售中心/华东大区/销售二部";

pub(super) const TEAMS: &[Team] = &[
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

pub(super) struct Person {
    pub(super) no: String,
    pub(super) crm_id: String,
    pub(super) name: String,
    pub(super) email: String,
    pub(super) team: usize,
    pub(super) hire: NaiveDate,
    pub(super) leave: Option<NaiveDate>,
    pub(super) birth: NaiveDate,
    pub(super) gender: &'static str,
    pub(super) education: &'static str,
    pub(super) industry: &'static str,
    /// Latent selling skill (multiplies conversion and win odds).
    pub(super) skill: f64,
    /// Follow-ups per lead the rep tends to make.
    pub(super) habit: f64,
    /// Typical hours to first contact.
    pub(super) speed_hours: f64,
    pub(super) capacity: i64,
    pub(super) manager_no: Option<String>,
    /// Completion date of the follow-up course, if taken.
    pub(super) followup_course_done: Option<NaiveDate>,
}

pub(super) fn normal(rng: &mut SmallRng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

pub(super) fn exponential(rng: &mut SmallRng, mean: f64) -> f64 {
    -mean * rng.random::<f64>().max(1e-12).ln()
}

pub(super) fn poisson(rng: &mut SmallRng, mean: f64) -> u32 {
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
pub(super) fn pick_source(rng: &mut SmallRng) -> (&'static str, f64, f64) {
    let mut r = rng.random::<f64>();
    for s in SOURCES {
        if r < s.1 {
            return *s;
        }
        r -= s.1;
    }
    SOURCES[0]
}

/// The courses of the demo: (id, name, skills, form, hours).
pub(super) const COURSES: [(&str, &str, &str, &str, f64); 6] = [
    ("C01", "谈判技巧", "negotiation", "offline", 8.0),
    ("C02", "产品知识", "product", "online", 6.0),
    ("C03", "客户跟进方法", "follow-up", "online", 4.0),
    ("C04", "行业解决方案：制造业", "industry;manufacturing", "online", 3.0),
    ("C05", "大客户销售", "key-account;negotiation", "offline", 12.0),
    ("C06", "新员工入职培训", "onboarding;product", "offline", 16.0),
];

/// The staff of the whole period, with how many joined and left during it.
pub(super) struct Hired {
    pub(super) people: Vec<Person>,
    pub(super) joiners: usize,
    pub(super) leavers: usize,
}

/// People: each team gets a manager (hired long ago) and reps; some leave, some join later.
pub(super) fn hire(staff: usize, start: Month, end: Month, rng: &mut SmallRng) -> Hired {
    let (start_day, end_day) = (start.first_day(), end.last_day());
    let mut people: Vec<Person> = Vec::new();
    let staff = staff.max(TEAMS.len() * 2);
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
            let skill = (0.25 * normal(rng)).exp() * if is_manager { 1.2 } else { 1.0 };
            let habit = (1.2 + 0.35 * normal(rng)).exp().clamp(1.0, 9.0);
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
                crm_id: super::crm::sf_id("005", 1000 + idx),
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
                speed_hours: (1.6 + 0.8 * normal(rng) - 0.25 * (habit - 3.0)).exp().clamp(0.3, 96.0),
                capacity: rng.random_range(22..46),
                manager_no: manager_no.clone(),
                followup_course_done: None,
            });
            if is_manager {
                manager_no = Some(no);
            }
        }
    }
    Hired {
        people,
        joiners,
        leavers,
    }
}

/// Courses and enrollments (rows of `enrollments.csv`); the follow-up course really lifts habits
/// after completion, so each person's completion of it is kept on the person.
pub(super) fn enroll(people: &mut [Person], start: Month, end: Month, rng: &mut SmallRng) -> Vec<Vec<String>> {
    let (start_day, end_day) = (start.first_day(), end.last_day());
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
        for (cid, ..) in COURSES.iter().take(5) {
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
    enrollments
}
