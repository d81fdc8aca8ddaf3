//! Storage: the one file where the two database backends differ.
//!
//! Queries are written once at each call site inside `db_run!` / `db_tx!`; the macros expand
//! the body once per backend, so it type-checks against SQLite and PostgreSQL alike while
//! keeping `ON CONFLICT` upserts and `RETURNING` available (which diesel's `MultiConnection`
//! cannot express).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, QueryableByName, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use serde::Serialize;

use crate::error::{Error, Result};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// Arbitrary but fixed key for the PostgreSQL advisory lock held while migrating.
const MIGRATION_LOCK_KEY: i64 = 0x006b_6f67_696d_6967;

pub type SqlitePool = Pool<ConnectionManager<SqliteConnection>>;
pub type PgPool = Pool<ConnectionManager<PgConnection>>;

/// A connection pool for whichever backend the database URL names.
#[derive(Clone)]
pub enum DbPool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Which backend a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite://") || url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// The SQLite file a `sqlite://` URL points at.
pub fn sqlite_path(url: &str) -> PathBuf {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    PathBuf::from(rest)
}

#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(
        &self,
        conn: &mut SqliteConnection,
    ) -> std::result::Result<(), diesel::r2d2::Error> {
        // WAL lets readers run beside the writer; busy_timeout makes writers queue instead of
        // failing; foreign keys are off by default in SQLite and must be enabled per connection.
        conn.batch_execute(
            "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
             PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
        )
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

impl DbPool {
    /// Opens a pool for the URL; fails clearly (never panics) when the database is unreachable.
    pub fn connect(url: &str, max_connections: u32) -> Result<DbPool> {
        match Backend::from_url(url) {
            Some(Backend::Sqlite) => {
                let path = sqlite_path(url);
                if let Some(dir) = path.parent() {
                    if !dir.as_os_str().is_empty() {
                        std::fs::create_dir_all(dir).map_err(|e| {
                            Error::Config(format!(
                                "cannot create database directory {}: {e}",
                                dir.display()
                            ))
                        })?;
                    }
                }
                let manager = ConnectionManager::<SqliteConnection>::new(path.to_string_lossy());
                let pool = Pool::builder()
                    .max_size(max_connections.max(1))
                    .min_idle(Some(1))
                    .connection_timeout(Duration::from_secs(10))
                    .connection_customizer(Box::new(SqlitePragmas))
                    .build(manager)
                    .map_err(|e| {
                        Error::Unavailable(format!(
                            "cannot open SQLite database {}: {e}",
                            path.display()
                        ))
                    })?;
                Ok(DbPool::Sqlite(pool))
            }
            Some(Backend::Postgres) => {
                // Try one connection first so that a wrong host or password is reported at once
                // with the driver's own message, instead of a pool time-out.
                PgConnection::establish(url).map_err(|e| {
                    Error::Unavailable(format!(
                        "cannot connect to PostgreSQL: {}",
                        e.to_string().trim()
                    ))
                })?;
                let manager = ConnectionManager::<PgConnection>::new(url);
                let pool = Pool::builder()
                    .max_size(max_connections.max(1))
                    .min_idle(Some(1))
                    .connection_timeout(Duration::from_secs(10))
                    .build(manager)
                    .map_err(|e| {
                        Error::Unavailable(format!("cannot connect to PostgreSQL: {e}"))
                    })?;
                Ok(DbPool::Postgres(pool))
            }
            None => Err(Error::Config(
                "database.url must start with sqlite:// or postgres://".to_string(),
            )),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            DbPool::Sqlite(_) => Backend::Sqlite,
            DbPool::Postgres(_) => Backend::Postgres,
        }
    }

    /// (connections in use, idle connections, maximum), for metrics.
    pub fn usage(&self) -> (u32, u32, u32) {
        let (state, max) = match self {
            DbPool::Sqlite(p) => (p.state(), p.max_size()),
            DbPool::Postgres(p) => (p.state(), p.max_size()),
        };
        (
            state.connections - state.idle_connections,
            state.idle_connections,
            max,
        )
    }
}

/// Runs blocking database work on tokio's blocking threads, never on the async executor.
pub async fn run_blocking<T, F>(f: F) -> Result<T>
where
    F: FnOnce() -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("database task failed: {e}")))?
}

