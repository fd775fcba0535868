//! Column mapping and row planning: which customer (or contact) field each column feeds
//! ([`Target`]), the header-name suggestions in Chinese and English ([`suggest`]), the import's
//! options ([`ImportSettings`]), and turning one row into a checked [`Patch`] with a
//! [`Problem`] per bad cell ([`plan_row`]). Pure: no I/O, the lookups it needs are passed in.

use std::collections::HashMap;

use fieldcrm_core::domain::customer::{Contact, Customer, CustomerKind};
use fieldcrm_core::domain::values::{Email, PhoneNumber};
use fieldcrm_core::{ContactId, TerritoryId, UserId};
use serde::{Deserialize, Serialize};

use super::sheet::clean;
pub use super::suggest::{normalize_header, suggest, suggest_all};
use crate::db::territories::ScopeTerritories;

/// What a column is imported as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Not imported.
    Ignore,
    /// Customer code.
    Code,
    /// Customer name.
    Name,
    /// Company or person.
    Kind,
    /// Tier.
    Tier,
    /// Industry.
    Industry,
    /// Source.
    Source,
    /// Phone numbers (several per cell allowed; several columns allowed).
    Phones,
    /// E-mail.
    Email,
    /// Province.
    Province,
    /// City.
    City,
    /// District.
    District,
    /// Street address.
    Street,
    /// Postal code.
    Zip,
    /// Tags (several per cell).
    Tags,
    /// Notes.
    Notes,
    /// Territory, by name.
    Territory,
    /// Owner, by username.
    Owner,
    /// The row's contact: name.
    ContactName,
    /// The row's contact: job title.
    ContactTitle,
    /// The row's contact: phone.
    ContactPhone,
    /// The row's contact: e-mail.
    ContactEmail,
}

impl Target {
    /// Every target, in the order the mapping form lists them.
    pub const ALL: [Target; 22] = [
        Target::Ignore,
        Target::Code,
        Target::Name,
        Target::Kind,
        Target::Tier,
        Target::Industry,
        Target::Source,
        Target::Phones,
        Target::Email,
        Target::Province,
        Target::City,
        Target::District,
        Target::Street,
        Target::Zip,
        Target::Tags,
        Target::Notes,
        Target::Territory,
        Target::Owner,
        Target::ContactName,
        Target::ContactTitle,
        Target::ContactPhone,
        Target::ContactEmail,
    ];

    /// The form value.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Ignore => "ignore",
            Target::Code => "code",
            Target::Name => "name",
            Target::Kind => "kind",
            Target::Tier => "tier",
            Target::Industry => "industry",
            Target::Source => "source",
            Target::Phones => "phones",
            Target::Email => "email",
            Target::Province => "province",
            Target::City => "city",
            Target::District => "district",
            Target::Street => "street",
            Target::Zip => "zip",
            Target::Tags => "tags",
            Target::Notes => "notes",
            Target::Territory => "territory",
            Target::Owner => "owner",
            Target::ContactName => "contact_name",
            Target::ContactTitle => "contact_title",
            Target::ContactPhone => "contact_phone",
            Target::ContactEmail => "contact_email",
        }
    }

    /// Parses a form value.
    pub fn parse(s: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The message key of its label.
    pub fn label_key(self) -> &'static str {
        match self {
            Target::Ignore => "imp.t.ignore",
            Target::Code => "imp.t.code",
            Target::Name => "imp.t.name",
            Target::Kind => "imp.t.kind",
            Target::Tier => "imp.t.tier",
            Target::Industry => "imp.t.industry",
            Target::Source => "imp.t.source",
            Target::Phones => "imp.t.phones",
            Target::Email => "imp.t.email",
            Target::Province => "imp.t.province",
            Target::City => "imp.t.city",
            Target::District => "imp.t.district",
            Target::Street => "imp.t.street",
            Target::Zip => "imp.t.zip",
            Target::Tags => "imp.t.tags",
            Target::Notes => "imp.t.notes",
            Target::Territory => "imp.t.territory",
            Target::Owner => "imp.t.owner",
            Target::ContactName => "imp.t.contact_name",
            Target::ContactTitle => "imp.t.contact_title",
            Target::ContactPhone => "imp.t.contact_phone",
            Target::ContactEmail => "imp.t.contact_email",
        }
    }

    /// Whether several columns may feed it (their values are combined).
    pub fn multi(self) -> bool {
        matches!(
            self,
            Target::Ignore | Target::Phones | Target::Tags | Target::Notes | Target::ContactPhone
        )
    }
}

