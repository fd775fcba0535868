//! The product catalog as devices receive it from `GET /api/v1/catalog` (read-only reference
//! data, kept offline), and the one pricing rule both sides apply:
//!
//! the unit price of a product for a customer of tier `T` on day `D` is the one of the active
//! price lists of tier `T` in force on `D` that price the product, the list with the latest
//! `valid_from` winning (then the latest created); without one, the product's list price.
//! A list's tier is a code of the `customer_tier` dictionary list; an empty tier is the list for
//! customers without a tier. The server prices orders with this rule in SQL
//! (`server::db::catalog::price_book`); a device uses [`Catalog::price_book`] for estimates.
//!
//! Money is integer minor units (fen); dates are `YYYY-MM-DD`, compared as text.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::{PriceBook, Quote};
use crate::ids::{PriceListId, ProductId};

/// The currency of every price (ISO 4217).
pub const CURRENCY: &str = "CNY";

/// How units of a product are tracked when shipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tracking {
    /// Not tracked.
    #[default]
    None,
    /// By batch (lot) number.
    Batch,
    /// By serial number, one per unit.
    Serial,
}

impl Tracking {
    /// Every value.
    pub const ALL: [Tracking; 3] = [Tracking::None, Tracking::Batch, Tracking::Serial];

    /// The stable name (SQL, wire): `none`, `batch`, `serial`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Tracking::None => "none",
            Tracking::Batch => "batch",
            Tracking::Serial => "serial",
        }
    }
}

impl fmt::Display for Tracking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not a tracking mode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown tracking {0:?} (expected none, batch or serial)")]
pub struct UnknownTracking(pub String);

impl FromStr for Tracking {
    type Err = UnknownTracking;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Tracking::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim())
            .ok_or_else(|| UnknownTracking(s.chars().take(32).collect()))
    }
}

/// An active product as devices hold it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogProduct {
    /// Id.
    pub id: ProductId,
    /// Product code (unique).
    pub code: String,
    /// Name.
    pub name: String,
    /// Unit of measure.
    #[serde(default)]
    pub unit: String,
    /// Specification / model.
    #[serde(default)]
    pub spec: String,
    /// The category's name (empty if uncategorised).
    #[serde(default)]
    pub category: String,
    /// List price, minor units.
    pub list_price: i64,
    /// Batch or serial tracking.
    #[serde(default)]
    pub tracking: Tracking,
    /// Shelf life in days, if it has one.
    #[serde(default)]
    pub shelf_life_days: Option<i64>,
    /// SHA-256 of the product image (an attachment: `GET /api/v1/attachments/{sha}`).
    #[serde(default)]
    pub image_sha256: Option<String>,
}

/// One price of a price list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceItem {
    /// The product priced.
    pub product: ProductId,
    /// Unit price, minor units.
    pub unit_price: i64,
}

/// An active price list as devices hold it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogPriceList {
    /// Id.
    pub id: PriceListId,
    /// Name.
    pub name: String,
    /// The customer tier it applies to (a `customer_tier` code; empty = customers without one).
    #[serde(default)]
    pub tier: String,
    /// First day in force, `YYYY-MM-DD`.
    pub valid_from: String,
    /// Last day in force, `YYYY-MM-DD`; `None` = open-ended.
    #[serde(default)]
    pub valid_to: Option<String>,
    /// Currency of its prices.
    pub currency: String,
    /// Its prices.
    #[serde(default)]
    pub items: Vec<PriceItem>,
}

/// The catalog a device holds: active products and active price lists, with the server's
/// version (its entity tag).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Catalog {
    /// The catalog version (changes with every catalog write on the server).
    pub version: String,
    /// Currency of every price.
    pub currency: String,
    /// Active products, by code.
    #[serde(default)]
    pub products: Vec<CatalogProduct>,
    /// Active price lists.
    #[serde(default)]
    pub price_lists: Vec<CatalogPriceList>,
}

/// Whether a price list in force from `valid_from` to `valid_to` (inclusive; `None` = open) is
/// in force on `on`.
pub fn in_force(valid_from: &str, valid_to: Option<&str>, on: &str) -> bool {
    valid_from <= on && valid_to.is_none_or(|to| on <= to)
}

/// Quotes for one customer tier and one day: what [`PriceBook`] needs to price an order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QuoteBook {
    /// Currency of every price.
    pub currency: String,
    /// The quote of each product the catalog knows.
    pub quotes: HashMap<ProductId, Quote>,
}

impl PriceBook for QuoteBook {
    fn currency(&self) -> &str {
        &self.currency
    }
    fn quote(&self, product: ProductId) -> Option<Quote> {
        self.quotes.get(&product).cloned()
    }
}

impl Catalog {
    /// The product with this id.
    pub fn product(&self, id: ProductId) -> Option<&CatalogProduct> {
        self.products.iter().find(|p| p.id == id)
    }

    /// The product with this code.
    pub fn product_by_code(&self, code: &str) -> Option<&CatalogProduct> {
        self.products.iter().find(|p| p.code == code)
    }

