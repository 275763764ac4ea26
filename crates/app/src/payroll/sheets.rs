//! What payroll hands on: the 工资表 workbook (应发 / 扣款 / 实发 groups, a subtotal per
//! department), the bank transfer file, the IIT withholding declaration, and the month's
//! differences from the month before (who changed and why).

use rust_xlsxwriter::{Format, FormatAlign, Workbook};
use rustc_hash::FxHashMap as HashMap;
use uplift_domain::{Lang, Money, Month};
use uplift_store::{PayrollRunRow, PayslipRow, Store};

use super::parse_month;
use super::rows::{si_employee, si_employer};
use crate::access::{Principal, audit_by};
use crate::error::AppError;

/// A month as payroll sees it: the run, everyone's payslip, and what changed since last month.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MonthView {
    pub month: String,
    pub run: Option<PayrollRunRow>,
    pub previous: Option<PayrollRunRow>,
    pub slips: Vec<PayslipRow>,
    pub changes: Vec<Change>,
    /// Employer cost per department against its contribution (人工成本占比).
    pub departments: Vec<DepartmentCost>,
}

/// A department's month: what its people cost the employer (pay, bonus, the employer's 五险一金,
/// commission included) against the contribution they brought (`docs/metrics.md`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DepartmentCost {
    pub department: Option<String>,
    pub people: usize,
    pub employer_cost_fen: i64,
    pub commission_fen: i64,
    pub contribution_fen: i64,
    /// Employer cost ÷ contribution; `None` without contribution.
    pub cost_ratio: Option<f64>,
}

fn employer_cost(r: &PayslipRow) -> i64 {
    r.get("gross") + r.get("annual_bonus") + si_employer(r) + r.get("hf_employer") + r.get("si_backpay_employer")
}

/// Per department (each person's own department), the month's employer cost and contribution.
fn department_costs(slips: &[PayslipRow], contribution: &HashMap<Option<String>, i64>) -> Vec<DepartmentCost> {
    let mut by: std::collections::BTreeMap<Option<String>, DepartmentCost> = Default::default();
    for r in slips {
        let d = by.entry(r.department.clone()).or_insert_with(|| DepartmentCost {
            department: r.department.clone(),
            people: 0,
            employer_cost_fen: 0,
            commission_fen: 0,
            contribution_fen: contribution.get(&r.department).copied().unwrap_or(0),
            cost_ratio: None,
        });
        d.people += 1;
        d.employer_cost_fen += employer_cost(r);
        d.commission_fen += r.get("commission");
    }
    by.into_values()
        .map(|mut d| {
            d.cost_ratio = (d.contribution_fen > 0).then(|| d.employer_cost_fen as f64 / d.contribution_fen as f64);
            d
        })
        .collect()
}

/// One person whose net pay moved, joined or left, with the reasons.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    pub employee_no: String,
    pub name: String,
    pub net_before_fen: Option<i64>,
    pub net_now_fen: Option<i64>,
    pub reasons: Vec<String>,
}

/// The month's run, payslips and differences (payroll, HR, admins; audited).
pub async fn month_view(store: &Store, p: &Principal, month: &str, lang: Lang) -> Result<MonthView, AppError> {
    p.require(p.role.may_run_payroll())?;
    let month = parse_month(month, lang)?;
    let prev = month.prev();
    let run = store.payroll_run(month.to_key()).await?;
    let previous = store.payroll_run(prev.to_key()).await?;
    let slips = store.payslips(month.to_key(), &p.scope).await?;
    let before = if previous.is_some() {
        store.payslips(prev.to_key(), &p.scope).await?
    } else {
        Vec::new()
    };
    audit_by(store, p, "read.payroll", Some(&month.to_string()), None, None).await?;
    let changes = changes(&before, &slips, lang);
    let units = store
        .unit_metrics(&uplift_store::MetricFilter {
            from: Some(month),
            to: Some(month),
            scope: p.scope.clone(),
            ..Default::default()
        })
        .await?;
    let contribution: HashMap<Option<String>, i64> = units
        .into_iter()
        .filter(|u| u.department.is_some())
        .map(|u| (u.department, u.metrics.contribution_fen))
        .collect();
    let departments = department_costs(&slips, &contribution);
    Ok(MonthView {
        month: month.to_string(),
        run,
        previous,
        slips,
        changes,
        departments,
    })
}

