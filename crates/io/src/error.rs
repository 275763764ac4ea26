//! Import problems, structured so that they can be rendered in Chinese or English.

use uplift_domain::Lang;

/// Why a department path was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepartmentRule {
    NoName,
    DotLevel,
    TooDeep(usize),
    NameTooLong(usize),
}

/// What is wrong with a file, a row or a cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// The file could not be read at all.
    Unreadable(String),
    /// The file has no bytes, or no header row.
    EmptyFile,
    /// The bytes are neither UTF-8 nor GBK/GB18030 text.
    NotText,
    /// Text in an encoding Uplift does not read (UTF-16, Big5, Shift-JIS): refused rather than
    /// guessed, with the encoding it most likely is.
    OtherEncoding(&'static str),
    /// A NUL byte inside otherwise readable text (a damaged or binary file), on this line.
    NulByte {
        line: u64,
    },
    /// Not a regular file (a folder, a device, a pipe).
    NotAFile(String),
    /// An id (employee number, CRM id, course id) longer than [`crate::records::MAX_ID_CHARS`].
    IdTooLong {
        field: String,
        max: usize,
    },
    /// A department path that cannot be a department: no name, a `.`/`..` level, too many levels
    /// or too long a name (limits in [`crate::records`]).
    BadDepartment {
        field: String,
        value: String,
        rule: DepartmentRule,
    },
    /// An XLSX workbook that would inflate beyond [`crate::source::ReadLimits`] (a zip bomb, or a
    /// workbook too big to read at once).
    XlsxTooLarge {
        inflated_mb: u64,
        limit_mb: u64,
        ratio: u64,
    },
    /// More data rows in one XLSX sheet than [`crate::source::ReadLimits::max_rows`].
    TooManyRows {
        max: u64,
    },
    /// One cell longer than [`crate::source::ReadLimits::max_cell_chars`].
    CellTooLong {
        max: usize,
    },
    /// An XLSX (zip) file given where CSV was expected by its name, or another binary format.
    WrongFormat(String),
    /// The XLSX workbook has no sheet by that name, or no sheet at all.
    NoSuchSheet(String),
    /// A required column is missing from the header. Lists the columns that are there.
    MissingColumn {
        field: String,
        found: Vec<String>,
    },
    /// Two header cells map to the same field.
    DuplicateColumn(String),
    /// A required cell is empty.
    Empty {
        field: String,
    },
    BadDate {
        field: String,
        value: String,
    },
    BadDateTime {
        field: String,
        value: String,
    },
    BadBool {
        field: String,
        value: String,
    },
    BadAmount {
        field: String,
        value: String,
    },
    BadNumber {
        field: String,
        value: String,
    },
    BadMonth {
        field: String,
        value: String,
    },
    BadPeriod {
        field: String,
        value: String,
    },
    BadValue {
        field: String,
        value: String,
        expected: String,
    },
    /// The row has a different number of cells from the header.
    RaggedRow {
        expected: usize,
        found: usize,
    },
    /// The same source id appears twice in one file.
    DuplicateId {
        id: String,
        first_line: u64,
    },
    /// The owner id names no imported CRM user.
    UnknownOwner {
        field: String,
        value: String,
    },
    /// The employee number names no employee on the roster.
    UnknownEmployee {
        field: String,
        value: String,
    },
    /// The course id names no imported course.
    UnknownCourse {
        value: String,
    },
    /// The deal id names no imported opportunity (payments, splits).
    UnknownDeal {
        field: String,
        value: String,
    },
    /// A deal's split percentages in the file do not add up to 100.
    SplitNotHundred {
        opportunity_id: String,
        total: String,
    },
    /// A Salesforce id whose prefix belongs to another object (e.g. a Task file imported as leads).
    WrongIdPrefix {
        id: String,
        found: String,
        expected: String,
    },
    /// A mapping file that cannot be used.
    BadMapping(String),
    /// The leave date is before the hire date.
    LeaveBeforeHire,
}

impl Problem {
    /// Names the field as the file's own header calls it (`入职日期` rather than `hire_date`), so a
    /// person can find the column.
    pub fn name_field_as(&mut self, header: &str) {
        use Problem::*;
        match self {
            Empty { field }
            | BadDate { field, .. }
            | BadDateTime { field, .. }
            | BadBool { field, .. }
            | BadAmount { field, .. }
            | BadNumber { field, .. }
            | BadMonth { field, .. }
            | BadPeriod { field, .. }
            | BadValue { field, .. }
            | BadDepartment { field, .. }
            | IdTooLong { field, .. }
            | UnknownOwner { field, .. }
            | UnknownEmployee { field, .. }
            | UnknownDeal { field, .. }
                if field != header =>
            {
                *field = header.to_string();
            }
            _ => {}
        }
    }

