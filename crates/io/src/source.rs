//! Reading a CSV or XLSX file into a header and rows of text cells.

use calamine::{DataRef, Reader};
use csv::StringRecord;
use std::path::Path;

use crate::error::{Issue, Problem};

/// The text encoding a CSV file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Gb18030,
}

/// One data row: its 1-based line (CSV) or row number (XLSX) and its cells.
#[derive(Debug, Clone)]
pub struct RawRow {
    pub line: u64,
    pub cells: StringRecord,
}

#[derive(Debug)]
enum Body {
    /// UTF-8 CSV text, header included.
    Csv(String),
    /// XLSX rows below the header.
    Rows(Vec<RawRow>),
}

/// A file opened for import: its display name, header cells and rows.
#[derive(Debug)]
pub struct SourceFile {
    /// The file name shown in errors (`Lead.csv`).
    pub name: String,
    pub headers: Vec<String>,
    pub encoding: Encoding,
    body: Body,
    /// A CSV cell longer than this is a located problem, as an XLSX cell is when it is read.
    max_cell_chars: usize,
}

const XLSX_MAGIC: &[u8] = b"PK\x03\x04";
/// Below this many inflated bytes an XLSX is never refused for its compression ratio (a nearly
/// empty workbook compresses far better than a full one).
const XLSX_RATIO_FLOOR: u64 = 16 << 20;

/// How much a file may hold before it is refused, so that one upload cannot take the server's
/// memory. The defaults suit files of a few million rows; `uplift settings` raises them
/// (docs/operations.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// All parts of an XLSX workbook together, inflated.
    pub max_xlsx_inflated_bytes: u64,
    /// How many times its own size an XLSX may inflate to (above 16 MiB): honest workbooks stay
    /// well under 100×, zip bombs reach 1,000×.
    pub max_xlsx_ratio: u64,
    /// Data rows of one XLSX sheet.
    pub max_rows: u64,
    /// Characters of one cell, CSV or XLSX (Excel's own limit is 32,767).
    pub max_cell_chars: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_xlsx_inflated_bytes: 1 << 30,
            max_xlsx_ratio: 200,
            max_rows: 5_000_000,
            max_cell_chars: 32_767,
        }
    }
}
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0];

impl SourceFile {
    /// Opens a CSV (by any extension but `.xlsx`/`.xlsm`) or XLSX file. `sheet` picks an XLSX sheet
    /// by name, else the first.
    pub fn open(path: &Path, sheet: Option<&str>) -> Result<SourceFile, Issue> {
        Self::open_with(path, sheet, &ReadLimits::default())
    }

