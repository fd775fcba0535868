//! The catalog in the back office (`Permission::CatalogView` to look, `CatalogEdit` to change):
//!
//! - [`products`]: the product list (search, category, active filter, paging), the product form
//!   (create, edit, activate/deactivate, image upload shown as a thumbnail);
//! - [`categories`]: the category tree (add, rename, move, delete when empty);
//! - [`price_lists`]: price lists per customer tier with validity dates, and their prices;
//! - [`import`]: products from `.xlsx`/`.csv`, upserted by code, with a per-row report.
//!
//! SQL is in [`crate::db::catalog`]; every change is audited (`catalog.*`) and moves the catalog
//! version, so devices fetch the new catalog at their next sync.

pub mod categories;
pub mod import;
mod messages;
pub mod price_lists;
pub mod products;

use axum::extract::DefaultBodyLimit;
use fieldcrm_core::CategoryId;

use super::admin::{TreeOption, tree_options};
use super::session::WebUser;
use crate::auth::permissions::Permission;
use crate::db::catalog::Category;
use crate::startup::AppState;

pub use messages::MESSAGES;

/// The catalog routes, except the uploads (see [`upload_routes`]).
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/catalog", get(products::index))
        .route(
            "/catalog/products",
            get(products::list).post(products::create),
        )
        .route("/catalog/products/new", get(products::new_form))
        .route(
            "/catalog/products/{id}",
            get(products::edit_form).post(products::update),
        )
        .route("/catalog/products/{id}/activate", post(products::activate))
        .route(
            "/catalog/products/{id}/deactivate",
            post(products::deactivate),
        )
        .route("/catalog/products/{id}/image", get(products::image))
        .route(
            "/catalog/categories",
            get(categories::page).post(categories::create),
        )
        .route("/catalog/categories/{id}", post(categories::update))
        .route("/catalog/categories/{id}/delete", post(categories::delete))
        .route(
            "/catalog/price-lists",
            get(price_lists::list).post(price_lists::create),
        )
        .route("/catalog/price-lists/new", get(price_lists::new_form))
        .route(
            "/catalog/price-lists/{id}",
            get(price_lists::page).post(price_lists::update),
        )
        .route(
            "/catalog/price-lists/{id}/items",
            post(price_lists::set_item),
        )
        .route(
            "/catalog/price-lists/{id}/items/{product}/delete",
            post(price_lists::remove_item),
        )
        .route("/catalog/import", get(import::page))
}

/// The uploads (product image, product import), each with its own body limit: merged outside
/// the global one.
pub fn upload_routes(max_image_bytes: usize) -> axum::Router<AppState> {
    use axum::routing::post;
    axum::Router::new()
        .route(
            "/catalog/products/{id}/image/upload",
            post(products::upload_image).layer(DefaultBodyLimit::max(max_image_bytes + 64 * 1024)),
        )
        .route(
            "/catalog/import/upload",
            post(import::upload).layer(DefaultBodyLimit::max(import::MAX_UPLOAD_BODY)),
        )
}

/// The catalog's sub-navigation: which sections the user may open.
#[derive(Clone, Copy, Debug)]
pub struct Nav {
    /// Which section is shown (`products`, `categories`, `price_lists`, `import`).
    pub active: &'static str,
    /// Whether the user may change the catalog (edit links, the import).
    pub edit: bool,
}

impl Nav {
    /// The navigation for `user` on section `active`.
    pub fn new(user: &WebUser, active: &'static str) -> Nav {
        Nav {
            active,
            edit: user.can(Permission::CatalogEdit),
        }
    }
}

/// Formats minor units (fen) as yuan with two decimals: `123456` → `1234.56`.
pub fn fmt_money(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// The largest amount accepted (10¹² yuan would be far beyond any price).
pub const MAX_MONEY_FEN: i64 = 100_000_000_000_000;

/// Parses yuan with at most two decimals (`12`, `12.5`, `1,234.56`, `￥12.00`) into minor units;
/// `None` if it is not such an amount, negative, or beyond [`MAX_MONEY_FEN`].
pub fn parse_money(s: &str) -> Option<i64> {
    let s: String = s
        .trim()
        .trim_start_matches(['¥', '￥'])
        .chars()
        .filter(|c| *c != ',' && *c != '，')
        .collect();
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || whole.len() > 15
    {
        return None;
    }
    let yuan: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    let fen = yuan.checked_mul(100)?.checked_add(cents)?;
    (fen <= MAX_MONEY_FEN).then_some(fen)
}

/// Whether `s` is a `YYYY-MM-DD` date (exactly that form: dates are compared as text).
pub fn is_date(s: &str) -> bool {
    s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// The categories as options of a select, in tree order (siblings by position, then name).
pub fn category_options(all: &[Category]) -> Vec<TreeOption> {
    let mut sorted = all.to_vec();
    sorted.sort_by(|a, b| (a.position, &a.name).cmp(&(b.position, &b.name)));
    // tree_options sorts siblings by name: give it names that sort by position first.
    let keyed: Vec<(CategoryId, String, Option<CategoryId>)> = sorted
        .iter()
        .map(|c| {
            (
                c.id,
                format!("{:020}\u{1}{}", c.position.max(0), c.name),
                c.parent_id,
            )
        })
        .collect();
    tree_options(&keyed)
        .into_iter()
        .map(|mut o| {
            if let Some((_, name)) = o.name.split_once('\u{1}') {
                o.name = name.to_owned();
                o.label = format!("{}{}", "\u{3000}".repeat(o.depth), o.name);
            }
            o
        })
        .collect()
}

/// A text field's length check: at most `max` characters (and at least one if `required`).
pub fn fits(s: &str, max: usize, required: bool) -> bool {
    let n = s.chars().count();
    n <= max && (n > 0 || !required)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_parses_and_formats() {
        assert_eq!(parse_money("12"), Some(1200));
        assert_eq!(parse_money("12.5"), Some(1250));
        assert_eq!(parse_money(" ￥1,234.56 "), Some(123_456));
        assert_eq!(parse_money(".5"), Some(50));
        assert_eq!(parse_money("0"), Some(0));
        for bad in [
            "",
            "-1",
            "1.234",
            "abc",
            "1e3",
            "1.2.3",
            ".",
            "99999999999999999",
        ] {
            assert_eq!(parse_money(bad), None, "{bad}");
        }
        assert_eq!(fmt_money(123_456), "1234.56");
        assert_eq!(fmt_money(5), "0.05");
        assert_eq!(fmt_money(-150), "-1.50");
        assert!(is_date("2026-03-01"));
        assert!(!is_date("2026-3-1"));
        assert!(!is_date("2026-02-30"));
    }

    #[test]
    fn categories_are_ordered_by_position_then_name() {
        let root = Category {
            id: CategoryId::new(),
            parent_id: None,
            name: "Z 饮料".into(),
            position: 1,
        };
        let other = Category {
            id: CategoryId::new(),
            parent_id: None,
            name: "A 零食".into(),
            position: 2,
        };
        let child = Category {
            id: CategoryId::new(),
            parent_id: Some(root.id),
            name: "茶".into(),
            position: 0,
        };
        let options = category_options(&[other.clone(), child.clone(), root.clone()]);
        let names: Vec<_> = options.iter().map(|o| (o.name.as_str(), o.depth)).collect();
        assert_eq!(names, [("Z 饮料", 0), ("茶", 1), ("A 零食", 0)]);
        assert_eq!(options[1].label, "\u{3000}茶");
    }
}