/// People whose net changed (largest change first), joiners and leavers, with the items that
/// moved. Both lists are ordered by employee number.
fn changes(before: &[PayslipRow], now: &[PayslipRow], lang: Lang) -> Vec<Change> {
    let before_by: HashMap<&str, &PayslipRow> = before.iter().map(|r| (r.employee_no.as_str(), r)).collect();
    let now_by: HashMap<&str, &PayslipRow> = now.iter().map(|r| (r.employee_no.as_str(), r)).collect();
    let items: [(&str, &str, &str); 9] = [
        ("base_pay", "基本工资", "base pay"),
        ("allowance", "岗位津贴", "allowance"),
        ("commission", "提成", "commission"),
        ("overtime_pay", "加班费", "overtime"),
        ("performance_bonus", "绩效奖金", "performance bonus"),
        ("other_pay", "其他应发", "other pay"),
        ("absence_deduction", "缺勤扣款", "absence"),
        ("annual_bonus", "年终奖", "annual bonus"),
        ("iit_withheld", "个税", "income tax"),
    ];
    let mut out: Vec<Change> = Vec::new();
    for r in now {
        match before_by.get(r.employee_no.as_str()) {
            None => out.push(Change {
                employee_no: r.employee_no.clone(),
                name: r.name.clone(),
                net_before_fen: None,
                net_now_fen: Some(r.get("net")),
                reasons: vec![lang.pick("本月新增", "new this month").into()],
            }),
            Some(b) if b.get("net") != r.get("net") => {
                let mut reasons: Vec<String> = items
                    .iter()
                    .filter(|(k, _, _)| b.get(k) != r.get(k))
                    .map(|(k, zh, en)| {
                        let d = r.get(k) - b.get(k);
                        format!(
                            "{} {}{}",
                            lang.pick(zh, en),
                            if d > 0 { "+" } else { "" },
                            Money(d).display_cny()
                        )
                    })
                    .collect();
                let si = |x: &PayslipRow| si_employee(x) + x.get("hf_employee");
                if si(b) != si(r) {
                    let d = si(r) - si(b);
                    reasons.push(format!(
                        "{} {}{}",
                        lang.pick("五险一金", "social insurance and fund"),
                        if d > 0 { "+" } else { "" },
                        Money(d).display_cny()
                    ));
                }
                out.push(Change {
                    employee_no: r.employee_no.clone(),
                    name: r.name.clone(),
                    net_before_fen: Some(b.get("net")),
                    net_now_fen: Some(r.get("net")),
                    reasons,
                });
            }
            Some(_) => {}
        }
    }
    for b in before {
        if !now_by.contains_key(b.employee_no.as_str()) {
            out.push(Change {
                employee_no: b.employee_no.clone(),
                name: b.name.clone(),
                net_before_fen: Some(b.get("net")),
                net_now_fen: None,
                reasons: vec![lang.pick("本月不再发薪", "no longer paid").into()],
            });
        }
    }
    let size = |c: &Change| (c.net_now_fen.unwrap_or(0) - c.net_before_fen.unwrap_or(0)).abs();
    out.sort_by(|a, b| size(b).cmp(&size(a)).then_with(|| a.employee_no.cmp(&b.employee_no)));
    out
}

/// A run month's payslips in the caller's scope, for a file handed on (payroll, HR, admins;
/// the read audited under `action`).
pub(super) async fn month_slips(
    store: &Store,
    p: &Principal,
    month: &str,
    action: &str,
    lang: Lang,
) -> Result<(Month, PayrollRunRow, Vec<PayslipRow>), AppError> {
    p.require(p.role.may_run_payroll())?;
    let month = parse_month(month, lang)?;
    let Some(run) = store.payroll_run(month.to_key()).await? else {
        return Err(AppError::invalid(match lang {
            Lang::Zh => format!("{month}：还没有计算过工资"),
            Lang::En => format!("{month}: no payroll has been run"),
        }));
    };
    let slips = store.payslips(month.to_key(), &p.scope).await?;
    audit_by(store, p, action, Some(&month.to_string()), None, None).await?;
    Ok((month, run, slips))
}

/// The columns of the 工资表: (group, zh, en, how to read the figure).
type Column = (usize, &'static str, &'static str, fn(&PayslipRow) -> i64);