    /// [`SourceFile::open`] within `limits`.
    pub fn open_with(path: &Path, sheet: Option<&str>, limits: &ReadLimits) -> Result<SourceFile, Issue> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        // A folder, a device (/dev/zero would be read forever) or a pipe is refused before reading.
        let meta = std::fs::metadata(path).map_err(|e| Issue::file(&name, Problem::Unreadable(e.to_string())))?;
        if !meta.is_file() {
            let what = if meta.is_dir() {
                "folder / 文件夹"
            } else {
                "device or pipe / 设备或管道"
            };
            return Err(Issue::file(&name, Problem::NotAFile(what.into())));
        }
        let bytes = std::fs::read(path).map_err(|e| Issue::file(&name, Problem::Unreadable(e.to_string())))?;
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if ext == "xlsx" || ext == "xlsm" || bytes.starts_with(XLSX_MAGIC) {
            return Self::from_xlsx(name, bytes, sheet, limits);
        }
        let mut file = Self::from_csv_bytes(name, bytes)?;
        file.max_cell_chars = limits.max_cell_chars;
        Ok(file)
    }

    /// Reads CSV bytes, detecting UTF-8 (with or without BOM) or GBK/GB18030.
    pub fn from_csv_bytes(name: String, bytes: Vec<u8>) -> Result<SourceFile, Issue> {
        if bytes.starts_with(OLE_MAGIC) {
            return Err(Issue::file(
                &name,
                Problem::WrongFormat("旧版 Excel (.xls) / old Excel .xls; save as .xlsx or CSV".into()),
            ));
        }
        let (text, encoding) = decode(bytes).map_err(|p| Issue::file(&name, p))?;
        if text.contains('\0') {
            return Err(Issue::file(&name, Problem::NotText));
        }
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut header = StringRecord::new();
        // Skip blank lines before the header.
        loop {
            match rdr.read_record(&mut header) {
                Ok(false) => return Err(Issue::file(&name, Problem::EmptyFile)),
                Ok(true) if header.iter().all(|c| c.trim().is_empty()) => continue,
                Ok(true) => break,
                Err(e) => return Err(Issue::file(&name, Problem::Unreadable(e.to_string()))),
            }
        }
        let headers = header.iter().map(|h| h.trim().to_string()).collect();
        Ok(SourceFile {
            name,
            headers,
            encoding,
            body: Body::Csv(text),
            max_cell_chars: ReadLimits::default().max_cell_chars,
        })
    }

    fn from_xlsx(name: String, bytes: Vec<u8>, sheet: Option<&str>, limits: &ReadLimits) -> Result<SourceFile, Issue> {
        check_inflated_size(&name, &bytes, limits)?;
        let cursor = std::io::Cursor::new(bytes);
        let mut wb: calamine::Xlsx<_> = calamine::Xlsx::new(cursor).map_err(|e| {
            Issue::file(
                &name,
                Problem::WrongFormat(format!("not a readable XLSX workbook ({e})")),
            )
        })?;
        let sheet_name = match sheet {
            Some(s) => s.to_string(),
            None => wb
                .sheet_names()
                .first()
                .cloned()
                .ok_or_else(|| Issue::file(&name, Problem::NoSuchSheet("(none)".into())))?,
        };
        if !wb.sheet_names().contains(&sheet_name) {
            return Err(Issue::file(&name, Problem::NoSuchSheet(sheet_name)));
        }
        let unreadable = |e: calamine::XlsxError| Issue::file(&name, Problem::Unreadable(e.to_string()));
        // Cells are streamed rather than read as one dense range: a sheet with one cell in A1 and
        // one in XFD1048576 would otherwise allocate seventeen billion cells.
        let mut cells = wb.worksheet_cells_reader(&sheet_name).map_err(unreadable)?;
        let mut rows: std::collections::BTreeMap<u32, Vec<(u32, String)>> = Default::default();
        while let Some(cell) = cells.next_cell().map_err(unreadable)? {
            let (row, col) = cell.get_position();
            let text = data_ref_text(cell.get_value());
            if text.is_empty() {
                continue;
            }
            let line = u64::from(row) + 1;
            if text.chars().count() > limits.max_cell_chars {
                return Err(Issue {
                    file: name.clone(),
                    line: Some(line),
                    column: Some(col as usize + 1),
                    problem: Problem::CellTooLong {
                        max: limits.max_cell_chars,
                    },
                });
            }
            // The header and `max_rows` data rows.
            if !rows.contains_key(&row) && rows.len() as u64 > limits.max_rows {
                return Err(Issue::file(&name, Problem::TooManyRows { max: limits.max_rows }));
            }
            rows.entry(row).or_default().push((col, text));
        }
        let mut rows = rows.into_iter();
        let Some((_, header_cells)) = rows.next() else {
            return Err(Issue::file(&name, Problem::EmptyFile));
        };
        // The sheet columns that become fields: from the header's first column to its last, or,
        // when the header is sparse (a name in A1 and one in XFD1), only its named columns, so
        // that every data row does not become sixteen thousand empty cells.
        let named: Vec<u32> = header_cells.iter().map(|(c, _)| *c).collect();
        let (first, last) = (
            named.iter().min().copied().unwrap_or(0),
            named.iter().max().copied().unwrap_or(0),
        );
        let columns: Vec<u32> = if (last - first) as usize + 1 > 2 * named.len() + 64 {
            let mut named = named;
            named.sort_unstable();
            named
        } else {
            (first..=last).collect()
        };
        let dense = |cells: Vec<(u32, String)>| {
            // Cells outside those columns name no field.
            let mut out = vec![String::new(); columns.len()];
            for (c, text) in cells {
                if let Ok(i) = columns.binary_search(&c) {
                    out[i] = text;
                }
            }
            StringRecord::from(out)
        };
        let headers: Vec<String> = dense(header_cells).iter().map(|h| h.trim().to_string()).collect();
        let body: Vec<RawRow> = rows
            .map(|(row, cells)| RawRow {
                line: u64::from(row) + 1,
                cells: dense(cells),
            })
            .collect();
        Ok(SourceFile {
            name,
            headers,
            encoding: Encoding::Utf8,
            body: Body::Rows(body),
            max_cell_chars: limits.max_cell_chars,
        })
    }

    /// Iterates the data rows after the header, skipping blank rows. A CSV syntax error (an
    /// unclosed quote) ends the iteration with an issue on its line.
    pub fn rows(&self) -> RowIter<'_> {
        match &self.body {
            Body::Rows(rows) => RowIter::Rows(rows.iter()),
            Body::Csv(text) => RowIter::Csv {
                rdr: Box::new(
                    csv::ReaderBuilder::new()
                        .has_headers(false)
                        .flexible(true)
                        .from_reader(text.as_bytes()),
                ),
                seen_header: false,
                name: &self.name,
                done: false,
                text: text.as_bytes(),
                max_cell_chars: self.max_cell_chars,
            },
        }
    }
}

