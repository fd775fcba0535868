//! Service in the back office: tickets ([`tickets`]: list, new ticket, the ticket card with its
//! dispatches, close, cancel), the office's steps on dispatches ([`dispatches`]: dispatch,
//! reassign, reschedule, cancel, survey), the dispatch board ([`board`]) and the service
//! statistics ([`stats`], with an .xlsx export). The operations themselves are
//! [`crate::dispatching`]; the SQL is [`crate::db::tickets`].
//!
//! Seeing needs `Permission::ServiceView`, acting `Permission::ServiceDispatch`. A ticket belongs
//! to its customer's territory and owner: outside the user's data scope it is "not found", and so
//! are its dispatches. A refused step (a workflow rule) answers 409 with a page saying why.

pub mod board;
pub mod dispatches;
pub mod stats;
pub mod tickets;

use askama::Template;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use chrono::{Local, NaiveDate, NaiveTime, TimeZone};

use super::i18n::Tr;
use super::session::WebUser;
use super::{Shell, WebError, fmt_ms, render};
use crate::db::tickets::{self as db_tickets, Priority, TicketStatus, TicketType};
use crate::dispatching::ServiceError;
use crate::startup::AppState;

/// The service routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/service/tickets", get(tickets::list).post(tickets::create))
        .route("/service/tickets/new", get(tickets::new_form))
        .route("/service/tickets/{id}", get(tickets::card))
        .route("/service/tickets/{id}/close", post(tickets::close))
        .route("/service/tickets/{id}/cancel", post(tickets::cancel))
        .route("/service/tickets/{id}/dispatch", post(dispatches::create))
        .route(
            "/service/dispatches/{id}/reassign",
            post(dispatches::reassign),
        )
        .route(
            "/service/dispatches/{id}/reschedule",
            post(dispatches::reschedule),
        )
        .route("/service/dispatches/{id}/cancel", post(dispatches::cancel))
        .route("/service/dispatches/{id}/survey", post(dispatches::survey))
        .route("/service/board", get(board::page))
        .route("/service/board/assign", post(board::assign))
        .route("/service/stats", get(stats::page))
        .route("/service/stats/export", get(stats::export))
}

/// An option of a select.
#[derive(Clone, Debug)]
pub struct Opt {
    /// The value.
    pub value: String,
    /// The label.
    pub label: String,
    /// Whether it is selected.
    pub selected: bool,
}

/// The options of an enum select (`label_key` maps a value to its message key), `current`
/// selected.
pub fn enum_opts<T: Copy>(
    tr: Tr,
    all: &[T],
    as_str: impl Fn(T) -> &'static str,
    label_key: impl Fn(T) -> &'static str,
    current: &str,
) -> Vec<Opt> {
    all.iter()
        .map(|v| Opt {
            value: as_str(*v).to_owned(),
            label: tr.t(label_key(*v)).to_owned(),
            selected: as_str(*v) == current,
        })
        .collect()
}

/// The message key of a ticket type.
pub fn type_key(t: TicketType) -> &'static str {
    match t {
        TicketType::Repair => "svc.type.repair",
        TicketType::Installation => "svc.type.installation",
        TicketType::Maintenance => "svc.type.maintenance",
        TicketType::Complaint => "svc.type.complaint",
    }
}

/// The message key of a priority.
pub fn priority_key(p: Priority) -> &'static str {
    match p {
        Priority::Low => "svc.prio.low",
        Priority::Normal => "svc.prio.normal",
        Priority::High => "svc.prio.high",
        Priority::Urgent => "svc.prio.urgent",
    }
}

/// The message key of a ticket status.
pub fn status_key(s: TicketStatus) -> &'static str {
    match s {
        TicketStatus::Open => "svc.status.open",
        TicketStatus::Dispatched => "svc.status.dispatched",
        TicketStatus::Completed => "svc.status.completed",
        TicketStatus::Closed => "svc.status.closed",
        TicketStatus::Cancelled => "svc.status.cancelled",
    }
}

