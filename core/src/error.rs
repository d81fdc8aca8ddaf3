//! Errors of the domain. Each variant carries a stable machine code; the server maps variants
//! to HTTP statuses in one place and logs the cause of internal ones without showing it.

use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum Error {
    /// Input that breaks a rule: `field` names the input, `code` the rule (e.g. `username_taken`).
    #[error("invalid {field}: {code}")]
    Invalid {
        field: &'static str,
        code: &'static str,
    },
    /// The thing asked for does not exist (or must not be revealed).
    #[error("not found")]
    NotFound,
    /// Credentials missing or wrong; `code` says which kind (`login_failed`, `not_confirmed` ...).
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// Authenticated but not allowed.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Too many attempts; retry after this many seconds.
    #[error("rate limited, retry after {retry_after}s")]
    RateLimited { retry_after: u64 },
    /// A configuration problem, naming the key.
    #[error("configuration: {0}")]
    Config(String),
    /// A dependency (database, mail server) is unreachable.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("database pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("mail: {0}")]
    Mail(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: &'static str, code: &'static str) -> Error {
        Error::Invalid { field, code }
    }

    /// True when a unique index refused the write, i.e. a concurrent duplicate.
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            Error::Database(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}