fn sheet_columns() -> Vec<Column> {
    vec![
        (1, "基本工资", "Base pay", |r| r.get("base_pay")),
        (1, "岗位津贴", "Allowance", |r| r.get("allowance")),
        (1, "加班费", "Overtime", |r| r.get("overtime_pay")),
        (1, "绩效奖金", "Performance bonus", |r| r.get("performance_bonus")),
        (1, "提成", "Commission", |r| r.get("commission")),
        (1, "其他应发", "Other pay", |r| r.get("other_pay")),
        (1, "缺勤扣款", "Absence", |r| -r.get("absence_deduction")),
        (1, "应发合计", "Gross", |r| r.get("gross")),
        (1, "全年一次性奖金", "Annual bonus", |r| r.get("annual_bonus")),
        (2, "养老保险", "Pension", |r| r.get("si_employee_pension")),
        (2, "医疗保险", "Medical", |r| r.get("si_employee_medical")),
        (2, "失业保险", "Unemployment", |r| r.get("si_employee_unemployment")),
        (2, "住房公积金", "Housing fund", |r| r.get("hf_employee")),
        (2, "个人所得税", "Income tax", |r| r.get("iit_withheld")),
        (2, "年终奖个税", "Bonus tax", |r| r.get("bonus_iit")),
        (2, "税后扣款", "Post-tax", |r| r.get("post_tax_deduction")),
        (2, "扣款合计", "Deductions", |r| {
            si_employee(r)
                + r.get("hf_employee")
                + r.get("iit_withheld")
                + r.get("bonus_iit")
                + r.get("post_tax_deduction")
        }),
        (3, "实发工资", "Net pay", |r| r.get("net")),
        (4, "单位社保", "Employer SI", |r| si_employer(r)),
        (4, "单位公积金", "Employer fund", |r| r.get("hf_employer")),
    ]
}

/// The 工资表: two header rows (基本信息 / 应发 / 扣款 / 实发 / 单位承担 over the columns), one row
/// per person grouped by department with a 小计 after each, and the 合计.
pub async fn salary_sheet_xlsx(store: &Store, p: &Principal, month: &str, lang: Lang) -> Result<Vec<u8>, AppError> {
    let (month, _, mut slips) = month_slips(store, p, month, "read.payroll.sheet", lang).await?;
    slips.sort_by(|a, b| (&a.department, &a.employee_no).cmp(&(&b.department, &b.employee_no)));
    let cols = sheet_columns();
    let x = |e: rust_xlsxwriter::XlsxError| AppError::internal(e.to_string());
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(lang.pick("工资表", "Payroll")).map_err(x)?;
    let bold = Format::new().set_bold().set_align(FormatAlign::Center);
    let money = Format::new().set_num_format("#,##0.00");
    let money_bold = Format::new().set_num_format("#,##0.00").set_bold();
    let title = match lang {
        Lang::Zh => format!("{} 工资表", month.label_zh()),
        Lang::En => format!("Payroll {month}"),
    };
    ws.write_string_with_format(0, 0, &title, &Format::new().set_bold())
        .map_err(x)?;
    let groups = [
        lang.pick("基本信息", "Person"),
        lang.pick("应发", "Pay"),
        lang.pick("扣款", "Deductions"),
        lang.pick("实发", "Net"),
        lang.pick("单位承担", "Employer"),
    ];
    // Header rows 1 and 2: the groups merged over their columns, then the columns.
    let first_money_col = 3u16;
    ws.merge_range(1, 0, 1, first_money_col - 1, groups[0], &bold)
        .map_err(x)?;
    for (g, name) in groups.iter().enumerate().skip(1) {
        let span: Vec<u16> = cols
            .iter()
            .enumerate()
            .filter(|(_, c)| c.0 == g)
            .map(|(i, _)| first_money_col + i as u16)
            .collect();
        if let (Some(a), Some(b)) = (span.first(), span.last()) {
            if a == b {
                ws.write_string_with_format(1, *a, *name, &bold).map_err(x)?;
            } else {
                ws.merge_range(1, *a, 1, *b, name, &bold).map_err(x)?;
            }
        }
    }
    for (i, h) in [
        lang.pick("工号", "No."),
        lang.pick("姓名", "Name"),
        lang.pick("部门", "Department"),
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(2, i as u16, *h, &bold).map_err(x)?;
    }
    for (i, c) in cols.iter().enumerate() {
        ws.write_string_with_format(2, first_money_col + i as u16, lang.pick(c.1, c.2), &bold)
            .map_err(x)?;
    }
    let yuan = |fen: i64| fen as f64 / 100.0;
    let mut row = 3u32;
    let mut total = vec![0i64; cols.len()];
    let mut start = 0;
    while start < slips.len() {
        let dept = slips[start].department.clone();
        let end = slips[start..]
            .iter()
            .position(|s| s.department != dept)
            .map_or(slips.len(), |k| start + k);
        let mut subtotal = vec![0i64; cols.len()];
        for s in &slips[start..end] {
            ws.write_string(row, 0, &s.employee_no).map_err(x)?;
            ws.write_string(row, 1, &s.name).map_err(x)?;
            ws.write_string(row, 2, s.department.as_deref().unwrap_or(""))
                .map_err(x)?;
            for (i, c) in cols.iter().enumerate() {
                let v = (c.3)(s);
                subtotal[i] += v;
                ws.write_number_with_format(row, first_money_col + i as u16, yuan(v), &money)
                    .map_err(x)?;
            }
            row += 1;
        }
        let label = format!("{}{}", dept.as_deref().unwrap_or("—"), lang.pick(" 小计", " subtotal"));
        ws.write_string_with_format(row, 2, &label, &Format::new().set_bold())
            .map_err(x)?;
        for (i, v) in subtotal.iter().enumerate() {
            total[i] += v;
            ws.write_number_with_format(row, first_money_col + i as u16, yuan(*v), &money_bold)
                .map_err(x)?;
        }
        row += 1;
        start = end;
    }
    ws.write_string_with_format(row, 2, lang.pick("合计", "Total"), &Format::new().set_bold())
        .map_err(x)?;
    for (i, v) in total.iter().enumerate() {
        ws.write_number_with_format(row, first_money_col + i as u16, yuan(*v), &money_bold)
            .map_err(x)?;
    }
    ws.set_column_width(0, 10).map_err(x)?;
    ws.set_column_width(1, 10).map_err(x)?;
    ws.set_column_width(2, 28).map_err(x)?;
    for i in 0..cols.len() {
        ws.set_column_width(first_money_col + i as u16, 13).map_err(x)?;
    }
    ws.set_freeze_panes(3, 3).map_err(x)?;
    wb.save_to_buffer().map_err(x)
}

