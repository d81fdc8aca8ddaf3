//! Rules for handles, email addresses and passwords.

/// Names that would collide with routes or impersonate the instance.
const RESERVED: &[&str] = &[
    "about",
    "account",
    "accounts",
    "actor",
    "admin",
    "administrator",
    "api",
    "auth",
    "communities",
    "community",
    "confirm",
    "explore",
    "favicon",
    "help",
    "inbox",
    "instance",
    "kogi",
    "login",
    "logout",
    "media",
    "metrics",
    "moderator",
    "mod",
    "nodeinfo",
    "null",
    "oauth",
    "outbox",
    "portfolio",
    "portfolios",
    "postmaster",
    "reset",
    "root",
    "search",
    "settings",
    "signup",
    "static",
    "support",
    "system",
    "undefined",
    "user",
    "users",
    "webmaster",
    "well_known",
    "www",
];

/// Passwords seen at the top of leaked-password lists (compared case-insensitively, after
/// the length rule). Kept short on purpose: length does most of the work.
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789a",
    "1234567891",
    "0123456789",
    "0987654321",
    "1111111111",
    "0000000000",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "qwertyuiop",
    "asdfghjkl;",
    "qwerty1234",
    "qwerty12345",
    "qwertyuiop1",
    "password12",
    "password123",
    "password1234",
    "passw0rd123",
    "iloveyou12",
    "iloveyou123",
    "abcdefghij",
    "abcd123456",
    "abc1234567",
    "letmein123",
    "welcome123",
    "welcome1234",
    "football123",
    "baseball123",
    "dragon1234",
    "monkey1234",
    "sunshine12",
    "princess12",
    "superman123",
    "starwars123",
    "trustno1234",
    "master1234",
    "administrator",
    "changeme123",
    "zaq12wsxcde",
    "1234qwerasdf",
    "asdfasdfasdf",
    "aaaaaaaaaa",
    "qwerasdfzxcv",
    "q1w2e3r4t5",
    "987654321a",
    "11223344556677",
    "123123123123",
    "password!1",
    "p@ssw0rd123",
    "myspace123",
    "computer123",
    "internet123",
    "whatever123",
];

pub const HANDLE_MAX: usize = 30;
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 1024;

/// Lowercases a handle and checks `[a-z0-9_]{1,30}`; `None` when malformed.
pub fn normalise_handle(input: &str) -> Option<String> {
    let h = input.trim().to_lowercase();
    let ok = !h.is_empty()
        && h.len() <= HANDLE_MAX
        && h.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    ok.then_some(h)
}

pub fn is_reserved(handle: &str) -> bool {
    RESERVED.contains(&handle)
}

/// A practical email check: one `@`, a sensible local part, a domain of DNS labels with a dot.
/// Returns the normalised (lowercased) address used for uniqueness.
pub fn normalise_email(input: &str) -> Option<String> {
    let e = input.trim();
    if e.len() > 254 || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (local, domain) = e.rsplit_once('@')?;
    if local.is_empty()
        || local.len() > 64
        || local.contains('@')
        || local.contains(['<', '>', '"', ',', ';'])
    {
        return None;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    domain_ok.then(|| e.to_lowercase())
}

/// Why a password is refused, if it is.
pub fn password_problem(password: &str, username: &str) -> Option<&'static str> {
    let n = password.chars().count();
    if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&n) {
        return Some("password_weak");
    }
    let lower = password.to_lowercase();
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        return Some("password_weak");
    }
    if !username.is_empty() && lower.contains(&username.to_lowercase()) && n < username.len() + 6 {
        return Some("password_weak");
    }
    let first = lower.chars().next();
    if lower.chars().all(|c| Some(c) == first) {
        return Some("password_weak");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles() {
        assert_eq!(normalise_handle("Alice_01").as_deref(), Some("alice_01"));
        assert_eq!(
            normalise_handle("a".repeat(30).as_str()).map(|s| s.len()),
            Some(30)
        );
        assert!(normalise_handle(&"a".repeat(31)).is_none());
        assert!(normalise_handle("al ice").is_none());
        assert!(normalise_handle("alice-b").is_none());
        assert!(normalise_handle("").is_none());
        assert!(normalise_handle("élodie").is_none());
        assert!(is_reserved("admin"));
    }

    #[test]
    fn emails() {
        assert_eq!(
            normalise_email("Alice@Example.ORG").as_deref(),
            Some("alice@example.org")
        );
        assert!(normalise_email("alice@localhost").is_none());
        assert!(normalise_email("alice").is_none());
        assert!(normalise_email("a b@example.org").is_none());
        assert!(normalise_email("@example.org").is_none());
        assert!(normalise_email("a@-x.org").is_none());
    }

    #[test]
    fn passwords() {
        assert_eq!(password_problem("short", "bob"), Some("password_weak"));
        assert_eq!(
            password_problem("Password123", "bob"),
            Some("password_weak")
        );
        assert_eq!(
            password_problem("aaaaaaaaaaaa", "bob"),
            Some("password_weak")
        );
        assert_eq!(
            password_problem("alice12345", "alice"),
            Some("password_weak")
        );
        assert_eq!(password_problem("correct horse battery", "bob"), None);
    }
}
