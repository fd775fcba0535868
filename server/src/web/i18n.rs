//! The back office's message catalogue, zh-CN and English, and the language cookie.
//! Templates call `tr.t("key")`; a unit test checks every key used in a template exists and
//! every message exists in both languages.

use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::WebError;
use super::session::{WebUser, cookie};

/// The language cookie.
pub const LANG_COOKIE: &str = "fieldcrm_lang";

/// A page language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    /// 简体中文 (the default).
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// `zh-CN` or `en`.
    pub const fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Parses `zh-CN` / `en`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim() {
            "zh-CN" | "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language remembered in the cookie (default zh-CN).
    pub fn from_headers(headers: &HeaderMap) -> Lang {
        cookie(headers, LANG_COOKIE)
            .and_then(Lang::parse)
            .unwrap_or_default()
    }
}

/// The `Set-Cookie` value remembering `lang` for a year.
pub fn lang_cookie(lang: Lang) -> String {
    format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        lang.code()
    )
}

/// Messages of one language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tr(pub Lang);

impl Tr {
    /// The message for `key` (the key itself if unknown; a test keeps that from happening).
    pub fn t(&self, key: &str) -> &'static str {
        messages()
            .find(|(k, _, _)| *k == key)
            .map_or("?", |(_, zh, en)| match self.0 {
                Lang::Zh => zh,
                Lang::En => en,
            })
    }

    /// The label of a customer field path (for history), or the path itself.
    pub fn field(&self, path: &str) -> String {
        let key = format!("field.{path}");
        if messages().any(|(k, _, _)| *k == key) {
            self.t(&key).to_owned()
        } else {
            path.to_owned()
        }
    }

    /// The page language code.
    pub fn code(&self) -> &'static str {
        self.0.code()
    }
}

/// The language switch form.
#[derive(Debug, Deserialize)]
pub struct SwitchForm {
    lang: String,
    #[serde(default)]
    back: String,
}

/// `POST /lang`: remembers the language in a cookie and goes back.
pub async fn switch(
    _user: WebUser,
    axum::Form(form): axum::Form<SwitchForm>,
) -> Result<Response, WebError> {
    let lang = Lang::parse(&form.lang).ok_or_else(|| WebError::BadRequest("language".into()))?;
    // Only local paths: never redirect off-site.
    let back = if form.back.starts_with('/') && !form.back.starts_with("//") {
        form.back
    } else {
        "/".to_owned()
    };
    let mut response = (StatusCode::SEE_OTHER, [(LOCATION, back)]).into_response();
    if let Ok(v) = lang_cookie(lang).parse() {
        response.headers_mut().append(SET_COOKIE, v);
    }
    Ok(response)
}

/// Every catalogue: the shell's and common messages ([`MESSAGES`]) and one per module that has
/// its own (a module adds its `MESSAGES` here). Keys are unique across all of them (tested).
pub const CATALOGUES: &[&[(&str, &str, &str)]] = &[
    MESSAGES,
    super::admin::MESSAGES,
    super::admin::users::MESSAGES,
    super::admin::org::MESSAGES,
    super::admin::roles::MESSAGES,
    super::admin::audit::MESSAGES,
    super::schema::MESSAGES,
    super::visits::MESSAGES,
    super::catalog::MESSAGES,
    super::import::MESSAGES,
    super::customer_list::MESSAGES,
    super::custom_list::MESSAGES,
    super::orders::MESSAGES,
    super::payments::MESSAGES,
    super::contracts::MESSAGES,
    super::service::MESSAGES,
];

/// Every message of every catalogue.
pub fn messages() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    CATALOGUES.iter().flat_map(|c| c.iter())
}

