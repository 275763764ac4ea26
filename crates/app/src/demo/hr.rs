//! The demo's HR files, the way Chinese HR keeps them: the roster as XLSX with Chinese headers,
//! targets as GBK CSV, courses, enrollments, lead capacities and quarterly appraisals.

use std::path::Path;

use chrono::Duration;
use rand::rngs::SmallRng;

use uplift_domain::Month;
use uplift_io::xlsx_out::{Cell, write_xlsx};

use super::crm::CrmOutcome;
use super::people::{COURSES, Person, TEAMS, normal};
use super::write_simple;
use crate::AppError;

/// Writes every HR file of the demo into `dir`.
pub(super) fn write_hr_files(
    dir: &Path,
    people: &[Person],
    enrollments: Vec<Vec<String>>,
    crm: &CrmOutcome,
    start: Month,
    end: Month,
    rng: &mut SmallRng,
) -> Result<(), AppError> {
    write_roster(dir, people, rng)?;

    // Targets as GBK CSV, the way Chinese Excel saves it.
    let mut text = String::from("工号,月份,目标金额\r\n");
    for t in &crm.targets {
        text.push_str(&format!("{},{},{}\r\n", t[0], t[1], t[2]));
    }
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    std::fs::write(dir.join("targets.csv"), gbk)?;

    write_simple(
        &dir.join("courses.csv"),
        &["课程编号", "课程名称", "技能", "形式", "时长"],
        COURSES.iter().map(|c| {
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
    write_simple(
        &dir.join("appraisals.csv"),
        &["工号", "期间", "绩效得分", "等级"],
        appraisals(people, &crm.month_won, start, end, rng).into_iter(),
    )?;
    write_payroll_files(dir, people, end, rng)
}

/// Payroll inputs: salary records (Shanghai, and Beijing for the Beijing team; a raise at the
/// start of the year for some), special additional deduction declarations, and the year's
/// February pay inputs (annual bonuses; a few days of unpaid leave).
fn write_payroll_files(dir: &Path, people: &[Person], end: Month, rng: &mut SmallRng) -> Result<(), AppError> {
    use rand::Rng;
    let january = Month::new(end.year(), 1).unwrap_or(end);
    let mut salaries = Vec::new();
    let mut declarations = Vec::new();
    let mut inputs = Vec::new();
    for p in people {
        let manager = p.manager_no.is_none();
        let beijing = TEAMS[p.team].city == "北京";
        // Whole hundreds of yuan, as salaries are set.
        let base: i64 = if manager {
            rng.random_range(250..=350) * 100
        } else {
            rng.random_range(80..=150) * 100
        };
        let allowance: i64 = if manager { 2000 } else { 500 };
        let (city, hf_rate) = if beijing { ("北京", "12%") } else { ("上海", "7%") };
        let account = format!("6222{:012}", rng.random_range(0..1_000_000_000_000u64));
        let bank = if rng.random_bool(0.5) {
            "招商银行"
        } else {
            "中国工商银行"
        };
        salaries.push(vec![
            p.no.clone(),
            p.hire.to_string(),
            base.to_string(),
            allowance.to_string(),
            city.into(),
            hf_rate.into(),
            account.clone(),
            bank.into(),
        ]);
        if p.hire < january.first_day() && rng.random_bool(0.4) {
            let raised = (base * rng.random_range(105..=110) / 100 / 100) * 100;
            salaries.push(vec![
                p.no.clone(),
                january.first_day().to_string(),
                raised.to_string(),
                allowance.to_string(),
                city.into(),
                hf_rate.into(),
                account,
                bank.into(),
            ]);
        }
        if rng.random_bool(0.45) {
            let from = Month::of(p.hire).max(january);
            let child = [0, 1000, 2000, 4000][rng.random_range(0..4)];
            let elderly = [0, 1500, 3000][rng.random_range(0..3)];
            let (mortgage, rent) = match rng.random_range(0..3) {
                0 => (1000, 0),
                1 => (0, 1500),
                _ => (0, 0),
            };
            declarations.push(vec![
                p.no.clone(),
                from.to_string(),
                child.to_string(),
                "0".into(),
                mortgage.to_string(),
                rent.to_string(),
                elderly.to_string(),
                "0".into(),
            ]);
        }
        let february = Month::new(end.year(), 2).unwrap_or(end);
        let employed_in_february =
            p.hire <= february.last_day() && p.leave.is_none_or(|l| l >= february.first_day()) && february <= end;
        if employed_in_february && (rng.random_bool(0.6) || rng.random_bool(0.05)) {
            let bonus = if rng.random_bool(0.6) {
                base * rng.random_range(1..=3)
            } else {
                0
            };
            let leave_days = if rng.random_bool(0.1) { "1.5" } else { "0" };
            inputs.push(vec![
                p.no.clone(),
                february.to_string(),
                bonus.to_string(),
                leave_days.into(),
            ]);
        }
    }
    write_simple(
        &dir.join("薪资档案.csv"),
        &[
            "工号",
            "生效日期",
            "基本工资",
            "岗位津贴",
            "社保城市",
            "公积金比例",
            "银行账号",
            "开户行",
        ],
        salaries.into_iter(),
    )?;
    write_simple(
        &dir.join("专项附加扣除.csv"),
        &[
            "工号",
            "起始月份",
            "子女教育",
            "继续教育",
            "住房贷款利息",
            "住房租金",
            "赡养老人",
            "婴幼儿照护",
        ],
        declarations.into_iter(),
    )?;
    write_simple(
        &dir.join("月度变动.csv"),
        &["工号", "月份", "全年一次性奖金", "事假天数"],
        inputs.into_iter(),
    )
}

/// Roster as XLSX with Chinese headers, free attributes included.
fn write_roster(dir: &Path, people: &[Person], rng: &mut SmallRng) -> Result<(), AppError> {
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
            let attendance = (0.97 - 0.02 * normal(rng).abs()).clamp(0.85, 1.0);
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
    write_xlsx(&dir.join("roster.xlsx"), "花名册", &headers, &rows).map_err(|e| AppError::internal(e.to_string()))
}

/// Quarterly appraisals, tied to won business and some noise.
fn appraisals(
    people: &[Person],
    month_won: &[(usize, Month, f64)],
    start: Month,
    end: Month,
    rng: &mut SmallRng,
) -> Vec<Vec<String>> {
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
            let score = (2.6 + won / 400_000.0 + 0.3 * normal(rng)).clamp(1.5, 5.0);
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
    appraisals
}
