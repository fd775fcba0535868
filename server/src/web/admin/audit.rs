//! The audit log viewer (`Permission::AuditView`): every audit row — sign-ins, sync verdicts
//! (accepted, compensated, rejected, with the document and paths), record edits and
//! administrative changes — newest first, filtered by user, group or action, document kind,
//! verdict and date range, in pages; htmx gets only the table. `GET /admin/logins` is the viewer
//! with the sign-in preset.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{Local, NaiveDate, TimeZone};
use fieldcrm_core::UserId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::form_id;
use crate::auth::permissions::Permission;
use crate::db::audit::{self, AuditFilter, AuditRecord};
use crate::db::{devices, users};
use crate::startup::AppState;
use crate::web::i18n::Tr;
use crate::web::session::WebUser;
use crate::web::{Shell, WebError, fmt_ms, is_htmx, render};

/// Rows per page.
pub const PAGE_SIZE: i64 = 50;

/// The action groups of the viewer: (value, message key, action prefixes).
pub const GROUPS: &[(&str, &str, &[&str])] = &[
    (
        "logins",
        "aud.group_logins",
        &[
            "auth.login",
            "auth.refresh_replay",
            "web.login",
            "web.logout",
        ],
    ),
    ("sync", "aud.group_sync", &["sync."]),
    (
        "records",
        "aud.group_records",
        &["web.customer.", "customer."],
    ),
    (
        "admin",
        "aud.group_admin",
        &["user.", "role.", "department.", "territory.", "device."],
    ),
];

/// The verdicts offered in the filter.
pub const VERDICTS: &[&str] = &[
    "ok",
    "accepted",
    "compensated",
    "rejected",
    "invalid_credentials",
    "throttled",
    "disabled",
    "phone_app_only",
    "family_revoked",
    "already_revoked",
];

/// Query string of the viewer.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct AuditQuery {
    /// User id.
    #[serde(default)]
    pub user: String,
    /// A group of [`GROUPS`].
    #[serde(default)]
    pub group: String,
    /// One exact action.
    #[serde(default)]
    pub action: String,
    /// Document kind.
    #[serde(default)]
    pub kind: String,
    /// Verdict.
    #[serde(default)]
    pub verdict: String,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default)]
    pub from: String,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default)]
    pub to: String,
    /// 1-based page.
    #[serde(default)]
    pub page: Option<i64>,
}

/// A row, formatted.
#[derive(Debug)]
pub struct RowView {
    when: String,
    user: String,
    device: String,
    action: String,
    kind: String,
    doc: String,
    doc_link: Option<String>,
    verdict: String,
    detail: String,
}

/// The table partial's data.
#[derive(Debug)]
pub struct TableData {
    rows: Vec<RowView>,
    total: i64,
    page: i64,
    pages: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
}

/// An option of a select: (value, label).
type Opt = (String, String);

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct Page {
    shell: Shell,
    tr: Tr,
    query: AuditQuery,
    users: Vec<Opt>,
    groups: Vec<Opt>,
    actions: Vec<String>,
    kinds: Vec<String>,
    verdicts: Vec<String>,
    t: TableData,
}

#[derive(Template)]
#[template(path = "admin/audit_table.html")]
struct Partial {
    tr: Tr,
    t: TableData,
}

/// Local midnight of a `YYYY-MM-DD` date plus `days`, unix ms.
fn day_ms(s: &str, days: i64) -> Result<Option<i64>, WebError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| WebError::BadRequest("date".into()))?
        + chrono::Duration::days(days);
    Ok(d.and_hms_opt(0, 0, 0)
        .and_then(|t| Local.from_local_datetime(&t).earliest())
        .map(|t| t.timestamp_millis()))
}

fn url(q: &AuditQuery, page: i64) -> String {
    let mut q = q.clone();
    q.page = Some(page);
    format!(
        "/admin/audit?{}",
        serde_urlencoded::to_string(&q).unwrap_or_default()
    )
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.chars().take(100).collect())
}

/// A one-line summary of an entry's detail: the paths of a sync verdict, the reason of a
/// rejection, else the JSON itself.
fn summary(detail: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(paths) = detail.get("paths").and_then(Value::as_array)
        && !paths.is_empty()
    {
        let p: Vec<&str> = paths.iter().filter_map(Value::as_str).collect();
        parts.push(format!("paths: {}", p.join(", ")));
    }
    if let Some(restored) = detail.get("restored").and_then(Value::as_array)
        && !restored.is_empty()
    {
        let p: Vec<&str> = restored.iter().filter_map(Value::as_str).collect();
        parts.push(format!("restored: {}", p.join(", ")));
    }
    if let Some(reason) = detail.get("reason").and_then(Value::as_str) {
        parts.push(reason.to_owned());
    }
    if !parts.is_empty() {
        return parts.join(" · ");
    }
    match detail {
        Value::Object(m) if m.is_empty() => String::new(),
        other => other.to_string().chars().take(600).collect(),
    }
}

/// `GET /admin/audit`.
pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    Query(query): Query<AuditQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::AuditView)?;
    view(&state, &user, &headers, query).await
}

/// `GET /admin/logins`: the viewer preset to sign-ins and sign-outs (web and devices).
pub async fn logins(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    user.require(Permission::AuditView)?;
    let query = AuditQuery {
        group: "logins".into(),
        ..AuditQuery::default()
    };
    view(&state, &user, &headers, query).await
}