/// (key, zh-CN, English): the shell's and the first modules' messages.
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("app.title", "FieldCRM 后台", "FieldCRM back office"),
    ("nav.dashboard", "概览", "Dashboard"),
    ("nav.customers", "客户", "Customers"),
    ("nav.visits", "拜访", "Visits"),
    ("nav.logins", "登录日志", "Login log"),
    ("nav.logout", "退出", "Sign out"),
    ("nav.language", "语言", "Language"),
    ("role.admin", "管理员", "Administrator"),
    ("role.manager", "经理", "Manager"),
    ("role.office", "内勤", "Office"),
    ("role.rep", "销售", "Sales rep"),
    ("role.engineer", "工程师", "Engineer"),
    ("role.partner", "合作伙伴", "Partner"),
    ("login.title", "登录", "Sign in"),
    ("login.username", "用户名", "Username"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Sign in"),
    (
        "login.invalid",
        "用户名或密码错误",
        "Invalid username or password",
    ),
    (
        "login.throttled",
        "登录失败次数过多，请稍后再试",
        "Too many failed sign-ins; try again later",
    ),
    ("login.disabled", "该账号已停用", "This account is disabled"),
    (
        "login.phone_only",
        "该账号使用手机应用，请在手机上登录",
        "This account uses the phone app; please sign in there",
    ),
    ("dash.title", "概览", "Dashboard"),
    ("dash.customers", "客户总数", "Customers"),
    ("dash.visits_week", "本周拜访", "Visits this week"),
    (
        "dash.by_territory_tier",
        "各区域客户等级分布",
        "Customers by territory and tier",
    ),
    ("dash.territory", "区域", "Territory"),
    ("dash.total", "合计", "Total"),
    (
        "dash.top_reps",
        "拜访排行（近30天）",
        "Top reps by visits (last 30 days)",
    ),
    ("dash.rep", "销售", "Rep"),
    ("dash.visits", "拜访次数", "Visits"),
    ("dash.none", "暂无数据", "No data yet"),
    ("cust.title", "客户", "Customers"),
    ("cust.search", "搜索", "Search"),
    (
        "cust.search_placeholder",
        "名称、编码、电话、联系人",
        "Name, code, phone, contact",
    ),
    ("cust.territory", "区域", "Territory"),
    ("cust.tier", "等级", "Tier"),
    ("cust.all", "全部", "All"),
    ("cust.sort", "排序", "Sort"),
    ("cust.sort_name", "按名称", "By name"),
    ("cust.sort_updated", "最近更新", "Recently updated"),
    ("cust.apply", "筛选", "Filter"),
    ("cust.code", "编码", "Code"),
    ("cust.name", "名称", "Name"),
    ("cust.city", "城市", "City"),
    ("cust.phone", "电话", "Phone"),
    ("cust.updated", "更新时间", "Updated"),
    ("cust.total", "共计", "Total"),
    ("cust.prev", "上一页", "Previous"),
    ("cust.next", "下一页", "Next"),
    ("cust.page", "页", "Page"),
    ("cust.new", "新建客户", "New customer"),
    ("cust.none", "没有符合条件的客户", "No customers match"),
    ("card.details", "详情", "Details"),
    ("card.contacts", "联系人", "Contacts"),
    ("card.visits", "拜访记录", "Visits"),
    ("card.history", "变更历史", "History"),
    ("card.edit", "编辑", "Edit"),
    ("kind.company", "企业", "Company"),
    ("kind.person", "个人", "Person"),
    ("field.code", "编码", "Code"),
    ("field.name", "名称", "Name"),
    ("field.kind", "类型", "Type"),
    ("field.tier", "等级", "Tier"),
    ("field.industry", "行业", "Industry"),
    ("field.source", "来源", "Source"),
    ("field.phones", "电话", "Phones"),
    ("field.email", "邮箱", "E-mail"),
    ("field.address.province", "省", "Province"),
    ("field.address.city", "市", "City"),
    ("field.address.district", "区", "District"),
    ("field.address.street", "街道地址", "Street"),
    ("field.address.zip", "邮编", "Postal code"),
    ("field.tags", "标签", "Tags"),
    ("field.notes", "备注", "Notes"),
    ("field.territory", "区域", "Territory"),
    ("field.owner", "负责人", "Owner"),
    ("field.contacts", "联系人", "Contacts"),
    ("field.status", "状态", "Status"),
    ("field.number", "编号", "Number"),
    ("field.customer", "客户", "Customer"),
    ("field.rep", "销售", "Rep"),
    ("field.currency", "币种", "Currency"),
    ("field.cancel_reason", "取消原因", "Cancellation reason"),
    ("field.subtotal", "小计", "Subtotal"),
    ("field.discount_total", "折扣合计", "Discount total"),
    ("field.total", "合计", "Total"),
    ("field.lines", "明细", "Lines"),
    ("contact.name", "姓名", "Name"),
    ("contact.title", "职务", "Title"),
    ("contact.phones", "电话", "Phones"),
    ("contact.email", "邮箱", "E-mail"),
    ("contact.primary", "主要联系人", "Primary"),
    ("contact.none", "暂无联系人", "No contacts"),
    ("visits.title", "拜访", "Visits"),
    ("visit.check_in", "签到", "Check-in"),
    ("visit.check_out", "签退", "Check-out"),
    ("visit.purpose", "目的", "Purpose"),
    ("visit.outcome", "结果", "Outcome"),
    ("visit.rep", "销售", "Rep"),
    ("visit.customer", "客户", "Customer"),
    ("visit.none", "暂无拜访记录", "No visits"),
    ("visit.from", "开始日期", "From"),
    ("visit.to", "结束日期", "To"),
    ("hist.when", "时间", "When"),
    ("hist.who", "操作人", "Who"),
    ("hist.via", "来源", "Via"),
    ("hist.changes", "变更内容", "Changes"),
    ("hist.server", "系统", "System"),
    ("hist.back_office", "后台", "Back office"),
    ("hist.device", "设备", "Device"),
    ("hist.created", "创建", "Created"),
    ("hist.none", "暂无变更", "No changes"),
    ("form.new_title", "新建客户", "New customer"),
    ("form.edit_title", "编辑客户", "Edit customer"),
    ("form.save", "保存", "Save"),
    ("form.cancel", "取消", "Cancel"),
    (
        "form.errors",
        "请更正以下错误：",
        "Please correct the following:",
    ),
    (
        "form.list_hint",
        "多个值用逗号分隔",
        "Separate several values with commas",
    ),
    (
        "form.territory_required",
        "请选择区域",
        "Choose a territory",
    ),
    ("admin.logins_title", "登录日志", "Login log"),
    ("admin.user", "用户", "User"),
    ("admin.action", "操作", "Action"),
    ("admin.verdict", "结果", "Outcome"),
    ("admin.when", "时间", "When"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn catalogue_is_complete_and_unique() {
        let mut keys = BTreeSet::new();
        for (k, zh, en) in messages() {
            assert!(keys.insert(*k), "duplicate key {k}");
            assert!(!zh.trim().is_empty() && !en.trim().is_empty(), "{k}");
        }
    }

    #[test]
    fn every_key_used_in_templates_and_code_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        fn read_tree(dir: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    read_tree(&path, out);
                } else {
                    out.push(std::fs::read_to_string(path).unwrap());
                }
            }
        }
        let mut sources = Vec::new();
        for dir in ["templates", "src/web"] {
            read_tree(&root.join(dir), &mut sources);
        }
        let mut used = 0;
        for text in sources {
            for (i, _) in text.match_indices("t(\"") {
                let rest = &text[i + 3..];
                let key = &rest[..rest.find('"').unwrap()];
                if key.contains('.') {
                    used += 1;
                    assert!(
                        messages().any(|(k, _, _)| *k == key),
                        "missing message {key}"
                    );
                }
            }
        }
        assert!(used > 50, "only {used} keys found");
    }

    #[test]
    fn languages_parse_and_translate() {
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Tr(Lang::En).t("nav.customers"), "Customers");
        assert_eq!(Tr(Lang::Zh).t("nav.customers"), "客户");
        assert_eq!(Tr(Lang::En).field("address.city"), "City");
        assert_eq!(Tr(Lang::En).field("custom.x"), "custom.x");
    }
}
