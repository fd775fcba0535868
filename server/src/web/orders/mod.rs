//! Orders in the back office. Reps take orders on their phones; the office follows them here:
//!
//! - [`list`]: `GET /orders` (filters: status, customer name/code, rep, date range, number; the
//!   user's territory scope and the reps of their data scope; pages; htmx gets the table) and
//!   `GET /orders/export` (the filtered list as .xlsx, formula cells escaped, audited);
//! - [`card`]: `GET /orders/{id}` (customer, rep, lines with prices, discounts, totals, shipped
//!   quantities and lots, payments and receivable, status log, change history) and
//!   `GET /orders/{id}/print` (a clean print view);
//! - [`new`]: `GET /orders/new`, `POST /orders`: a draft written by the office (optional: reps
//!   take orders on their phones), lines by product code, priced from the catalog;
//! - [`actions`]: `POST /orders/{id}/submit|confirm|ship|complete|cancel`, each checked with the
//!   order workflow of core (`may_transition`, `Order::authorize`, `Order::validate`) for the
//!   user's role, then written through `write::server_update`, so phones receive the change.
//!
//! Payments against an order are [`super::payments`]; contracts [`super::contracts`].

pub mod actions;
pub mod card;
pub mod list;
pub mod new;

use fieldcrm_core::domain::{Order, OrderStatus};
use fieldcrm_core::{DocId, UserId};

use super::WebError;
use crate::db::users;
use crate::startup::AppState;
use crate::sync::write;

/// The order routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/orders", get(list::list).post(new::create))
        .route("/orders/new", get(new::new_form))
        .route("/orders/export", get(list::export))
        .route("/orders/{id}", get(card::card))
        .route("/orders/{id}/print", get(card::print))
        .route("/orders/{id}/submit", post(actions::submit))
        .route("/orders/{id}/confirm", post(actions::confirm))
        .route("/orders/{id}/ship", post(actions::ship))
        .route("/orders/{id}/complete", post(actions::complete))
        .route("/orders/{id}/cancel", post(actions::cancel))
}