/// Decodes CSV bytes: UTF-8 (BOM stripped) when valid, else GB18030 (a superset of GBK). UTF-16,
/// Big5 and Shift-JIS are recognised and refused by name rather than decoded as something else
/// (GB18030 accepts almost any byte sequence, so a Big5 file would import as mojibake); a NUL byte
/// is reported with its line.
pub fn decode(bytes: Vec<u8>) -> Result<(String, Encoding), Problem> {
    if bytes.is_empty() {
        return Err(Problem::EmptyFile);
    }
    if let Some(which) = utf16(&bytes) {
        return Err(Problem::OtherEncoding(which));
    }
    if let Some(at) = bytes.iter().position(|b| *b == 0) {
        let line = 1 + bytes[..at].iter().filter(|b| **b == b'\n').count() as u64;
        return Err(Problem::NulByte { line });
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    if std::str::from_utf8(body).is_ok() {
        let start = bytes.len() - body.len();
        let mut v = bytes;
        v.drain(..start);
        return Ok((String::from_utf8(v).unwrap_or_default(), Encoding::Utf8));
    }
    if let Some(which) = other_cjk_encoding(&bytes) {
        return Err(Problem::OtherEncoding(which));
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(&bytes);
    if had_errors {
        return Err(Problem::NotText);
    }
    Ok((text.into_owned(), Encoding::Gb18030))
}

/// UTF-16 by its byte-order mark, or without one by the NUL half of every ASCII character.
fn utf16(bytes: &[u8]) -> Option<&'static str> {
    // A byte-order mark counts only when what follows is valid UTF-16 (binary files start with
    // anything).
    let valid = |enc: &'static encoding_rs::Encoding| {
        bytes.len().is_multiple_of(2) && !enc.decode_without_bom_handling(&bytes[2..]).1
    };
    if bytes.starts_with(&[0xFF, 0xFE]) && valid(encoding_rs::UTF_16LE) {
        return Some("UTF-16 LE");
    }
    if bytes.starts_with(&[0xFE, 0xFF]) && valid(encoding_rs::UTF_16BE) {
        return Some("UTF-16 BE");
    }
    let head = &bytes[..bytes.len().min(4096)];
    if head.len() < 16 || !bytes.len().is_multiple_of(2) {
        return None;
    }
    let zeros_at = |parity: usize| head.iter().skip(parity).step_by(2).filter(|b| **b == 0).count();
    let half = head.len() / 2;
    // Header rows are mostly ASCII: in UTF-16 every other byte of them is 0.
    let clean = |enc: &'static encoding_rs::Encoding| !enc.decode_without_bom_handling(bytes).1;
    if zeros_at(1) * 10 > half * 4 && zeros_at(0) * 10 < half && clean(encoding_rs::UTF_16LE) {
        return Some("UTF-16 LE");
    }
    if zeros_at(0) * 10 > half * 4 && zeros_at(1) * 10 < half && clean(encoding_rs::UTF_16BE) {
        return Some("UTF-16 BE");
    }
    None
}

/// Big5 or Shift-JIS text, told from GBK by where its double-byte characters fall. Real GBK
/// Chinese keeps nearly all of them in the GB2312 block (lead 0xB0–0xF7, trail 0xA1–0xFE); Big5's
/// trail bytes are 0x40–0x7E for about 40 % of characters and Shift-JIS leads with 0x81–0x9F.
fn other_cjk_encoding(bytes: &[u8]) -> Option<&'static str> {
    let (mut pairs, mut gb2312, mut sjis_lead) = (0usize, 0usize, 0usize);
    let mut i = 0;
    while i + 1 < bytes.len() {
        let (lead, trail) = (bytes[i], bytes[i + 1]);
        if lead < 0x80 {
            i += 1;
            continue;
        }
        pairs += 1;
        if (0xB0..=0xF7).contains(&lead) && (0xA1..=0xFE).contains(&trail) {
            gb2312 += 1;
        }
        if (0x81..=0x9F).contains(&lead) {
            sjis_lead += 1;
        }
        i += 2;
    }
    if pairs < 8 || gb2312 * 10 >= pairs * 8 {
        return None;
    }
    let clean = |enc: &'static encoding_rs::Encoding| !enc.decode_without_bom_handling(bytes).1;
    if sjis_lead * 10 > pairs * 3 && clean(encoding_rs::SHIFT_JIS) {
        Some("Shift-JIS (日文)")
    } else if clean(encoding_rs::BIG5) {
        Some("Big5 (繁体中文)")
    } else {
        None
    }
}

