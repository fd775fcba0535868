//! Payments received (回款) in the back office:
//!
//! - `POST /orders/{id}/payments`: records a payment from the order card (amount in yuan, date,
//!   method, reference, notes); refused for drafts and cancelled orders and beyond what is owed;
//! - `POST /payments/{id}/reverse`: reverses a payment (it stays listed, struck through);
//! - `GET /payments`: the payments of the user's scope by date range, customer and method;
//! - `GET /receivables`: what each customer owes; `GET /receivables/overdue`: shipped orders
//!   past their due date (entering `shipped` + the contract's payment terms, else 30 days).
//!
//! Recording and reversing need `PaymentsEdit` and are audited; the pages need `PaymentsView`.
//! Storage is [`crate::db::payments`].

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use fieldcrm_core::DocId;
use serde::{Deserialize, Serialize};

use super::customer_export::{self, Format, MAX_EXPORT_ROWS};
use super::i18n::Tr;
use super::orders::card::render_card;
use super::orders::{fmt_money, parse_money, status_key, valid_date};
use super::scope;
use super::session::WebUser;
use super::{Shell, WebError, fmt_ms, render};
use crate::auth::permissions::Permission;
use crate::db::audit::{self, AuditEntry};
use crate::db::payments::{
    self, CustomerReceivable, NewPayment, OverdueRow, Payment, PaymentError, PaymentFilter,
    PaymentMethod,
};
use crate::db::{now_ms, territories};
use crate::startup::AppState;

/// The payment routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/orders/{id}/payments", post(record))
        .route("/payments", get(list))
        .route("/payments/export", get(export_payments))
        .route("/payments/{id}/reverse", post(reverse))
        .route("/receivables", get(receivables))
        .route("/receivables/overdue", get(overdue))
        .route("/receivables/export", get(export_receivables))
        .route("/receivables/overdue/export", get(export_overdue))
}

/// (key, zh-CN, English): the payment pages' messages.
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("nav.payments", "回款", "Payments"),
    ("pay.title", "回款记录", "Payments received"),
    ("pay.order_title", "回款", "Payments"),
    ("pay.amount", "金额（元）", "Amount (yuan)"),
    ("pay.paid_on", "回款日期", "Paid on"),
    ("pay.method", "方式", "Method"),
    ("pay.reference", "凭证号", "Reference"),
    ("pay.notes", "备注", "Notes"),
    ("pay.recorded_by", "登记人", "Recorded by"),
    ("pay.record", "登记回款", "Record payment"),
    ("pay.none", "暂无回款", "No payments"),
    ("pay.reverse", "冲销", "Reverse"),
    ("pay.reversed", "已冲销", "Reversed"),
    ("pay.reverse_reason", "冲销原因", "Reason for reversal"),
    ("pay.sum", "回款合计", "Total received"),
    ("pay.order", "订单", "Order"),
    ("pay.customer", "客户", "Customer"),
    ("pay.m.bank_transfer", "银行转账", "Bank transfer"),
    ("pay.m.cash", "现金", "Cash"),
    ("pay.m.cheque", "支票", "Cheque"),
    ("pay.m.card", "刷卡", "Card"),
    ("pay.m.other", "其他", "Other"),
    (
        "pay.err.amount",
        "请输入大于 0 的金额（最多两位小数）",
        "Enter an amount above 0 (at most two decimals)",
    ),
    ("pay.err.date", "请输入有效的日期", "Enter a valid date"),
    (
        "pay.err.method",
        "请选择回款方式",
        "Choose a payment method",
    ),
    (
        "pay.err.over",
        "金额超过应收余额，应收",
        "The amount is more than what is owed; receivable",
    ),
    (
        "pay.err.status",
        "草稿或已取消的订单不能登记回款",
        "Draft and cancelled orders take no payments",
    ),
    ("rcv.title", "应收账款", "Receivables"),
    ("rcv.by_customer", "按客户", "By customer"),
    ("rcv.orders", "订单数", "Orders"),
    ("rcv.total", "订单金额", "Ordered"),
    ("rcv.none", "没有应收账款", "Nothing is owed"),
    ("rcv.sum", "应收合计", "Total receivable"),
    ("rcv.overdue", "逾期应收", "Overdue"),
    ("rcv.shipped_on", "发货日期", "Shipped"),
    ("rcv.terms", "账期（天）", "Terms (days)"),
    ("rcv.due", "到期日", "Due"),
    ("rcv.days_overdue", "逾期天数", "Days overdue"),
    ("rcv.no_overdue", "没有逾期应收", "Nothing is overdue"),
    (
        "rcv.default_terms",
        "无合同时账期为 30 天",
        "Without a contract the terms are 30 days",
    ),
    ("rcv.customer_figure", "应收余额", "Receivable"),
    ("pay.status", "状态", "Status"),
    ("pay.recorded_at", "登记时间", "Recorded at"),
];

