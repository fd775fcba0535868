//! The error report of an import: one line per rejected row with its row number, the reasons and
//! the original cells, as `.xlsx` (rust_xlsxwriter) or `.csv` (UTF-8 with BOM, which Excel opens
//! correctly). Every cell that a spreadsheet could take for a formula (`=`, `+`, `-`, `@`, tab,
//! carriage return at the start) is written with a leading `'`, so opening the report never runs
//! anything.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// Errors writing a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The workbook writer failed.
    #[error(transparent)]
    Xlsx(#[from] XlsxError),
    /// The CSV writer failed.
    #[error(transparent)]
    Csv(#[from] csv::Error),
    /// Flushing the CSV failed.
    #[error("csv: {0}")]
    Io(String),
}

/// A rejected row, ready to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportRow {
    /// 1-based row number in the uploaded file.
    pub row_no: i64,
    /// The reasons, translated.
    pub reasons: Vec<String>,
    /// The original cells.
    pub cells: Vec<String>,
}

/// Neutralises a value a spreadsheet would evaluate as a formula.
pub fn escape_formula(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

fn header(row_label: &str, reason_label: &str, headers: &[String]) -> Vec<String> {
    let mut out = vec![row_label.to_owned(), reason_label.to_owned()];
    out.extend(headers.iter().enumerate().map(|(i, h)| {
        if h.is_empty() {
            super::sheet::column_letter(i)
        } else {
            escape_formula(h)
        }
    }));
    out
}

/// The report as an `.xlsx` workbook.
pub fn xlsx(
    row_label: &str,
    reason_label: &str,
    headers: &[String],
    rows: &[ReportRow],
) -> Result<Vec<u8>, ReportError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let bold = Format::new().set_bold();
    for (c, h) in header(row_label, reason_label, headers).iter().enumerate() {
        sheet.write_string_with_format(0, col(c), h, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
        sheet.write_number(r, 0, row.row_no as f64)?;
        sheet.write_string(r, 1, escape_formula(&row.reasons.join("; ")))?;
        for (c, v) in row.cells.iter().enumerate() {
            sheet.write_string(r, col(c + 2), escape_formula(v))?;
        }
    }
    sheet.set_column_width(1, 48)?;
    sheet.set_freeze_panes(1, 0)?;
    Ok(book.save_to_buffer()?)
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

/// The report as `.csv` (UTF-8 with BOM).
pub fn csv(
    row_label: &str,
    reason_label: &str,
    headers: &[String],
    rows: &[ReportRow],
) -> Result<Vec<u8>, ReportError> {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    w.write_record(header(row_label, reason_label, headers))?;
    for row in rows {
        let mut record = vec![
            row.row_no.to_string(),
            escape_formula(&row.reasons.join("; ")),
        ];
        record.extend(row.cells.iter().map(|v| escape_formula(v)));
        w.write_record(record)?;
    }
    w.into_inner().map_err(|e| ReportError::Io(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(escape_formula("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(escape_formula("+1"), "'+1");
        assert_eq!(escape_formula("-1"), "'-1");
        assert_eq!(escape_formula("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(escape_formula("上海"), "上海");
    }

    #[test]
    fn csv_report_has_bom_header_and_escaped_cells() {
        let rows = vec![ReportRow {
            row_no: 3,
            reasons: vec!["bad e-mail".into()],
            cells: vec!["=HYPERLINK(\"x\")".into(), "a,b".into()],
        }];
        let bytes = csv("Row", "Reason", &["Name".into(), String::new()], &rows).unwrap();
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert_eq!(
            text,
            "Row,Reason,Name,B\n3,bad e-mail,\"'=HYPERLINK(\"\"x\"\")\",\"a,b\"\n"
        );
    }

    #[test]
    fn xlsx_report_reads_back() {
        use calamine::{Data, Reader};
        let rows = vec![ReportRow {
            row_no: 7,
            reasons: vec!["name: must not be empty".into()],
            cells: vec![String::new(), "-5".into()],
        }];
        let bytes = xlsx("行号", "原因", &["名称".into(), "电话".into()], &rows).unwrap();
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        let cells: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
        assert_eq!(cells[0][0], Data::String("行号".into()));
        assert_eq!(cells[1][0], Data::Float(7.0));
        assert_eq!(cells[1][1], Data::String("name: must not be empty".into()));
        assert_eq!(cells[1][3], Data::String("'-5".into()));
    }
}