/// Text of an XLSX cell: whole numbers without `.0`, dates as ISO.
fn data_ref_text(c: &DataRef<'_>) -> String {
    match c {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                format!("{f}")
            }
        }
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => match dt.as_datetime() {
            Some(n) if n.time() == chrono::NaiveTime::MIN => n.date().format("%Y-%m-%d").to_string(),
            Some(n) => n.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => dt.as_f64().to_string(),
        },
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => format!("#{e:?}"),
    }
}

/// Refuses a workbook whose parts would inflate beyond the limits, before anything is inflated:
/// the zip's central directory declares each part's size, and the zip reader fails a part that
/// grows past its declared size, so the declared sizes bound what reading can allocate.
fn check_inflated_size(name: &str, bytes: &[u8], limits: &ReadLimits) -> Result<(), Issue> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| {
        Issue::file(
            name,
            Problem::WrongFormat(format!("not a readable XLSX workbook ({e})")),
        )
    })?;
    let mut inflated = 0u64;
    for i in 0..zip.len() {
        let part = zip
            .by_index_raw(i)
            .map_err(|e| Issue::file(name, Problem::Unreadable(e.to_string())))?;
        inflated = inflated.saturating_add(part.size());
    }
    let by_ratio = inflated > XLSX_RATIO_FLOOR && inflated / (bytes.len() as u64).max(1) > limits.max_xlsx_ratio;
    if inflated > limits.max_xlsx_inflated_bytes || by_ratio {
        return Err(Issue::file(
            name,
            Problem::XlsxTooLarge {
                inflated_mb: inflated.div_ceil(1 << 20),
                limit_mb: limits.max_xlsx_inflated_bytes >> 20,
                ratio: limits.max_xlsx_ratio,
            },
        ));
    }
    Ok(())
}

/// Iterator over a file's data rows; see [`SourceFile::rows`].
pub enum RowIter<'a> {
    Rows(std::slice::Iter<'a, RawRow>),
    Csv {
        rdr: Box<csv::Reader<&'a [u8]>>,
        seen_header: bool,
        name: &'a str,
        done: bool,
        text: &'a [u8],
        max_cell_chars: usize,
    },
}

impl Iterator for RowIter<'_> {
    type Item = Result<RawRow, Issue>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            RowIter::Rows(it) => it.find(|r| !r.cells.iter().all(|c| c.is_empty())).cloned().map(Ok),
            RowIter::Csv {
                rdr,
                seen_header,
                name,
                done,
                text,
                max_cell_chars,
            } => loop {
                if *done {
                    return None;
                }
                let mut cells = StringRecord::new();
                match rdr.read_record(&mut cells) {
                    Ok(false) => return None,
                    Ok(true) => {}
                    Err(e) => {
                        *done = true;
                        let line = e.position().map(|p| p.line()).unwrap_or(0);
                        return Some(Err(Issue {
                            file: name.to_string(),
                            line: Some(line),
                            column: None,
                            problem: Problem::Unreadable(e.to_string()),
                        }));
                    }
                }
                if cells.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                if !*seen_header {
                    *seen_header = true;
                    continue;
                }
                let line = cells.position().map(|p| true_line(text, p)).unwrap_or(0);
                // A byte length within the limit is within it in characters too.
                if let Some(at) = cells
                    .iter()
                    .position(|c| c.len() > *max_cell_chars && c.chars().count() > *max_cell_chars)
                {
                    *done = true;
                    return Some(Err(Issue {
                        file: name.to_string(),
                        line: Some(line),
                        column: Some(at + 1),
                        problem: Problem::CellTooLong { max: *max_cell_chars },
                    }));
                }
                return Some(Ok(RawRow { line, cells }));
            },
        }
    }
}

