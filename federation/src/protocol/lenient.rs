//! Lenient field shapes for received documents: peers differ in what they send, so a field
//! of an unexpected shape counts as absent (as Mastodon treats it) instead of refusing the
//! whole document, and a link may be a string, an object or an array of either.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::actors::first_url;

/// `T` when the field has T's shape, else absent.
pub fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let v = Value::deserialize(d)?;
    Ok(serde_json::from_value(v).ok())
}

/// One or many `T`, leaving out the entries of another shape.
pub fn lenient_many<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    // Not `deserialize_one_or_many` into `Value`: an array is itself one `Value`.
    let all = match Value::deserialize(d)? {
        Value::Array(all) => all,
        Value::Null => Vec::new(),
        one => vec![one],
    };
    Ok(all
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect())
}

/// A list of `T` when the field is an array (entries of another shape left out), else
/// absent.
pub fn lenient_list<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(match Value::deserialize(d)? {
        Value::Array(all) => Some(
            all.into_iter()
                .filter_map(|v| serde_json::from_value(v).ok())
                .collect(),
        ),
        _ => None,
    })
}

/// A link: a URL, a `Link` or object with `href`/`url`/`id`, or an array of these.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct Link(Value);

impl Link {
    pub fn url(&self) -> Option<String> {
        first_url(&self.0)
    }

    /// The ids of a list of links.
    pub fn urls(list: &[Link]) -> Vec<String> {
        list.iter().filter_map(Link::url).collect()
    }
}

/// A `tag` entry: a `Hashtag`, a `Mention`, an `Emoji`…
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Tag {
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub href: Option<String>,
}

impl Tag {
    /// The names of the `Hashtag`s, without `#`.
    pub fn hashtags(tags: &[Tag]) -> impl Iterator<Item = &str> {
        tags.iter()
            .filter(|t| t.kind.as_deref() == Some("Hashtag"))
            .filter_map(|t| t.name.as_deref())
            .map(|n| n.trim_start_matches('#'))
    }
}

/// At most `max` characters of an optional text, empty when absent.
pub fn clip(s: &Option<String>, max: usize) -> String {
    s.as_deref().unwrap_or("").chars().take(max).collect()
}