    /// The prices in force on `on` (`YYYY-MM-DD`) for a customer of `tier`, per the rule of
    /// this module. Every product held is active (the server sends no other).
    pub fn price_book(&self, tier: &str, on: &str) -> QuoteBook {
        // Per product: (valid_from, list id, price) of the winning list.
        let mut best: HashMap<ProductId, (&str, PriceListId, i64)> = HashMap::new();
        for list in &self.price_lists {
            if list.tier != tier || !in_force(&list.valid_from, list.valid_to.as_deref(), on) {
                continue;
            }
            for item in &list.items {
                let candidate = (list.valid_from.as_str(), list.id, item.unit_price);
                best.entry(item.product)
                    .and_modify(|b| {
                        if (candidate.0, candidate.1) > (b.0, b.1) {
                            *b = candidate;
                        }
                    })
                    .or_insert(candidate);
            }
        }
        let quotes = self
            .products
            .iter()
            .map(|p| {
                let unit_price = best.get(&p.id).map_or(p.list_price, |b| b.2);
                (
                    p.id,
                    Quote {
                        code: p.code.clone(),
                        name: p.name.clone(),
                        unit: p.unit.clone(),
                        unit_price,
                        active: true,
                    },
                )
            })
            .collect();
        QuoteBook {
            currency: if self.currency.is_empty() {
                CURRENCY.to_owned()
            } else {
                self.currency.clone()
            },
            quotes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(code: &str, list_price: i64) -> CatalogProduct {
        CatalogProduct {
            id: ProductId::new(),
            code: code.into(),
            name: format!("{code} 产品"),
            unit: "箱".into(),
            spec: String::new(),
            category: String::new(),
            list_price,
            tracking: Tracking::None,
            shelf_life_days: None,
            image_sha256: None,
        }
    }

    fn list(
        tier: &str,
        from: &str,
        to: Option<&str>,
        items: &[(ProductId, i64)],
    ) -> CatalogPriceList {
        CatalogPriceList {
            id: PriceListId::new(),
            name: format!("{tier} {from}"),
            tier: tier.into(),
            valid_from: from.into(),
            valid_to: to.map(str::to_owned),
            currency: CURRENCY.into(),
            items: items
                .iter()
                .map(|(product, unit_price)| PriceItem {
                    product: *product,
                    unit_price: *unit_price,
                })
                .collect(),
        }
    }

    #[test]
    fn tier_lists_in_force_beat_the_list_price_latest_first() {
        let (a, b, c) = (product("A", 10_000), product("B", 5000), product("C", 900));
        let catalog = Catalog {
            version: "1".into(),
            currency: CURRENCY.into(),
            price_lists: vec![
                list("A", "2026-01-01", None, &[(a.id, 9000), (b.id, 4500)]),
                // A later list of the same tier wins for what it prices.
                list("A", "2026-03-01", Some("2026-03-31"), &[(a.id, 8000)]),
                // Other tiers and lists not in force do not count.
                list("B", "2026-01-01", None, &[(c.id, 100)]),
                list("A", "2027-01-01", None, &[(c.id, 200)]),
            ],
            products: vec![a.clone(), b.clone(), c.clone()],
        };
        let price = |tier: &str, on: &str, p: &CatalogProduct| {
            catalog.price_book(tier, on).quote(p.id).unwrap().unit_price
        };
        assert_eq!(price("A", "2026-02-01", &a), 9000);
        assert_eq!(price("A", "2026-03-01", &a), 8000, "first day in force");
        assert_eq!(price("A", "2026-03-31", &a), 8000, "last day in force");
        assert_eq!(price("A", "2026-04-01", &a), 9000, "expired");
        assert_eq!(
            price("A", "2026-03-15", &b),
            4500,
            "older list still prices B"
        );
        assert_eq!(price("A", "2026-03-15", &c), 900, "list price");
        assert_eq!(price("B", "2026-03-15", &c), 100);
        assert_eq!(price("", "2026-03-15", &a), 10_000);
        assert_eq!(price("A", "2025-12-31", &a), 10_000, "not yet in force");
        let book = catalog.price_book("A", "2026-03-15");
        assert_eq!(book.currency(), "CNY");
        assert!(book.quote(ProductId::new()).is_none(), "unknown product");
        let q = book.quote(a.id).unwrap();
        assert_eq!(
            (q.code.as_str(), q.unit.as_str(), q.active),
            ("A", "箱", true)
        );
    }

    #[test]
    fn tracking_names_round_trip() {
        for t in Tracking::ALL {
            assert_eq!(t.as_str().parse::<Tracking>().unwrap(), t);
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", t.as_str())
            );
        }
        assert!("lot".parse::<Tracking>().is_err());
        assert!(in_force("2026-01-01", None, "2026-01-01"));
        assert!(!in_force("2026-01-02", None, "2026-01-01"));
        assert!(!in_force("2026-01-01", Some("2026-01-31"), "2026-02-01"));
    }
}