/// The message key of a method's label.
pub fn method_key(method: &str) -> &'static str {
    match method {
        "bank_transfer" => "pay.m.bank_transfer",
        "cash" => "pay.m.cash",
        "cheque" => "pay.m.cheque",
        "card" => "pay.m.card",
        _ => "pay.m.other",
    }
}

/// Every method (value, message key), for menus.
pub fn method_choices() -> Vec<(&'static str, &'static str)> {
    PaymentMethod::ALL
        .iter()
        .map(|m| (m.as_str(), method_key(m.as_str())))
        .collect()
}

/// The payment form of the order card (its values survive a refused submission).
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct PaymentForm {
    /// Yuan.
    pub amount: String,
    /// `YYYY-MM-DD`.
    pub paid_on: String,
    /// Method name.
    pub method: String,
    /// Reference.
    pub reference: String,
    /// Notes.
    pub notes: String,
}

impl Default for PaymentForm {
    fn default() -> Self {
        PaymentForm {
            amount: String::new(),
            paid_on: chrono::Local::now().format("%Y-%m-%d").to_string(),
            method: PaymentMethod::BankTransfer.as_str().to_owned(),
            reference: String::new(),
            notes: String::new(),
        }
    }
}

/// A payment, formatted.
#[derive(Debug)]
pub struct PaymentView {
    pub(crate) id: String,
    pub(crate) order_id: String,
    pub(crate) order_number: String,
    pub(crate) customer_id: String,
    pub(crate) customer: String,
    pub(crate) paid_on: String,
    pub(crate) amount: String,
    pub(crate) method: &'static str,
    pub(crate) reference: String,
    pub(crate) notes: String,
    pub(crate) recorded_by: String,
    pub(crate) recorded_at: String,
    pub(crate) reversed: bool,
    pub(crate) reversed_note: String,
}

/// Formats payments.
pub fn payment_views(tr: Tr, payments: &[Payment]) -> Vec<PaymentView> {
    payments
        .iter()
        .map(|p| PaymentView {
            id: p.id.to_string(),
            order_id: p.order_id.to_string(),
            order_number: p
                .order_number
                .clone()
                .unwrap_or_else(|| tr.t("ord.unnumbered").to_owned()),
            customer_id: p.customer_id.clone(),
            customer: p.customer_name.clone(),
            paid_on: p.paid_on.clone(),
            amount: fmt_money(p.amount),
            method: tr.t(method_key(&p.method)),
            reference: p.reference.clone(),
            notes: p.notes.clone(),
            recorded_by: p.recorded_by_name.clone(),
            recorded_at: fmt_ms(Some(p.created_at)),
            reversed: p.reversed_at.is_some(),
            reversed_note: match p.reversed_at {
                Some(at) => format!(
                    "{} · {} · {} {}",
                    tr.t("pay.reversed"),
                    fmt_ms(Some(at)),
                    p.reversed_by_name,
                    p.reverse_reason
                ),
                None => String::new(),
            },
        })
        .collect()
}

fn see_other(to: String) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response()
}

async fn audit_payment(state: &AppState, user: &WebUser, action: &str, p: &Payment) {
    let mut entry = AuditEntry::new(action);
    entry.user_id = Some(user.user_id);
    entry.doc_id = Some(p.order_id.to_string());
    entry.kind = Some("payment".to_owned());
    entry.verdict = Some("ok".to_owned());
    entry.detail = serde_json::json!({
        "payment": p.id.to_string(),
        "order": p.order_id.to_string(),
        "customer": p.customer_id,
        "amount": p.amount,
        "paid_on": p.paid_on,
        "method": p.method,
        "reference": p.reference,
        "reason": p.reverse_reason,
    });
    if let Err(e) = audit::record(&state.db, &entry).await {
        tracing::error!(error = %e, "cannot write audit entry");
    }
}

