//! People's accounts: sign-up, confirmation, approval, log-in, sessions and tokens, recovery,
//! profile and deletion.

mod auth;
mod model;
mod profile;
mod queries;
mod recovery;
pub mod rules;
mod signup;

pub use auth::*;
pub use model::*;
pub use profile::*;
pub use queries::*;
pub use recovery::*;
pub use signup::*;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

use crate::error::{Error, Result};

/// Token purposes in `account_tokens`.
pub const PURPOSE_CONFIRM: &str = "confirm";
pub const PURPOSE_RESET: &str = "reset";
pub const PURPOSE_CHANGE_EMAIL: &str = "change_email";

/// argon2id with the crate's recommended parameters, on a blocking thread.
pub async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("argon2: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(format!("hash task: {e}")))?
}

/// Checks a password against a stored hash, on a blocking thread. An empty or malformed hash
/// (a deleted account) never matches.
pub async fn verify_password(password: &str, hash: &str) -> Result<bool> {
    let (password, hash) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || match PasswordHash::new(&hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => {
            // Spend comparable time so that unknown accounts are not told apart by timing.
            let salt = SaltString::generate(&mut OsRng);
            let _ = Argon2::default().hash_password(password.as_bytes(), &salt);
            false
        }
    })
    .await
    .map_err(|e| Error::Internal(format!("verify task: {e}")))
}
