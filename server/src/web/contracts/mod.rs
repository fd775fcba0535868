//! Contracts in the back office:
//!
//! - `GET /contracts`: queries by date range (signed, start or end date), customer, type,
//!   status, number/title; `GET /contracts/renewals?days=N`: active contracts ending within N
//!   days (default 30);
//! - [`card`]: the card (fields, linked orders with link/unlink among the same customer's
//!   orders, files), the create and edit forms;
//! - [`files`]: upload (PDF or image, checked by content, stored in the attachment store),
//!   download and removal of a contract's files.
//!
//! Reading needs `ContractsView`, changing `ContractsEdit`; every change is audited. A contract
//! is visible when its customer is in the user's territory scope (lists also apply the owner
//! restriction of the data scope). Storage is [`crate::db::contracts`].

pub mod card;
pub mod files;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::i18n::Tr;
use super::orders::{fmt_money, valid_date};
use super::session::WebUser;
use super::{Shell, WebError, fmt_ms, render};
use crate::auth::permissions::Permission;
use crate::db::audit::{self, AuditEntry};
use crate::db::contracts::{
    self, Contract, ContractFilter, ContractId, ContractStatus, ContractType, DateField,
};
use crate::db::territories;
use crate::startup::AppState;

/// The contract routes (the upload is in [`files::upload_routes`]).
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/contracts", get(list).post(card::create))
        .route("/contracts/new", get(card::new_form))
        .route("/contracts/renewals", get(renewals))
        .route("/contracts/{id}", get(card::card).post(card::update))
        .route("/contracts/{id}/edit", get(card::edit_form))
        .route("/contracts/{id}/orders", post(card::link))
        .route("/contracts/{id}/orders/{order}/unlink", post(card::unlink))
        .route("/contracts/{id}/files/{sha256}", get(files::download))
        .route("/contracts/{id}/files/{sha256}/delete", post(files::remove))
}

/// (key, zh-CN, English): the contract pages' messages.
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("nav.contracts", "合同", "Contracts"),
    ("con.title", "合同", "Contracts"),
    ("con.new", "新建合同", "New contract"),
    ("con.edit", "编辑合同", "Edit contract"),
    ("con.save", "保存", "Save"),
    ("con.number", "合同编号", "Number"),
    ("con.customer", "客户", "Customer"),
    ("con.customer_hint", "客户编码或 ID", "Customer code or id"),
    ("con.type", "类型", "Type"),
    ("con.title_field", "标题", "Title"),
    ("con.signed_on", "签订日期", "Signed on"),
    ("con.start_on", "开始日期", "Starts"),
    ("con.end_on", "结束日期", "Ends"),
    ("con.amount", "合同金额（元）", "Amount (yuan)"),
    ("con.terms_days", "账期（天）", "Payment terms (days)"),
    ("con.terms", "条款", "Terms"),
    ("con.status", "状态", "Status"),
    ("con.q", "编号/标题", "Number/title"),
    ("con.date_field", "日期", "Date"),
    ("con.none", "没有合同", "No contracts"),
    ("con.created", "创建", "Created"),
    ("con.orders", "关联订单", "Linked orders"),
    ("con.no_orders", "没有关联订单", "No linked orders"),
    ("con.link", "关联", "Link"),
    ("con.unlink", "取消关联", "Unlink"),
    (
        "con.link_order",
        "关联该客户的订单",
        "Link an order of this customer",
    ),
    ("con.files", "附件", "Files"),
    ("con.no_files", "没有附件", "No files"),
    ("con.upload", "上传", "Upload"),
    (
        "con.upload_hint",
        "PDF、JPEG、PNG 或 WebP",
        "PDF, JPEG, PNG or WebP",
    ),
    ("con.file_name", "文件名", "File name"),
    ("con.size", "大小", "Size"),
    ("con.remove", "删除", "Remove"),
    ("con.renewals", "待续签", "Renewals due"),
    ("con.within_days", "天内到期", "Days ahead"),
    (
        "con.no_renewals",
        "没有即将到期的合同",
        "No active contract ends in this period",
    ),
    ("con.days_left", "剩余天数", "Days left"),
    ("con.t.sales", "销售合同", "Sales"),
    ("con.t.service", "服务合同", "Service"),
    ("con.t.framework", "框架协议", "Framework"),
    ("con.t.other", "其他", "Other"),
    ("con.s.draft", "草稿", "Draft"),
    ("con.s.active", "生效", "Active"),
    ("con.s.expired", "已到期", "Expired"),
    ("con.s.terminated", "已终止", "Terminated"),
    ("con.d.signed", "签订日期", "Signed"),
    ("con.d.start", "开始日期", "Start"),
    ("con.d.end", "结束日期", "End"),
    (
        "con.err.number",
        "请填写合同编号（最多 64 个字符）",
        "Enter a number (at most 64 characters)",
    ),
    (
        "con.err.duplicate",
        "合同编号已存在",
        "This contract number already exists",
    ),
    (
        "con.err.title",
        "请填写标题（最多 200 个字符）",
        "Enter a title (at most 200 characters)",
    ),
    (
        "con.err.customer",
        "找不到该客户（或不在您的范围内）",
        "No such customer in your scope",
    ),
    (
        "con.err.customer_ambiguous",
        "多个客户使用此编码，请填写客户 ID",
        "Several customers have this code; enter the customer's id",
    ),
    ("con.err.type", "请选择类型", "Choose a type"),
    ("con.err.status", "请选择状态", "Choose a status"),
    ("con.err.date", "日期无效", "Invalid date"),
    (
        "con.err.range",
        "结束日期早于开始日期",
        "The end is before the start",
    ),
    ("con.err.amount", "金额无效", "Invalid amount"),
    (
        "con.err.terms_days",
        "账期须为 0–3650 天",
        "Payment terms must be 0–3650 days",
    ),
    ("con.err.terms", "条款过长", "The terms are too long"),
    (
        "con.err.order",
        "订单不存在或不属于该客户",
        "No such order of this customer",
    ),
    (
        "con.err.linked",
        "该订单已关联合同",
        "The order is already linked to contract",
    ),
    (
        "con.err.file_type",
        "只接受 PDF、JPEG、PNG 或 WebP 文件（按文件内容检查）",
        "Only PDF, JPEG, PNG or WebP files (checked by content)",
    ),
    ("con.err.file_size", "文件过大", "The file is too large"),
    ("con.err.no_file", "请选择文件", "Choose a file"),
];

