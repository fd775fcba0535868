//! Export of the customer list: every row matching the list's filters (not just the page), in
//! its sort order, with the user's visible columns (custom fields' included: a choice's label,
//! a number as a plain decimal, a date as `YYYY-MM-DD`), as `.xlsx` (rust_xlsxwriter, constant-memory
//! mode) or `.csv` (UTF-8 with a byte-order mark so Excel reads Chinese correctly). Cells that a
//! spreadsheet would read as a formula are escaped. Needs `Permission::CustomersExport`; every
//! export is audited (who, filter, format, row count).

use axum::extract::{Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::WebError;
use super::custom_list::CellUse;
use super::customer_list::{ListQuery, user_columns};
use super::i18n::Tr;
use super::session::WebUser;
use crate::auth::permissions::Permission;
use crate::db::audit::{self, AuditEntry};
use crate::db::customer_list::{self, Cursor, Direction};
use crate::db::territories;
use crate::startup::AppState;

/// The export route.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/customers/export", axum::routing::get(export))
}

/// At most this many rows are exported (an .xlsx sheet holds 1,048,576).
pub const MAX_EXPORT_ROWS: usize = 1_000_000;
/// Rows fetched per query while exporting.
const BATCH: i64 = 2000;

/// Errors of building an export file.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The spreadsheet writer failed.
    #[error(transparent)]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// The CSV writer failed.
    #[error(transparent)]
    Csv(#[from] csv::Error),
    /// The CSV buffer could not be taken back.
    #[error("csv buffer: {0}")]
    CsvBuffer(String),
}

impl From<ExportError> for WebError {
    fn from(e: ExportError) -> Self {
        WebError::Internal(e.to_string())
    }
}

/// The file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Excel workbook.
    Xlsx,
    /// Comma-separated values, UTF-8 with BOM.
    Csv,
}

impl Format {
    /// The format of a `format=` query value (`xlsx`, the default, or `csv`).
    pub fn parse(s: &str) -> Result<Self, WebError> {
        match s {
            "xlsx" | "" => Ok(Format::Xlsx),
            "csv" => Ok(Format::Csv),
            _ => Err(WebError::BadRequest("format".into())),
        }
    }

