//! Collections and tombstones as Kogi serves them: paged `OrderedCollection`s (followers,
//! following), the outbox, and `Tombstone`s for deleted things.

use chrono::NaiveDateTime;
use serde_json::{json, Value};

use crate::vocab::AS_CONTEXT;

/// The collection itself: its size and, when it has items, its first page (`?page=1`).
pub fn ordered_collection(id: &str, total: i64) -> Value {
    let mut doc =
        json!({"@context": AS_CONTEXT, "id": id, "type": "OrderedCollection", "totalItems": total});
    if total > 0 {
        doc["first"] = json!(format!("{id}?page=1"));
    }
    doc
}

/// Page `page` (from 1) of a collection of `total` items, `page_size` a page.
pub fn collection_page(
    id: &str,
    page: i64,
    page_size: i64,
    total: i64,
    items: Vec<Value>,
) -> Value {
    let mut doc = json!({
        "@context": AS_CONTEXT,
        "id": format!("{id}?page={page}"),
        "type": "OrderedCollectionPage",
        "partOf": id,
        "totalItems": total,
        "orderedItems": items,
    });
    if page * page_size < total {
        doc["next"] = json!(format!("{id}?page={}", page + 1));
    }
    if page > 1 {
        doc["prev"] = json!(format!("{id}?page={}", page - 1));
    }
    doc
}

/// A whole (short) collection with its items inline, as the outbox is served.
pub fn inline_collection(id: &str, items: Vec<Value>) -> Value {
    json!({"@context": AS_CONTEXT, "id": id, "type": "OrderedCollection", "totalItems": items.len(), "orderedItems": items})
}

/// What a deleted actor or post answers (with 410 Gone).
pub fn tombstone(ap_id: &str, former_type: &str, deleted: NaiveDateTime) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": ap_id,
        "type": "Tombstone",
        "formerType": former_type,
        "deleted": deleted.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_link_to_each_other() {
        let c = ordered_collection("https://k/users/a/followers", 0);
        assert!(c.get("first").is_none());
        let p = collection_page("https://k/f", 2, 40, 100, vec![]);
        assert_eq!(p["next"], "https://k/f?page=3");
        assert_eq!(p["prev"], "https://k/f?page=1");
        let last = collection_page("https://k/f", 3, 40, 100, vec![]);
        assert!(last.get("next").is_none());
    }
}