/// Runs `body` with a pooled connection of whichever backend; the body is expanded once per
/// backend. It must evaluate to `kogi_core::Result<T>`.
#[macro_export]
macro_rules! db_run {
    ($pool:expr, |$conn:ident| $body:expr) => {{
        match ($pool).clone() {
            $crate::db::DbPool::Sqlite(pool) => {
                $crate::db::run_blocking(move || {
                    let mut pooled = pool.get()?;
                    let $conn: &mut ::diesel::sqlite::SqliteConnection = &mut pooled;
                    $body
                })
                .await
            }
            $crate::db::DbPool::Postgres(pool) => {
                $crate::db::run_blocking(move || {
                    let mut pooled = pool.get()?;
                    let $conn: &mut ::diesel::pg::PgConnection = &mut pooled;
                    $body
                })
                .await
            }
        }
    }};
}

/// Like `db_run!`, inside a write transaction. On SQLite the transaction is IMMEDIATE, since a
/// deferred one that reads and then writes fails with SQLITE_BUSY under concurrency.
#[macro_export]
macro_rules! db_tx {
    ($pool:expr, |$conn:ident| $body:expr) => {{
        match ($pool).clone() {
            $crate::db::DbPool::Sqlite(pool) => {
                $crate::db::run_blocking(move || {
                    let mut pooled = pool.get()?;
                    let c: &mut ::diesel::sqlite::SqliteConnection = &mut pooled;
                    c.immediate_transaction(|$conn| -> $crate::Result<_> { $body })
                })
                .await
            }
            $crate::db::DbPool::Postgres(pool) => {
                $crate::db::run_blocking(move || {
                    let mut pooled = pool.get()?;
                    let c: &mut ::diesel::pg::PgConnection = &mut pooled;
                    ::diesel::Connection::transaction(c, |$conn| -> $crate::Result<_> { $body })
                })
                .await
            }
        }
    }};
}

/// Applies pending migrations under a lock, so that several processes starting together
/// migrate once. Returns the versions applied.
pub async fn migrate(pool: &DbPool, database_url: &str) -> Result<Vec<String>> {
    let url = database_url.to_string();
    match pool.clone() {
        DbPool::Sqlite(p) => {
            run_blocking(move || {
                let lock_path = lock_file_for(&sqlite_path(&url));
                let lock = File::create(&lock_path).map_err(|e| {
                    Error::Internal(format!("cannot create {}: {e}", lock_path.display()))
                })?;
                lock.lock().map_err(|e| {
                    Error::Internal(format!("cannot lock {}: {e}", lock_path.display()))
                })?;
                let mut conn = p.get()?;
                let applied = conn
                    .run_pending_migrations(SQLITE_MIGRATIONS)
                    .map_err(|e| Error::Internal(format!("migration failed: {e}")))?;
                drop(lock);
                Ok(applied.iter().map(|v| v.to_string()).collect())
            })
            .await
        }
        DbPool::Postgres(p) => {
            run_blocking(move || {
                let mut conn = p.get()?;
                diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                    .execute(&mut conn)?;
                let result = conn
                    .run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map(|v| v.iter().map(|v| v.to_string()).collect::<Vec<_>>())
                    .map_err(|e| Error::Internal(format!("migration failed: {e}")));
                diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                    .execute(&mut conn)?;
                result
            })
            .await
        }
    }
}

fn lock_file_for(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".migrate.lock");
    db.with_file_name(name)
}