/// How rows find existing customers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchBy {
    /// Same customer code.
    Code,
    /// Same phone (any of the row's phones against a customer's main phone, digits only).
    Phone,
    /// Same name.
    Name,
    /// Never: every row creates a customer.
    None,
}

impl MatchBy {
    /// Form value.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchBy::Code => "code",
            MatchBy::Phone => "phone",
            MatchBy::Name => "name",
            MatchBy::None => "none",
        }
    }
    /// Parses a form value.
    pub fn parse(s: &str) -> Option<MatchBy> {
        [MatchBy::Code, MatchBy::Phone, MatchBy::Name, MatchBy::None]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// What a row matching an existing customer does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnMatch {
    /// Fill the customer with the row's non-empty values (lists merged).
    Update,
    /// Leave the customer alone.
    Skip,
}

/// The options of one import, stored with the job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSettings {
    /// One target per column.
    pub columns: Vec<Target>,
    /// Dedupe rule.
    pub match_by: MatchBy,
    /// What a match does.
    pub on_match: OnMatch,
    /// Territory of new customers whose row names none.
    pub default_territory: Option<TerritoryId>,
}

impl ImportSettings {
    /// The suggested settings for a file's headers: match by code when a code column exists,
    /// else by name; skip matches.
    pub fn suggested(headers: &[String]) -> ImportSettings {
        let columns = suggest_all(headers);
        let match_by = if columns.contains(&Target::Code) {
            MatchBy::Code
        } else {
            MatchBy::Name
        };
        ImportSettings {
            columns,
            match_by,
            on_match: OnMatch::Skip,
            default_territory: None,
        }
    }

    /// Problems with the settings themselves (message keys): a column mapped twice, no name
    /// column, a match rule whose column is not mapped.
    pub fn check(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for t in Target::ALL {
            if !t.multi() && self.columns.iter().filter(|c| **c == t).count() > 1 {
                out.push("imp.set.twice");
                break;
            }
        }
        let has = |t: Target| self.columns.contains(&t);
        let update_only = self.match_by != MatchBy::None && self.on_match == OnMatch::Update;
        if !has(Target::Name) && !update_only {
            out.push("imp.set.no_name");
        }
        let needed = match self.match_by {
            MatchBy::Code => Some(Target::Code),
            MatchBy::Phone => Some(Target::Phones),
            MatchBy::Name => Some(Target::Name),
            MatchBy::None => None,
        };
        if needed.is_some_and(|t| !has(t)) {
            out.push("imp.set.match_unmapped");
        }
        out
    }
}

/// A problem with a row or one of its cells: a message key, the offending value, the column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Message key (`imp.err.*`); its text may hold `{}` for `arg`.
    pub key: String,
    /// The value shown in the message.
    #[serde(default)]
    pub arg: String,
    /// The 0-based column, for cell problems.
    #[serde(default)]
    pub column: Option<usize>,
}

impl Problem {
    /// A row problem.
    pub fn row(key: &str, arg: impl Into<String>) -> Problem {
        Problem {
            key: key.to_owned(),
            arg: arg.into(),
            column: None,
        }
    }
    /// A cell problem.
    pub fn cell(column: usize, key: &str, arg: impl Into<String>) -> Problem {
        Problem {
            key: key.to_owned(),
            arg: arg.into(),
            column: Some(column),
        }
    }
}

/// The contact a row brings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactPatch {
    /// Name.
    pub name: String,
    /// Title.
    pub title: String,
    /// Phones.
    pub phones: Vec<String>,
    /// E-mail.
    pub email: String,
}