/// `POST /orders/{id}/payments`: records a payment against the order.
pub async fn record(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<PaymentForm>,
) -> Result<Response, WebError> {
    user.require(Permission::PaymentsEdit)?;
    let id = scope::order(&state, &user, &id).await?;
    let tr = Tr(user.lang);
    let refuse = |m: String, form: PaymentForm| {
        let state = state.clone();
        let user = user.clone();
        async move {
            render_card(
                &state,
                &user,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(m),
                form,
            )
            .await
        }
    };
    let Some(amount) = parse_money(&form.amount).filter(|a| *a > 0) else {
        return refuse(tr.t("pay.err.amount").to_owned(), form).await;
    };
    let Some(paid_on) = valid_date(&form.paid_on) else {
        return refuse(tr.t("pay.err.date").to_owned(), form).await;
    };
    let Some(method) = PaymentMethod::parse(&form.method) else {
        return refuse(tr.t("pay.err.method").to_owned(), form).await;
    };
    let new = NewPayment {
        order: id,
        amount,
        paid_on,
        method,
        reference: form.reference.trim().chars().take(200).collect(),
        notes: form.notes.trim().chars().take(2_000).collect(),
        recorded_by: user.user_id,
    };
    match payments::record(&state.db, &new).await {
        Ok(pid) => {
            if let Some(p) = payments::get(&state.db, pid).await? {
                audit_payment(&state, &user, "web.payment.record", &p).await;
            }
            Ok(see_other(format!("/orders/{id}#payments")))
        }
        Err(PaymentError::Overpayment { receivable }) => {
            let m = format!("{} {}", tr.t("pay.err.over"), fmt_money(receivable));
            refuse(m, form).await
        }
        Err(PaymentError::NotPayable(_)) => refuse(tr.t("pay.err.status").to_owned(), form).await,
        Err(PaymentError::OrderNotFound) => Err(WebError::NotFound),
        Err(PaymentError::Db(e)) => Err(e.into()),
    }
}

/// The reversal form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReverseForm {
    reason: String,
}

/// `POST /payments/{id}/reverse`: the payment stops counting (audited); back to its order.
pub async fn reverse(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<ReverseForm>,
) -> Result<Response, WebError> {
    user.require(Permission::PaymentsEdit)?;
    let p = scope::payment(&state, &user, &id).await?;
    let (pid, order) = (p.id, p.order_id);
    let reason: String = form.reason.trim().chars().take(500).collect();
    if let Some(done) = payments::reverse(&state.db, pid, user.user_id, &reason).await? {
        audit_payment(&state, &user, "web.payment.reverse", &done).await;
    }
    Ok(see_other(format!("/orders/{order}#payments")))
}

/// Rows per page of the payment list.
pub const PAGE_SIZE: i64 = 50;

/// Query string of the payment list.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct PaymentQuery {
    /// Paid on or after.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub from: String,
    /// Paid on or before.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to: String,
    /// Customer name or code.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub customer: String,
    /// Method.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub method: String,
    /// 1-based page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<i64>,
}

#[derive(Template)]
#[template(path = "payments.html")]
struct ListPage {
    shell: Shell,
    tr: Tr,
    query: PaymentQuery,
    methods: Vec<(&'static str, &'static str)>,
    rows: Vec<PaymentView>,
    total: i64,
    sum: String,
    page: i64,
    pages: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
    /// The export's query string: the list's filters, without the page.
    export_query: String,
}

fn date_filter(s: &str) -> Result<Option<String>, WebError> {
    match s.trim() {
        "" => Ok(None),
        d => valid_date(d)
            .map(Some)
            .ok_or_else(|| WebError::BadRequest("date".into())),
    }
}

