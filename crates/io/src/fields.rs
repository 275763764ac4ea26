//! The columns each import kind accepts: the contract's names (`docs/spec/import-formats.md`)
//! and their Chinese and English aliases.

use uplift_domain::records::ImportKind;

/// One field an import kind reads.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    /// The contract's name, used in errors and mapping files.
    pub name: &'static str,
    /// Other header texts accepted for it (matched case-insensitively after trimming).
    pub aliases: &'static [&'static str],
    pub required: bool,
}

const fn req(name: &'static str, aliases: &'static [&'static str]) -> FieldSpec {
    FieldSpec {
        name,
        aliases,
        required: true,
    }
}
const fn opt(name: &'static str, aliases: &'static [&'static str]) -> FieldSpec {
    FieldSpec {
        name,
        aliases,
        required: false,
    }
}

const EMPLOYEE_NO: &[&str] = &["工号", "员工编号", "employee_no", "employee no", "employee id"];

const USER: &[FieldSpec] = &[
    req("Id", &["user id", "用户id", "用户 id"]),
    req("Name", &["full name", "姓名", "用户名"]),
    opt("Email", &["邮箱", "电子邮件"]),
    opt("IsActive", &["active", "是否启用", "活动"]),
    opt("UserRoleId", &["role id", "角色id"]),
    opt("ManagerId", &["经理id", "上级id"]),
];

const ACCOUNT: &[FieldSpec] = &[
    req("Id", &["account id", "客户id", "客户 id"]),
    req("Name", &["account name", "客户名称"]),
    opt("Industry", &["行业"]),
    opt("OwnerId", &["owner id", "所有人id", "所有人 id"]),
    opt("CreatedDate", &["created date", "创建日期", "创建时间"]),
];

const LEAD: &[FieldSpec] = &[
    req("Id", &["lead id", "线索id", "线索 id"]),
    req("OwnerId", &["owner id", "所有人id", "所有人 id"]),
    req("CreatedDate", &["created date", "创建日期", "创建时间"]),
    opt("LeadSource", &["lead source", "线索来源"]),
    opt("Industry", &["行业"]),
    opt("Status", &["lead status", "线索状态", "状态"]),
    opt("Rating", &["等级", "评级"]),
    opt("IsConverted", &["converted", "已转换", "是否转化"]),
    opt("ConvertedDate", &["converted date", "转换日期"]),
    opt("ConvertedOpportunityId", &["converted opportunity id"]),
    opt("ConvertedAccountId", &["converted account id"]),
    opt("Company", &["公司", "公司名称"]),
    opt("LastName", &["last name", "姓"]),
    opt("FirstName", &["first name", "名"]),
    opt("City", &["城市"]),
    opt("AnnualRevenue", &["annual revenue", "年收入"]),
    opt("NumberOfEmployees", &["employees", "员工人数"]),
];

const OPPORTUNITY: &[FieldSpec] = &[
    req("Id", &["opportunity id", "商机id", "商机 id", "业务机会id"]),
    req("OwnerId", &["owner id", "所有人id", "所有人 id"]),
    req("CloseDate", &["close date", "结束日期", "成交日期", "预计成交日期"]),
    req("StageName", &["stage", "阶段"]),
    opt("Amount", &["金额"]),
    opt("IsClosed", &["closed", "已关闭"]),
    opt("IsWon", &["won", "赢单"]),
    opt("Probability", &["probability (%)", "可能性", "赢率"]),
    opt("AccountId", &["account id", "客户id"]),
    opt("CreatedDate", &["created date", "创建日期", "创建时间"]),
    opt("LeadSource", &["lead source", "线索来源"]),
    opt("Type", &["类型"]),
    opt("Name", &["opportunity name", "商机名称"]),
    opt("CurrencyIsoCode", &["currency", "币种"]),
];

const OPPORTUNITY_SPLIT: &[FieldSpec] = &[
    opt("Id", &["split id", "分成编号", "分成id"]),
    req("OpportunityId", &["opportunity id", "商机id", "商机 id"]),
    req("SplitOwnerId", &["split owner id", "分成人", "分成人id"]),
    req("SplitPercentage", &["split percentage", "分成比例", "分成比例(%)"]),
];

const PAYMENT: &[FieldSpec] = &[
    req("Id", &["payment id", "回款编号", "回款id", "回款单号"]),
    req("OpportunityId", &["opportunity id", "商机id", "商机 id", "商机编号"]),
    req("PaymentDate", &["payment date", "回款日期", "到账日期"]),
    req("Amount", &["payment amount", "回款金额", "到账金额"]),
];

const TASK: &[FieldSpec] = &[
    req("Id", &["task id", "任务id"]),
    req("OwnerId", &["owner id", "被分配人id", "所有人id"]),
    opt("WhoId", &["who id", "名称id"]),
    opt("WhatId", &["what id", "相关项id"]),
    opt("Subject", &["主题"]),
    opt("TaskSubtype", &["task subtype", "任务子类型"]),
    opt("Type", &["类型"]),
    opt("Status", &["状态"]),
    opt("ActivityDate", &["activity date", "到期日期"]),
    req("CreatedDate", &["created date", "创建日期", "创建时间"]),
    opt("CompletedDateTime", &["completed date/time", "完成时间"]),
    opt("CallDurationInSeconds", &["call duration", "通话时长"]),
];

const EVENT: &[FieldSpec] = &[
    req("Id", &["event id", "日程id"]),
    req("OwnerId", &["owner id", "被分配人id", "所有人id"]),
    opt("WhoId", &["who id", "名称id"]),
    opt("WhatId", &["what id", "相关项id"]),
    opt("Subject", &["主题"]),
    req("StartDateTime", &["start", "开始时间"]),
    opt("EndDateTime", &["end", "结束时间"]),
    opt("Type", &["类型"]),
];

const ROSTER: &[FieldSpec] = &[
    req("employee_no", EMPLOYEE_NO),
    req("name", &["姓名"]),
    req("hire_date", &["入职日期", "入职时间"]),
    opt("department", &["部门"]),
    opt("position", &["岗位", "职位"]),
    opt("role_family", &["岗位类别"]),
    opt("leave_date", &["离职日期", "离职时间"]),
    opt("manager_no", &["直属上级工号", "上级工号"]),
    opt("email", &["邮箱", "电子邮箱"]),
    opt("mobile", &["手机", "手机号"]),
    opt("city", &["城市"]),
    opt("crm_user_id", &["crm用户id", "crm user id"]),
    opt("industry_experience", &["行业经验"]),
    opt("birth_date", &["出生日期"]),
    opt("gender", &["性别"]),
];

const TARGET: &[FieldSpec] = &[
    req("employee_no", EMPLOYEE_NO),
    req("month", &["月份"]),
    req("target_amount", &["目标金额", "target"]),
];

const COURSE: &[FieldSpec] = &[
    req("course_id", &["课程编号"]),
    req("course_name", &["课程名称"]),
    opt("skill", &["技能", "skills"]),
    opt("format", &["形式"]),
    opt("hours", &["时长", "学时"]),
];

const ENROLLMENT: &[FieldSpec] = &[
    req("employee_no", EMPLOYEE_NO),
    req("course_id", &["课程编号"]),
    req("assigned_date", &["分配日期"]),
    opt("completed_date", &["完成日期"]),
    opt("score", &["成绩"]),
];

const APPRAISAL: &[FieldSpec] = &[
    req("employee_no", EMPLOYEE_NO),
    req("period", &["期间", "考核期间"]),
    req("score", &["绩效得分", "得分"]),
    opt("grade", &["等级"]),
    opt("reviewer_no", &["评价人", "评价人工号"]),
];

const CAPACITY: &[FieldSpec] = &[
    req("employee_no", EMPLOYEE_NO),
    req("max_leads_per_month", &["每月线索上限", "线索上限"]),
];

const LEAVE: &[FieldSpec] = &[
    req("employee_no", EMPLOYEE_NO),
    req("start_date", &["开始日期", "请假开始", "start"]),
    req("end_date", &["结束日期", "请假结束", "end"]),
    opt("leave_type", &["类型", "假期类型", "请假类型", "type"]),
];

// Payroll kinds (docs/spec/payroll.md): Chinese or English headers.
const SALARY: &[FieldSpec] = &[
    req("employee_no", EMPLOYEE_NO),
    req("effective_from", &["生效日期"]),
    req("base_pay", &["基本工资"]),
    opt("allowance", &["岗位津贴", "津贴"]),
    opt("performance_base", &["绩效工资基数"]),
    opt("si_city", &["社保城市", "参保城市"]),
    opt("si_base", &["社保基数", "社保缴费基数"]),
    opt("hf_base", &["公积金基数", "公积金缴费基数"]),
    opt("hf_rate", &["公积金比例", "公积金缴存比例"]),
    opt("tax_status", &["计税身份"]),
    opt("first_job_this_year", &["本年首次就业"]),
    opt("sixty_thousand", &["适用6万减除", "适用6万元减除"]),
    opt("bank_account", &["银行账号", "银行卡号"]),
    opt("bank_name", &["开户行", "开户银行"]),
];

const IIT_DEDUCTION: &[FieldSpec] = &[
    req("employee_no", EMPLOYEE_NO),
    req("from_month", &["起始月份"]),
    req("child_education", &["子女教育"]),
    req("continuing_education", &["继续教育"]),
    req("mortgage_interest", &["住房贷款利息"]),
    req("rent", &["住房租金"]),
    req("elderly_support", &["赡养老人"]),
    req("infant_care", &["婴幼儿照护", "3岁以下婴幼儿照护"]),
    opt("to_month", &["截止月份"]),
];

const PAY_INPUT: &[FieldSpec] = &[
    req("employee_no", EMPLOYEE_NO),
    req("month", &["月份"]),
    opt("overtime_pay", &["加班费"]),
    opt("performance_bonus", &["绩效奖金"]),
    opt("other_pay", &["其他应发"]),
    opt("unpaid_leave_days", &["事假天数"]),
    opt("other_pretax_deduction", &["其他税前扣除"]),
    opt("post_tax_deduction", &["税后扣款"]),
    opt("annual_bonus", &["全年一次性奖金", "年终奖"]),
    opt("bonus_method", &["年终奖计税方式"]),
];

const IIT_OPENING: &[FieldSpec] = &[
    req("employee_no", EMPLOYEE_NO),
    req("as_of_month", &["截至月份"]),
    req("cum_income", &["累计收入"]),
    req("cum_basic", &["累计减除费用"]),
    req("cum_special", &["累计专项扣除"]),
    req("cum_special_additional", &["累计专项附加扣除"]),
    req("cum_withheld", &["累计已预缴税额"]),
    opt("cum_other", &["累计其他扣除"]),
];

const NEW_LEAD: &[FieldSpec] = &[
    req("Id", &["lead id", "lead_id", "线索id", "线索 id", "线索编号"]),
    opt("LeadSource", &["lead source", "source", "线索来源", "来源"]),
    opt("Industry", &["行业"]),
    opt("Rating", &["等级", "评级"]),
    opt("Company", &["公司", "公司名称", "客户名称"]),
    opt("City", &["城市"]),
    opt("NumberOfEmployees", &["employees", "员工人数", "公司规模"]),
];

/// The fields of one import kind.
pub fn fields(kind: ImportKind) -> &'static [FieldSpec] {
    match kind {
        ImportKind::User => USER,
        ImportKind::Account => ACCOUNT,
        ImportKind::Lead => LEAD,
        ImportKind::Opportunity => OPPORTUNITY,
        ImportKind::OpportunitySplit => OPPORTUNITY_SPLIT,
        ImportKind::Payment => PAYMENT,
        ImportKind::Task => TASK,
        ImportKind::Event => EVENT,
        ImportKind::Roster => ROSTER,
        ImportKind::Target => TARGET,
        ImportKind::Course => COURSE,
        ImportKind::Enrollment => ENROLLMENT,
        ImportKind::Appraisal => APPRAISAL,
        ImportKind::Capacity => CAPACITY,
        ImportKind::Leave => LEAVE,
        ImportKind::Salary => SALARY,
        ImportKind::IitDeduction => IIT_DEDUCTION,
        ImportKind::PayInput => PAY_INPUT,
        ImportKind::IitOpening => IIT_OPENING,
        ImportKind::NewLead => NEW_LEAD,
    }
}

/// Normalises a header cell for matching: trimmed, lower case, full-width spaces removed.
pub fn normalise_header(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .replace('\u{3000}', " ")
        .trim()
        .to_lowercase()
}

/// Which field a header cell names, if any.
pub fn field_for_header(kind: ImportKind, header: &str) -> Option<&'static FieldSpec> {
    let h = normalise_header(header);
    fields(kind)
        .iter()
        .find(|f| f.name.to_lowercase() == h || f.aliases.iter().any(|a| a.to_lowercase() == h))
}
