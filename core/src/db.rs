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
use diesel::{Connection, RunQueryDsl};
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

/// A connection of either backend, borrowed for the length of one unit of work (usually one
/// transaction a use case opened with [`tx`]). Query functions take `&mut Conn` so several of
/// them compose into one transaction; `with_conn!` expands a query once per backend.
pub enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Pg(&'a mut PgConnection),
}

impl<'a> From<&'a mut SqliteConnection> for Conn<'a> {
    fn from(c: &'a mut SqliteConnection) -> Self {
        Conn::Sqlite(c)
    }
}

impl<'a> From<&'a mut PgConnection> for Conn<'a> {
    fn from(c: &'a mut PgConnection) -> Self {
        Conn::Pg(c)
    }
}

impl Conn<'_> {
    pub fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Pg(_) => Backend::Postgres,
        }
    }
}

/// Runs `body` with `$c` bound to the backend's own connection; the body is expanded once per
/// backend (so it type-checks against both) and must evaluate to the same type in each.
#[macro_export]
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {{
        match $conn {
            $crate::db::Conn::Sqlite($c) => {
                let $c: &mut ::diesel::sqlite::SqliteConnection = &mut **$c;
                $body
            }
            $crate::db::Conn::Pg($c) => {
                let $c: &mut ::diesel::pg::PgConnection = &mut **$c;
                $body
            }
        }
    }};
}

/// Runs `f` inside ONE write transaction on a pooled connection, on a blocking thread: every
/// write `f` makes commits together or not at all. SQLite's transaction is IMMEDIATE (see
/// `db_tx!`). `f` must not do network I/O: it holds the database's write lock.
pub async fn tx<T, F>(pool: &DbPool, f: F) -> Result<T>
where
    F: FnOnce(&mut Conn<'_>) -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    match pool.clone() {
        DbPool::Sqlite(p) => {
            run_blocking(move || {
                let mut pooled = p.get()?;
                let c: &mut SqliteConnection = &mut pooled;
                c.immediate_transaction(|c| f(&mut Conn::Sqlite(c)))
            })
            .await
        }
        DbPool::Postgres(p) => {
            run_blocking(move || {
                let mut pooled = p.get()?;
                let c: &mut PgConnection = &mut pooled;
                c.transaction(|c| f(&mut Conn::Pg(c)))
            })
            .await
        }
    }
}

/// Runs `f` on a pooled connection without a transaction (reads, single statements).
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T>
where
    F: FnOnce(&mut Conn<'_>) -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    match pool.clone() {
        DbPool::Sqlite(p) => {
            run_blocking(move || {
                let mut pooled = p.get()?;
                f(&mut Conn::Sqlite(&mut pooled))
            })
            .await
        }
        DbPool::Postgres(p) => {
            run_blocking(move || {
                let mut pooled = p.get()?;
                f(&mut Conn::Pg(&mut pooled))
            })
            .await
        }
    }
}

/// `pg_notify(channel, payload)` on PostgreSQL; nothing on SQLite (one process, so the
/// in-process channel is enough). Used by the live pushes.
pub fn pg_notify(conn: &mut Conn, channel: &str, payload: &str) -> Result<()> {
    if let Conn::Pg(c) = conn {
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<diesel::sql_types::Text, _>(channel)
            .bind::<diesel::sql_types::Text, _>(payload)
            .execute(&mut **c)?;
    }
    Ok(())
}

/// Listens on a PostgreSQL channel on `conn` and calls `each` with every payload, forever
/// (returns only on error). Polls every 150 ms: a round trip lets libpq read notifications.
pub fn pg_listen(
    conn: &mut PgConnection,
    channel: &str,
    mut each: impl FnMut(&str),
) -> std::result::Result<(), String> {
    diesel::sql_query(format!("LISTEN {channel}"))
        .execute(conn)
        .map_err(|e| e.to_string())?;
    loop {
        diesel::sql_query("SELECT 1")
            .execute(conn)
            .map_err(|e| e.to_string())?;
        for n in conn.notifications_iter() {
            let n = n.map_err(|e| e.to_string())?;
            each(&n.payload);
        }
        std::thread::sleep(Duration::from_millis(150));
    }
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
    use crate::deliveries::{Candidate, Delivery, PENDING};
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
                .select((d::id, d::host, d::actor_id, d::inbox_url))
        };
    }
    let mut rows: Vec<Delivery> = match pool.clone() {
        DbPool::Sqlite(p) => {
            run_blocking(move || {
                let mut conn = p.get()?;
                conn.immediate_transaction(|conn| {
                    let candidates: Vec<Candidate> = due!().load(conn)?;
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
                    let candidates: Vec<Candidate> =
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

mod describe;
pub use describe::*;

#[cfg(test)]
mod tests {
    use super::describe::normalise_type;
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