/// The setting naming the bank file's columns, comma-separated, from: `account`, `name`,
/// `amount`, `bank`, `employee_no`, `remark`.
pub const BANK_COLUMNS_SETTING: &str = "payroll.bank_columns";
pub(super) const BANK_DEFAULT: &str = "account,name,amount,bank,remark";
/// The keys a bank file may use, with their headers.
pub(super) const BANK_COLUMNS: [(&str, &str); 6] = [
    ("account", "收款账号"),
    ("name", "收款户名"),
    ("amount", "金额"),
    ("bank", "开户行"),
    ("employee_no", "工号"),
    ("remark", "用途"),
];

/// The bank transfer file: one line per person with a net above zero, in the columns the company's
/// bank asks for (setting `payroll.bank_columns`); people without an account are refused by name.
pub async fn bank_csv(store: &Store, p: &Principal, month: &str, lang: Lang) -> Result<String, AppError> {
    let (month, _, slips) = month_slips(store, p, month, "read.payroll.bank", lang).await?;
    let spec = store
        .setting(BANK_COLUMNS_SETTING)
        .await?
        .unwrap_or_else(|| BANK_DEFAULT.into());
    let cols: Vec<&str> = spec.split(',').map(str::trim).filter(|c| !c.is_empty()).collect();
    let header = |c: &str| -> Result<&'static str, AppError> {
        BANK_COLUMNS
            .iter()
            .find(|(k, _)| *k == c)
            .map(|(_, h)| *h)
            .ok_or_else(|| {
                AppError::invalid(format!(
                    "{BANK_COLUMNS_SETTING}: {c:?} ({})",
                    lang.pick(
                        "可用的列：account, name, amount, bank, employee_no, remark",
                        "columns are account, name, amount, bank, employee_no, remark"
                    )
                ))
            })
    };
    let headers: Vec<&str> = cols.iter().map(|c| header(c)).collect::<Result<_, _>>()?;
    let missing: Vec<String> = slips
        .iter()
        .filter(|s| s.get("net") > 0 && s.bank_account.as_deref().is_none_or(str::is_empty))
        .map(|s| format!("{}（{}）", s.name, s.employee_no))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::invalid(format!(
            "{month}: {}{}",
            lang.pick(
                "以下人员没有银行账号（薪资档案的银行账号列）：",
                "no bank account (the salary record's bank_account): "
            ),
            missing.join(lang.pick("、", ", "))
        )));
    }
    let remark = format!("{}{}", month.label_zh(), "工资");
    let rows: Vec<Vec<String>> = slips
        .iter()
        .filter(|s| s.get("net") > 0)
        .map(|s| {
            cols.iter()
                .map(|c| match *c {
                    "account" => s.bank_account.clone().unwrap_or_default(),
                    "name" => s.name.clone(),
                    "amount" => Money(s.get("net")).to_decimal().to_string(),
                    "bank" => s.bank_name.clone().unwrap_or_default(),
                    "employee_no" => s.employee_no.clone(),
                    _ => remark.clone(),
                })
                .collect()
        })
        .collect();
    crate::commission::csv(&headers, &rows)
}

