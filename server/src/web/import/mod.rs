//! Customer import pages: upload a `.xlsx`/`.csv` (`POST /import/upload`, multipart, its own
//! body limit), map its columns with a preview of the first rows as they would be imported
//! (`GET /import/{id}`, `POST /import/{id}/preview`), a dry run and the real run as background
//! jobs whose progress the page polls (`POST /import/{id}/dry-run`, `/run`,
//! `GET /import/{id}/status`), cancelling a running job (`POST /import/{id}/cancel`: it stops
//! before its next row batch, the rows written before stay), and the error report of rejected
//! rows (`GET /import/{id}/errors.xlsx`, `.csv`). Everything needs
//! `Permission::CustomersImport`; a job is visible to the user who uploaded it and to
//! administrators. The engine is [`crate::import`].

use std::collections::HashMap;

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use fieldcrm_core::{Role, TerritoryId};

use super::i18n::Tr;
use super::session::WebUser;
use super::{Shell, WebError, fmt_ms, is_htmx, render};
use crate::auth::permissions::Permission;
use crate::db::audit::{self, AuditEntry};
use crate::db::imports::{self, CancelRequest, Job, JobId, JobStatus, NewJob};
use crate::db::now_ms;
use crate::db::territories::{self, Territory};
use crate::import::mapping::{ImportSettings, MatchBy, OnMatch, Problem, Target};
use crate::import::report::{self, ReportRow};
use crate::import::run::{self, Action, Context, RunUser};
use crate::import::{self as engine, sheet};
use crate::startup::AppState;

mod messages;
pub use messages::MESSAGES;

/// Largest upload request body (the file plus the multipart envelope).
pub const MAX_UPLOAD_BODY: usize = sheet::MAX_FILE_BYTES + 64 * 1024;
/// Rows shown in the preview.
pub const PREVIEW_ROWS: usize = 20;
/// Drafts (uploaded, never run) are deleted after this long.
const DRAFT_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

/// The import routes, except the upload (see [`upload_routes`]).
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/import", get(page))
        .route("/import/{id}", get(job_page))
        .route("/import/{id}/preview", post(preview))
        .route("/import/{id}/dry-run", post(dry_run))
        .route("/import/{id}/run", post(run_import))
        .route("/import/{id}/cancel", post(cancel))
        .route("/import/{id}/status", get(status))
        .route("/import/{id}/errors.xlsx", get(errors_xlsx))
        .route("/import/{id}/errors.csv", get(errors_csv))
}

/// `POST /import/upload`, with its own body limit: merged outside the global one.
pub fn upload_routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/import/upload", axum::routing::post(upload))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY))
}