    /// The file extension (also the name in audit entries).
    pub fn ext(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// Encodes `rows` under `header` in `format`, off the async workers (a big file takes a moment
/// of CPU).
pub async fn encode(
    format: Format,
    sheet: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
) -> Result<Vec<u8>, WebError> {
    Ok(tokio::task::spawn_blocking(move || {
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        match format {
            Format::Xlsx => xlsx_bytes(&sheet, &header, &rows),
            Format::Csv => csv_bytes(&header, &rows),
        }
    })
    .await
    .map_err(|e| WebError::Internal(e.to_string()))??)
}

/// An encoded file as the download `{base}-{stamp}.{ext}`.
pub fn download(format: Format, base: &str, bytes: Vec<u8>) -> Response {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M");
    (
        [
            (CONTENT_TYPE, format.content_type().to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{base}-{stamp}.{}\"", format.ext()),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// Records the audit entry of an export: `action` by `user`, of records of `kind`, with `detail`
/// (format, filter, row count…).
pub async fn audit_export(
    state: &AppState,
    user: &WebUser,
    action: &str,
    kind: &str,
    detail: serde_json::Value,
) {
    let mut entry = AuditEntry::new(action);
    entry.user_id = Some(user.user_id);
    entry.kind = Some(kind.to_owned());
    entry.verdict = Some("ok".to_owned());
    entry.detail = detail;
    if let Err(e) = audit::record(&state.db, &entry).await {
        tracing::error!(error = %e, "cannot write audit entry");
    }
}

/// Makes a cell inert in a spreadsheet: text starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return would be read as a formula (or start one), so it gets a leading `'`.
pub fn escape_cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_owned(),
    }
}

/// Builds a CSV file: BOM, the header, the rows; every cell escaped.
pub fn csv_bytes(header: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, ExportError> {
    let mut out = Vec::with_capacity(64 + rows.len() * 128);
    out.extend_from_slice("\u{feff}".as_bytes());
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    w.write_record(header.iter().map(|h| escape_cell(h)))?;
    for r in rows {
        w.write_record(r.iter().map(|c| escape_cell(c)))?;
    }
    w.into_inner()
        .map_err(|e| ExportError::CsvBuffer(e.to_string()))
}

/// Builds an .xlsx workbook (one sheet, bold frozen header, every cell a string, escaped).
pub fn xlsx_bytes(
    sheet: &str,
    header: &[&str],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, ExportError> {
    use rust_xlsxwriter::{Format as CellFormat, Workbook};
    let mut book = Workbook::new();
    let bold = CellFormat::new().set_bold();
    let ws = book.add_worksheet_with_constant_memory()?;
    ws.set_name(sheet)?;
    for (col, h) in header.iter().enumerate() {
        let col = u16::try_from(col).unwrap_or(u16::MAX);
        ws.write_string_with_format(0, col, escape_cell(h), &bold)?;
        ws.set_column_width(col, 16)?;
    }
    ws.set_freeze_panes(1, 0)?;
    for (i, r) in rows.iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
        for (col, v) in r.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(row, u16::try_from(col).unwrap_or(u16::MAX), escape_cell(v))?;
            }
        }
    }
    Ok(book.save_to_buffer()?)
}

/// Query string of the export: the list's, plus the format.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    format: String,
    #[serde(flatten)]
    list: ListQuery,
}

/// `GET /customers/export?format=xlsx|csv&<list filters>`: the whole filtered list as a file.
pub async fn export(
    State(state): State<AppState>,
    user: WebUser,
    Query(query): Query<ExportQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::CustomersExport)?;
    let format = Format::parse(&query.format)?;
    let list = query.list.without_cursor();
    let reference = crate::db::schema::reference(&state.db).await?;
    let mut filter = list.filter(&reference)?;
    filter.owner_in = user.owner_restriction(&state.db).await?;
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    let tr = Tr(user.lang);
    let columns = user_columns(&state, user.user_id, &reference, tr).await?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut after: Option<Cursor> = None;
    loop {
        let page = customer_list::list(
            &state.db,
            &scope,
            &filter,
            after.as_ref().map(|c| (Direction::After, c)),
            BATCH,
        )
        .await?;
        for r in &page.rows {
            rows.push(
                columns
                    .iter()
                    .map(|c| c.cell(r, &reference, user.lang, CellUse::Export))
                    .collect(),
            );
        }
        after = page.rows.last().map(|r| Cursor::of(r, filter.sort.key));
        if !page.has_next || rows.len() >= MAX_EXPORT_ROWS {
            break;
        }
    }
    rows.truncate(MAX_EXPORT_ROWS);
    let count = rows.len();
    let sheet = tr.t("cust.title").to_owned();
    let header: Vec<String> = columns.iter().map(|c| c.label.clone()).collect();
    let bytes = encode(format, sheet, header, rows).await?;
    audit_export(
        &state,
        &user,
        "web.customer.export",
        "customer",
        serde_json::json!({
            "format": format.ext(),
            "filter": list.to_query_string(),
            "columns": columns.iter().map(|c| c.key.as_str()).collect::<Vec<_>>(),
            "rows": count,
        }),
    )
    .await;
    Ok(download(format, "customers", bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_escaped() {
        assert_eq!(escape_cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        for s in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(escape_cell(s).starts_with('\''), "{s:?}");
        }
        for s in ["", "华联", "021-5555", "<script>", "a=b"] {
            assert_eq!(escape_cell(s), s);
        }
    }

    #[test]
    fn csv_has_a_bom_and_escaped_cells() {
        let rows = vec![vec!["=1+1".to_owned(), "上海, \"华联\"".to_owned()]];
        let bytes = csv_bytes(&["名称", "城市"], &rows).unwrap();
        assert!(bytes.starts_with(&[0xef, 0xbb, 0xbf]));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert_eq!(text, "名称,城市\r\n'=1+1,\"上海, \"\"华联\"\"\"\r\n");
    }

    #[test]
    fn xlsx_is_a_zip() {
        let rows = vec![vec!["-2".to_owned(), String::new()]];
        let bytes = xlsx_bytes("客户", &["a", "b"], &rows).unwrap();
        assert!(bytes.starts_with(b"PK"));
    }
}