/// The declaration's columns: the 自然人电子税务局（扣缴端）正常工资薪金所得 import template.
pub const DECLARATION_COLUMNS: [&str; 24] = [
    "工号",
    "姓名",
    "证件类型",
    "证件号码",
    "本期收入",
    "本期免税收入",
    "基本养老保险费",
    "基本医疗保险费",
    "失业保险费",
    "住房公积金",
    "累计子女教育",
    "累计继续教育",
    "累计住房贷款利息",
    "累计住房租金",
    "累计赡养老人",
    "累计3岁以下婴幼儿照护",
    "累计个人养老金",
    "企业(职业)年金",
    "商业健康保险",
    "税延养老保险",
    "其他",
    "准予扣除的捐赠额",
    "减免税额",
    "备注",
];

/// The monthly withholding declaration of wages (扣缴申报), one row per resident paid (a separately
/// taxed annual bonus belongs to its own declaration and is not in this file). Uplift
/// keeps no identity numbers: 证件类型 is 居民身份证 and 证件号码 is left for the client to match
/// by name. The special additional deductions are the cumulative amounts the run used, by item.
pub async fn declaration_csv(store: &Store, p: &Principal, month: &str, lang: Lang) -> Result<String, AppError> {
    let (month, _, slips) = month_slips(store, p, month, "read.payroll.declaration", lang).await?;
    let items = store.declaration_items(month.to_key()).await?;
    let by_person: HashMap<i64, Vec<&uplift_store::DeclarationItems>> =
        items.iter().fold(HashMap::default(), |mut m, d| {
            m.entry(d.employee_id).or_default().push(d);
            m
        });
    let yuan = |fen: i64| Money(fen).to_decimal().to_string();
    let rows: Vec<Vec<String>> = slips
        .iter()
        .filter(|s| !s.non_resident)
        .map(|s| {
            // Each item over the months this year through this one, by the declaration in force.
            let mut cum = [0i64; 6];
            if let Some(decls) = by_person.get(&s.employee_id) {
                let january = Month::new(month.year(), 1).expect("valid month");
                for m in january.through(month) {
                    let k = m.to_key();
                    if let Some(d) = decls
                        .iter()
                        .rev()
                        .find(|d| d.from_month <= k)
                        .filter(|d| d.to_month.is_none_or(|t| t >= k) && d.first_paid <= k)
                    {
                        for (c, v) in cum.iter_mut().zip(d.items) {
                            *c += v;
                        }
                    }
                }
            }
            let mut row = vec![
                s.employee_no.clone(),
                s.name.clone(),
                "居民身份证".into(),
                String::new(),
                // A merged bonus is wage income of the month; a separate one is declared apart
                // (全年一次性奖金收入), not here.
                yuan(
                    s.get("gross")
                        + if s.bonus_method == "merged" {
                            s.get("annual_bonus")
                        } else {
                            0
                        },
                ),
                "0.00".into(),
                yuan(s.get("si_employee_pension")),
                yuan(s.get("si_employee_medical") + s.get("si_employee_maternity")),
                yuan(s.get("si_employee_unemployment")),
                yuan(s.get("hf_employee")),
            ];
            row.extend(cum.iter().map(|v| yuan(*v)));
            row.extend(["0.00", "0.00", "0.00", "0.00"].map(String::from));
            row.push(yuan(s.get("other_pretax_deduction")));
            row.extend(["0.00", "0.00"].map(String::from));
            row.push(String::new());
            row
        })
        .collect();
    crate::commission::csv(&DECLARATION_COLUMNS, &rows)
}
