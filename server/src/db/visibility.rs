//! Which back-office records a user sees: the territory scope ([`ScopeTerritories`]) and the
//! owner restriction of the role's data scope ([`super::departments::owner_restriction`]),
//! applied to one record kind by the columns of its projection. The lists filter with
//! [`Record::restrict`] and the cards check one id with [`visible`] — the same two conditions on
//! the same columns, so a record a list shows opens and one it hides does not.
//!
//! | record   | territory of           | owner restriction on     |
//! |----------|------------------------|--------------------------|
//! | customer | the customer           | its owner                |
//! | visit    | the visit              | the rep who made it      |
//! | order    | the order              | its rep                  |
//! | payment  | its order              | its order's rep          |
//! | ticket   | its customer           | its customer's owner     |
//! | contract | its customer           | its customer's owner     |

use fieldcrm_core::UserId;
use sqlx::Row;

use super::customers_query::{Bind, Cond};
use super::territories::ScopeTerritories;
use super::{Db, DbError};

/// A kind of back-office record with a data scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// A customer (`customers c`).
    Customer,
    /// A visit (`visits v`).
    Visit,
    /// An order (`orders o`).
    Order,
    /// A payment (`payments p`, scoped by its order `o`).
    Payment,
    /// A service ticket (`tickets t`, scoped by its customer `c`).
    Ticket,
    /// A contract (`contracts k`, scoped by its customer `c`).
    Contract,
}

impl Record {
    /// The columns the scope applies to: (territory, owner), with the aliases the lists use.
    pub const fn columns(self) -> (&'static str, &'static str) {
        match self {
            Record::Customer | Record::Ticket | Record::Contract => {
                ("c.territory_id", "c.owner_id")
            }
            Record::Visit => ("v.territory_id", "v.rep_id"),
            Record::Order | Record::Payment => ("o.territory_id", "o.rep_id"),
        }
    }

    /// `FROM` clause (with the joins the columns need) and the id column.
    const fn source(self) -> (&'static str, &'static str) {
        match self {
            Record::Customer => ("customers c", "c.id"),
            Record::Visit => ("visits v", "v.id"),
            Record::Order => ("orders o", "o.id"),
            Record::Payment => ("payments p JOIN orders o ON o.id = p.order_id", "p.id"),
            Record::Ticket => (
                "tickets t LEFT JOIN customers c ON c.id = t.customer_id",
                "t.id",
            ),
            Record::Contract => (
                "contracts k LEFT JOIN customers c ON c.id = k.customer_id",
                "k.id",
            ),
        }
    }

    /// Adds the user's scope to a list's conditions: territory inside `scope`, owner among
    /// `owners` (`None` = any owner; an empty list matches nothing).
    pub(crate) fn restrict(
        self,
        c: &mut Cond,
        scope: &ScopeTerritories,
        owners: Option<&[UserId]>,
    ) {
        let (territory, owner) = self.columns();
        c.scope(territory, scope);
        c.owners(owner, owners);
    }
}

/// Of `ids` (of kind `record`), those that exist and are inside the scope, in no particular
/// order. Ids are compared as stored (hyphenated lowercase UUIDs).
pub async fn visible_among(
    db: &Db,
    record: Record,
    ids: &[String],
    scope: &ScopeTerritories,
    owners: Option<&[UserId]>,
) -> Result<Vec<String>, DbError> {
    let (from, id_column) = record.source();
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut c = Cond::new();
        record.restrict(&mut c, scope, owners);
        let mut ps = Vec::with_capacity(chunk.len());
        for id in chunk {
            ps.push(c.next());
            c.binds.push(Bind::Text(id.clone()));
        }
        c.sql.push(format!("{id_column} IN ({})", ps.join(", ")));
        let sql = format!("SELECT {id_column} AS id FROM {from}{}", c.where_clause());
        for r in c.bind(sqlx::query(&sql)).fetch_all(db.pool()).await? {
            out.push(r.try_get("id")?);
        }
    }
    Ok(out)
}

/// Whether the record `id` of kind `record` exists and is inside the scope.
pub async fn visible(
    db: &Db,
    record: Record,
    id: &str,
    scope: &ScopeTerritories,
    owners: Option<&[UserId]>,
) -> Result<bool, DbError> {
    Ok(!visible_among(db, record, &[id.to_owned()], scope, owners)
        .await?
        .is_empty())
}