/// The filter of the payment list's query (its first page), restricted to the user's owners.
async fn payment_filter(
    state: &AppState,
    user: &WebUser,
    query: &PaymentQuery,
) -> Result<PaymentFilter, WebError> {
    let method = match query.method.trim() {
        "" => None,
        m => Some(PaymentMethod::parse(m).ok_or_else(|| WebError::BadRequest("method".into()))?),
    };
    let customer = query.customer.trim();
    Ok(PaymentFilter {
        from: date_filter(&query.from)?,
        to: date_filter(&query.to)?,
        customer: (!customer.is_empty()).then(|| customer.chars().take(100).collect()),
        method,
        owners: user.owner_restriction(&state.db).await?,
        offset: 0,
        limit: PAGE_SIZE,
    })
}

/// `GET /payments`.
pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    Query(query): Query<PaymentQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::PaymentsView)?;
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    let page = query.page.unwrap_or(1).clamp(1, 1_000_000);
    let mut filter = payment_filter(&state, &user, &query).await?;
    filter.offset = (page - 1) * PAGE_SIZE;
    filter.limit = PAGE_SIZE;
    let result = payments::list(&state.db, &scope, &filter).await?;
    let tr = Tr(user.lang);
    let pages = ((result.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let url = |p: i64| {
        let mut q = query.clone();
        q.page = Some(p);
        format!(
            "/payments?{}",
            serde_urlencoded::to_string(&q).unwrap_or_default()
        )
    };
    render(&ListPage {
        shell: Shell::new(&user, "payments"),
        tr,
        methods: method_choices(),
        rows: payment_views(tr, &result.rows),
        total: result.total,
        sum: fmt_money(result.sum),
        page,
        pages,
        prev_url: (page > 1).then(|| url(page - 1)),
        next_url: (page < pages).then(|| url(page + 1)),
        export_query: {
            let mut q = query.clone();
            q.page = None;
            serde_urlencoded::to_string(&q).unwrap_or_default()
        },
        query,
    })
}

/// A customer's receivable, formatted.
#[derive(Debug)]
pub struct ReceivableView {
    customer_id: String,
    name: String,
    code: String,
    orders: i64,
    total: String,
    paid: String,
    receivable: String,
}

#[derive(Template)]
#[template(path = "receivables.html")]
struct ReceivablesPage {
    shell: Shell,
    tr: Tr,
    rows: Vec<ReceivableView>,
    sum: String,
}

/// `GET /receivables`: what each customer of the user's scope owes.
pub async fn receivables(
    State(state): State<AppState>,
    user: WebUser,
) -> Result<Response, WebError> {
    user.require(Permission::PaymentsView)?;
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    let owners = user.owner_restriction(&state.db).await?;
    let rows = payments::receivables_by_customer(&state.db, &scope, owners.as_deref()).await?;
    let sum = rows.iter().map(|r| r.receivable).sum::<i64>();
    render(&ReceivablesPage {
        shell: Shell::new(&user, "payments"),
        tr: Tr(user.lang),
        rows: rows
            .into_iter()
            .map(|r| ReceivableView {
                customer_id: r.customer_id,
                name: r.name,
                code: r.code,
                orders: r.orders,
                total: fmt_money(r.total),
                paid: fmt_money(r.paid),
                receivable: fmt_money(r.receivable),
            })
            .collect(),
        sum: fmt_money(sum),
    })
}

/// An overdue order, formatted.
#[derive(Debug)]
pub struct OverdueView {
    order_id: String,
    number: String,
    status: &'static str,
    customer_id: String,
    customer: String,
    code: String,
    shipped_on: String,
    terms: i64,
    contract: String,
    due: String,
    days: i64,
    receivable: String,
}

#[derive(Template)]
#[template(path = "overdue.html")]
struct OverduePage {
    shell: Shell,
    tr: Tr,
    rows: Vec<OverdueView>,
    sum: String,
}

fn day_of(ms: i64) -> String {
    fmt_ms(Some(ms)).chars().take(10).collect()
}

/// `GET /receivables/overdue`.
pub async fn overdue(State(state): State<AppState>, user: WebUser) -> Result<Response, WebError> {
    user.require(Permission::PaymentsView)?;
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    let owners = user.owner_restriction(&state.db).await?;
    let rows = payments::overdue(&state.db, &scope, owners.as_deref(), now_ms()).await?;
    let tr = Tr(user.lang);
    let sum = rows
        .iter()
        .map(payments::OverdueRow::receivable)
        .sum::<i64>();
    render(&OverduePage {
        shell: Shell::new(&user, "payments"),
        tr,
        rows: rows
            .iter()
            .map(|r| OverdueView {
                order_id: r.order_id.to_string(),
                number: r
                    .number
                    .clone()
                    .unwrap_or_else(|| tr.t("ord.unnumbered").to_owned()),
                status: tr.t(status_key(&r.status)),
                customer_id: r.customer_id.clone(),
                customer: r.customer_name.clone(),
                code: r.customer_code.clone(),
                shipped_on: day_of(r.shipped_at),
                terms: r.terms_days,
                contract: r.contract_number.clone().unwrap_or_default(),
                due: day_of(r.due_at),
                days: r.days_overdue,
                receivable: fmt_money(r.receivable()),
            })
            .collect(),
        sum: fmt_money(sum),
    })
}

/// Query string of an export: the format (`xlsx`, the default, or `csv`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FormatQuery {
    format: String,
}