/// A job in the list.
#[derive(Debug)]
pub struct JobRow {
    id: String,
    file_name: String,
    uploaded: String,
    rows: i64,
    status: &'static str,
    status_class: &'static str,
    created: i64,
    updated: i64,
    skipped: i64,
    rejected: i64,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ListPage {
    shell: Shell,
    tr: Tr,
    jobs: Vec<JobRow>,
    upload_hint: String,
}

fn status_key(j: &Job) -> (&'static str, &'static str) {
    match (j.status, j.dry_run) {
        (JobStatus::Running, _) if j.cancel_requested_at.is_some() => {
            ("imp.st.cancelling", "running")
        }
        (JobStatus::Draft, _) => ("imp.st.draft", "draft"),
        (JobStatus::Running, true) => ("imp.st.dry_running", "running"),
        (JobStatus::Running, false) => ("imp.st.running", "running"),
        (JobStatus::Checked, _) => ("imp.st.checked", "checked"),
        (JobStatus::Done, _) => ("imp.st.done", "done"),
        (JobStatus::Failed, _) => ("imp.st.failed", "failed"),
        (JobStatus::Cancelled, _) => ("imp.st.cancelled", "cancelled"),
    }
}

/// `GET /import`: the upload form and the user's recent imports (everyone's for admins).
pub async fn page(State(state): State<AppState>, user: WebUser) -> Result<Response, WebError> {
    user.require(Permission::CustomersImport)?;
    engine::recover_interrupted(&state.db, false).await?;
    let tr = Tr(user.lang);
    let owner = (user.role != Role::Admin).then_some(user.user_id);
    let jobs = imports::list(&state.db, owner, 50)
        .await?
        .into_iter()
        .map(|j| {
            let (status, status_class) = status_key(&j);
            JobRow {
                id: j.id.to_string(),
                file_name: j.file_name,
                uploaded: fmt_ms(Some(j.created_at)),
                rows: j.total_rows,
                status: tr.t(status),
                status_class,
                created: j.counts.created,
                updated: j.counts.updated,
                skipped: j.counts.skipped,
                rejected: j.counts.rejected,
            }
        })
        .collect();
    render(&ListPage {
        shell: Shell::new(&user, "import"),
        tr,
        jobs,
        upload_hint: tr
            .t("imp.upload_hint")
            .replace("{}", &(sheet::MAX_FILE_BYTES / 1024 / 1024).to_string()),
    })
}

#[derive(Template)]
#[template(path = "import_message.html")]
struct Message {
    error: bool,
    text: String,
}

fn message(status: StatusCode, text: String) -> Response {
    let page = Message {
        error: status.is_client_error() || status.is_server_error(),
        text,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => WebError::from(e).into_response(),
    }
}

/// Keeps the last path segment of an uploaded file name, at most 200 characters.
pub(crate) fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    let base: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if base.is_empty() {
        "upload".into()
    } else {
        base
    }
}

/// `POST /import/upload` (multipart, field `file`): reads the file, detects the header row and
/// suggests a mapping; stores a draft job and sends the browser to it. Files that cannot be
/// imported get a 4xx with the reason.
pub async fn upload(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    user.require(Permission::CustomersImport)?;
    let tr = Tr(user.lang);
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Ok(multipart_error(tr, e.status())),
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = clean_file_name(field.file_name().unwrap_or(""));
        match field.bytes().await {
            Ok(b) => file = Some((name, b.to_vec())),
            Err(e) => return Ok(multipart_error(tr, e.status())),
        }
    }
    let Some((file_name, bytes)) = file else {
        return Ok(upload_error(tr, StatusCode::BAD_REQUEST, "imp.err.no_file"));
    };
    let parsed = tokio::task::spawn_blocking(move || (sheet::read(&bytes), bytes))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let (sheet, bytes) = match parsed {
        (Ok(s), b) => (s, b),
        (Err(e), _) => {
            let status = match e {
                sheet::SheetError::TooLarge | sheet::SheetError::ZipBomb => {
                    StatusCode::PAYLOAD_TOO_LARGE
                }
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            return Ok(upload_error(tr, status, e.message_key()));
        }
    };
    if sheet.rows.is_empty() {
        return Ok(upload_error(
            tr,
            StatusCode::UNPROCESSABLE_ENTITY,
            "imp.err.no_rows",
        ));
    }
    let settings = ImportSettings::suggested(&sheet.headers);
    let id = JobId::new();
    let headers_json =
        serde_json::to_string(&sheet.headers).map_err(|e| WebError::Internal(e.to_string()))?;
    let settings_json =
        serde_json::to_string(&settings).map_err(|e| WebError::Internal(e.to_string()))?;
    imports::purge_drafts(&state.db, now_ms() - DRAFT_TTL_MS).await?;
    imports::create(
        &state.db,
        &NewJob {
            id,
            user_id: user.user_id,
            file_name: &file_name,
            file_kind: sheet.kind.as_str(),
            encoding: sheet.encoding,
            data: &bytes,
            header_row: i64::from(sheet.header_row),
            headers: &headers_json,
            total_rows: i64::try_from(sheet.rows.len()).unwrap_or(i64::MAX),
            settings: &settings_json,
        },
    )
    .await?;
    let to = format!("/import/{id}");
    if is_htmx(&headers) {
        Ok((StatusCode::OK, [("hx-redirect", to)]).into_response())
    } else {
        Ok((StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response())
    }
}

fn multipart_error(tr: Tr, status: StatusCode) -> Response {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        upload_error(tr, status, "imp.err.file_too_large")
    } else {
        upload_error(tr, StatusCode::BAD_REQUEST, "imp.err.no_file")
    }
}

