//! Column suggestions: which [`Target`] a header names, from the header names Chinese and
//! English spreadsheets use (客户名称/名称/Name, 电话/手机/Phone, …), compared after
//! [`normalize_header`].

use super::mapping::Target;
use super::sheet::clean;

/// Header names each target is suggested for, compared after [`normalize_header`].
const ALIASES: &[(Target, &[&str])] = &[
    (
        Target::Code,
        &[
            "客户编码",
            "编码",
            "客户编号",
            "编号",
            "客户代码",
            "代码",
            "code",
            "customercode",
            "customerno",
            "customernumber",
            "customerid",
            "accountnumber",
        ],
    ),
    (
        Target::Name,
        &[
            "客户名称",
            "名称",
            "客户名",
            "客户",
            "公司名称",
            "公司",
            "企业名称",
            "单位名称",
            "客户姓名",
            "name",
            "customername",
            "customer",
            "company",
            "companyname",
            "accountname",
        ],
    ),
    (
        Target::Kind,
        &[
            "类型",
            "客户类型",
            "客户性质",
            "kind",
            "type",
            "customertype",
        ],
    ),
    (
        Target::Tier,
        &[
            "等级",
            "客户等级",
            "级别",
            "客户级别",
            "tier",
            "level",
            "grade",
            "rating",
        ],
    ),
    (
        Target::Industry,
        &["行业", "所属行业", "industry", "sector"],
    ),
    (
        Target::Source,
        &["来源", "客户来源", "source", "leadsource", "channel"],
    ),
    (
        Target::Phones,
        &[
            "电话",
            "手机",
            "手机号",
            "手机号码",
            "联系电话",
            "座机",
            "固话",
            "电话号码",
            "客户电话",
            "phone",
            "phones",
            "mobile",
            "tel",
            "telephone",
            "phonenumber",
            "cell",
            "mobilephone",
        ],
    ),
    (
        Target::Email,
        &[
            "邮箱",
            "电子邮箱",
            "电子邮件",
            "邮件",
            "email",
            "mail",
            "emailaddress",
        ],
    ),
    (
        Target::Province,
        &["省", "省份", "所在省份", "province", "state"],
    ),
    (Target::City, &["市", "城市", "所在城市", "city", "town"]),
    (
        Target::District,
        &["区", "区县", "县区", "所在区县", "district", "county"],
    ),
    (
        Target::Street,
        &[
            "地址",
            "详细地址",
            "街道",
            "街道地址",
            "通讯地址",
            "address",
            "street",
            "streetaddress",
        ],
    ),
    (
        Target::Zip,
        &[
            "邮编",
            "邮政编码",
            "zip",
            "zipcode",
            "postalcode",
            "postcode",
        ],
    ),
    (Target::Tags, &["标签", "客户标签", "tags", "tag", "labels"]),
    (
        Target::Notes,
        &[
            "备注",
            "说明",
            "描述",
            "notes",
            "note",
            "remarks",
            "comment",
            "comments",
            "description",
        ],
    ),
    (
        Target::Territory,
        &[
            "区域",
            "销售区域",
            "片区",
            "所属区域",
            "territory",
            "region",
            "salesterritory",
            "area",
        ],
    ),
    (
        Target::Owner,
        &[
            "负责人",
            "业务员",
            "客户经理",
            "销售",
            "所属销售",
            "负责人账号",
            "owner",
            "salesrep",
            "rep",
            "accountmanager",
            "ownerusername",
            "accountowner",
        ],
    ),
    (
        Target::ContactName,
        &[
            "联系人",
            "联系人姓名",
            "联系人名称",
            "contact",
            "contactname",
            "contactperson",
        ],
    ),
    (
        Target::ContactTitle,
        &[
            "职务",
            "职位",
            "联系人职务",
            "联系人职位",
            "title",
            "jobtitle",
            "position",
            "contacttitle",
        ],
    ),
    (
        Target::ContactPhone,
        &[
            "联系人电话",
            "联系人手机",
            "联系人手机号",
            "contactphone",
            "contactmobile",
            "contacttel",
        ],
    ),
    (
        Target::ContactEmail,
        &["联系人邮箱", "联系人邮件", "contactemail", "contactmail"],
    ),
];

/// A header reduced for comparison: lowercase, without spaces, punctuation, `*` and
/// "(必填)"/"(required)" markers.
pub fn normalize_header(h: &str) -> String {
    let lower = clean(h).to_lowercase();
    let stripped = [
        "（必填）",
        "(必填)",
        "(required)",
        "（选填）",
        "(选填)",
        "(optional)",
    ]
    .iter()
    .fold(lower, |s, m| s.replace(m, ""));
    stripped
        .chars()
        .filter(|c| !c.is_whitespace() && !"*＊:：_-.·/\\()（）[]【】#".contains(*c))
        .collect()
}

/// The target suggested for one header name ([`Target::Ignore`] when none fits).
pub fn suggest(header: &str) -> Target {
    let h = normalize_header(header);
    if h.is_empty() {
        return Target::Ignore;
    }
    ALIASES
        .iter()
        .find(|(_, names)| names.iter().any(|n| normalize_header(n) == h))
        .map_or(Target::Ignore, |(t, _)| *t)
}

/// Suggestions for every column: a target that takes one column goes to the first column
/// suggesting it; later ones are ignored.
pub fn suggest_all(headers: &[String]) -> Vec<Target> {
    let mut used = Vec::new();
    headers
        .iter()
        .map(|h| {
            let t = suggest(h);
            if !t.multi() && used.contains(&t) {
                Target::Ignore
            } else {
                used.push(t);
                t
            }
        })
        .collect()
}