/// The label of a stored dispatch status (`assigned`, …), or the text itself if unknown.
pub fn dispatch_status_label(tr: Tr, s: &str) -> String {
    let key = match s {
        "assigned" => "svc.ds.assigned",
        "accepted" => "svc.ds.accepted",
        "en_route" => "svc.ds.en_route",
        "on_site" => "svc.ds.on_site",
        "completed" => "svc.ds.completed",
        "unable" => "svc.ds.unable",
        "cancelled" => "svc.ds.cancelled",
        other => return other.to_owned(),
    };
    tr.t(key).to_owned()
}

/// The label of a stored ticket type or priority copy (`repair`, `urgent`), else the text.
pub fn copy_label(tr: Tr, s: &str) -> String {
    if let Some(t) = TicketType::parse(s) {
        return tr.t(type_key(t)).to_owned();
    }
    if let Some(p) = Priority::parse(s) {
        return tr.t(priority_key(p)).to_owned();
    }
    s.to_owned()
}

/// The SLA deadline as a badge: breached (red), due within two hours (amber), or fine.
#[derive(Clone, Debug)]
pub struct SlaBadge {
    /// `off` (breached), `warn` (due soon), `on` (fine) or `` (no deadline / done in time).
    pub class: &'static str,
    /// The deadline, formatted.
    pub due: String,
    /// Whether it is breached.
    pub breached: bool,
}

/// Two hours: "due soon".
const DUE_SOON_MS: i64 = 2 * 3_600_000;

/// The badge of a ticket's (or dispatch's) SLA at `now`.
pub fn sla_badge(
    office_status: TicketStatus,
    sla_due_at: Option<i64>,
    completed_at: Option<i64>,
    now: i64,
) -> SlaBadge {
    let Some(due) = sla_due_at else {
        return SlaBadge {
            class: "",
            due: String::new(),
            breached: false,
        };
    };
    let breached = db_tickets::sla_breached(office_status, due, completed_at, now);
    let class = if breached {
        "off"
    } else if completed_at.is_none()
        && office_status == TicketStatus::Open
        && due - now <= DUE_SOON_MS
    {
        "warn"
    } else if completed_at.is_none() && office_status == TicketStatus::Open {
        "on"
    } else {
        ""
    };
    SlaBadge {
        class,
        due: fmt_ms(Some(due)),
        breached,
    }
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// Local `date` at `time` (`HH:MM`), unix ms.
pub fn local_ms(date: NaiveDate, time: NaiveTime) -> Option<i64> {
    Local
        .from_local_datetime(&date.and_time(time))
        .earliest()
        .map(|t| t.timestamp_millis())
}

/// Local midnight of `date`, unix ms.
pub fn day_start(date: NaiveDate) -> Option<i64> {
    local_ms(date, NaiveTime::MIN)
}

/// A form's `date` and `time` fields as unix ms (400 if they do not parse).
pub fn form_time(date: &str, time: &str) -> Result<i64, WebError> {
    let d = parse_date(date).ok_or_else(|| WebError::BadRequest("date".into()))?;
    let t = NaiveTime::parse_from_str(time.trim(), "%H:%M")
        .map_err(|_| WebError::BadRequest("time".into()))?;
    local_ms(d, t).ok_or_else(|| WebError::BadRequest("time".into()))
}

/// Today's local date.
pub fn today() -> NaiveDate {
    Local::now().date_naive()
}

/// The local date and `HH:MM` of unix ms.
pub fn date_time_of(ms: i64) -> (String, String) {
    Local
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| {
            (
                t.format("%Y-%m-%d").to_string(),
                t.format("%H:%M").to_string(),
            )
        })
        .unwrap_or_default()
}

/// `back` if it is a local path, else `fallback`.
pub fn local_path(back: &str, fallback: String) -> String {
    if back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') {
        back.to_owned()
    } else {
        fallback
    }
}

/// 303 to `to`.
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

#[derive(Template)]
#[template(path = "service/refused.html")]
struct RefusedPage {
    shell: Shell,
    tr: Tr,
    message: String,
    detail: String,
    back: String,
}