async fn view(
    state: &AppState,
    user: &WebUser,
    headers: &HeaderMap,
    query: AuditQuery,
) -> Result<Response, WebError> {
    let tr = Tr(user.lang);
    let page = query.page.unwrap_or(1).clamp(1, 1_000_000);
    let prefixes = GROUPS
        .iter()
        .find(|(g, _, _)| *g == query.group)
        .map(|(_, _, p)| p.iter().map(|s| (*s).to_owned()).collect())
        .unwrap_or_default();
    let filter = AuditFilter {
        user_id: form_id::<UserId>(query.user.trim(), "user")?,
        doc_id: None,
        action: non_empty(&query.action),
        action_prefixes: prefixes,
        kind: non_empty(&query.kind),
        verdict: non_empty(&query.verdict),
        from: day_ms(&query.from, 0)?,
        to: day_ms(&query.to, 1)?,
        offset: (page - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
    };
    let total = audit::count(&state.db, &filter).await?;
    let records = audit::list(&state.db, &filter).await?;
    let all_users = users::list(&state.db).await?;
    let names: HashMap<UserId, String> = all_users
        .iter()
        .map(|u| (u.id, format!("{} ({})", u.display_name, u.username)))
        .collect();
    let mut device_names = HashMap::new();
    for r in &records {
        if let Some(d) = r.entry.device_id
            && !device_names.contains_key(&d)
            && let Some(found) = devices::get(&state.db, d).await?
        {
            device_names.insert(d, found.name);
        }
    }
    let row = |r: AuditRecord| {
        let user = r
            .entry
            .user_id
            .and_then(|u| names.get(&u).cloned())
            .or_else(|| r.entry.detail["username"].as_str().map(str::to_owned))
            .unwrap_or_default();
        let kind = r.entry.kind.clone().unwrap_or_default();
        let doc = r.entry.doc_id.clone().unwrap_or_default();
        RowView {
            when: fmt_ms(Some(r.at)),
            user,
            device: r
                .entry
                .device_id
                .map(|d| {
                    device_names
                        .get(&d)
                        .cloned()
                        .unwrap_or_else(|| d.to_string())
                })
                .unwrap_or_default(),
            action: r.entry.action.clone(),
            doc_link: (kind == "customer" && !doc.is_empty())
                .then(|| format!("/customers/{doc}?tab=history")),
            kind,
            doc,
            verdict: r.entry.verdict.clone().unwrap_or_default(),
            detail: summary(&r.entry.detail),
        }
    };
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let t = TableData {
        rows: records.into_iter().map(row).collect(),
        total,
        page,
        pages,
        prev_url: (page > 1).then(|| url(&query, page - 1)),
        next_url: (page < pages).then(|| url(&query, page + 1)),
    };
    if is_htmx(headers) && !headers.contains_key("hx-history-restore-request") {
        return render(&Partial { tr, t });
    }
    let mut user_opts: Vec<Opt> = all_users
        .iter()
        .map(|u| {
            (
                u.id.to_string(),
                format!("{} ({})", u.display_name, u.username),
            )
        })
        .collect();
    user_opts.sort_by(|a, b| a.1.cmp(&b.1));
    render(&Page {
        shell: Shell::new(user, "admin"),
        tr,
        users: user_opts,
        groups: GROUPS
            .iter()
            .map(|(g, key, _)| ((*g).to_owned(), tr.t(key).to_owned()))
            .collect(),
        actions: audit::actions(&state.db).await?,
        kinds: fieldcrm_core::Kind::ALL
            .iter()
            .map(|k| k.as_str().to_owned())
            .collect(),
        verdicts: VERDICTS.iter().map(|v| (*v).to_owned()).collect(),
        query,
        t,
    })
}

/// (key, zh-CN, English): the audit viewer's messages.
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("aud.title", "审计日志", "Audit log"),
    ("aud.when", "时间", "When"),
    ("aud.user", "用户", "User"),
    ("aud.device", "设备", "Device"),
    ("aud.action", "操作", "Action"),
    ("aud.group", "类别", "Group"),
    ("aud.kind", "单据类型", "Record kind"),
    ("aud.document", "单据", "Record"),
    ("aud.verdict", "结果", "Outcome"),
    ("aud.detail", "详情", "Detail"),
    ("aud.from", "开始日期", "From"),
    ("aud.to", "结束日期", "To"),
    ("aud.none", "没有符合条件的记录", "No entries match"),
    ("aud.group_logins", "登录", "Sign-ins"),
    ("aud.group_sync", "同步裁决", "Sync verdicts"),
    ("aud.group_records", "后台编辑", "Back-office edits"),
    ("aud.group_admin", "管理操作", "Administration"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn summaries_show_paths_reasons_or_json() {
        assert_eq!(
            summary(&json!({"paths": ["owner", "tier"], "restored": ["owner"], "seq": 3})),
            "paths: owner, tier · restored: owner"
        );
        assert_eq!(
            summary(&json!({"code": "out_of_scope", "reason": "not your territory"})),
            "not your territory"
        );
        assert_eq!(summary(&json!({})), "");
        assert_eq!(summary(&json!({"username": "x"})), "{\"username\":\"x\"}");
    }
}
