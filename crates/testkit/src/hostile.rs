//! Hostile files for the import paths: workbooks built to exhaust memory. Each is made here, at
//! test time, rather than stored, so the repository does not carry zip bombs.

use std::io::Write;

/// An XLSX-shaped zip whose one worksheet part inflates to `inflated_mib` MiB of one repeated
/// byte: a few kilobytes on disk, a thousand times that in memory. Its declared sizes are honest,
/// as a real bomb's are (a lying size fails the zip reader's own check).
pub fn xlsx_bomb(inflated_mib: usize) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("[Content_Types].xml", deflated).unwrap();
    zip.write_all(
        br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#,
    )
    .unwrap();
    zip.start_file("xl/worksheets/sheet1.xml", deflated).unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..inflated_mib {
        zip.write_all(&chunk).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// A roster workbook with a normal header and one row, plus a single cell in the sheet's last
/// cell (XFD1048576): read as one dense range it would be seventeen billion cells.
pub fn sparse_roster_xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let rows = [
        ["工号", "姓名", "部门", "岗位", "入职日期"],
        ["E9001", "周远", "销售部", "销售代表", "2025-03-01"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    sheet.write_string(1_048_575, 16_383, "far away").unwrap();
    book.save_to_buffer().unwrap()
}