/// A refused or invalid step as a page (409 / 400) saying why, with a way back; other errors
/// as [`WebError`]s.
pub fn failed(user: &WebUser, e: ServiceError, back: String) -> Result<Response, WebError> {
    let tr = Tr(user.lang);
    let (status, message, detail) = match e {
        ServiceError::Refused(key) => (StatusCode::CONFLICT, tr.t(key).to_owned(), String::new()),
        ServiceError::Invalid(m) => (
            StatusCode::BAD_REQUEST,
            tr.t("svc.err.invalid").to_owned(),
            m,
        ),
        ServiceError::NotFound => return Err(WebError::NotFound),
        ServiceError::Db(e) => return Err(e.into()),
        ServiceError::Write(e) => return Err(e.into()),
    };
    let mut response = render(&RefusedPage {
        shell: Shell::new(user, "service"),
        tr,
        message,
        detail,
        back,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// (key, zh-CN, English): the service pages' messages.
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("nav.service", "服务", "Service"),
    ("svc.board", "派工看板", "Dispatch board"),
    ("svc.tickets", "服务工单", "Service tickets"),
    ("svc.stats", "服务统计", "Service statistics"),
    ("svc.new_ticket", "新建工单", "New ticket"),
    ("svc.number", "工单号", "Ticket"),
    ("svc.customer", "客户", "Customer"),
    (
        "svc.customer_tickets",
        "该客户的全部工单",
        "All tickets of this customer",
    ),
    ("svc.contact", "联系人", "Contact"),
    ("svc.contact_name", "联系人姓名", "Contact name"),
    ("svc.contact_phone", "联系电话", "Contact phone"),
    (
        "svc.contact_other",
        "其他（在下面填写）",
        "Other (enter below)",
    ),
    ("svc.type", "类型", "Type"),
    ("svc.priority", "优先级", "Priority"),
    ("svc.status", "状态", "Status"),
    ("svc.description", "问题描述", "Description"),
    ("svc.product", "产品", "Product"),
    (
        "svc.product_hint",
        "产品编码（可选）",
        "Product code (optional)",
    ),
    ("svc.serial", "序列号", "Serial number"),
    ("svc.sla_due", "SLA 截止", "SLA due"),
    (
        "svc.sla_hint",
        "留空则按优先级：紧急 4 小时，高 8 小时，普通 24 小时，低 72 小时",
        "Empty: by priority — urgent 4 h, high 8 h, normal 24 h, low 72 h",
    ),
    ("svc.sla_breached", "SLA 超时", "SLA breached"),
    ("svc.sla_only_breached", "仅 SLA 超时", "SLA breached only"),
    ("svc.created", "创建时间", "Created"),
    ("svc.created_by", "创建人", "Created by"),
    ("svc.completed_at", "完成时间", "Completed"),
    ("svc.closed_at", "关闭时间", "Closed"),
    ("svc.closed_by", "关闭人", "Closed by"),
    ("svc.resolution", "处理结果", "Resolution"),
    ("svc.engineer", "工程师", "Engineer"),
    ("svc.scheduled", "预约时间", "Scheduled"),
    ("svc.date", "日期", "Date"),
    ("svc.time", "时间", "Time"),
    ("svc.search", "搜索", "Search"),
    (
        "svc.search_placeholder",
        "工单号、客户、联系人",
        "Number, customer, contact",
    ),
    ("svc.find_customer", "查找客户", "Find the customer"),
    (
        "svc.customer_placeholder",
        "客户名称、编码、电话",
        "Customer name, code, phone",
    ),
    ("svc.choose", "选择", "Choose"),
    ("svc.change_customer", "更换客户", "Change the customer"),
    ("svc.no_customers", "没有找到客户", "No customer found"),
    ("svc.create", "创建工单", "Create the ticket"),
    ("svc.none", "没有符合条件的工单", "No tickets match"),
    ("svc.all", "全部", "All"),
    ("svc.from", "开始日期", "From"),
    ("svc.to", "结束日期", "To"),
    ("svc.apply", "筛选", "Filter"),
    ("svc.open", "查看", "Open"),
    ("svc.details", "工单信息", "Ticket"),
    ("svc.dispatches", "派工记录", "Dispatches"),
    ("svc.no_dispatches", "尚未派工", "Not dispatched yet"),
    ("svc.dispatch", "派工", "Dispatch"),
    ("svc.dispatch_to", "派给工程师", "Dispatch to an engineer"),
    ("svc.assign", "派工", "Assign"),
    ("svc.reassign", "改派", "Reassign"),
    ("svc.reschedule", "改期", "Reschedule"),
    ("svc.move", "调整", "Move"),
    ("svc.cancel_dispatch", "取消派工", "Cancel the dispatch"),
    ("svc.close", "关闭工单", "Close the ticket"),
    (
        "svc.close_hint",
        "派工完成后可直接关闭；未完成时须填写处理结果",
        "Closable once a dispatch completed; otherwise write the resolution",
    ),
    ("svc.cancel", "取消工单", "Cancel the ticket"),
    ("svc.cancel_reason", "取消原因", "Reason"),
    ("svc.check_in", "到达签到", "Check-in"),
    ("svc.position", "位置", "Position"),
    ("svc.site", "服务地址", "Site"),
    ("svc.work_log", "工作记录", "Work log"),
    ("svc.parts", "使用配件", "Parts used"),
    ("svc.quantity", "数量", "Quantity"),
    ("svc.serials", "序列号", "Serials"),
    ("svc.photos", "照片", "Photos"),
    ("svc.photo", "服务照片", "Service photo"),
    (
        "svc.photo_pending",
        "等待手机上传",
        "Waiting for the phone to upload it",
    ),
    ("svc.signature", "客户签名", "Customer's signature"),
    ("svc.no_signature", "尚未签名", "Not signed yet"),
    (
        "svc.unable_reason",
        "无法完成原因",
        "Why it could not be completed",
    ),
    ("svc.survey", "满意度回访", "Satisfaction survey"),
    ("svc.score", "评分 (1–5)", "Score (1–5)"),
    ("svc.comment", "客户意见", "Comment"),
    ("svc.save_survey", "保存回访", "Save the survey"),
    ("svc.history", "状态记录", "Status history"),
    ("svc.nothing", "无", "None"),
    ("svc.unassigned", "待派工", "Unassigned"),
    ("svc.no_unassigned", "没有待派工单", "No unassigned tickets"),
    ("svc.no_engineers", "没有可用的工程师", "No engineers"),
    ("svc.no_jobs", "当天无派工", "Nothing this day"),
    ("svc.prev_day", "前一天", "Previous day"),
    ("svc.next_day", "后一天", "Next day"),
    ("svc.today", "今天", "Today"),
    ("svc.go", "查看", "Go"),
    (
        "svc.drag_hint",
        "可拖动卡片到工程师一栏派工或改派",
        "Drag a card onto an engineer's column to assign or reassign it",
    ),
    ("svc.back", "返回", "Back"),
    ("svc.refused", "无法执行该操作", "This step is not possible"),
    ("svc.total", "合计", "Total"),
    ("svc.tickets_count", "工单数", "Tickets"),
    ("svc.by_type_status", "按类型和状态", "By type and status"),
    ("svc.completed_count", "已完成工单", "Tickets completed"),
    (
        "svc.mean_complete",
        "平均完成用时（小时，创建至完工）",
        "Mean time to complete (hours, created → completed)",
    ),
    ("svc.breaches", "SLA 超时", "SLA breaches"),
    ("svc.breached_late", "超时完成", "Completed late"),
    (
        "svc.breached_open",
        "未完成且已超时",
        "Open past the deadline",
    ),
    (
        "svc.satisfaction",
        "工程师满意度",
        "Satisfaction by engineer",
    ),
    ("svc.mean_score", "平均分", "Mean score"),
    ("svc.surveys", "回访数", "Surveys"),
    ("svc.export", "导出 Excel", "Export .xlsx"),
    (
        "svc.range_hint",
        "统计范围内创建的工单",
        "Tickets created in the range",
    ),
    ("svc.type.repair", "维修", "Repair"),
    ("svc.type.installation", "安装", "Installation"),
    ("svc.type.maintenance", "保养", "Maintenance"),
    ("svc.type.complaint", "投诉", "Complaint"),
    ("svc.prio.low", "低", "Low"),
    ("svc.prio.normal", "普通", "Normal"),
    ("svc.prio.high", "高", "High"),
    ("svc.prio.urgent", "紧急", "Urgent"),
    ("svc.status.open", "待派工", "Open"),
    ("svc.status.dispatched", "已派工", "Dispatched"),
    ("svc.status.completed", "已完工", "Completed"),
    ("svc.status.closed", "已关闭", "Closed"),
    ("svc.status.cancelled", "已取消", "Cancelled"),
    ("svc.ds.assigned", "已派工", "Assigned"),
    ("svc.ds.accepted", "已接单", "Accepted"),
    ("svc.ds.en_route", "在途", "En route"),
    ("svc.ds.on_site", "已到场", "On site"),
    ("svc.ds.completed", "已完工", "Completed"),
    ("svc.ds.unable", "无法完成", "Unable to complete"),
    ("svc.ds.cancelled", "已取消", "Cancelled"),
    ("svc.err.invalid", "输入的内容无效", "A value is invalid"),
    (
        "svc.err.ticket_final",
        "工单已关闭或已取消",
        "The ticket is closed or cancelled",
    ),
    (
        "svc.err.already_dispatched",
        "该工单已有进行中的派工，请改派或取消后再派",
        "The ticket already has a live dispatch: reassign or cancel it first",
    ),
    (
        "svc.err.not_engineer",
        "请选择一位在职的工程师",
        "Choose an engineer who is not disabled",
    ),
    (
        "svc.err.cannot_reassign",
        "工程师已到场或派工已结束，不能改派",
        "The engineer is on site or the dispatch is over: it cannot be reassigned",
    ),
    (
        "svc.err.dispatch_final",
        "派工已结束，不能改期",
        "The dispatch is over and cannot be rescheduled",
    ),
    (
        "svc.err.illegal_step",
        "当前状态下不允许该操作",
        "This step is not allowed in the dispatch's current status",
    ),
    (
        "svc.err.survey_needs_completion",
        "派工完成后才能回访",
        "A survey follows completion",
    ),
    (
        "svc.err.live_dispatch",
        "有进行中的派工，请先取消或等待完成",
        "A dispatch is still live: cancel it or wait for it to complete",
    ),
    (
        "svc.err.close_needs",
        "尚无完成的派工，请填写处理结果后再关闭",
        "No dispatch completed: write the resolution to close it",
    ),
    (
        "svc.err.already_completed",
        "派工已完成，请关闭工单而不是取消",
        "A dispatch completed: close the ticket instead",
    ),
    ("svc.err.not_dispatch", "不是派工单", "Not a dispatch"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_a_message() {
        for key in crate::dispatching::REFUSALS {
            assert!(super::MESSAGES.iter().any(|(k, _, _)| k == key), "{key}");
        }
    }

    #[test]
    fn sla_badges() {
        let hour = 3_600_000;
        let b = sla_badge(TicketStatus::Open, Some(10 * hour), None, 11 * hour);
        assert_eq!((b.class, b.breached), ("off", true));
        let b = sla_badge(TicketStatus::Open, Some(10 * hour), None, 9 * hour);
        assert_eq!(b.class, "warn");
        let b = sla_badge(TicketStatus::Open, Some(10 * hour), None, 5 * hour);
        assert_eq!(b.class, "on");
        let b = sla_badge(
            TicketStatus::Open,
            Some(10 * hour),
            Some(9 * hour),
            20 * hour,
        );
        assert_eq!((b.class, b.breached), ("", false));
        assert_eq!(sla_badge(TicketStatus::Open, None, None, 0).due, "");
    }

    #[test]
    fn local_paths_only() {
        assert_eq!(
            local_path("/service/board?date=2026-01-02", "/x".into()),
            "/service/board?date=2026-01-02"
        );
        for bad in ["//evil.example", "https://evil.example", "", "/\\evil"] {
            assert_eq!(local_path(bad, "/x".into()), "/x", "{bad}");
        }
    }

    #[test]
    fn form_times_parse() {
        let a = form_time("2026-03-02", "09:30").unwrap();
        let b = form_time("2026-03-02", "10:00").unwrap();
        assert_eq!(b - a, 30 * 60_000);
        assert!(form_time("2026-13-02", "09:30").is_err());
        assert!(form_time("2026-03-02", "25:00").is_err());
        assert_eq!(
            date_time_of(a),
            ("2026-03-02".to_owned(), "09:30".to_owned())
        );
    }
}
