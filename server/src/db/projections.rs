//! Projections of the workflow documents (orders, dispatches) and the status log they keep.
//! Written inside the write transaction by [`super::documents::store`]; read by the back office.

use fieldcrm_core::domain::{Dispatch, Order};
use fieldcrm_core::{DocId, TerritoryId, UserId};
use sqlx::{AnyConnection, Row};

use super::DbError;

/// A write that may have moved a workflow document to another status.
struct StatusWrite<'a> {
    doc: DocId,
    kind: &'a str,
    previous: Option<&'a str>,
    status: &'a str,
    by: Option<UserId>,
    seq: i64,
    now: i64,
}

/// Appends a row to the status log when the status differs from the previous one.
async fn log_status(conn: &mut AnyConnection, w: StatusWrite<'_>) -> Result<bool, DbError> {
    let StatusWrite {
        doc,
        kind,
        previous,
        status,
        by,
        seq,
        now,
    } = w;
    if previous == Some(status) {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO doc_status_log (doc_id, kind, status, user_id, seq, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(doc.to_string())
    .bind(kind)
    .bind(status)
    .bind(by.map(|u| u.to_string()))
    .bind(seq)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

async fn previous_status(
    conn: &mut AnyConnection,
    table: &str,
    doc: DocId,
) -> Result<Option<(String, i64)>, DbError> {
    let row = sqlx::query(&format!(
        "SELECT status, status_at FROM {table} WHERE id = $1"
    ))
    .bind(doc.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| Ok((r.try_get("status")?, r.try_get("status_at")?)))
        .transpose()
}

/// Writes the `orders` row, its `order_lines` and, on a status change, the status log.
pub(crate) async fn upsert_order(
    conn: &mut AnyConnection,
    seq: i64,
    id: DocId,
    o: &Order,
    territory: Option<TerritoryId>,
    by: Option<UserId>,
    now: i64,
) -> Result<(), DbError> {
    let previous = previous_status(conn, "orders", id).await?;
    let status = o.status.as_str();
    let changed = log_status(
        conn,
        StatusWrite {
            doc: id,
            kind: "order",
            previous: previous.as_ref().map(|(s, _)| s.as_str()),
            status,
            by,
            seq,
            now,
        },
    )
    .await?;
    let status_at = match (&previous, changed) {
        (Some((_, at)), false) => *at,
        _ => now,
    };
    sqlx::query(
        "INSERT INTO orders (id, number, customer_id, rep_id, territory_id, status, currency, subtotal, \
         discount_total, total, line_count, notes, created_at, updated_at, status_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14) \
         ON CONFLICT (id) DO UPDATE SET number = $2, rep_id = $4, territory_id = $5, status = $6, \
         currency = $7, subtotal = $8, discount_total = $9, total = $10, line_count = $11, notes = $12, \
         updated_at = $13, status_at = $14",
    )
    .bind(id.to_string())
    .bind(o.number.clone())
    .bind(o.customer.map(|c| c.to_string()).unwrap_or_default())
    .bind(o.rep.map(|u| u.to_string()))
    .bind(territory.map(|t| t.to_string()))
    .bind(status)
    .bind(&o.currency)
    .bind(o.subtotal)
    .bind(o.discount_total)
    .bind(o.total)
    .bind(i64::try_from(o.lines.len()).unwrap_or(i64::MAX))
    .bind(&o.notes)
    .bind(now)
    .bind(status_at)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM order_lines WHERE order_id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    for (position, l) in o.lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO order_lines (order_id, line_id, position, product_id, product_code, product_name, unit, \
             quantity, unit_price, discount_bp, line_total, shipped_quantity, requested_delivery) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(id.to_string())
        .bind(l.id.to_string())
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(l.product.map(|p| p.to_string()))
        .bind(&l.product_code)
        .bind(&l.product_name)
        .bind(&l.unit)
        .bind(l.quantity)
        .bind(l.unit_price)
        .bind(l.discount_bp)
        .bind(l.line_total)
        .bind(l.shipped_quantity)
        .bind(l.requested_delivery.clone())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Writes the `dispatches` row (with its customer's territory, for the back office's data scope),
/// its attachment references and, on a status change, the status log.
pub(crate) async fn upsert_dispatch(
    conn: &mut AnyConnection,
    seq: i64,
    id: DocId,
    d: &Dispatch,
    by: Option<UserId>,
    now: i64,
) -> Result<(), DbError> {
    let previous = previous_status(conn, "dispatches", id).await?;
    let status = d.status.as_str();
    let changed = log_status(
        conn,
        StatusWrite {
            doc: id,
            kind: "dispatch",
            previous: previous.as_ref().map(|(s, _)| s.as_str()),
            status,
            by,
            seq,
            now,
        },
    )
    .await?;
    let status_at = match (&previous, changed) {
        (Some((_, at)), false) => *at,
        _ => now,
    };
    let customer = d.customer.map(|c| c.to_string()).unwrap_or_default();
    let territory: Option<String> =
        sqlx::query_scalar("SELECT territory_id FROM customers WHERE id = $1")
            .bind(&customer)
            .fetch_optional(&mut *conn)
            .await?
            .flatten();
    sqlx::query(
        "INSERT INTO dispatches (id, ticket_id, customer_id, engineer_id, territory_id, status, ticket_type, \
         priority, scheduled_at, sla_due_at, check_in_at, completed_at, survey_score, photo_count, created_at, \
         updated_at, status_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16) \
         ON CONFLICT (id) DO UPDATE SET ticket_id = $2, customer_id = $3, engineer_id = $4, territory_id = $5, \
         status = $6, ticket_type = $7, priority = $8, scheduled_at = $9, sla_due_at = $10, check_in_at = $11, \
         completed_at = $12, survey_score = $13, photo_count = $14, updated_at = $15, status_at = $16",
    )
    .bind(id.to_string())
    .bind(d.ticket.map(|t| t.to_string()).unwrap_or_default())
    .bind(&customer)
    .bind(d.engineer.map(|u| u.to_string()))
    .bind(territory)
    .bind(status)
    .bind(&d.ticket_type)
    .bind(&d.priority)
    .bind(d.scheduled_at)
    .bind(d.sla_due_at)
    .bind(d.check_in.as_ref().map(|c| c.at))
    .bind(d.completed_at)
    .bind(d.survey.as_ref().map(|s| s.score))
    .bind(i64::try_from(d.photos.len()).unwrap_or(i64::MAX))
    .bind(now)
    .bind(status_at)
    .execute(&mut *conn)
    .await
    .map_err(|e| DbError::unique(e, "a live dispatch of this ticket"))?;
    let mut shas: Vec<String> = d.photos.iter().map(|p| p.sha256.clone()).collect();
    shas.extend(d.signature.iter().map(|p| p.sha256.clone()));
    super::attachments::set_doc_refs(conn, id, &shas).await
}

/// One entry of a document's status log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// The status entered.
    pub status: String,
    /// Who (`None`: the server).
    pub user: Option<UserId>,
    /// When (unix ms).
    pub at: i64,
    /// The write's sequence number.
    pub seq: i64,
}

/// The status log of a document, oldest first.
pub async fn status_log(db: &super::Db, doc: DocId) -> Result<Vec<StatusEntry>, DbError> {
    let rows = sqlx::query(
        "SELECT status, user_id, at, seq FROM doc_status_log WHERE doc_id = $1 ORDER BY id",
    )
    .bind(doc.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let user: Option<String> = r.try_get("user_id")?;
            Ok(StatusEntry {
                status: r.try_get("status")?,
                user: user
                    .map(|u| UserId::parse(&u).map_err(|e| DbError::corrupt("doc_status_log", e)))
                    .transpose()?,
                at: r.try_get("at")?,
                seq: r.try_get("seq")?,
            })
        })
        .collect()
}
