//! Community checks on what is submitted: pure, no storage.

use crate::error::{Error, Result};

/// Checks a list of linked portfolio URLs (at most 20, http or https, no repeats).
pub(super) fn clean_portfolios(list: &[String]) -> Result<String> {
    let mut out: Vec<String> = Vec::new();
    for u in list {
        let u = u.trim();
        if !(u.starts_with("https://") || u.starts_with("http://"))
            || u.len() > 2000
            || url::Url::parse(u).is_err()
        {
            return Err(Error::invalid("portfolios", "url_invalid"));
        }
        if !out.iter().any(|x| x == u) {
            out.push(u.to_string());
        }
    }
    if out.len() > 20 {
        return Err(Error::invalid("portfolios", "too_many"));
    }
    serde_json::to_string(&out).map_err(|e| Error::Internal(e.to_string()))
}
