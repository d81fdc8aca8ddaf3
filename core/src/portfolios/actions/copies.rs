//! An item's federated copy: the post that carries a local item to its audience (an
//! `Article` to the portfolio's followers, or a direct post to the team), kept in line with
//! the item inside the transaction of the edit that changed it, with the outbox event that
//! tells followers (`ItemPublished`, `ItemWithdrawn`).

use crate::db::Conn;
use crate::error::{Error, Result};
use crate::outbox::{self, DomainEvent};
use crate::portfolios::model::*;
use crate::portfolios::{engagement, queries};
use crate::posts::{self, Attachment, NewPost, Visibility};
use crate::text::{escape_html, text_to_html};

/// An item as HTML for readers that know nothing of Kogi (Mastodon shows the `name` and
/// this content with a link).
pub fn item_html(item: &Item) -> String {
    let mut html = text_to_html(&item.description);
    let mut facts = Vec::new();
    if !item.role.is_empty() {
        facts.push(format!("Role: {}", escape_html(&item.role)));
    }
    if !item.client.is_empty() {
        facts.push(format!("Client: {}", escape_html(&item.client)));
    }
    match (&item.started_on, &item.ended_on) {
        (Some(a), Some(b)) => facts.push(format!("{a} – {b}")),
        (Some(a), None) => facts.push(format!("Since {a}")),
        (None, Some(b)) => facts.push(format!("Until {b}")),
        _ => {}
    }
    if !facts.is_empty() {
        html.push_str(&format!("<p>{}</p>", facts.join(" · ")));
    }
    let skills = item.skills();
    if !skills.is_empty() {
        html.push_str(&format!(
            "<p>Skills: {}</p>",
            escape_html(&skills.join(", "))
        ));
    }
    for u in [&item.external_url, &item.video_url].into_iter().flatten() {
        let u = escape_html(u);
        html.push_str(&format!(
            "<p><a href=\"{u}\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">{u}</a></p>"
        ));
    }
    html
}

/// Does this post reach followers (so that they must hear when it goes)?
fn reaches_followers(post: &posts::Post) -> bool {
    matches!(post.visibility(), Visibility::Public | Visibility::Unlisted)
}

/// Brings item `item_id`'s federated copy in line with the item, inside the caller's
/// transaction: creates it (`ItemPublished`, created), edits it (`ItemPublished`), or
/// withdraws it (`ItemWithdrawn`) when the item may no longer leave the instance. Watchers
/// who may see a new or `edited` item are notified. `base` is the instance's public URL.
pub fn sync_in(
    conn: &mut Conn,
    base: &str,
    portfolio_id: i64,
    item_id: i64,
    edited: bool,
) -> Result<Item> {
    let p = queries::find_in(conn, portfolio_id)?.ok_or(Error::NotFound)?;
    let item = queries::item_in(conn, item_id)?.ok_or(Error::NotFound)?;
    let existing = match item.post_id {
        Some(id) => posts::actions::find_in(conn, id)?.filter(|x| x.deleted_at.is_none()),
        None => None,
    };
    let was_public = existing.as_ref().is_some_and(reaches_followers);
    let audience = audience(&p, item.visibility(), item.state());
    let team: Vec<i64> = queries::members_in(conn, p.id())?
        .into_iter()
        .map(|(_, a)| a.id)
        .collect();
    let withdrawn = DomainEvent::ItemWithdrawn {
        item_ap_id: item.ap_id.clone(),
    };
    let vis = match audience {
        Audience::Nobody => {
            if let Some(post) = existing {
                if was_public {
                    outbox::record(conn, p.actor.id, &withdrawn)?;
                }
                posts::actions::mark_deleted_in(conn, post.id)?;
                set_item_post_in(conn, item.id, None)?;
            }
            return queries::item_in(conn, item.id)?.ok_or(Error::NotFound);
        }
        Audience::Team => Visibility::Direct,
        Audience::Followers { listed: true } => Visibility::Public,
        Audience::Followers { listed: false } => Visibility::Unlisted,
    };
    let new = NewPost {
        ap_id: item.ap_id.clone(),
        author_id: p.actor.id,
        local: true,
        kind: "Article".into(),
        content_html: format!(
            "<p><strong>{}</strong></p>{}",
            escape_html(&item.title),
            item_html(&item)
        ),
        source_text: None,
        summary: None,
        sensitive: false,
        language: None,
        visibility: vis,
        in_reply_to_ap_id: None,
        url: Some(item.ap_id.clone()),
        attachments: item
            .media()
            .iter()
            .filter_map(|m| {
                Some(Attachment {
                    url: m.url_at(base)?,
                    media_type: Some(m.media_type.clone()),
                    description: Some(m.description.clone()),
                })
            })
            .collect(),
        tags: item.skills(),
        poll: None,
        published_at: item.published_at.unwrap_or_else(crate::now),
        edited_at: existing.as_ref().map(|_| crate::now()),
        like_count: existing.as_ref().map(|x| x.like_count).unwrap_or(0),
        announce_count: existing.as_ref().map(|x| x.announce_count).unwrap_or(0),
        recipients: if vis == Visibility::Direct {
            team.iter().map(|id| (*id, false)).collect()
        } else {
            vec![]
        },
    };
    let (post, is_new) = posts::upsert_in(conn, &new)?;
    if post.visibility() != vis {
        posts::set_visibility_in(conn, post.id, vis)?;
    }
    if item.post_id != Some(post.id) {
        set_item_post_in(conn, item.id, Some(post.id))?;
    }
    if vis == Visibility::Direct {
        // The team is local: nothing leaves the instance. Followers who had it lose it.
        if was_public {
            outbox::record(conn, p.actor.id, &withdrawn)?;
        }
    } else {
        let event = DomainEvent::ItemPublished {
            item_id: item.id,
            created: is_new || !was_public,
        };
        outbox::record(conn, p.actor.id, &event)?;
    }
    if is_new || edited {
        engagement::notify_watchers_in(conn, &p, audience, Some(post.id), &team)?;
    }
    queries::item_in(conn, item.id)?.ok_or(Error::NotFound)
}

/// Links an item to its federated copy, inside the caller's transaction.
pub fn set_item_post_in(conn: &mut Conn, item_id: i64, post_id: Option<i64>) -> Result<()> {
    use crate::schema::portfolio_items;
    use diesel::prelude::*;
    crate::with_conn!(conn, |c| {
        diesel::update(portfolio_items::table.find(item_id))
            .set(portfolio_items::post_id.eq(post_id))
            .execute(c)?;
        Ok(())
    })
}

/// The outbox event for an item deleted for good, inside the deletion's transaction:
/// followers who had its copy get a `Delete`.
pub fn item_deleted_in(conn: &mut Conn, portfolio_actor_id: i64, item: &Item) -> Result<()> {
    let had_public_copy = match item.post_id {
        Some(id) => posts::actions::find_in(conn, id)?
            .is_some_and(|x| x.deleted_at.is_none() && reaches_followers(&x)),
        None => false,
    };
    if had_public_copy {
        let event = DomainEvent::ItemWithdrawn {
            item_ap_id: item.ap_id.clone(),
        };
        outbox::record(conn, portfolio_actor_id, &event)?;
    }
    Ok(())
}
