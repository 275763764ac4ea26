//! Reading a CSV or XLSX file into a header and rows of text cells.

use calamine::{Data, Reader};
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

enum Body {
    /// UTF-8 CSV text, header included.
    Csv(String),
    /// XLSX rows below the header.
    Rows(Vec<RawRow>),
}

/// A file opened for import: its display name, header cells and rows.
pub struct SourceFile {
    /// The file name shown in errors (`Lead.csv`).
    pub name: String,
    pub headers: Vec<String>,
    pub encoding: Encoding,
    body: Body,
}

const XLSX_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0];

impl SourceFile {
    /// Opens a CSV (by any extension but `.xlsx`/`.xlsm`) or XLSX file. `sheet` picks an XLSX sheet
    /// by name, else the first.
    pub fn open(path: &Path, sheet: Option<&str>) -> Result<SourceFile, Issue> {
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
            return Self::from_xlsx(name, bytes, sheet);
        }
        Self::from_csv_bytes(name, bytes)
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
        })
    }

    fn from_xlsx(name: String, bytes: Vec<u8>, sheet: Option<&str>) -> Result<SourceFile, Issue> {
        let cursor = std::io::Cursor::new(bytes);
        let mut wb = calamine::open_workbook_auto_from_rs(cursor).map_err(|e| {
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
        let range = wb
            .worksheet_range(&sheet_name)
            .map_err(|e| Issue::file(&name, Problem::Unreadable(e.to_string())))?;
        let first_row = range.start().map(|(r, _)| r as u64).unwrap_or(0);
        let mut rows = range.rows().enumerate().map(|(i, r)| {
            let mut rec = StringRecord::new();
            for c in r {
                rec.push_field(&cell_text(c));
            }
            RawRow {
                line: first_row + i as u64 + 1,
                cells: rec,
            }
        });
        let header = loop {
            match rows.next() {
                None => return Err(Issue::file(&name, Problem::EmptyFile)),
                Some(r) if r.cells.iter().all(|c| c.trim().is_empty()) => continue,
                Some(r) => break r,
            }
        };
        let headers: Vec<String> = header.cells.iter().map(|h| h.trim().to_string()).collect();
        let body: Vec<RawRow> = rows.collect();
        Ok(SourceFile {
            name,
            headers,
            encoding: Encoding::Utf8,
            body: Body::Rows(body),
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
fn cell_text(c: &Data) -> String {
    match c {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                format!("{f}")
            }
        }
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(n) if n.time() == chrono::NaiveTime::MIN => n.date().format("%Y-%m-%d").to_string(),
            Some(n) => n.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => dt.as_f64().to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
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
}
