//! Reading an uploaded spreadsheet into rows of text: `.xlsx` (and `.xls`/`.ods`) with calamine,
//! `.csv` with the csv crate after detecting its encoding (UTF-8 with or without BOM, UTF-16 with
//! BOM, else GB18030 — the superset of the GBK that Chinese Excel writes) and its delimiter.
//!
//! Everything an upload can do wrong is refused with a [`SheetError`] before anything heavy
//! happens: too big, empty, not a spreadsheet, a zip whose contents inflate past
//! [`MAX_INFLATED_BYTES`] (zip bombs), too many rows or columns.

use std::io::{Cursor, Read};

use calamine::{Data, Reader};

use super::mapping;

/// Largest accepted upload.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// Largest total size the entries of an `.xlsx` may inflate to.
pub const MAX_INFLATED_BYTES: u64 = 400 * 1024 * 1024;
/// Most entries in an `.xlsx` archive.
const MAX_ZIP_ENTRIES: usize = 10_000;
/// Most data rows in one file.
pub const MAX_ROWS: usize = 200_000;
/// Most columns.
pub const MAX_COLUMNS: usize = 200;
/// Rows searched for the header row.
const HEADER_SEARCH_ROWS: usize = 20;

/// Why an upload cannot be read. Each maps to a message the user sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    /// No bytes.
    #[error("the file is empty")]
    Empty,
    /// Over [`MAX_FILE_BYTES`].
    #[error("the file is larger than {} MB", MAX_FILE_BYTES / 1024 / 1024)]
    TooLarge,
    /// The archive inflates past [`MAX_INFLATED_BYTES`] or has too many entries.
    #[error("the archive inflates beyond the limit")]
    ZipBomb,
    /// Neither a workbook nor text.
    #[error("not a spreadsheet: {0}")]
    NotASpreadsheet(String),
    /// Text in no encoding we know.
    #[error("unknown text encoding (expected UTF-8 or GBK/GB18030)")]
    UnknownEncoding,
    /// No row with any value.
    #[error("the sheet has no rows")]
    NoRows,
    /// Over [`MAX_ROWS`].
    #[error("more than {MAX_ROWS} rows")]
    TooManyRows,
    /// Over [`MAX_COLUMNS`].
    #[error("more than {MAX_COLUMNS} columns")]
    TooManyColumns,
}

impl SheetError {
    /// The message key of the back office's catalogue.
    pub fn message_key(&self) -> &'static str {
        match self {
            SheetError::Empty => "imp.err.file_empty",
            SheetError::TooLarge => "imp.err.file_too_large",
            SheetError::ZipBomb => "imp.err.zip_bomb",
            SheetError::NotASpreadsheet(_) => "imp.err.not_sheet",
            SheetError::UnknownEncoding => "imp.err.encoding",
            SheetError::NoRows => "imp.err.no_rows",
            SheetError::TooManyRows => "imp.err.too_many_rows",
            SheetError::TooManyColumns => "imp.err.too_many_columns",
        }
    }
}

/// The kind of file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A workbook (`.xlsx`, `.xls`, `.ods`).
    Workbook,
    /// Delimited text.
    Csv,
}

impl FileKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Workbook => "xlsx",
            FileKind::Csv => "csv",
        }
    }
}

/// A data row: its number as the user sees it (1-based, as in Excel) and its cells as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetRow {
    /// 1-based row number in the file.
    pub row_no: u32,
    /// One string per column (padded to the header's width).
    pub cells: Vec<String>,
}

/// A file read into text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sheet {
    /// Workbook or CSV.
    pub kind: FileKind,
    /// The detected text encoding of a CSV (`UTF-8`, `UTF-8 BOM`, `UTF-16`, `GB18030`); empty for
    /// workbooks.
    pub encoding: &'static str,
    /// 1-based row number of the header row.
    pub header_row: u32,
    /// The header cells (trimmed), one per column.
    pub headers: Vec<String>,
    /// The non-blank rows after the header.
    pub rows: Vec<SheetRow>,
}

