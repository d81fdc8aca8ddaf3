//! Rate limits on sign-up, log-in, token and reset requests: per account name (or address) and
//! per client IP, counted in the database so every process shares them.

use std::net::IpAddr;

use kogi_core::ratelimit::{hit, Limit};
use kogi_core::Result;

use crate::app::AppState;

async fn per_ip(state: &AppState, ip: IpAddr) -> Result<()> {
    hit(
        &state.core.db,
        &format!("ip:{ip}"),
        Limit {
            max: state.config.rate_limits.ip_per_minute,
            window_secs: 60,
        },
    )
    .await
}

pub async fn login(state: &AppState, ip: IpAddr, username: &str) -> Result<()> {
    per_ip(state, ip).await?;
    let name = username.trim().to_lowercase();
    hit(
        &state.core.db,
        &format!("login:{name}"),
        Limit {
            max: state.config.rate_limits.login_per_minute,
            window_secs: 60,
        },
    )
    .await
}

pub async fn signup(state: &AppState, ip: IpAddr, username: &str) -> Result<()> {
    per_ip(state, ip).await?;
    let limit = Limit {
        max: state.config.rate_limits.signup_per_hour,
        window_secs: 3600,
    };
    hit(&state.core.db, &format!("signup-ip:{ip}"), limit).await?;
    hit(
        &state.core.db,
        &format!("signup-name:{}", username.trim().to_lowercase()),
        limit,
    )
    .await
}

pub async fn reset(state: &AppState, ip: IpAddr, email: &str) -> Result<()> {
    per_ip(state, ip).await?;
    let limit = Limit {
        max: state.config.rate_limits.reset_per_hour,
        window_secs: 3600,
    };
    hit(
        &state.core.db,
        &format!("reset:{}", email.trim().to_lowercase()),
        limit,
    )
    .await
}

/// Confirmation-token submissions: per IP only (the token itself is the secret).
pub async fn token(state: &AppState, ip: IpAddr) -> Result<()> {
    per_ip(state, ip).await
}
