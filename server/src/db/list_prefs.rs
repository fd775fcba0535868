//! Per-user preferences of the customer list: saved filters ("favourites": a name and the list's
//! query string) and the visible columns in their order.

use fieldcrm_core::UserId;
use sqlx::Row;

use super::{Db, DbError, now_ms};

/// A saved filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedFilter {
    /// Its id (UUID).
    pub id: String,
    /// The name the user gave it.
    pub name: String,
    /// The list's query string (filters and sort).
    pub query: String,
    /// When it was saved, unix ms.
    pub created_at: i64,
}

/// A user's saved filters, by name.
pub async fn saved_filters(db: &Db, user: UserId) -> Result<Vec<SavedFilter>, DbError> {
    let rows = sqlx::query(
        "SELECT id, name, query, created_at FROM customer_saved_filters WHERE user_id = $1 \
         ORDER BY name, id",
    )
    .bind(user.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SavedFilter {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                query: r.try_get("query")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// Saves (or, under a name the user already used, replaces) a filter; returns its id.
pub async fn save_filter(
    db: &Db,
    user: UserId,
    name: &str,
    query: &str,
) -> Result<String, DbError> {
    let id = uuid::Uuid::now_v7().to_string();
    let stored: String = sqlx::query_scalar(
        "INSERT INTO customer_saved_filters (id, user_id, name, query, created_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (user_id, name) DO UPDATE SET query = $4, created_at = $5 RETURNING id",
    )
    .bind(&id)
    .bind(user.to_string())
    .bind(name)
    .bind(query)
    .bind(now_ms())
    .fetch_one(db.pool())
    .await?;
    Ok(stored)
}

/// One of the user's saved filters (`None` if it is not theirs or does not exist).
pub async fn saved_filter(db: &Db, user: UserId, id: &str) -> Result<Option<SavedFilter>, DbError> {
    Ok(saved_filters(db, user)
        .await?
        .into_iter()
        .find(|f| f.id == id))
}

/// Deletes one of the user's saved filters; `false` if it is not theirs or does not exist.
pub async fn delete_filter(db: &Db, user: UserId, id: &str) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM customer_saved_filters WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user.to_string())
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The user's chosen columns of the customer list (column keys in order), if they chose.
pub async fn columns(db: &Db, user: UserId) -> Result<Option<Vec<String>>, DbError> {
    let text: Option<String> =
        sqlx::query_scalar("SELECT columns FROM customer_list_columns WHERE user_id = $1")
            .bind(user.to_string())
            .fetch_optional(db.pool())
            .await?;
    Ok(text.map(|t| {
        t.split(',')
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect()
    }))
}

/// Remembers the user's columns (keys in order).
pub async fn set_columns(db: &Db, user: UserId, columns: &[&str]) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO customer_list_columns (user_id, columns, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET columns = $2, updated_at = $3",
    )
    .bind(user.to_string())
    .bind(columns.join(","))
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::memory_db;
    use crate::db::users::{self, NewUser};
    use fieldcrm_core::Role;

    async fn user(db: &Db, name: &str) -> UserId {
        users::create(
            db,
            &NewUser {
                username: name,
                display_name: name,
                role: Role::Office,
                password_hash: "x",
            },
        )
        .await
        .unwrap()
        .id
    }

    #[tokio::test]
    async fn filters_and_columns_are_per_user() {
        let db = memory_db().await;
        let (a, b) = (user(&db, "a").await, user(&db, "b").await);
        let id = save_filter(&db, a, "A级 上海", "tier=A").await.unwrap();
        // Same name again replaces the query, keeps the id.
        assert_eq!(save_filter(&db, a, "A级 上海", "tier=B").await.unwrap(), id);
        save_filter(&db, b, "A级 上海", "tier=C").await.unwrap();
        let mine = saved_filters(&db, a).await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].query, "tier=B");
        assert!(!delete_filter(&db, b, &id).await.unwrap());
        assert!(saved_filter(&db, b, &id).await.unwrap().is_none());
        assert!(delete_filter(&db, a, &id).await.unwrap());
        assert!(saved_filters(&db, a).await.unwrap().is_empty());
        assert_eq!(saved_filters(&db, b).await.unwrap().len(), 1);

        assert_eq!(columns(&db, a).await.unwrap(), None);
        set_columns(&db, a, &["name", "code"]).await.unwrap();
        set_columns(&db, a, &["owner", "name"]).await.unwrap();
        assert_eq!(columns(&db, a).await.unwrap().unwrap(), ["owner", "name"]);
        assert_eq!(columns(&db, b).await.unwrap(), None);
    }
}