/// Query string of the payment export: the list's filters, plus the format.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PaymentExportQuery {
    format: String,
    #[serde(flatten)]
    list: PaymentQuery,
}

/// Minor units as a plain decimal (`-1234.50`): no grouping, so a spreadsheet reads a number.
fn plain_money(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Message keys to the user's labels.
fn labels(tr: Tr, keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| tr.t(k).to_owned()).collect()
}

/// `GET /payments/export?format=xlsx|csv&<list filters>`: every payment the list shows with
/// these filters (all pages, reversed ones marked), in the user's scope.
pub async fn export_payments(
    State(state): State<AppState>,
    user: WebUser,
    Query(query): Query<PaymentExportQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::PaymentsView)?;
    let format = Format::parse(&query.format)?;
    let mut list = query.list;
    list.page = None;
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    let mut filter = payment_filter(&state, &user, &list).await?;
    filter.limit = EXPORT_BATCH;
    let tr = Tr(user.lang);
    let mut rows: Vec<Vec<String>> = Vec::new();
    loop {
        let page = payments::list(&state.db, &scope, &filter).await?;
        let n = i64::try_from(page.rows.len()).unwrap_or(0);
        for p in &page.rows {
            rows.push(vec![
                p.paid_on.clone(),
                p.customer_name.clone(),
                p.order_number
                    .clone()
                    .unwrap_or_else(|| tr.t("ord.unnumbered").to_owned()),
                plain_money(p.amount),
                tr.t(method_key(&p.method)).to_owned(),
                p.reference.clone(),
                p.notes.clone(),
                p.recorded_by_name.clone(),
                fmt_ms(Some(p.created_at)),
                match p.reversed_at {
                    Some(at) => format!(
                        "{} {} {} {}",
                        tr.t("pay.reversed"),
                        fmt_ms(Some(at)),
                        p.reversed_by_name,
                        p.reverse_reason
                    )
                    .trim_end()
                    .to_owned(),
                    None => String::new(),
                },
            ]);
        }
        filter.offset += n;
        if n < EXPORT_BATCH || rows.len() >= MAX_EXPORT_ROWS {
            break;
        }
    }
    rows.truncate(MAX_EXPORT_ROWS);
    let header = labels(
        tr,
        &[
            "pay.paid_on",
            "pay.customer",
            "pay.order",
            "pay.amount",
            "pay.method",
            "pay.reference",
            "pay.notes",
            "pay.recorded_by",
            "pay.recorded_at",
            "pay.status",
        ],
    );
    let table = Table {
        sheet: tr.t("pay.title").to_owned(),
        action: "web.payment.export",
        base: "payments",
        filter: Some(serde_urlencoded::to_string(&list).unwrap_or_default()),
    };
    send_table(&state, &user, format, table, header, rows).await
}

/// What a payments-page export is called and audited as.
struct Table<'a> {
    /// The worksheet's name (xlsx).
    sheet: String,
    /// The audit action.
    action: &'a str,
    /// The file name's stem.
    base: &'a str,
    /// The list's query string, when the export follows a filtered list.
    filter: Option<String>,
}

/// Encodes `rows` under `header` in `format`, audits the export (format, filter, row count) and
/// serves the file.
async fn send_table(
    state: &AppState,
    user: &WebUser,
    format: Format,
    table: Table<'_>,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
) -> Result<Response, WebError> {
    let mut detail = serde_json::json!({ "format": format.ext(), "rows": rows.len() });
    if let Some(filter) = table.filter {
        detail["filter"] = serde_json::Value::String(filter);
    }
    let bytes = customer_export::encode(format, table.sheet, header, rows).await?;
    customer_export::audit_export(state, user, table.action, "payment", detail).await;
    Ok(customer_export::download(format, table.base, bytes))
}

