//! A portfolio's items: the editor, their lifecycle and their files.

use super::*;

pub(crate) fn item_values(p: &Portfolio, item: &Item) -> Fields {
    let mut v = Fields::new();
    v.insert("title".into(), item.title.clone());
    v.insert("description".into(), item.description.clone());
    v.insert("role".into(), item.role.clone());
    v.insert("client".into(), item.client.clone());
    v.insert("skills".into(), item.skills().join(", "));
    v.insert(
        "started_on".into(),
        item.started_on.clone().unwrap_or_default(),
    );
    v.insert("ended_on".into(), item.ended_on.clone().unwrap_or_default());
    v.insert(
        "video_url".into(),
        item.video_url.clone().unwrap_or_default(),
    );
    v.insert(
        "external_url".into(),
        item.external_url.clone().unwrap_or_default(),
    );
    v.insert("position".into(), item.position.to_string());
    if item.featured {
        v.insert("featured".into(), "1".into());
    }
    v.insert("visibility".into(), item.visibility.clone());
    v.insert("section".into(), item.section.clone().unwrap_or_default());
    if let Some(i) = p
        .sections()
        .iter()
        .position(|s| Some(&s.name) == item.section.as_ref())
    {
        for (k, x) in item.fields() {
            v.insert(format!("ifield_{i}_{k}"), shown(&x));
        }
    }
    v
}

pub(crate) fn item_input(form: &Fields, sections: &[Section]) -> ItemInput {
    let section = get(form, "section").trim().to_string();
    let mut fields = Map::new();
    if let Some((i, s)) = sections.iter().enumerate().find(|(_, s)| s.name == section) {
        for d in &s.fields {
            if let Some(x) = form.get(&format!("ifield_{i}_{}", d.name)) {
                fields.insert(d.name.clone(), Json::String(x.clone()));
            }
        }
    }
    ItemInput {
        title: Some(get(form, "title")),
        description: Some(get(form, "description")),
        role: Some(get(form, "role")),
        client: Some(get(form, "client")),
        skills: Some(split_list(&get(form, "skills"))),
        started_on: Some(get(form, "started_on")),
        ended_on: Some(get(form, "ended_on")),
        video_url: Some(get(form, "video_url")),
        external_url: Some(get(form, "external_url")),
        position: get(form, "position").trim().parse().ok(),
        featured: Some(form.contains_key("featured")),
        visibility: Some(get(form, "visibility")),
        section: Some(section),
        fields: Some(fields),
    }
}

pub(crate) async fn item_editor(
    ctx: &WebCtx,
    p: &Portfolio,
    item: Option<&Item>,
    values: Option<Fields>,
    errors: Errors,
) -> Result<Response, WebError> {
    let values = values.unwrap_or_else(|| match item {
        Some(i) => item_values(p, i),
        None => Fields::from([("visibility".to_string(), "public".to_string())]),
    });
    let sections: Vec<Value> = p
        .sections()
        .iter()
        .enumerate()
        .map(|(i, s)| context! { index => i, name => s.name, fields => s.fields.iter().map(field_view).collect::<Vec<_>>() })
        .collect();
    let page = page_of(p);
    let item_view = item.map(|i| {
        let media: Vec<Value> = i
            .media()
            .iter()
            .enumerate()
            .map(|(n, m)| context! { index => n, url => m.url_at(""), kind => m.kind, media_type => m.media_type, description => m.description })
            .collect();
        context! {
            id => i.id, title => i.title, state => i.state, visibility => i.visibility,
            url => format!("{page}/items/{}", i.id), action => item_edit_of(p, i.id),
            base => format!("{page}/items/{}", i.id), media => media,
            media_full => media.len() >= bundle::ITEM_MEDIA_MAX, federated => i.post_id.is_some(),
        }
    });
    Ok(ctx.render_status(
        unprocessable(&errors),
        "portfolios/item_form.html",
        context! {
            portfolio => context! { handle => p.actor.handle, title => p.title(), url => page, edit_url => manage_of(p) },
            item => item_view, values => values, errors => errors, sections => sections,
            visibilities => VISIBILITIES, new_action => format!("{page}/items/new"),
            media_max_mb => ctx.state.config.limits.portfolio_media_max_bytes >> 20,
        },
    ))
}

/// The form for a new item (owners and editors).
pub async fn item_new_page(ctx: WebCtx, Path(handle): Path<String>) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/items/new"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    item_editor(&ctx, &p, None, None, Errors::new()).await
}

/// Adds an item as a draft, then opens its editor (files, publishing).
pub async fn item_create(
    ctx: WebCtx,
    Path(handle): Path<String>,
    WebForm(form): WebForm<Fields>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/items/new"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let input = item_input(&form, &p.sections());
    match store::create_item(&ctx.state.core, &p, input).await {
        Ok(item) => {
            Ok(ctx.redirect_with_flash(&item_edit_of(&p, item.id), "success", "pf_item_created"))
        }
        Err(e) => {
            let errors = form_errors(&ctx, e)?;
            item_editor(&ctx, &p, None, Some(form), errors).await
        }
    }
}