/// Reads an upload. CPU-bound: call it from a blocking task.
pub fn read(bytes: &[u8]) -> Result<Sheet, SheetError> {
    if bytes.is_empty() {
        return Err(SheetError::Empty);
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(SheetError::TooLarge);
    }
    let (kind, encoding, raw) = if bytes.starts_with(b"PK\x03\x04") {
        check_zip(bytes)?;
        (FileKind::Workbook, "", read_workbook(bytes)?)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        (FileKind::Workbook, "", read_workbook(bytes)?)
    } else {
        let (text, encoding) = decode_text(bytes)?;
        (FileKind::Csv, encoding, read_csv(&text)?)
    };
    shape(kind, encoding, raw)
}

/// Inflates every entry of the archive into nothing, counting: refuses archives whose contents
/// exceed [`MAX_INFLATED_BYTES`] whatever their headers claim.
fn check_zip(bytes: &[u8]) -> Result<(), SheetError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| SheetError::NotASpreadsheet(e.to_string()))?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(SheetError::ZipBomb);
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive
            .by_index(i)
            .map_err(|e| SheetError::NotASpreadsheet(e.to_string()))?;
        total = total.saturating_add(entry.size());
        if total > MAX_INFLATED_BYTES {
            return Err(SheetError::ZipBomb);
        }
        let budget = MAX_INFLATED_BYTES - (total - entry.size());
        let read = std::io::copy(&mut entry.take(budget + 1), &mut std::io::sink())
            .map_err(|e| SheetError::NotASpreadsheet(e.to_string()))?;
        if read > budget {
            return Err(SheetError::ZipBomb);
        }
    }
    Ok(())
}

/// The rows of the first non-empty worksheet: (row number, cells).
fn read_workbook(bytes: &[u8]) -> Result<Vec<(u32, Vec<String>)>, SheetError> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| SheetError::NotASpreadsheet(e.to_string()))?;
    let count = book.sheet_names().len();
    for n in 0..count {
        let Some(range) = book.worksheet_range_at(n) else {
            continue;
        };
        let range = range.map_err(|e| SheetError::NotASpreadsheet(e.to_string()))?;
        let Some((first_row, first_col)) = range.start() else {
            continue;
        };
        if range.width().saturating_add(first_col as usize) > MAX_COLUMNS {
            return Err(SheetError::TooManyColumns);
        }
        if range.height() > MAX_ROWS + HEADER_SEARCH_ROWS + 1 {
            return Err(SheetError::TooManyRows);
        }
        let rows: Vec<(u32, Vec<String>)> = range
            .rows()
            .enumerate()
            .map(|(i, row)| {
                let mut cells = vec![String::new(); first_col as usize];
                cells.extend(row.iter().map(cell_text));
                let no = first_row
                    .saturating_add(u32::try_from(i).unwrap_or(u32::MAX))
                    .saturating_add(1);
                (no, cells)
            })
            .collect();
        if rows
            .iter()
            .any(|(_, c)| c.iter().any(|v| !v.trim().is_empty()))
        {
            return Ok(rows);
        }
    }
    Err(SheetError::NoRows)
}

/// A cell as the text a person sees: whole numbers without `.0`, dates as `YYYY-MM-DD`.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(dt) if dt.is_datetime() => excel_date(dt.as_f64()),
        Data::DateTime(dt) => float_text(dt.as_f64()),
        Data::Error(e) => format!("#{e}"),
    }
}

fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.0}")
    } else {
        f.to_string()
    }
}

/// An Excel serial date (1900 system) as `YYYY-MM-DD` or `YYYY-MM-DD HH:MM`.
fn excel_date(serial: f64) -> String {
    let Some(epoch) = chrono::NaiveDate::from_ymd_opt(1899, 12, 30) else {
        return float_text(serial);
    };
    let days = serial.floor();
    let secs = ((serial - days) * 86_400.0).round() as i64;
    let Some(date) = epoch.checked_add_signed(chrono::Duration::days(days as i64)) else {
        return float_text(serial);
    };
    if secs == 0 {
        date.format("%Y-%m-%d").to_string()
    } else {
        let t = date
            .and_hms_opt(0, 0, 0)
            .map(|t| t + chrono::Duration::seconds(secs));
        t.map_or_else(
            || float_text(serial),
            |t| t.format("%Y-%m-%d %H:%M").to_string(),
        )
    }
}