/// Claims due deliveries within `limits` for `lease_secs`: marks them locked and returns
/// them, oldest due first. Rows of hosts already at their cap are not even looked at, so a
/// host with thousands of waiting rows never hides other hosts' rows; of the first due rows of
/// the other hosts, [`ClaimLimits::pick`] keeps what the total and each host's room allow.
/// PostgreSQL locks the candidates `FOR UPDATE SKIP LOCKED`, so several worker processes share
/// the queue without taking the same row; SQLite has one writer, so an IMMEDIATE transaction
/// around the read and the `UPDATE … RETURNING` does the same. A crashed worker's lease simply
/// runs out.
pub async fn claim_deliveries(
    pool: &DbPool,
    limits: &crate::deliveries::ClaimLimits,
    lease_secs: i64,
) -> Result<Vec<crate::deliveries::Delivery>> {
    use crate::deliveries::{Delivery, PENDING};
    use crate::schema::deliveries as d;
    use diesel::prelude::*;
    let now = crate::now();
    let until = now + chrono::Duration::seconds(lease_secs);
    let saturated = limits.saturated();
    let scan = limits.scan();
    let limits = limits.clone();
    // Written once, expanded per backend by the macro below (only PostgreSQL can lock rows).
    macro_rules! due {
        () => {
            d::table
                .filter(d::state.eq(PENDING))
                .filter(d::next_attempt_at.le(now))
                .filter(d::locked_until.is_null().or(d::locked_until.lt(now)))
                .filter(d::host.ne_all(&saturated))
                .order((d::next_attempt_at.asc(), d::id.asc()))
                .limit(scan)
                .select((d::id, d::host))
        };
    }
    let mut rows: Vec<Delivery> = match pool.clone() {
        DbPool::Sqlite(p) => {
            run_blocking(move || {
                let mut conn = p.get()?;
                conn.immediate_transaction(|conn| {
                    let candidates: Vec<(i64, String)> = due!().load(conn)?;
                    let ids = limits.pick(&candidates);
                    if ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    Ok(diesel::update(d::table.filter(d::id.eq_any(&ids)))
                        .set(d::locked_until.eq(Some(until)))
                        .returning(Delivery::as_returning())
                        .get_results(conn)?)
                })
            })
            .await?
        }
        DbPool::Postgres(p) => {
            run_blocking(move || {
                let mut conn = p.get()?;
                conn.transaction(|conn| {
                    let candidates: Vec<(i64, String)> =
                        due!().for_update().skip_locked().load(conn)?;
                    let ids = limits.pick(&candidates);
                    if ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    Ok(diesel::update(d::table.filter(d::id.eq_any(&ids)))
                        .set(d::locked_until.eq(Some(until)))
                        .returning(Delivery::as_returning())
                        .get_results(conn)?)
                })
            })
            .await?
        }
    };
    rows.sort_by_key(|r| (r.next_attempt_at, r.id));
    Ok(rows)
}

/// Is the database answering? Used by `/readyz`.
pub async fn ping(pool: &DbPool) -> Result<()> {
    db_run!(pool, |conn| {
        diesel::sql_query("SELECT 1").execute(conn)?;
        Ok(())
    })
}

/// Portable description of the migrated schema, used to check that both migration trees
/// produce the same tables, columns, types, nullability and unique indexes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaDescription {
    pub tables: Vec<TableDescription>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableDescription {
    pub name: String,
    pub columns: Vec<ColumnDescription>,
    /// Each unique index as its sorted column list (primary keys excluded).
    pub unique_indexes: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnDescription {
    pub name: String,
    pub sql_type: String,
    pub nullable: bool,
}

#[derive(QueryableByName)]
struct NameRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(QueryableByName)]
struct SqliteColumnRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "type")]
    sql_type: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    notnull: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct SqliteIndexRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    unique: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    origin: String,
}

#[derive(QueryableByName)]
struct PgColumnRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    data_type: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    is_nullable: String,
}

#[derive(QueryableByName)]
struct PgIndexRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    columns: String,
}

fn normalise_type(t: &str) -> String {
    let t = t.to_ascii_lowercase();
    match t.as_str() {
        "integer" | "bigint" | "bigserial" | "int" | "int8" | "int4" => "integer".into(),
        "text" | "character varying" | "varchar" => "text".into(),
        "boolean" | "bool" => "boolean".into(),
        "timestamp" | "timestamp without time zone" => "timestamp".into(),
        other => other.into(),
    }
}