/// (key, zh-CN, English): the order pages' messages.
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("nav.orders", "订单", "Orders"),
    ("ord.title", "订单", "Orders"),
    ("ord.number", "订单号", "Number"),
    ("ord.unnumbered", "（未编号）", "(not numbered yet)"),
    ("ord.status", "状态", "Status"),
    ("ord.customer", "客户", "Customer"),
    ("ord.customer_search", "客户名称/编码", "Customer name/code"),
    ("ord.rep", "销售", "Rep"),
    ("ord.created", "下单时间", "Created"),
    ("ord.from", "从", "From"),
    ("ord.to", "到", "To"),
    ("ord.all", "全部", "All"),
    ("ord.apply", "筛选", "Filter"),
    ("ord.none", "没有订单", "No orders"),
    ("ord.total", "合计", "Total"),
    ("ord.count", "共", "Total"),
    ("ord.page", "页", "Page"),
    ("ord.prev", "上一页", "Previous"),
    ("ord.next", "下一页", "Next"),
    ("ord.open", "查看", "Open"),
    ("ord.export_xlsx", "导出 Excel", "Export .xlsx"),
    ("ord.lines", "明细", "Lines"),
    ("ord.line_count", "行数", "Lines"),
    ("ord.code", "编码", "Code"),
    ("ord.product", "产品", "Product"),
    ("ord.unit", "单位", "Unit"),
    ("ord.quantity", "数量", "Quantity"),
    ("ord.unit_price", "单价", "Unit price"),
    ("ord.discount", "折扣", "Discount"),
    ("ord.line_total", "金额", "Amount"),
    ("ord.shipped", "已发货", "Shipped"),
    ("ord.lots", "批号/序列号", "Batch/serial numbers"),
    ("ord.delivery", "要求交期", "Requested delivery"),
    ("ord.problem", "问题", "Problem"),
    ("ord.subtotal", "小计", "Subtotal"),
    ("ord.discount_total", "折扣合计", "Discounts"),
    ("ord.paid", "已回款", "Paid"),
    ("ord.receivable", "应收", "Receivable"),
    ("ord.currency", "币种", "Currency"),
    ("ord.notes", "备注", "Notes"),
    ("ord.cancel_reason", "取消原因", "Cancellation reason"),
    ("ord.contract", "合同", "Contract"),
    ("ord.status_log", "状态记录", "Status history"),
    ("ord.when", "时间", "When"),
    ("ord.who", "操作人", "By"),
    ("ord.server", "系统", "System"),
    ("ord.history", "修改记录", "Change history"),
    ("ord.field", "字段", "Field"),
    ("ord.print", "打印", "Print"),
    ("ord.print_title", "销售订单", "Sales order"),
    ("ord.print_company", "FieldCRM", "FieldCRM"),
    ("ord.print_date", "打印日期", "Printed"),
    ("ord.signature", "客户签收", "Received by the customer"),
    ("ord.actions", "处理", "Actions"),
    ("ord.confirm", "确认订单", "Confirm"),
    ("ord.ship", "发货", "Ship"),
    ("ord.ship_now", "本次发货数量", "Quantity shipped now"),
    ("ord.remaining", "未发", "Remaining"),
    (
        "ord.lots_hint",
        "多个批号/序列号用逗号或换行分隔",
        "Separate several numbers with commas or new lines",
    ),
    ("ord.complete", "完成", "Complete"),
    ("ord.cancel", "取消订单", "Cancel order"),
    ("ord.reason", "原因", "Reason"),
    ("ord.st.draft", "草稿", "Draft"),
    ("ord.st.submitted", "已提交", "Submitted"),
    ("ord.st.confirmed", "已确认", "Confirmed"),
    ("ord.st.partially_shipped", "部分发货", "Partially shipped"),
    ("ord.st.shipped", "已发货", "Shipped"),
    ("ord.st.completed", "已完成", "Completed"),
    ("ord.st.cancelled", "已取消", "Cancelled"),
    (
        "ord.err.step",
        "您的角色不能执行此步骤",
        "Your role may not take this step",
    ),
    (
        "ord.err.rules",
        "订单规则不允许此修改",
        "The order's rules refuse this change",
    ),
    (
        "ord.err.nothing",
        "没有填写发货数量",
        "Nothing to ship: enter a quantity",
    ),
    (
        "ord.err.too_much",
        "发货数量超过订购数量",
        "More shipped than ordered",
    ),
    ("ord.err.quantity", "数量无效", "Invalid quantity"),
    (
        "ord.err.reason",
        "请填写取消原因",
        "Give the reason for the cancellation",
    ),
    (
        "ord.err.serials",
        "序列号管理的产品：每发一件需填写一个新的序列号",
        "Serial-tracked product: one new serial number per unit shipped",
    ),
    (
        "ord.err.batch",
        "批号管理的产品发货需填写批号",
        "Batch-tracked product: enter the batch number shipped",
    ),
    ("ord.tr.batch", "批号管理", "batch-tracked"),
    ("ord.tr.serial", "序列号管理", "serial-tracked"),
    ("ord.submit", "提交订单", "Submit"),
    ("ord.new", "新建订单", "New order"),
    ("ord.create", "保存草稿", "Save draft"),
    ("ord.customer_hint", "客户编码或 ID", "Customer code or id"),
    ("ord.product_code", "产品编码", "Product code"),
    ("ord.discount_pct", "折扣 %", "Discount %"),
    (
        "ord.err.product",
        "产品编码不存在或已停售",
        "Unknown or inactive product code",
    ),
    (
        "ord.err.no_lines",
        "请至少填写一行",
        "Enter at least one line",
    ),
    (
        "ord.err.discount",
        "折扣超过您的权限",
        "The discount exceeds your limit",
    ),
];

/// The message key of a status's label.
pub fn status_key(status: &str) -> &'static str {
    match status {
        "draft" => "ord.st.draft",
        "submitted" => "ord.st.submitted",
        "confirmed" => "ord.st.confirmed",
        "partially_shipped" => "ord.st.partially_shipped",
        "shipped" => "ord.st.shipped",
        "completed" => "ord.st.completed",
        _ => "ord.st.cancelled",
    }
}

/// Every status (value, message key), for the filter menu.
pub fn statuses() -> Vec<(&'static str, &'static str)> {
    OrderStatus::ALL
        .iter()
        .map(|s| (s.as_str(), status_key(s.as_str())))
        .collect()
}