/// The message key of a type's label.
pub fn type_key(t: ContractType) -> &'static str {
    match t {
        ContractType::Sales => "con.t.sales",
        ContractType::Service => "con.t.service",
        ContractType::Framework => "con.t.framework",
        ContractType::Other => "con.t.other",
    }
}

/// The message key of a status's label.
pub fn status_key(s: ContractStatus) -> &'static str {
    match s {
        ContractStatus::Draft => "con.s.draft",
        ContractStatus::Active => "con.s.active",
        ContractStatus::Expired => "con.s.expired",
        ContractStatus::Terminated => "con.s.terminated",
    }
}

/// (value, message key) of every type.
pub fn type_choices() -> Vec<(&'static str, &'static str)> {
    ContractType::ALL
        .iter()
        .map(|t| (t.as_str(), type_key(*t)))
        .collect()
}

/// (value, message key) of every status.
pub fn status_choices() -> Vec<(&'static str, &'static str)> {
    ContractStatus::ALL
        .iter()
        .map(|s| (s.as_str(), status_key(*s)))
        .collect()
}

/// Records an audit entry of a contract change.
pub async fn audit_contract(
    state: &AppState,
    user: &WebUser,
    action: &str,
    contract: ContractId,
    detail: serde_json::Value,
) {
    let mut entry = AuditEntry::new(action);
    entry.user_id = Some(user.user_id);
    entry.doc_id = Some(contract.to_string());
    entry.kind = Some("contract".to_owned());
    entry.verdict = Some("ok".to_owned());
    entry.detail = detail;
    if let Err(e) = audit::record(&state.db, &entry).await {
        tracing::error!(error = %e, "cannot write audit entry");
    }
}

/// A contract row, formatted.
#[derive(Debug)]
pub struct Row {
    id: String,
    number: String,
    title: String,
    customer_id: String,
    customer: String,
    customer_code: String,
    ctype: &'static str,
    status: &'static str,
    status_value: &'static str,
    signed_on: String,
    start_on: String,
    end_on: String,
    amount: String,
    days_left: Option<i64>,
}

fn row(tr: Tr, c: &Contract, today: Option<NaiveDate>) -> Row {
    let i = &c.input;
    Row {
        id: c.id.to_string(),
        number: i.number.clone(),
        title: i.title.clone(),
        customer_id: i.customer.to_string(),
        customer: c.customer_name.clone(),
        customer_code: c.customer_code.clone(),
        ctype: tr.t(type_key(i.contract_type)),
        status: tr.t(status_key(i.status)),
        status_value: i.status.as_str(),
        signed_on: i.signed_on.clone().unwrap_or_default(),
        start_on: i.start_on.clone().unwrap_or_default(),
        end_on: i.end_on.clone().unwrap_or_default(),
        amount: fmt_money(i.amount),
        days_left: match (today, i.end_on.as_deref()) {
            (Some(t), Some(end)) => NaiveDate::parse_from_str(end, "%Y-%m-%d")
                .ok()
                .map(|e| (e - t).num_days()),
            _ => None,
        },
    }
}