/// A row's checked values: `None`/empty means "the row says nothing" (never clears a value).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Patch {
    /// Code.
    pub code: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Kind.
    pub kind: Option<CustomerKind>,
    /// Tier.
    pub tier: Option<String>,
    /// Industry.
    pub industry: Option<String>,
    /// Source.
    pub source: Option<String>,
    /// Phones.
    pub phones: Vec<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Province.
    pub province: Option<String>,
    /// City.
    pub city: Option<String>,
    /// District.
    pub district: Option<String>,
    /// Street.
    pub street: Option<String>,
    /// Postal code.
    pub zip: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Territory.
    pub territory: Option<TerritoryId>,
    /// Owner.
    pub owner: Option<UserId>,
    /// The contact.
    pub contact: Option<ContactPatch>,
}

/// Digits of a phone number (for matching).
pub fn phone_digits(p: &str) -> String {
    let main = p.split(['x', '转']).next().unwrap_or(p);
    main.chars().filter(char::is_ascii_digit).collect()
}

fn same_phone(a: &str, b: &str) -> bool {
    let (a, b) = (phone_digits(a), phone_digits(b));
    !a.is_empty() && a == b
}

impl Patch {
    /// The keys a row is matched by under `rule` (none when the row has no value for it).
    pub fn keys(&self, rule: MatchBy) -> Vec<String> {
        match rule {
            MatchBy::Code => self.code.iter().cloned().collect(),
            MatchBy::Name => self.name.iter().cloned().collect(),
            MatchBy::Phone => {
                let mut keys: Vec<String> = self
                    .phones
                    .iter()
                    .map(|p| phone_digits(p))
                    .filter(|d| !d.is_empty())
                    .collect();
                keys.dedup();
                keys
            }
            MatchBy::None => Vec::new(),
        }
    }

    /// Writes the patch into a customer: non-empty values replace, phones/tags/contacts merge.
    pub fn apply(&self, c: &mut Customer) {
        let set = |field: &mut String, v: &Option<String>| {
            if let Some(v) = v {
                field.clone_from(v);
            }
        };
        set(&mut c.code, &self.code);
        set(&mut c.name, &self.name);
        if let Some(k) = self.kind {
            c.kind = k;
        }
        set(&mut c.tier, &self.tier);
        set(&mut c.industry, &self.industry);
        set(&mut c.source, &self.source);
        for p in &self.phones {
            if !c.phones.iter().any(|q| same_phone(p, q)) {
                c.phones.push(p.clone());
            }
        }
        set(&mut c.email, &self.email);
        set(&mut c.address.province, &self.province);
        set(&mut c.address.city, &self.city);
        set(&mut c.address.district, &self.district);
        set(&mut c.address.street, &self.street);
        set(&mut c.address.zip, &self.zip);
        for t in &self.tags {
            if !c.tags.contains(t) {
                c.tags.push(t.clone());
            }
        }
        set(&mut c.notes, &self.notes);
        if let Some(t) = self.territory {
            c.territory = Some(t);
        }
        if let Some(o) = self.owner {
            c.owner = Some(o);
        }
        if let Some(k) = &self.contact {
            let key = k.name.to_lowercase();
            if let Some(existing) = c
                .contacts
                .iter_mut()
                .find(|e| e.name.trim().to_lowercase() == key)
            {
                if !k.title.is_empty() {
                    existing.title.clone_from(&k.title);
                }
                for p in &k.phones {
                    if !existing.phones.iter().any(|q| same_phone(p, q)) {
                        existing.phones.push(p.clone());
                    }
                }
                if !k.email.is_empty() {
                    existing.email.clone_from(&k.email);
                }
            } else {
                let primary = c.contacts.is_empty();
                c.contacts.push(Contact {
                    id: ContactId::new(),
                    name: k.name.clone(),
                    title: k.title.clone(),
                    phones: k.phones.clone(),
                    email: k.email.clone(),
                    primary,
                    ..Contact::default()
                });
            }
        }
    }
}

/// What planning needs to know besides the row.
#[derive(Clone, Debug)]
pub struct Lookups {
    /// Territories by name.
    pub territories: HashMap<String, TerritoryId>,
    /// Enabled users by username.
    pub users: HashMap<String, UserId>,
    /// The importing user's territories.
    pub scope: ScopeTerritories,
}

