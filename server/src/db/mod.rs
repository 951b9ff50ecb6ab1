//! SurrealDB connection (embedded, in memory or remote, chosen by URL) and schema set-up.

pub mod attendance;
pub mod avatars;
pub mod chat;
pub mod invitations;
pub mod meetings;
pub mod refresh_tokens;
pub mod users;

use surrealdb::Surreal;
use surrealdb::engine::any::{self, Any};
use surrealdb::opt::auth::Root;
use surrealdb::types::{RecordId, RecordIdKey};

pub type Db = Surreal<Any>;

/// The schema version this binary writes; bump it with every change to `schema.surql`.
pub const SCHEMA_VERSION: i64 = 7;
const SCHEMA: &str = include_str!("schema.surql");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("unique value already taken")]
    Duplicate,
    #[error("query failed: {0}")]
    Query(String),
    #[error("bad database URL: {0}")]
    BadUrl(String),
}

impl From<surrealdb::Error> for DbError {
    fn from(err: surrealdb::Error) -> Self {
        let message = err.to_string();
        if err.is_already_exists() || message.contains("already contains") {
            DbError::Duplicate
        } else if err.is_connection() {
            DbError::Unavailable(message)
        } else {
            DbError::Query(message)
        }
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// Connects, signs in for remote servers, selects the namespace and applies the schema.
pub async fn connect(url: &str, user: Option<&str>, password: Option<&str>) -> DbResult<Db> {
    if let Some(path) = url.strip_prefix("surrealkv://") {
        if path.is_empty() {
            return Err(DbError::BadUrl("surrealkv:// needs a directory".into()));
        }
        if let Some(parent) = std::path::Path::new(path).parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| DbError::Unavailable(format!("cannot create {parent:?}: {e}")))?;
        }
    } else if !(url.starts_with("mem://") || url.starts_with("ws://") || url.starts_with("wss://"))
    {
        return Err(DbError::BadUrl(format!(
            "{url:?}: use surrealkv://<dir>, mem:// or ws://host:port"
        )));
    }
    let db = any::connect(url).await?;
    if let (Some(username), Some(password)) = (user, password) {
        db.signin(Root {
            username: username.to_owned(),
            password: password.to_owned(),
        })
        .await?;
    }
    db.use_ns("video_meet").use_db("main").await?;
    apply_schema(&db).await?;
    Ok(db)
}

/// Idempotent: every statement is `IF NOT EXISTS`, and the version record is upserted.
pub async fn apply_schema(db: &Db) -> DbResult<()> {
    db.query(SCHEMA)
        .query("UPSERT schema_version:current SET version = $version, applied_at = time::now()")
        .bind(("version", SCHEMA_VERSION))
        .await?
        .check()?;
    Ok(())
}

/// The schema version stored in the database.
pub async fn schema_version(db: &Db) -> DbResult<Option<i64>> {
    let mut res = db
        .query("SELECT VALUE version FROM ONLY schema_version:current")
        .await?
        .check()?;
    Ok(res.take::<Option<i64>>(0)?)
}

/// A cheap round trip, for `/readyz`.
pub async fn ping(db: &Db) -> DbResult<()> {
    db.query("RETURN 1").await?.check()?;
    Ok(())
}

/// The string key of a record id we created (our keys are always strings).
pub fn key_of(id: &RecordId) -> String {
    match &id.key {
        RecordIdKey::String(s) => s.clone(),
        RecordIdKey::Number(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}

/// A random record key: 20 lowercase letters and digits (~103 bits).
pub fn new_key() -> String {
    crate::ids::random_key()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn schema_applies_twice_and_records_version() {
        let db = connect("mem://", None, None).await.unwrap();
        apply_schema(&db).await.unwrap();
        assert_eq!(schema_version(&db).await.unwrap(), Some(SCHEMA_VERSION));
    }

    #[tokio::test]
    async fn unknown_scheme_is_refused() {
        assert!(matches!(
            connect("postgres://x", None, None).await,
            Err(DbError::BadUrl(_))
        ));
    }
}