    /// Renders the problem as a sentence in `lang`.
    // Long on purpose: A catalogue: one arm per problem with its Chinese and English words, easier to
    // keep complete in one match.
    pub fn render(&self, lang: Lang) -> String {
        use Problem::*;
        let zh = lang == Lang::Zh;
        match self {
            Unreadable(e) => {
                if zh {
                    format!("无法读取文件：{e}")
                } else {
                    format!("cannot read the file: {e}")
                }
            }
            EmptyFile => lang
                .pick("文件为空（没有表头行）", "the file is empty (no header row)")
                .into(),
            NotText => lang
                .pick(
                    "文件既不是 UTF-8 也不是 GBK/GB18030 文本，请另存为 CSV 或 XLSX",
                    "the file is neither UTF-8 nor GBK/GB18030 text; save it as CSV or XLSX",
                )
                .into(),
            OtherEncoding(which) => match lang {
                Lang::Zh => format!(
                    "文件看起来是 {which} 编码，Uplift 不会猜测它的内容；请在 Excel 中「另存为」→「CSV UTF-8（逗号分隔）」，或另存为 XLSX 后再导入"
                ),
                Lang::En => format!(
                    "the file looks like {which}, which Uplift does not guess at; in Excel use Save As → \"CSV UTF-8 (Comma delimited)\", or save as XLSX, and import again"
                ),
            },
            NulByte { line } => match lang {
                Lang::Zh => format!("第 {line} 行含有空字符（NUL），文件可能已损坏或不是文本文件"),
                Lang::En => format!("line {line} holds a NUL byte: the file is damaged or not a text file"),
            },
            BadDepartment { field, value, rule } => {
                let shown: String = value.chars().take(40).collect();
                let more = if value.chars().count() > 40 { "…" } else { "" };
                let why = match (rule, lang) {
                    (DepartmentRule::NoName, Lang::Zh) => "没有部门名称".to_string(),
                    (DepartmentRule::NoName, Lang::En) => "names no department".to_string(),
                    (DepartmentRule::DotLevel, Lang::Zh) => "含有「.」或「..」这样的层级".to_string(),
                    (DepartmentRule::DotLevel, Lang::En) => "has a \".\" or \"..\" level".to_string(),
                    (DepartmentRule::TooDeep(max), Lang::Zh) => format!("层级超过 {max} 级"),
                    (DepartmentRule::TooDeep(max), Lang::En) => format!("has more than {max} levels"),
                    (DepartmentRule::NameTooLong(max), Lang::Zh) => format!("某一级名称超过 {max} 个字符"),
                    (DepartmentRule::NameTooLong(max), Lang::En) => format!("has a level name over {max} characters"),
                };
                match lang {
                    Lang::Zh => format!("{field}「{shown}{more}」{why}"),
                    Lang::En => format!("{field} \"{shown}{more}\" {why}"),
                }
            }
            IdTooLong { field, max } => match lang {
                Lang::Zh => format!("{field} 超过 {max} 个字符，不像是编号"),
                Lang::En => format!("{field} is longer than {max} characters, which no id is"),
            },
            XlsxTooLarge {
                inflated_mb,
                limit_mb,
                ratio,
            } => match lang {
                Lang::Zh => format!(
                    "工作簿解压后有 {inflated_mb} MB，超过上限（{limit_mb} MB，或文件本身大小的 {ratio} 倍）；这可能是一个压缩炸弹。真实的大文件请拆分，或另存为 CSV 后导入；管理员可用 uplift config limit 调整上限"
                ),
                Lang::En => format!(
                    "the workbook inflates to {inflated_mb} MB, over the limit ({limit_mb} MB, or {ratio} times the file's own size); it may be a zip bomb. Split a genuinely large file, or save it as CSV and import that; an admin can raise the limit with uplift config limit"
                ),
            },
            TooManyRows { max } => match lang {
                Lang::Zh => format!("工作表超过 {max} 行数据，请拆分后分批导入"),
                Lang::En => format!("the sheet has more than {max} data rows; split it and import the parts"),
            },
            CellTooLong { max } => match lang {
                Lang::Zh => format!("单元格超过 {max} 个字符"),
                Lang::En => format!("the cell is longer than {max} characters"),
            },
            NotAFile(what) => match lang {
                Lang::Zh => format!("不是普通文件（{what}）"),
                Lang::En => format!("not a regular file ({what})"),
            },
            WrongFormat(what) => {
                if zh {
                    format!("文件格式不对：{what}")
                } else {
                    format!("wrong kind of file: {what}")
                }
            }
            NoSuchSheet(s) => {
                if zh {
                    format!("工作簿中没有工作表「{s}」")
                } else {
                    format!("the workbook has no sheet \"{s}\"")
                }
            }
            MissingColumn { field, found } => {
                if zh {
                    format!(
                        "缺少必需列 {field}（文件中的列：{}）；是否选错了导入类型？",
                        found.join(", ")
                    )
                } else {
                    format!(
                        "missing required column {field} (the file has: {}); is this the right kind of file?",
                        found.join(", ")
                    )
                }
            }
            DuplicateColumn(f) => {
                if zh {
                    format!("两列都对应字段 {f}")
                } else {
                    format!("two columns both map to field {f}")
                }
            }
            Empty { field } => {
                if zh {
                    format!("{field} 不能为空")
                } else {
                    format!("{field} must not be empty")
                }
            }
            BadDate { field, value } => {
                if zh {
                    format!("{field}「{value}」不是有效日期（如 2026-03-01、2026/3/1、2026年3月1日）")
                } else {
                    format!("{field} \"{value}\" is not a date (e.g. 2026-03-01, 2026/3/1)")
                }
            }
            BadDateTime { field, value } => {
                if zh {
                    format!("{field}「{value}」不是有效的日期时间（如 2026-03-01T09:14:03.000+0000）")
                } else {
                    format!("{field} \"{value}\" is not a date-time (e.g. 2026-03-01T09:14:03.000+0000)")
                }
            }
            BadBool { field, value } => {
                if zh {
                    format!("{field}「{value}」不是布尔值（true/false、1/0、是/否）")
                } else {
                    format!("{field} \"{value}\" is not a boolean (true/false, 1/0, yes/no)")
                }
            }
            BadAmount { field, value } => {
                if zh {
                    format!("{field}「{value}」不是金额（如 1234.5、¥1,234.50）")
                } else {
                    format!("{field} \"{value}\" is not an amount (e.g. 1234.5, ¥1,234.50)")
                }
            }
            BadNumber { field, value } => {
                if zh {
                    format!("{field}「{value}」不是数字")
                } else {
                    format!("{field} \"{value}\" is not a number")
                }
            }
            BadMonth { field, value } => {
                if zh {
                    format!("{field}「{value}」不是月份（如 2026-03）")
                } else {
                    format!("{field} \"{value}\" is not a month (e.g. 2026-03)")
                }
            }
            BadPeriod { field, value } => {
                if zh {
                    format!("{field}「{value}」不是考核期间（如 2026-03 或 2026-Q1）")
                } else {
                    format!("{field} \"{value}\" is not a period (e.g. 2026-03 or 2026-Q1)")
                }
            }
            BadValue { field, value, expected } => {
                if zh {
                    format!("{field}「{value}」无效，应为：{expected}")
                } else {
                    format!("{field} \"{value}\" is invalid; expected {expected}")
                }
            }
            RaggedRow { expected, found } => {
                if zh {
                    format!("此行有 {found} 列，表头有 {expected} 列")
                } else {
                    format!("this row has {found} cells but the header has {expected}")
                }
            }
            DuplicateId { id, first_line } => {
                if zh {
                    format!("编号 {id} 在文件中重复（首次出现在第 {first_line} 行）")
                } else {
                    format!("id {id} appears twice in the file (first on line {first_line})")
                }
            }
            UnknownOwner { field, value } => {
                if zh {
                    format!("{field}「{value}」不是已导入的 CRM 用户，请先导入 User")
                } else {
                    format!("{field} \"{value}\" is not an imported CRM user; import User first")
                }
            }
            UnknownDeal { field, value } => {
                if zh {
                    format!("{field}「{value}」不是已导入的商机，请先导入 Opportunity")
                } else {
                    format!("{field} \"{value}\" is not an imported opportunity; import Opportunity first")
                }
            }
            UnknownEmployee { field, value } => {
                if zh {
                    format!("{field}「{value}」不在花名册中，请先导入花名册")
                } else {
                    format!("{field} \"{value}\" is not on the roster; import the roster first")
                }
            }
            WrongIdPrefix { id, found, expected } => {
                if zh {
                    format!("编号 {id} 是 Salesforce {found} 的编号，不是 {expected}；是否选错了导入类型？")
                } else {
                    format!("id {id} is a Salesforce {found} id, not a {expected} id; is this the right kind of file?")
                }
            }
            SplitNotHundred { opportunity_id, total } => {
                if zh {
                    format!("商机 {opportunity_id} 的分成比例合计 {total}%，应为 100%")
                } else {
                    format!("the split percentages of deal {opportunity_id} add up to {total}%, not 100%")
                }
            }
            UnknownCourse { value } => {
                if zh {
                    format!("课程编号「{value}」未导入，请先导入课程")
                } else {
                    format!("course \"{value}\" has not been imported; import courses first")
                }
            }
            BadMapping(e) => {
                if zh {
                    format!("映射文件无效：{e}")
                } else {
                    format!("invalid mapping file: {e}")
                }
            }
            LeaveBeforeHire => lang
                .pick("离职日期早于入职日期", "leave date is before the hire date")
                .into(),
        }
    }
}

/// A problem located in a file: `file:line:column: reason`.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub file: String,
    /// 1-based line (CSV) or row (XLSX); `None` for whole-file problems.
    pub line: Option<u64>,
    /// 1-based column number, when one cell is at fault.
    pub column: Option<usize>,
    pub problem: Problem,
}

impl Issue {
    pub fn file(file: &str, problem: Problem) -> Issue {
        Issue {
            file: file.to_string(),
            line: None,
            column: None,
            problem,
        }
    }

    /// `file:line:column: reason` in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        let mut s = self.file.clone();
        if let Some(l) = self.line {
            s.push_str(&format!(":{l}"));
            if let Some(c) = self.column {
                s.push_str(&format!(":{c}"));
            }
        }
        s.push_str(": ");
        s.push_str(&self.problem.render(lang));
        s
    }
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

impl std::error::Error for Issue {}