fn upload_error(tr: Tr, status: StatusCode, key: &str) -> Response {
    let mut text = tr.t(key).to_owned();
    if key == "imp.err.file_too_large" {
        text = text.replace("{}", &(sheet::MAX_FILE_BYTES / 1024 / 1024).to_string());
    }
    message(status, text)
}

/// Loads a job the user may see (theirs, or any for an admin); others are "not found".
async fn own_job(state: &AppState, user: &WebUser, id: &str) -> Result<Job, WebError> {
    user.require(Permission::CustomersImport)?;
    let id = JobId::parse(id).ok_or(WebError::NotFound)?;
    let job = imports::get(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    if job.user_id != user.user_id && user.role != Role::Admin {
        return Err(WebError::NotFound);
    }
    Ok(job)
}

fn headers_of(job: &Job) -> Vec<String> {
    serde_json::from_str(&job.headers).unwrap_or_default()
}

fn header_label(headers: &[String], i: usize) -> String {
    match headers.get(i) {
        Some(h) if !h.is_empty() => h.clone(),
        _ => sheet::column_letter(i),
    }
}

/// One column of the mapping form.
#[derive(Debug)]
pub struct ColumnView {
    index: usize,
    letter: String,
    header: String,
    samples: Vec<String>,
    target: &'static str,
}

/// The job page's state block.
#[derive(Debug)]
pub struct StatusView {
    id: String,
    status: &'static str,
    status_class: &'static str,
    running: bool,
    dry_run: bool,
    finished: bool,
    total: i64,
    done: i64,
    percent: i64,
    created: i64,
    updated: i64,
    skipped: i64,
    rejected: i64,
    error: String,
    started: String,
    finished_at: String,
    /// Running, and nobody asked to cancel yet: the cancel button is shown.
    can_cancel: bool,
    /// Running, and asked to cancel: it stops before its next batch.
    cancelling: bool,
    /// Cancelled: "N rows imported before cancel".
    cancelled_note: Option<String>,
    /// The session's CSRF token (the cancel form).
    csrf: String,
}

fn status_view(tr: Tr, j: &Job, csrf: &str) -> StatusView {
    let (status, status_class) = status_key(j);
    let running = j.status == JobStatus::Running;
    StatusView {
        id: j.id.to_string(),
        status: tr.t(status),
        status_class,
        running,
        dry_run: j.dry_run,
        finished: matches!(
            j.status,
            JobStatus::Checked | JobStatus::Done | JobStatus::Failed | JobStatus::Cancelled
        ),
        can_cancel: running && j.cancel_requested_at.is_none(),
        cancelling: running && j.cancel_requested_at.is_some(),
        cancelled_note: (j.status == JobStatus::Cancelled).then(|| {
            let key = if j.dry_run {
                "imp.cancelled_dry_note"
            } else {
                "imp.cancelled_note"
            };
            tr.t(key)
                .replace("{}", &(j.counts.created + j.counts.updated).to_string())
        }),
        csrf: csrf.to_owned(),
        total: j.total_rows,
        done: j.counts.done,
        percent: if j.total_rows > 0 {
            (j.counts.done * 100 / j.total_rows).clamp(0, 100)
        } else {
            0
        },
        created: j.counts.created,
        updated: j.counts.updated,
        skipped: j.counts.skipped,
        rejected: j.counts.rejected,
        error: j.error.clone(),
        started: fmt_ms(j.started_at),
        finished_at: fmt_ms(j.finished_at),
    }
}

#[derive(Template)]
#[template(path = "import_job.html")]
struct JobPage {
    shell: Shell,
    tr: Tr,
    id: String,
    file_name: String,
    file_kind: String,
    encoding: String,
    size_kb: i64,
    header_row: i64,
    editable: bool,
    columns: Vec<ColumnView>,
    targets: Vec<(&'static str, &'static str)>,
    match_by: &'static str,
    on_match: &'static str,
    default_territory: String,
    territories: Vec<Territory>,
    st: StatusView,
}

#[derive(Template)]
#[template(path = "import_status.html")]
struct StatusPartial {
    tr: Tr,
    st: StatusView,
}

fn editable(j: &Job) -> bool {
    matches!(j.status, JobStatus::Draft | JobStatus::Checked)
        || (matches!(j.status, JobStatus::Failed | JobStatus::Cancelled) && j.dry_run)
}

async fn scoped_territories(state: &AppState, user: &WebUser) -> Result<Vec<Territory>, WebError> {
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    Ok(territories::list(&state.db)
        .await?
        .into_iter()
        .filter(|t| scope.contains(t.id))
        .collect())
}

/// `GET /import/{id}`: the mapping form (while the job may still run) and its state.
pub async fn job_page(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let job = own_job(&state, &user, &id).await?;
    engine::recover_interrupted(&state.db, false).await?;
    let job = imports::get(&state.db, job.id)
        .await?
        .ok_or(WebError::NotFound)?;
    let tr = Tr(user.lang);
    let headers = headers_of(&job);
    let can_edit = editable(&job);
    let settings = run::parse_settings(&job.settings, headers.len())
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let mut columns = Vec::new();
    if can_edit {
        let sheet = run::load_rows(&state.db, job.id)
            .await
            .map_err(|e| WebError::Internal(e.to_string()))?;
        for (i, target) in settings.columns.iter().enumerate() {
            columns.push(ColumnView {
                index: i,
                letter: sheet::column_letter(i),
                header: header_label(&headers, i),
                samples: sheet
                    .rows
                    .iter()
                    .take(3)
                    .map(|r| r.cells.get(i).map_or("", |c| sheet::clean(c)).to_owned())
                    .collect(),
                target: target.as_str(),
            });
        }
    }
    render(&JobPage {
        shell: Shell::new(&user, "import"),
        tr,
        id: job.id.to_string(),
        file_name: job.file_name.clone(),
        file_kind: job.file_kind.clone(),
        encoding: job.encoding.clone(),
        size_kb: (job.file_size + 1023) / 1024,
        header_row: job.header_row,
        editable: can_edit,
        columns,
        targets: Target::ALL
            .iter()
            .map(|t| (t.as_str(), tr.t(t.label_key())))
            .collect(),
        match_by: settings.match_by.as_str(),
        on_match: match settings.on_match {
            OnMatch::Update => "update",
            OnMatch::Skip => "skip",
        },
        default_territory: settings
            .default_territory
            .map(|t| t.to_string())
            .unwrap_or_default(),
        territories: scoped_territories(&state, &user).await?,
        st: status_view(tr, &job, &user.csrf),
    })
}

/// Reads the mapping form (`col_0…`, `match_by`, `on_match`, `territory`) into settings, or
/// the messages of what is wrong with it.
async fn read_settings(
    state: &AppState,
    user: &WebUser,
    job: &Job,
    form: &[(String, String)],
) -> Result<Result<ImportSettings, Vec<String>>, WebError> {
    let tr = Tr(user.lang);
    let values: HashMap<&str, &str> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let width = headers_of(job).len();
    let mut columns = Vec::with_capacity(width);
    for i in 0..width {
        let v = values
            .get(format!("col_{i}").as_str())
            .copied()
            .unwrap_or("ignore");
        columns.push(Target::parse(v).ok_or_else(|| WebError::BadRequest("column".into()))?);
    }
    let match_by = MatchBy::parse(values.get("match_by").copied().unwrap_or("none"))
        .ok_or_else(|| WebError::BadRequest("match_by".into()))?;
    let on_match = match values.get("on_match").copied().unwrap_or("skip") {
        "update" => OnMatch::Update,
        "skip" => OnMatch::Skip,
        _ => return Err(WebError::BadRequest("on_match".into())),
    };
    let default_territory = match values.get("territory").map(|t| t.trim()) {
        None | Some("") => None,
        Some(t) => {
            Some(TerritoryId::parse(t).map_err(|_| WebError::BadRequest("territory".into()))?)
        }
    };
    let settings = ImportSettings {
        columns,
        match_by,
        on_match,
        default_territory,
    };
    let mut errors: Vec<String> = settings
        .check()
        .iter()
        .map(|k| tr.t(k).to_owned())
        .collect();
    if let Some(t) = default_territory {
        let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
        if !scope.contains(t) {
            errors.push(tr.t("imp.set.territory_scope").to_owned());
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let text = serde_json::to_string(&settings).map_err(|e| WebError::Internal(e.to_string()))?;
    if !imports::save_settings(&state.db, job.id, &text).await? {
        return Ok(Err(vec![tr.t("imp.err.not_editable").to_owned()]));
    }
    Ok(Ok(settings))
}

/// A preview cell.
#[derive(Debug)]
pub struct CellView {
    value: String,
    errors: Vec<String>,
}

/// A preview row.
#[derive(Debug)]
pub struct PreviewRow {
    row_no: u32,
    action: &'static str,
    action_class: &'static str,
    notes: Vec<String>,
    cells: Vec<CellView>,
}

#[derive(Template)]
#[template(path = "import_preview.html")]
struct PreviewPartial {
    tr: Tr,
    errors: Vec<String>,
    columns: Vec<(String, &'static str)>,
    rows: Vec<PreviewRow>,
    total: i64,
}

/// A problem as the user reads it, with the column's header for cell problems.
pub fn problem_text(tr: Tr, headers: &[String], p: &Problem) -> String {
    let text = tr.t(&p.key).replace("{}", &p.arg);
    match p.column {
        Some(c) => format!("{}: {text}", header_label(headers, c)),
        None => text,
    }
}

/// 409: the job is running or finished.
fn not_editable(tr: Tr) -> Response {
    message(
        StatusCode::CONFLICT,
        tr.t("imp.err.not_editable").to_owned(),
    )
}

fn settings_errors(tr: Tr, errors: Vec<String>) -> Result<Response, WebError> {
    render(&PreviewPartial {
        tr,
        errors,
        columns: Vec::new(),
        rows: Vec::new(),
        total: 0,
    })
}

/// `POST /import/{id}/preview`: saves the mapping and shows the first rows as they would be
/// imported, with each cell's problems and each row's outcome.
pub async fn preview(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let job = own_job(&state, &user, &id).await?;
    let tr = Tr(user.lang);
    if !editable(&job) {
        return Ok(not_editable(tr));
    }
    let settings = match read_settings(&state, &user, &job, &form).await? {
        Ok(s) => s,
        Err(errors) => return settings_errors(tr, errors),
    };
    let sheet = run::load_rows(&state.db, job.id)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let headers = headers_of(&job);
    let ctx = Context::load(
        &state.db,
        RunUser {
            id: user.user_id,
            role: user.role,
        },
        settings.clone(),
    )
    .await?;
    let first: Vec<_> = sheet.rows.iter().take(PREVIEW_ROWS).cloned().collect();
    let decided = run::preview(&state.db, &ctx, &first).await?;
    let mapped: Vec<usize> = (0..settings.columns.len())
        .filter(|i| settings.columns[*i] != Target::Ignore)
        .collect();
    let rows = decided
        .iter()
        .map(|d| PreviewRow {
            row_no: d.plan.row_no,
            action: tr.t(d.action.label_key()),
            action_class: match d.action {
                Action::Create => "create",
                Action::Update => "update",
                Action::Skip => "skip",
                Action::Reject => "reject",
            },
            notes: d
                .notes
                .iter()
                .filter(|p| p.column.is_none())
                .map(|p| problem_text(tr, &headers, p))
                .collect(),
            cells: mapped
                .iter()
                .map(|i| CellView {
                    value: d.plan.values.get(*i).cloned().unwrap_or_default(),
                    errors: d
                        .notes
                        .iter()
                        .filter(|p| p.column == Some(*i))
                        .map(|p| tr.t(&p.key).replace("{}", &p.arg))
                        .collect(),
                })
                .collect(),
        })
        .collect();
    render(&PreviewPartial {
        tr,
        errors: Vec::new(),
        columns: mapped
            .iter()
            .map(|i| {
                (
                    header_label(&headers, *i),
                    tr.t(settings.columns[*i].label_key()),
                )
            })
            .collect(),
        rows,
        total: job.total_rows,
    })
}

async fn start(
    state: AppState,
    user: WebUser,
    id: String,
    form: Vec<(String, String)>,
    dry_run: bool,
) -> Result<Response, WebError> {
    let job = own_job(&state, &user, &id).await?;
    let tr = Tr(user.lang);
    if !editable(&job) {
        return Ok(not_editable(tr));
    }
    if let Err(errors) = read_settings(&state, &user, &job, &form).await? {
        return settings_errors(tr, errors);
    }
    if !imports::start_run(&state.db, job.id, dry_run, engine::runner_id()).await? {
        return Ok(not_editable(tr));
    }
    let job = imports::get(&state.db, job.id)
        .await?
        .ok_or(WebError::NotFound)?;
    let run_user = RunUser {
        id: user.user_id,
        role: user.role,
    };
    tokio::spawn(run::run_job(
        state.db.clone(),
        state.hub.clone(),
        job.clone(),
        run_user,
        dry_run,
        state.import_gate.clone(),
    ));
    render(&StatusPartial {
        tr,
        st: status_view(tr, &job, &user.csrf),
    })
}

/// `POST /import/{id}/dry-run`: saves the mapping and checks every row in the background,
/// writing nothing.
pub async fn dry_run(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    start(state, user, id, form, true).await
}

/// `POST /import/{id}/run`: saves the mapping and imports in the background.
pub async fn run_import(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    start(state, user, id, form, false).await
}

/// `POST /import/{id}/cancel`: asks the running job to stop before its next row batch (the
/// batches written before stay; the job ends `cancelled`). Only the user who uploaded it or an
/// administrator may: for anyone else the job is "not found" (404), as on every other job
/// route ([`own_job`]); a job that is not running is a 409 with the reason. htmx gets the
/// progress block, a plain form post goes back to the job's page.
pub async fn cancel(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let job = own_job(&state, &user, &id).await?;
    let id = job.id;
    let tr = Tr(user.lang);
    match imports::request_cancel(&state.db, job.id, user.user_id).await? {
        CancelRequest::NotRunning(_) => {
            return Ok(message(
                StatusCode::CONFLICT,
                tr.t("imp.err.not_running").to_owned(),
            ));
        }
        CancelRequest::AlreadyRequested => {}
        CancelRequest::Requested => {
            let mut entry = AuditEntry::new("web.import.cancel");
            entry.user_id = Some(user.user_id);
            entry.kind = Some("customer".into());
            entry.verdict = Some("ok".into());
            entry.detail = serde_json::json!({
                "job": job.id.to_string(),
                "file": job.file_name,
                "dry_run": job.dry_run,
                "rows": job.total_rows,
                "done": job.counts.done,
                "uploaded_by": job.user_id.to_string(),
            });
            if let Err(e) = audit::record(&state.db, &entry).await {
                tracing::error!(error = %e, "cannot write audit entry");
            }
        }
    }
    if !is_htmx(&headers) {
        return Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/import/{id}"))]).into_response());
    }
    let job = imports::get(&state.db, job.id)
        .await?
        .ok_or(WebError::NotFound)?;
    render(&StatusPartial {
        tr,
        st: status_view(tr, &job, &user.csrf),
    })
}

/// `GET /import/{id}/status`: the progress block (htmx polls it while the job runs).
pub async fn status(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let job = own_job(&state, &user, &id).await?;
    if job.status == JobStatus::Running {
        engine::recover_interrupted(&state.db, false).await?;
    }
    let job = imports::get(&state.db, job.id)
        .await?
        .ok_or(WebError::NotFound)?;
    let tr = Tr(user.lang);
    render(&StatusPartial {
        tr,
        st: status_view(tr, &job, &user.csrf),
    })
}

async fn report_rows(state: &AppState, tr: Tr, job: &Job) -> Result<Vec<ReportRow>, WebError> {
    let headers = headers_of(job);
    let rejects = imports::rejects(
        &state.db,
        job.id,
        i64::try_from(sheet::MAX_ROWS).unwrap_or(i64::MAX),
    )
    .await?;
    Ok(rejects
        .into_iter()
        .map(|r| {
            let problems: Vec<Problem> = serde_json::from_str(&r.reasons).unwrap_or_default();
            ReportRow {
                row_no: r.row_no,
                reasons: problems
                    .iter()
                    .map(|p| problem_text(tr, &headers, p))
                    .collect(),
                cells: serde_json::from_str(&r.cells).unwrap_or_default(),
            }
        })
        .collect())
}

fn download(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    (
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /import/{id}/errors.xlsx`: the rejected rows of the latest run, with the reasons.
pub async fn errors_xlsx(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let job = own_job(&state, &user, &id).await?;
    let tr = Tr(user.lang);
    let rows = report_rows(&state, tr, &job).await?;
    let bytes = tokio::task::spawn_blocking(move || {
        report::xlsx(
            tr.t("imp.rep.row"),
            tr.t("imp.rep.reason"),
            &headers_of(&job),
            &rows,
        )
    })
    .await
    .map_err(|e| WebError::Internal(e.to_string()))?
    .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "import-errors.xlsx",
    ))
}

/// `GET /import/{id}/errors.csv`: the same as CSV (UTF-8 with BOM).
pub async fn errors_csv(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let job = own_job(&state, &user, &id).await?;
    let tr = Tr(user.lang);
    let rows = report_rows(&state, tr, &job).await?;
    let bytes = report::csv(
        tr.t("imp.rep.row"),
        tr.t("imp.rep.reason"),
        &headers_of(&job),
        &rows,
    )
    .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(download(
        bytes,
        "text/csv; charset=utf-8",
        "import-errors.csv",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::run::Action;

    #[test]
    fn every_key_the_engine_produces_has_a_message() {
        let has = |k: &str| crate::web::i18n::messages().any(|(m, _, _)| *m == k);
        for t in Target::ALL {
            assert!(has(t.label_key()), "{t:?}");
        }
        for a in [Action::Create, Action::Update, Action::Skip, Action::Reject] {
            assert!(has(a.label_key()));
        }
        let engine_sources = [
            include_str!("../../import/mapping.rs"),
            include_str!("../../import/run.rs"),
            include_str!("../../import/sheet.rs"),
        ];
        let mut n = 0;
        for src in engine_sources {
            for (i, _) in src.match_indices("\"imp.") {
                let rest = &src[i + 1..];
                let key = &rest[..rest.find('"').unwrap()];
                n += 1;
                assert!(has(key), "missing message {key}");
            }
        }
        assert!(n > 20, "{n}");
    }

    #[test]
    fn problems_read_with_their_column() {
        let tr = Tr(crate::web::i18n::Lang::En);
        let headers = vec!["邮箱".to_owned(), String::new()];
        let p = Problem::cell(0, "imp.err.email", "x");
        assert_eq!(
            problem_text(tr, &headers, &p),
            "邮箱: Not an e-mail address: “x”"
        );
        let p = Problem::cell(1, "imp.err.phone", "y");
        assert_eq!(problem_text(tr, &headers, &p), "B: Not a phone number: “y”");
        assert_eq!(clean_file_name("C:\\x\\客户.xlsx"), "客户.xlsx");
        assert_eq!(clean_file_name(""), "upload");
    }
}