/// The editor of an item.
pub async fn item_edit_page(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/items/{id}/edit"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let item = item_of(&ctx, &p, id).await?;
    item_editor(&ctx, &p, Some(&item), None, Errors::new()).await
}

/// Saves an item; a published item's followers get an `Update` and watchers hear of it.
pub async fn item_save(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    WebForm(form): WebForm<Fields>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/items/{id}/edit"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let item = item_of(&ctx, &p, id).await?;
    let input = item_input(&form, &p.sections());
    match store::update_item(&ctx.state.core, &p, &item, input).await {
        Ok(item) => {
            Ok(ctx.redirect_with_flash(&item_edit_of(&p, item.id), "success", "pf_item_saved"))
        }
        Err(e) => {
            let errors = form_errors(&ctx, e)?;
            item_editor(&ctx, &p, Some(&item), Some(form), errors).await
        }
    }
}

pub(crate) async fn item_lifecycle(
    ctx: WebCtx,
    handle: String,
    id: i64,
    to: State,
    done: &str,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/items/{id}/edit"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let item = item_of(&ctx, &p, id).await?;
    let back = item_edit_of(&p, item.id);
    match store::set_item_state(&ctx.state.core, &item, to).await {
        Ok(_) => Ok(ctx.redirect_with_flash(&back, "success", done)),
        Err(e) => refused(&ctx, &back, e),
    }
}

/// Publishes an item: followers get it (members-only items reach the team only).
pub async fn item_publish(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    item_lifecycle(ctx, handle, id, State::Published, "pf_item_published").await
}

pub async fn item_archive(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    item_lifecycle(ctx, handle, id, State::Archived, "pf_item_archived").await
}

pub async fn item_restore(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    item_lifecycle(ctx, handle, id, State::Published, "pf_item_restored").await
}

/// Deletes an item for good; followers who had it are sent a `Delete`.
pub async fn item_delete(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/items/{id}/edit"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let item = item_of(&ctx, &p, id).await?;
    store::delete_item(&ctx.state.core, &item).await?;
    Ok(ctx.redirect_with_flash(&manage_of(&p), "success", "pf_item_deleted"))
}

/// Attaches a file to an item (multipart: `file` and its `description`).
pub async fn item_media(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/items/{id}/edit"));
    let (file, form) = multipart_fields(multipart).await?;
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let item = item_of(&ctx, &p, id).await?;
    let back = format!("{}#media-title", item_edit_of(&p, item.id));
    let Some(bytes) = file else {
        return Ok(ctx.redirect_with_flash(&back, "error", "pf_file_missing"));
    };
    let mut media = item.media();
    if media.len() >= bundle::ITEM_MEDIA_MAX {
        return Ok(ctx.redirect_with_flash(&back, "error", "pf_too_many_files"));
    }
    let description = get(&form, "description");
    let max = ctx.state.config.limits.portfolio_media_max_bytes;
    let core = ctx.state.core.clone();
    let stored = tokio::task::spawn_blocking(move || -> kogi_core::Result<ItemMedia> {
        let file = bundle::process_item_file(&bytes, max)?;
        bundle::store_item_file(&core, &file, &description)
    })
    .await
    .map_err(|_| WebError::Internal)?;
    match stored {
        Ok(m) => media.push(m),
        Err(e) => return refused(&ctx, &back, e),
    }
    store::set_item_media(&ctx.state.core, item.id, &media).await?;
    Ok(ctx.redirect_with_flash(&back, "success", "pf_media_added"))
}

#[derive(Deserialize)]
pub struct MediaRemoveForm {
    pub(crate) index: usize,
}

/// Removes one file from an item.
pub async fn item_media_remove(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    WebForm(form): WebForm<MediaRemoveForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/items/{id}/edit"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let item = item_of(&ctx, &p, id).await?;
    let back = format!("{}#media-title", item_edit_of(&p, item.id));
    let mut media = item.media();
    if form.index >= media.len() {
        return Ok(ctx.redirect_with_flash(&back, "info", "pf_media_gone"));
    }
    let gone = media.remove(form.index);
    store::set_item_media(&ctx.state.core, item.id, &media).await?;
    if let Some(path) = gone.path {
        kogi_core::media::remove(&ctx.state.core.config.media_dir(), &path);
    }
    Ok(ctx.redirect_with_flash(&back, "success", "pf_media_removed"))
}

// ---------------------------------------------------------------------------------------------
// Likes and bookmarks (anyone signed in who may see the thing)