/// The 1-based line a record starts on. After a CRLF line end the csv crate places the next
/// record's start at the `\n`, still on the previous line; step past it.
fn true_line(text: &[u8], p: &csv::Position) -> u64 {
    match text.get(p.byte() as usize) {
        Some(b'\n') => p.line() + 1,
        _ => p.line(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_encodings_are_named_not_guessed() {
        let text =
            "工号,姓名,部门\r\nE1001,陈美玲,台北業務部\r\nE1002,林志豪,高雄業務部\r\nE1003,黃淑芬,台中業務部\r\n";
        let (big5, _, _) = encoding_rs::BIG5.encode(text);
        assert_eq!(
            decode(big5.into_owned()),
            Err(Problem::OtherEncoding("Big5 (繁体中文)"))
        );
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        assert!(matches!(decode(gbk.into_owned()), Ok((t, Encoding::Gb18030)) if t == text));
        let jp =
            "社員番号,氏名,部署\r\nE1001,山田太郎,営業第一部\r\nE1002,鈴木花子,営業第二部\r\nE1003,佐藤健,東京支社\r\n";
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(jp);
        assert_eq!(
            decode(sjis.into_owned()),
            Err(Problem::OtherEncoding("Shift-JIS (日文)"))
        );
        let utf16le: Vec<u8> = "Id,Name\r\n1,a\r\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode(utf16le.clone()), Err(Problem::OtherEncoding("UTF-16 LE")));
        let mut with_bom = vec![0xFF, 0xFE];
        with_bom.extend(&utf16le);
        assert_eq!(decode(with_bom), Err(Problem::OtherEncoding("UTF-16 LE")));
        let utf16be: Vec<u8> = "Id,Name\r\n1,a\r\n".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode(utf16be), Err(Problem::OtherEncoding("UTF-16 BE")));
        assert_eq!(
            decode(b"Id,Name\n1,a\n2,b\0\n".to_vec()),
            Err(Problem::NulByte { line: 3 })
        );
    }

    fn workbook(cells: &[(u32, u16, &str)]) -> tempfile::NamedTempFile {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (r, c, v) in cells {
            sheet.write_string(*r, *c, *v).unwrap();
        }
        let file = tempfile::Builder::new().suffix(".xlsx").tempfile().unwrap();
        std::fs::write(file.path(), book.save_to_buffer().unwrap()).unwrap();
        file
    }

    #[test]
    fn xlsx_rows_and_cells_are_bounded_by_the_limits() {
        let limits = ReadLimits {
            max_rows: 2,
            max_cell_chars: 5,
            ..ReadLimits::default()
        };
        let two = workbook(&[(0, 0, "Id"), (1, 0, "a"), (2, 0, "b")]);
        let f = SourceFile::open_with(two.path(), None, &limits).unwrap();
        assert_eq!(f.rows().count(), 2);
        let three = workbook(&[(0, 0, "Id"), (1, 0, "a"), (2, 0, "b"), (3, 0, "c")]);
        let e = SourceFile::open_with(three.path(), None, &limits).unwrap_err();
        assert_eq!(e.problem, Problem::TooManyRows { max: 2 });
        let long = workbook(&[(0, 0, "Id"), (0, 1, "Name"), (4, 1, "abcdef")]);
        let e = SourceFile::open_with(long.path(), None, &limits).unwrap_err();
        assert_eq!((e.line, e.column), (Some(5), Some(2)));
        assert_eq!(e.problem, Problem::CellTooLong { max: 5 });
        let csv = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        std::fs::write(csv.path(), "Id,Name\n1,一二三四五\n2,一二三四五六\n").unwrap();
        let f = SourceFile::open_with(csv.path(), None, &limits).unwrap();
        let rows: Vec<_> = f.rows().collect();
        assert!(rows[0].is_ok());
        let e = rows[1].clone().unwrap_err();
        assert_eq!(
            (e.line, e.column, e.problem),
            (Some(3), Some(2), Problem::CellTooLong { max: 5 })
        );
    }

    #[test]
    fn a_sparse_xlsx_header_keeps_its_named_columns_only() {
        // Names in A1, B1 and XFD1: the 16,384-column span is not materialised per row.
        let f = workbook(&[
            (0, 0, "Id"),
            (0, 1, "Name"),
            (0, 16_383, "Far"),
            (1, 0, "7"),
            (1, 16_383, "x"),
            (2, 1, "b"),
        ]);
        let f = SourceFile::open_with(f.path(), None, &ReadLimits::default()).unwrap();
        assert_eq!(f.headers, ["Id", "Name", "Far"]);
        let rows: Vec<Vec<String>> = f
            .rows()
            .map(|r| r.unwrap().cells.iter().map(String::from).collect())
            .collect();
        assert_eq!(rows, [vec!["7", "", "x"], vec!["", "b", ""]]);
        // A contiguous header keeps its gaps as columns, so column numbers match the sheet's.
        let f = workbook(&[(0, 0, "Id"), (0, 2, "Name"), (1, 2, "b")]);
        let f = SourceFile::open_with(f.path(), None, &ReadLimits::default()).unwrap();
        assert_eq!(f.headers, ["Id", "", "Name"]);
    }
}