/// Decodes delimited text: UTF-8 (BOM or not), UTF-16 with BOM, else GB18030/GBK. Refuses
/// binary data.
pub fn decode_text(bytes: &[u8]) -> Result<(String, &'static str), SheetError> {
    let (text, encoding) = if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        let s = std::str::from_utf8(rest).map_err(|_| SheetError::UnknownEncoding)?;
        (s.to_owned(), "UTF-8 BOM")
    } else if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        let enc = if bytes[0] == 0xFF {
            encoding_rs::UTF_16LE
        } else {
            encoding_rs::UTF_16BE
        };
        let (s, had_errors) = enc.decode_with_bom_removal(bytes);
        if had_errors {
            return Err(SheetError::UnknownEncoding);
        }
        (s.into_owned(), "UTF-16")
    } else if let Ok(s) = std::str::from_utf8(bytes) {
        (s.to_owned(), "UTF-8")
    } else {
        let s = encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(bytes)
            .ok_or(SheetError::UnknownEncoding)?;
        (s.into_owned(), "GB18030")
    };
    // Text files have no NULs and few control characters; binary files have many.
    let controls = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
        .count();
    if text.contains('\0') || controls * 100 > text.chars().count().max(1) {
        return Err(SheetError::NotASpreadsheet("binary data".into()));
    }
    Ok((text, encoding))
}

/// The delimiter of the first line: the most frequent of `,` `;` tab (outside quotes).
fn sniff_delimiter(text: &str) -> u8 {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut quoted = false;
    let (mut comma, mut semi, mut tab) = (0, 0, 0);
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => comma += 1,
            ';' if !quoted => semi += 1,
            '\t' if !quoted => tab += 1,
            _ => {}
        }
    }
    if tab > comma && tab >= semi {
        b'\t'
    } else if semi > comma {
        b';'
    } else {
        b','
    }
}

fn read_csv(text: &str) -> Result<Vec<(u32, Vec<String>)>, SheetError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(text))
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| SheetError::NotASpreadsheet(e.to_string()))?;
        if record.len() > MAX_COLUMNS {
            return Err(SheetError::TooManyColumns);
        }
        if rows.len() > MAX_ROWS + HEADER_SEARCH_ROWS {
            return Err(SheetError::TooManyRows);
        }
        let no = u32::try_from(i).unwrap_or(u32::MAX).saturating_add(1);
        rows.push((no, record.iter().map(str::to_owned).collect()));
    }
    Ok(rows)
}

fn is_blank(cells: &[String]) -> bool {
    cells.iter().all(|c| clean(c).is_empty())
}

/// A cell trimmed of whitespace, including the full-width space and NBSP.
pub fn clean(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}' || c == '\u{feff}')
}

/// Finds the header row among the first rows (the one naming most known fields, then the one
/// with most text cells; earliest on ties) and keeps the non-blank rows after it.
fn shape(
    kind: FileKind,
    encoding: &'static str,
    raw: Vec<(u32, Vec<String>)>,
) -> Result<Sheet, SheetError> {
    let non_blank: Vec<(u32, Vec<String>)> =
        raw.into_iter().filter(|(_, c)| !is_blank(c)).collect();
    if non_blank.is_empty() {
        return Err(SheetError::NoRows);
    }
    let mut best = (0usize, 0usize);
    for (i, (_, cells)) in non_blank.iter().take(HEADER_SEARCH_ROWS).enumerate() {
        let known = cells
            .iter()
            .filter(|c| mapping::suggest(c) != mapping::Target::Ignore)
            .count();
        let text = cells
            .iter()
            .filter(|c| {
                let c = clean(c);
                !c.is_empty() && c.parse::<f64>().is_err()
            })
            .count();
        let score = known * 1000 + text;
        if score > best.1 {
            best = (i, score);
        }
    }
    let header_index = best.0;
    let width = non_blank.iter().map(|(_, c)| c.len()).max().unwrap_or(0);
    if width > MAX_COLUMNS {
        return Err(SheetError::TooManyColumns);
    }
    let mut iter = non_blank.into_iter().skip(header_index);
    let Some((header_row, mut headers)) = iter.next() else {
        return Err(SheetError::NoRows);
    };
    headers.resize(width, String::new());
    let headers = headers.iter().map(|h| clean(h).to_owned()).collect();
    let rows: Vec<SheetRow> = iter
        .map(|(row_no, mut cells)| {
            cells.resize(width, String::new());
            SheetRow { row_no, cells }
        })
        .collect();
    if rows.len() > MAX_ROWS {
        return Err(SheetError::TooManyRows);
    }
    Ok(Sheet {
        kind,
        encoding,
        header_row,
        headers,
        rows,
    })
}