impl Lookups {
    fn territory(&self, name: &str) -> Option<TerritoryId> {
        self.territories.get(name).copied().or_else(|| {
            let lower = name.to_lowercase();
            self.territories
                .iter()
                .find(|(k, _)| k.to_lowercase() == lower)
                .map(|(_, v)| *v)
        })
    }
}

/// A planned row: the cells as they would be imported, the problems, and the patch (when the
/// row has no problem).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowPlan {
    /// 1-based row number in the file.
    pub row_no: u32,
    /// Per column: the value as it would be imported (normalised), empty if ignored.
    pub values: Vec<String>,
    /// Everything wrong with the row.
    pub problems: Vec<Problem>,
    /// The checked values (also present when there are problems, for display only).
    pub patch: Patch,
}

/// Splits a list cell at commas, semicolons, `、` and line breaks (ASCII and full width).
pub fn split_list(s: &str) -> Vec<String> {
    split_at(s, &[',', '，', ';', '；', '、', '\n'])
}

/// Splits a phone cell like a list, and also at `/` (`021-1234 5678/13800138000`).
pub fn split_phones(s: &str) -> Vec<String> {
    split_at(s, &[',', '，', ';', '；', '、', '\n', '/'])
}

fn split_at(s: &str, separators: &[char]) -> Vec<String> {
    s.split(separators)
        .map(clean)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_kind(s: &str) -> Option<CustomerKind> {
    match s.to_lowercase().as_str() {
        "company" | "企业" | "公司" | "单位" | "企业客户" | "business" | "b" => {
            Some(CustomerKind::Company)
        }
        "person" | "个人" | "个人客户" | "individual" | "private" | "p" => {
            Some(CustomerKind::Person)
        }
        _ => None,
    }
}

/// Longest text accepted in a short field.
const MAX_SHORT: usize = 200;

/// Checks and converts one row under `settings`.
pub fn plan_row(row_no: u32, cells: &[String], settings: &ImportSettings, lk: &Lookups) -> RowPlan {
    let mut p = Patch::default();
    let mut problems = Vec::new();
    let mut values = vec![String::new(); cells.len()];
    let mut contact = ContactPatch::default();
    let mut notes: Vec<String> = Vec::new();
    for (i, target) in settings.columns.iter().enumerate() {
        let raw = cells.get(i).map_or("", |c| clean(c));
        if *target == Target::Ignore || raw.is_empty() {
            continue;
        }
        let short = |problems: &mut Vec<Problem>| -> Option<String> {
            if raw.chars().count() > MAX_SHORT {
                problems.push(Problem::cell(i, "imp.err.too_long", MAX_SHORT.to_string()));
                None
            } else {
                Some(raw.to_owned())
            }
        };
        let mut shown = raw.to_owned();
        match target {
            Target::Ignore => {}
            Target::Code => {
                if raw.chars().count() > 64 {
                    problems.push(Problem::cell(i, "imp.err.too_long", "64"));
                } else {
                    p.code = Some(raw.to_owned());
                }
            }
            Target::Name => p.name = short(&mut problems),
            Target::Kind => match parse_kind(raw) {
                Some(k) => {
                    p.kind = Some(k);
                    shown = match k {
                        CustomerKind::Company => "company".into(),
                        CustomerKind::Person => "person".into(),
                    };
                }
                None => problems.push(Problem::cell(i, "imp.err.kind", raw)),
            },
            Target::Tier => p.tier = short(&mut problems),
            Target::Industry => p.industry = short(&mut problems),
            Target::Source => p.source = short(&mut problems),
            Target::Phones | Target::ContactPhone => {
                let list = split_phones(raw);
                for ph in &list {
                    if PhoneNumber::parse(ph).is_err() {
                        problems.push(Problem::cell(i, "imp.err.phone", ph.clone()));
                    }
                }
                shown = list.join(", ");
                let into = if *target == Target::Phones {
                    &mut p.phones
                } else {
                    &mut contact.phones
                };
                for ph in list {
                    if !into.contains(&ph) {
                        into.push(ph);
                    }
                }
            }
            Target::Email | Target::ContactEmail => {
                if Email::parse(raw).is_err() {
                    problems.push(Problem::cell(i, "imp.err.email", raw));
                } else if *target == Target::Email {
                    p.email = Some(raw.to_owned());
                } else {
                    contact.email = raw.to_owned();
                }
            }
            Target::Province => p.province = short(&mut problems),
            Target::City => p.city = short(&mut problems),
            Target::District => p.district = short(&mut problems),
            Target::Street => p.street = short(&mut problems),
            Target::Zip => p.zip = short(&mut problems),
            Target::Tags => {
                let list = split_list(raw);
                shown = list.join(", ");
                for t in list {
                    if !p.tags.contains(&t) {
                        p.tags.push(t);
                    }
                }
            }
            Target::Notes => notes.push(raw.to_owned()),
            Target::Territory => match lk.territory(raw) {
                None => problems.push(Problem::cell(i, "imp.err.territory_unknown", raw)),
                Some(t) if !lk.scope.contains(t) => {
                    problems.push(Problem::cell(i, "imp.err.territory_scope", raw));
                }
                Some(t) => p.territory = Some(t),
            },
            Target::Owner => match lk.users.get(raw) {
                Some(u) => p.owner = Some(*u),
                None => problems.push(Problem::cell(i, "imp.err.owner_unknown", raw)),
            },
            Target::ContactName => {
                if let Some(n) = short(&mut problems) {
                    contact.name = n;
                }
            }
            Target::ContactTitle => {
                if let Some(t) = short(&mut problems) {
                    contact.title = t;
                }
            }
        }
        if let Some(v) = values.get_mut(i) {
            *v = shown;
        }
    }
    if !notes.is_empty() {
        let text = notes.join("\n");
        if text.chars().count() > 20_000 {
            problems.push(Problem::row("imp.err.too_long", "20000"));
        } else {
            p.notes = Some(text);
        }
    }
    let has_contact =
        !contact.title.is_empty() || !contact.phones.is_empty() || !contact.email.is_empty();
    if !contact.name.is_empty() {
        p.contact = Some(contact);
    } else if has_contact {
        let col = settings
            .columns
            .iter()
            .position(|t| *t == Target::ContactName);
        problems.push(Problem {
            key: "imp.err.contact_name".into(),
            arg: String::new(),
            column: col,
        });
    }
    RowPlan {
        row_no,
        values,
        problems,
        patch: p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookups(sh: TerritoryId, bj: TerritoryId) -> Lookups {
        Lookups {
            territories: [("上海".to_owned(), sh), ("北京".to_owned(), bj)].into(),
            users: [("rep.sh".to_owned(), UserId::new())].into(),
            scope: ScopeTerritories::Some(vec![sh]),
        }
    }

    #[test]
    fn suggestions_in_chinese_and_english() {
        let headers: Vec<String> = [
            "客户名称",
            "电话",
            "手机",
            "E-mail",
            "Customer Code",
            "区域",
            "负责人",
            "联系人",
            "职务",
            "联系人电话",
            "备注（选填）",
            "*名称",
            "whatever",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let s = suggest_all(&headers);
        use Target as T;
        assert_eq!(
            s,
            vec![
                T::Name,
                T::Phones,
                T::Phones,
                T::Email,
                T::Code,
                T::Territory,
                T::Owner,
                T::ContactName,
                T::ContactTitle,
                T::ContactPhone,
                T::Notes,
                T::Ignore,
                T::Ignore
            ]
        );
        assert_eq!(suggest("Name"), T::Name);
        assert_eq!(suggest("Phone"), T::Phones);
        assert_eq!(suggest("  Mobile "), T::Phones);
        assert_eq!(suggest("名称"), T::Name);
    }

    #[test]
    fn settings_checks() {
        let mut s = ImportSettings::suggested(&["编码".into(), "客户名称".into()]);
        assert_eq!(s.match_by, MatchBy::Code);
        assert!(s.check().is_empty());
        s.columns = vec![Target::Name, Target::Name];
        assert!(s.check().contains(&"imp.set.twice"));
        s.columns = vec![Target::Code, Target::Phones];
        assert!(s.check().contains(&"imp.set.no_name"));
        s.on_match = OnMatch::Update;
        assert!(s.check().is_empty(), "an update-only import needs no name");
        s.match_by = MatchBy::Name;
        assert!(s.check().contains(&"imp.set.match_unmapped"));
    }

    #[test]
    fn rows_are_checked_cell_by_cell() {
        let (sh, bj) = (TerritoryId::new(), TerritoryId::new());
        let lk = lookups(sh, bj);
        use Target as T;
        let settings = ImportSettings {
            columns: vec![
                T::Name,
                T::Phones,
                T::Email,
                T::Territory,
                T::Kind,
                T::Tags,
                T::ContactName,
                T::ContactPhone,
                T::Owner,
            ],
            match_by: MatchBy::Phone,
            on_match: OnMatch::Update,
            default_territory: None,
        };
        let row = |c: &[&str]| c.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let ok = plan_row(
            2,
            &row(&[
                " 甲公司 ",
                "021-5555 1234；13800138000",
                "a@b.cn",
                "上海",
                "个人",
                "VIP、重点",
                "张三",
                "139 0000 0000",
                "rep.sh",
            ]),
            &settings,
            &lk,
        );
        assert!(ok.problems.is_empty(), "{:?}", ok.problems);
        assert_eq!(ok.patch.name.as_deref(), Some("甲公司"));
        assert_eq!(ok.patch.phones, vec!["021-5555 1234", "13800138000"]);
        assert_eq!(ok.patch.kind, Some(CustomerKind::Person));
        assert_eq!(ok.patch.tags, vec!["VIP", "重点"]);
        assert_eq!(ok.patch.territory, Some(sh));
        assert!(ok.patch.owner.is_some());
        assert_eq!(
            ok.patch.keys(MatchBy::Phone),
            vec!["02155551234", "13800138000"]
        );
        assert_eq!(ok.values[1], "021-5555 1234, 13800138000");

        let bad = plan_row(
            3,
            &row(&[
                "乙",
                "abc",
                "not-an-email",
                "北京",
                "robot",
                "",
                "",
                "139 0000 0000",
                "nobody",
            ]),
            &settings,
            &lk,
        );
        let keys: Vec<(&str, Option<usize>)> = bad
            .problems
            .iter()
            .map(|p| (p.key.as_str(), p.column))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("imp.err.phone", Some(1)),
                ("imp.err.email", Some(2)),
                ("imp.err.territory_scope", Some(3)),
                ("imp.err.kind", Some(4)),
                ("imp.err.owner_unknown", Some(8)),
                ("imp.err.contact_name", Some(6)),
            ]
        );
        let unknown = plan_row(4, &row(&["丙", "", "", "火星"]), &settings, &lk);
        assert_eq!(unknown.problems[0].key, "imp.err.territory_unknown");
    }

    #[test]
    fn patches_merge_lists_and_never_clear() {
        let mut c = Customer {
            name: "Old".into(),
            phones: vec!["021-5555 1234".into()],
            tags: vec!["A".into()],
            email: "keep@x.cn".into(),
            ..Customer::default()
        };
        let p = Patch {
            name: Some("New".into()),
            phones: vec!["02155551234".into(), "13800138000".into()],
            tags: vec!["A".into(), "B".into()],
            contact: Some(ContactPatch {
                name: "张三".into(),
                phones: vec!["139".into()],
                ..ContactPatch::default()
            }),
            ..Patch::default()
        };
        p.apply(&mut c);
        p.apply(&mut c);
        assert_eq!(c.name, "New");
        assert_eq!(c.email, "keep@x.cn");
        assert_eq!(c.phones, vec!["021-5555 1234", "13800138000"]);
        assert_eq!(c.tags, vec!["A", "B"]);
        assert_eq!(
            c.contacts.len(),
            1,
            "same contact name: merged, not duplicated"
        );
        assert!(c.contacts[0].primary);
    }
}