/// Reads the schema from the database catalogue.
pub async fn describe_schema(pool: &DbPool) -> Result<SchemaDescription> {
    let mut tables = match pool.clone() {
        DbPool::Sqlite(p) => {
            run_blocking(move || {
                let mut conn = p.get()?;
                let names: Vec<NameRow> = diesel::sql_query(
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations' ORDER BY name",
                )
                .load(&mut conn)?;
                let mut tables = Vec::new();
                for t in names {
                    let cols: Vec<SqliteColumnRow> =
                        diesel::sql_query(format!("PRAGMA table_info(\"{}\")", t.name)).load(&mut conn)?;
                    let columns = cols
                        .into_iter()
                        .map(|c| ColumnDescription {
                            // INTEGER PRIMARY KEY is implicitly NOT NULL in SQLite.
                            nullable: c.notnull == 0 && c.pk == 0,
                            name: c.name,
                            sql_type: normalise_type(&c.sql_type),
                        })
                        .collect();
                    let idx: Vec<SqliteIndexRow> =
                        diesel::sql_query(format!("PRAGMA index_list(\"{}\")", t.name)).load(&mut conn)?;
                    let mut unique_indexes = Vec::new();
                    for i in idx.into_iter().filter(|i| i.unique == 1 && i.origin != "pk") {
                        let cols: Vec<NameRow> =
                            diesel::sql_query(format!("SELECT name FROM pragma_index_info('{}')", i.name))
                                .load(&mut conn)?;
                        let mut cols: Vec<String> = cols.into_iter().map(|c| c.name).collect();
                        cols.sort();
                        unique_indexes.push(cols);
                    }
                    tables.push(TableDescription { name: t.name, columns, unique_indexes });
                }
                Ok(tables)
            })
            .await?
        }
        DbPool::Postgres(p) => {
            run_blocking(move || {
                let mut conn = p.get()?;
                let cols: Vec<PgColumnRow> = diesel::sql_query(
                    "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                     data_type::text AS data_type, is_nullable::text AS is_nullable \
                     FROM information_schema.columns WHERE table_schema = current_schema() \
                     AND table_name <> '__diesel_schema_migrations' ORDER BY table_name, ordinal_position",
                )
                .load(&mut conn)?;
                let idx: Vec<PgIndexRow> = diesel::sql_query(
                    "SELECT t.relname::text AS table_name, \
                     string_agg(a.attname::text, ',' ORDER BY a.attname) AS columns \
                     FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid \
                     JOIN pg_namespace n ON n.oid = t.relnamespace \
                     JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey) \
                     WHERE i.indisunique AND NOT i.indisprimary AND n.nspname = current_schema() \
                     AND t.relname <> '__diesel_schema_migrations' \
                     GROUP BY t.relname, i.indexrelid",
                )
                .load(&mut conn)?;
                let mut tables: Vec<TableDescription> = Vec::new();
                for c in cols {
                    if tables.last().map(|t| t.name != c.table_name).unwrap_or(true) {
                        tables.push(TableDescription {
                            name: c.table_name.clone(),
                            columns: Vec::new(),
                            unique_indexes: Vec::new(),
                        });
                    }
                    if let Some(t) = tables.last_mut() {
                        t.columns.push(ColumnDescription {
                            name: c.column_name,
                            sql_type: normalise_type(&c.data_type),
                            nullable: c.is_nullable == "YES",
                        });
                    }
                }
                for i in idx {
                    if let Some(t) = tables.iter_mut().find(|t| t.name == i.table_name) {
                        t.unique_indexes.push(i.columns.split(',').map(str::to_string).collect());
                    }
                }
                Ok(tables)
            })
            .await?
        }
    };
    for t in &mut tables {
        t.unique_indexes.sort();
    }
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(SchemaDescription { tables })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_select_backends() {
        assert_eq!(
            Backend::from_url("sqlite://data/kogi.db"),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::from_url("postgres://u@h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::from_url("mysql://u@h/db"), None);
        assert_eq!(
            sqlite_path("sqlite://./data/kogi.db"),
            PathBuf::from("./data/kogi.db")
        );
    }

    #[test]
    fn types_normalise() {
        assert_eq!(normalise_type("BIGINT"), "integer");
        assert_eq!(normalise_type("timestamp without time zone"), "timestamp");
        assert_eq!(normalise_type("BOOLEAN"), "boolean");
    }
}