/// `A`, `B`, … `Z`, `AA`, … for a 0-based column index.
pub fn column_letter(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom_and_gbk() {
        let csv = "客户名称,电话\n上海华联,021-5555 1234\n";
        let s = read(csv.as_bytes()).unwrap();
        assert_eq!(s.encoding, "UTF-8");
        assert_eq!(s.headers, vec!["客户名称", "电话"]);
        assert_eq!(s.rows[0].cells, vec!["上海华联", "021-5555 1234"]);
        assert_eq!(s.rows[0].row_no, 2);

        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(csv.as_bytes());
        let s = read(&bom).unwrap();
        assert_eq!(s.encoding, "UTF-8 BOM");
        assert_eq!(s.headers[0], "客户名称");

        let (gbk, _, _) = encoding_rs::GBK.encode(csv);
        assert!(std::str::from_utf8(&gbk).is_err());
        let s = read(&gbk).unwrap();
        assert_eq!(s.encoding, "GB18030");
        assert_eq!(s.rows[0].cells[0], "上海华联");
    }

    #[test]
    fn header_row_found_below_a_title_and_blank_rows_skipped() {
        let csv = "客户导入模板,,\n,,\n编码,客户名称,手机\nC1,甲,13800138000\n,,\nC2,乙,\n";
        let s = read(csv.as_bytes()).unwrap();
        assert_eq!(s.header_row, 3);
        assert_eq!(s.headers, vec!["编码", "客户名称", "手机"]);
        let nos: Vec<u32> = s.rows.iter().map(|r| r.row_no).collect();
        assert_eq!(nos, vec![4, 6]);
    }

    #[test]
    fn semicolons_and_tabs() {
        let s = read("Name;Phone\nA;12345\n".as_bytes()).unwrap();
        assert_eq!(s.headers, vec!["Name", "Phone"]);
        let s = read("Name\tPhone\nA\t12345\n".as_bytes()).unwrap();
        assert_eq!(s.rows[0].cells, vec!["A", "12345"]);
    }

    #[test]
    fn garbage_is_refused() {
        assert_eq!(read(b""), Err(SheetError::Empty));
        assert_eq!(read(b"  \n\n"), Err(SheetError::NoRows));
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
        assert!(matches!(read(&png), Err(SheetError::NotASpreadsheet(_))));
        assert!(matches!(
            read(b"PK\x03\x04garbage"),
            Err(SheetError::NotASpreadsheet(_))
        ));
        let big = vec![b'a'; MAX_FILE_BYTES + 1];
        assert_eq!(read(&big), Err(SheetError::TooLarge));
    }

    #[test]
    fn a_zip_bomb_is_refused() {
        let mut buf = Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            w.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
            let zeros = vec![0u8; 1024 * 1024];
            for _ in 0..(MAX_INFLATED_BYTES / (1024 * 1024) + 1) {
                std::io::Write::write_all(&mut w, &zeros).unwrap();
            }
            w.finish().unwrap();
        }
        let bytes = buf.into_inner();
        assert!(bytes.len() < MAX_FILE_BYTES, "{}", bytes.len());
        assert_eq!(read(&bytes), Err(SheetError::ZipBomb));
    }

    #[test]
    fn cells_read_as_people_see_them() {
        assert_eq!(float_text(13800138000.0), "13800138000");
        assert_eq!(float_text(1.5), "1.5");
        assert_eq!(excel_date(45000.0), "2023-03-15");
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(clean("\u{3000} x \u{a0}"), "x");
    }
}