/// Minor units as yuan with two decimals and thousands separators: `12,345.60`.
pub fn fmt_money(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let units = (abs / 100).to_string();
    let mut grouped = String::with_capacity(units.len() + units.len() / 3);
    for (i, ch) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped}.{:02}", abs % 100)
}

/// The largest amount a form accepts, minor units (a trillion yuan).
pub const MAX_AMOUNT: i64 = 100_000_000_000_000;

/// Parses a positive-or-zero amount of yuan (`1234.5`, `1,234.50`, `¥12`) into minor units;
/// `None` for anything else (negative, more than two decimals, too large).
pub fn parse_money(s: &str) -> Option<i64> {
    let cleaned: String = s
        .trim()
        .trim_start_matches(['¥', '￥'])
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | ' '))
        .collect();
    let (units, cents) = match cleaned.split_once('.') {
        Some((u, c)) => (u, c),
        None => (cleaned.as_str(), ""),
    };
    if units.is_empty() && cents.is_empty() {
        return None;
    }
    if !units.chars().all(|c| c.is_ascii_digit())
        || !cents.chars().all(|c| c.is_ascii_digit())
        || cents.len() > 2
        || units.len() > 15
    {
        return None;
    }
    let units: i64 = if units.is_empty() {
        0
    } else {
        units.parse().ok()?
    };
    let cents: i64 = match cents.len() {
        0 => 0,
        1 => cents.parse::<i64>().ok()? * 10,
        _ => cents.parse().ok()?,
    };
    let v = units.checked_mul(100)?.checked_add(cents)?;
    (v <= MAX_AMOUNT).then_some(v)
}

/// Parses a `YYYY-MM-DD` date, normalised (forms of orders, payments and contracts).
pub fn valid_date(s: &str) -> Option<String> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .map(|d| d.format("%Y-%m-%d").to_string())
}

/// A quantity with at most three decimals, trailing zeros dropped: `3`, `2.5`, `1.125`.
pub fn fmt_qty(q: f64) -> String {
    let s = format!("{q:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// Basis points as a percentage: `12.5 %`, `0 %`.
pub fn fmt_bp(bp: i64) -> String {
    let whole = bp / 100;
    let frac = bp % 100;
    if frac == 0 {
        format!("{whole} %")
    } else {
        format!("{whole}.{} %", format!("{frac:02}").trim_end_matches('0'))
    }
}

/// The order document, typed.
pub async fn load_order(state: &AppState, id: DocId) -> Result<Order, WebError> {
    let value = write::load_record(&state.db, id).await?;
    serde_json::from_value(value).map_err(|e| WebError::Internal(e.to_string()))
}

/// A user's display name (the id if unknown, empty for none).
pub async fn user_name(state: &AppState, id: Option<UserId>) -> Result<String, WebError> {
    Ok(match id {
        Some(id) => users::get(&state.db, id)
            .await?
            .map_or_else(|| id.to_string(), |u| u.display_name),
        None => String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_formats_and_parses() {
        assert_eq!(fmt_money(0), "0.00");
        assert_eq!(fmt_money(5), "0.05");
        assert_eq!(fmt_money(123_456_789), "1,234,567.89");
        assert_eq!(fmt_money(-100_000), "-1,000.00");
        assert_eq!(parse_money("1,234.5"), Some(123_450));
        assert_eq!(parse_money("¥12"), Some(1_200));
        assert_eq!(parse_money(".5"), Some(50));
        assert_eq!(parse_money("0"), Some(0));
        for bad in ["", "-1", "1.234", "abc", "1e5", ".", "1.2.3"] {
            assert_eq!(parse_money(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn quantities_and_discounts_format() {
        assert_eq!(fmt_qty(3.0), "3");
        assert_eq!(fmt_qty(2.5), "2.5");
        assert_eq!(fmt_qty(1.125), "1.125");
        assert_eq!(fmt_qty(0.0), "0");
        assert_eq!(fmt_bp(1_250), "12.5 %");
        assert_eq!(fmt_bp(0), "0 %");
        assert_eq!(fmt_bp(505), "5.05 %");
    }
}