/// Payments fetched per query while exporting.
const EXPORT_BATCH: i64 = 2000;

/// The receivables export's rows.
fn receivable_rows(rows: &[CustomerReceivable]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.code.clone(),
                r.orders.to_string(),
                plain_money(r.total),
                plain_money(r.paid),
                plain_money(r.receivable),
            ]
        })
        .collect()
}

/// `GET /receivables/export?format=xlsx|csv`: what each customer of the user's scope owes.
pub async fn export_receivables(
    State(state): State<AppState>,
    user: WebUser,
    Query(query): Query<FormatQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::PaymentsView)?;
    let format = Format::parse(&query.format)?;
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    let owners = user.owner_restriction(&state.db).await?;
    let found = payments::receivables_by_customer(&state.db, &scope, owners.as_deref()).await?;
    let rows = receivable_rows(&found);
    let tr = Tr(user.lang);
    let header = labels(
        tr,
        &[
            "ord.customer",
            "ord.code",
            "rcv.orders",
            "rcv.total",
            "ord.paid",
            "ord.receivable",
        ],
    );
    let table = Table {
        sheet: tr.t("rcv.title").to_owned(),
        action: "web.receivables.export",
        base: "receivables",
        filter: None,
    };
    send_table(&state, &user, format, table, header, rows).await
}

/// The overdue export's rows.
fn overdue_rows(tr: Tr, rows: &[OverdueRow]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            vec![
                r.number
                    .clone()
                    .unwrap_or_else(|| tr.t("ord.unnumbered").to_owned()),
                tr.t(status_key(&r.status)).to_owned(),
                r.customer_name.clone(),
                r.customer_code.clone(),
                day_of(r.shipped_at),
                r.terms_days.to_string(),
                r.contract_number.clone().unwrap_or_default(),
                day_of(r.due_at),
                r.days_overdue.to_string(),
                plain_money(r.receivable()),
            ]
        })
        .collect()
}

/// `GET /receivables/overdue/export?format=xlsx|csv`: the overdue orders of the user's scope.
pub async fn export_overdue(
    State(state): State<AppState>,
    user: WebUser,
    Query(query): Query<FormatQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::PaymentsView)?;
    let format = Format::parse(&query.format)?;
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    let owners = user.owner_restriction(&state.db).await?;
    let found = payments::overdue(&state.db, &scope, owners.as_deref(), now_ms()).await?;
    let tr = Tr(user.lang);
    let rows = overdue_rows(tr, &found);
    let header = labels(
        tr,
        &[
            "ord.number",
            "ord.status",
            "ord.customer",
            "ord.code",
            "rcv.shipped_on",
            "rcv.terms",
            "ord.contract",
            "rcv.due",
            "rcv.days_overdue",
            "ord.receivable",
        ],
    );
    let table = Table {
        sheet: tr.t("rcv.overdue").to_owned(),
        action: "web.overdue.export",
        base: "overdue",
        filter: None,
    };
    send_table(&state, &user, format, table, header, rows).await
}

/// The customer card's receivable figure, formatted, when the user may see payments: over the
/// customer's orders inside the user's scope `rs` (as the order list and the receivables show
/// them), never over other reps' orders the user does not see.
pub async fn customer_figure(
    state: &AppState,
    user: &WebUser,
    customer: DocId,
    rs: &scope::RecordScope,
) -> Result<Option<String>, WebError> {
    if !user.can(Permission::PaymentsView) {
        return Ok(None);
    }
    Ok(Some(fmt_money(
        payments::customer_receivable(&state.db, customer, &rs.territories, rs.owners()).await?,
    )))
}

#[cfg(test)]
mod tests {
    use super::plain_money;

    #[test]
    fn money_is_a_plain_decimal() {
        assert_eq!(plain_money(123_456_789), "1234567.89");
        assert_eq!(plain_money(5), "0.05");
        assert_eq!(plain_money(-1_250), "-12.50");
    }
}
