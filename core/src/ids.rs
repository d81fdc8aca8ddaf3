//! The one place local URLs and ids are minted. Federation, the pages and the API format
//! these through here, so a path changes in one place.

use rand::Rng;

/// A new unguessable token (hex of 16 random bytes) for a local object's URL.
pub fn token() -> String {
    let b: [u8; 16] = rand::thread_rng().gen();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A new id for an activity of `kind` (`follow`, `accept`, `undo`, …) sent from `base`.
pub fn activity(base: &str, kind: &str) -> String {
    format!("{base}/activities/{kind}/{}", token())
}

/// A local post's URL.
pub fn post(base: &str, token: &str) -> String {
    format!("{base}/posts/{token}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn activity_ids_are_unique_and_under_activities() {
        let a = super::activity("https://k.example", "follow");
        let b = super::activity("https://k.example", "follow");
        assert!(a.starts_with("https://k.example/activities/follow/"));
        assert_eq!(a.len(), "https://k.example/activities/follow/".len() + 32);
        assert_ne!(a, b);
    }
}