/// Rows per page.
pub const PAGE_SIZE: i64 = 50;

/// Query string of the list.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ContractQuery {
    /// Number or title.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub q: String,
    /// Customer name or code.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub customer: String,
    /// Type.
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub contract_type: String,
    /// Status.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status: String,
    /// `signed`, `start` or `end`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub date: String,
    /// From (inclusive).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub from: String,
    /// To (inclusive).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to: String,
    /// 1-based page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<i64>,
}

fn opt_text(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.chars().take(100).collect())
}

fn opt_date(s: &str) -> Result<Option<String>, WebError> {
    match s.trim() {
        "" => Ok(None),
        d => valid_date(d)
            .map(Some)
            .ok_or_else(|| WebError::BadRequest("date".into())),
    }
}

impl ContractQuery {
    fn filter(&self) -> Result<ContractFilter, WebError> {
        let bad = |what: &str| WebError::BadRequest(what.to_owned());
        Ok(ContractFilter {
            q: opt_text(&self.q),
            customer: opt_text(&self.customer),
            contract_type: match self.contract_type.trim() {
                "" => None,
                t => Some(ContractType::parse(t).ok_or_else(|| bad("type"))?),
            },
            status: match self.status.trim() {
                "" => None,
                s => Some(ContractStatus::parse(s).ok_or_else(|| bad("status"))?),
            },
            date_field: match self.date.trim() {
                "" => DateField::Signed,
                d => DateField::parse(d).ok_or_else(|| bad("date field"))?,
            },
            from: opt_date(&self.from)?,
            to: opt_date(&self.to)?,
            ..ContractFilter::default()
        })
    }
}

#[derive(Template)]
#[template(path = "contracts.html")]
struct ListPage {
    shell: Shell,
    tr: Tr,
    query: ContractQuery,
    types: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    dates: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
    total: i64,
    page: i64,
    pages: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
    can_edit: bool,
}

/// `GET /contracts`.
pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    Query(query): Query<ContractQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::ContractsView)?;
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    let mut filter = query.filter()?;
    filter.owners = user.owner_restriction(&state.db).await?;
    let page = query.page.unwrap_or(1).clamp(1, 1_000_000);
    filter.offset = (page - 1) * PAGE_SIZE;
    filter.limit = PAGE_SIZE;
    let (rows, total) = contracts::list(&state.db, &scope, &filter).await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let tr = Tr(user.lang);
    let url = |p: i64| {
        let mut q = query.clone();
        q.page = Some(p);
        format!(
            "/contracts?{}",
            serde_urlencoded::to_string(&q).unwrap_or_default()
        )
    };
    render(&ListPage {
        shell: Shell::new(&user, "contracts"),
        tr,
        types: type_choices(),
        statuses: status_choices(),
        dates: vec![
            ("signed", "con.d.signed"),
            ("start", "con.d.start"),
            ("end", "con.d.end"),
        ],
        rows: rows.iter().map(|c| row(tr, c, None)).collect(),
        total,
        page,
        pages,
        prev_url: (page > 1).then(|| url(page - 1)),
        next_url: (page < pages).then(|| url(page + 1)),
        can_edit: user.can(Permission::ContractsEdit),
        query,
    })
}

/// Query string of the renewals page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RenewalsQuery {
    days: Option<i64>,
}

/// The default look-ahead of the renewals page, days.
pub const DEFAULT_RENEWAL_DAYS: i64 = 30;

#[derive(Template)]
#[template(path = "renewals.html")]
struct RenewalsPage {
    shell: Shell,
    tr: Tr,
    days: i64,
    until: String,
    rows: Vec<Row>,
    generated: String,
}

/// `GET /contracts/renewals?days=N`: active contracts ending between today and N days ahead.
pub async fn renewals(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<RenewalsQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::ContractsView)?;
    let days = q.days.unwrap_or(DEFAULT_RENEWAL_DAYS).clamp(0, 3_650);
    let today = chrono::Local::now().date_naive();
    let until = today + chrono::Duration::days(days);
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    let owners = user.owner_restriction(&state.db).await?;
    let rows = contracts::renewals_due(
        &state.db,
        &scope,
        owners.as_deref(),
        &today.format("%Y-%m-%d").to_string(),
        &until.format("%Y-%m-%d").to_string(),
    )
    .await?;
    let tr = Tr(user.lang);
    render(&RenewalsPage {
        shell: Shell::new(&user, "contracts"),
        tr,
        days,
        until: until.format("%Y-%m-%d").to_string(),
        rows: rows.iter().map(|c| row(tr, c, Some(today))).collect(),
        generated: fmt_ms(Some(crate::db::now_ms())),
    })
}
