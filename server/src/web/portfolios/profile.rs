//! Creating a portfolio, its editor, its lifecycle and its cover.

use super::*;

pub(crate) async fn new_form(
    ctx: &WebCtx,
    values: Fields,
    errors: Errors,
) -> Result<Response, WebError> {
    let core = &ctx.state.core;
    let kinds = types::list_types(core).await?;
    // The chosen type's own fields (a failed submission shows those of the type it chose).
    let chosen = values.get("portfolio_type").cloned().unwrap_or_default();
    let type_fields: Vec<Value> = kinds
        .iter()
        .find(|k| k.name == chosen)
        .or(kinds.first())
        .map(|k| k.fields.iter().map(field_view).collect())
        .unwrap_or_default();
    let kinds: Vec<Value> = kinds
        .into_iter()
        .map(|t| context! { name => t.name, label => t.label })
        .collect();
    let templates: Vec<Value> = types::list_templates(core)
        .await?
        .into_iter()
        .map(|t| context! { name => t.name, description => t.description, portfolio_type => t.portfolio_type })
        .collect();
    Ok(ctx.render_status(
        unprocessable(&errors),
        "portfolios/new.html",
        context! {
            values => values, errors => errors, types => kinds, templates => templates,
            visibilities => VISIBILITIES, type_fields => type_fields,
        },
    ))
}

#[derive(Deserialize)]
pub struct NewQuery {
    /// A type to start with (its fields are on the form).
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
}

/// The form for a new portfolio.
pub async fn new_page(ctx: WebCtx, Query(q): Query<NewQuery>) -> Result<Response, WebError> {
    signed_in!(ctx, "/portfolios/new");
    let mut values = Fields::new();
    values.insert("visibility".into(), "public".into());
    if let Some(k) = q.kind.filter(|k| !k.is_empty()) {
        values.insert("portfolio_type".into(), k);
    }
    new_form(&ctx, values, Errors::new()).await
}

/// Creates a draft portfolio owned by the signed-in person, then opens its editor.
pub async fn create(ctx: WebCtx, WebForm(form): WebForm<Fields>) -> Result<Response, WebError> {
    let me = signed_in!(ctx, "/portfolios/new");
    let optional = |k: &str| Some(get(&form, k)).filter(|v| !v.trim().is_empty());
    let mut fields = Map::new();
    if let Some(def) =
        types::find_type(&ctx.state.core, get(&form, "portfolio_type").trim()).await?
    {
        for d in &def.fields {
            if let Some(x) = form.get(&format!("field_{}", d.name)) {
                fields.insert(d.name.clone(), Json::String(x.clone()));
            }
        }
    }
    let input = PortfolioInput {
        fields: Some(fields),
        handle: Some(get(&form, "handle")),
        title: Some(get(&form, "title")),
        summary: Some(get(&form, "summary")),
        portfolio_type: optional("portfolio_type"),
        tags: Some(split_list(&get(&form, "tags"))),
        visibility: optional("visibility"),
        template: optional("template"),
        ..Default::default()
    };
    match store::create(&ctx.state.core, &me, input).await {
        Ok(p) => Ok(ctx.redirect_with_flash(&manage_of(&p), "success", "pf_created")),
        Err(e) => {
            let errors = form_errors(&ctx, e)?;
            new_form(&ctx, form, errors).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The portfolio editor

pub(crate) fn portfolio_values(p: &Portfolio) -> Fields {
    let mut v = Fields::new();
    v.insert("title".into(), p.title().to_string());
    v.insert("summary".into(), p.actor.summary.clone());
    v.insert("tags".into(), p.tags().join(", "));
    v.insert("visibility".into(), p.row.visibility.clone());
    v.insert("portfolio_type".into(), p.row.portfolio_type.clone());
    put_links(&mut v, &p.links());
    for (k, x) in p.fields() {
        v.insert(format!("field_{k}"), shown(&x));
    }
    for (i, s) in p.sections().iter().enumerate() {
        for (k, x) in &s.values {
            v.insert(format!("section_{i}_{k}"), shown(x));
        }
    }
    v
}

pub(crate) async fn editor(
    ctx: &WebCtx,
    p: &Portfolio,
    v: &Viewer,
    values: Option<Fields>,
    errors: Errors,
) -> Result<Response, WebError> {
    let core = &ctx.state.core;
    let values = values.unwrap_or_else(|| portfolio_values(p));
    let kinds = types::list_types(core).await?;
    let chosen = values
        .get("portfolio_type")
        .cloned()
        .unwrap_or_else(|| p.row.portfolio_type.clone());
    let type_fields: Vec<Value> = kinds
        .iter()
        .find(|k| k.name == chosen)
        .map(|k| k.fields.iter().map(field_view).collect())
        .unwrap_or_default();
    let kinds: Vec<Value> = kinds
        .iter()
        .map(|k| context! { name => k.name, label => k.label })
        .collect();
    let sections: Vec<Value> = p
        .sections()
        .iter()
        .enumerate()
        .map(|(i, s)| context! { index => i, name => s.name, fields => s.fields.iter().map(section_field_view).collect::<Vec<_>>() })
        .collect();
    let page = page_of(p);
    let items: Vec<Value> = queries::items(core, p.id())
        .await?
        .iter()
        .map(|i| context! {
            id => i.id, title => i.title, state => i.state, visibility => i.visibility,
            featured => i.featured, section => i.section, url => format!("{page}/items/{}", i.id),
            edit_url => item_edit_of(p, i.id), media => i.media().len(),
        })
        .collect();
    let projects: Vec<Value> = queries::projects(core, p.id())
        .await?
        .iter()
        .map(|x| {
            context! {
                id => x.id, title => x.title, status => x.status, visibility => x.visibility,
                url => format!("{page}/projects/{}", x.id), edit_url => project_edit_of(p, x.id),
            }
        })
        .collect();
    let members: Vec<Value> = queries::members(core, p.id())
        .await?
        .into_iter()
        .map(|(m, a)| {
            context! {
                username => a.handle, name => a.name(), role => m.role,
                is_me => Some(a.id) == v.actor_id, url => format!("/users/{}", a.handle),
            }
        })
        .collect();
    Ok(ctx.render_status(
        unprocessable(&errors),
        "portfolios/edit.html",
        context! {
            portfolio => context! {
                handle => p.actor.handle, title => p.title(), state => p.row.state,
                visibility => p.row.visibility, url => page, edit_url => manage_of(p),
                cover_url => p.row.cover_path.as_ref().map(|c| format!("/media/{c}")),
                federated => p.is_federated(), published_before => p.row.published_at.is_some(),
            },
            values => values, errors => errors, types => kinds, type_fields => type_fields,
            sections => sections, items => items, projects => projects, members => members,
            is_owner => v.is_owner(), roles => ROLES, visibilities => VISIBILITIES,
            media_max_mb => ctx.state.config.limits.portfolio_media_max_bytes >> 20,
        },
    ))
}

/// The editor of a portfolio (owners and editors).
pub async fn edit_page(ctx: WebCtx, Path(handle): Path<String>) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/edit"));
    let (p, v) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    editor(&ctx, &p, &v, None, Errors::new()).await
}

/// Saves the details form; followers get an `Update`.
pub async fn edit_save(
    ctx: WebCtx,
    Path(handle): Path<String>,
    WebForm(form): WebForm<Fields>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/edit"));
    let (p, v) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let core = &ctx.state.core;
    let kind = get(&form, "portfolio_type");
    // Only the chosen type's fields are sent (a changed type drops the old type's fields).
    let mut fields = Map::new();
    if let Some(def) = types::find_type(core, kind.trim()).await? {
        for d in &def.fields {
            if let Some(x) = form.get(&format!("field_{}", d.name)) {
                fields.insert(d.name.clone(), Json::String(x.clone()));
            }
        }
    }
    let mut sections: Vec<Section> = Vec::new();
    for (i, mut s) in p.sections().into_iter().enumerate() {
        if form.contains_key(&format!("remove_section_{i}")) {
            continue;
        }
        for d in &s.fields {
            if let Some(x) = form.get(&format!("section_{i}_{}", d.name)) {
                s.values.insert(d.name.clone(), Json::String(x.clone()));
            }
        }
        sections.push(s);
    }
    let added = get(&form, "new_section");
    if !added.trim().is_empty() {
        sections.push(Section {
            name: added.trim().to_string(),
            fields: vec![],
            values: Map::new(),
        });
    }
    let input = PortfolioInput {
        title: Some(get(&form, "title")),
        summary: Some(get(&form, "summary")),
        portfolio_type: Some(kind),
        tags: Some(split_list(&get(&form, "tags"))),
        links: Some(links_from(&form)),
        visibility: Some(get(&form, "visibility")),
        fields: Some(fields),
        sections: Some(sections),
        ..Default::default()
    };
    match store::update(core, &p, input).await {
        Ok(p) => Ok(ctx.redirect_with_flash(&manage_of(&p), "success", "pf_saved")),
        Err(e) => {
            let errors = form_errors(&ctx, e)?;
            editor(&ctx, &p, &v, Some(form), errors).await
        }
    }
}

pub(crate) async fn lifecycle(
    ctx: WebCtx,
    handle: String,
    to: State,
    done: &str,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/edit"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Own).await?;
    let back = manage_of(&p);
    match store::set_state(&ctx.state.core, &p, to).await {
        Ok(_) => Ok(ctx.redirect_with_flash(&back, "success", done)),
        Err(e) => refused(&ctx, &back, e),
    }
}

/// Publishes a draft (owners): it becomes followable and its published work goes out.
pub async fn publish(ctx: WebCtx, Path(handle): Path<String>) -> Result<Response, WebError> {
    lifecycle(ctx, handle, State::Published, "pf_published").await
}

/// Archives a published portfolio (owners).
pub async fn archive(ctx: WebCtx, Path(handle): Path<String>) -> Result<Response, WebError> {
    lifecycle(ctx, handle, State::Archived, "pf_archived").await
}

/// Restores an archived portfolio (owners).
pub async fn restore(ctx: WebCtx, Path(handle): Path<String>) -> Result<Response, WebError> {
    lifecycle(ctx, handle, State::Published, "pf_restored").await
}

/// Deletes a portfolio for good (owners, who type its handle to confirm).
pub async fn delete(
    ctx: WebCtx,
    Path(handle): Path<String>,
    WebForm(form): WebForm<PlainForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/edit"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Own).await?;
    let typed = form.confirm.unwrap_or_default();
    if !typed
        .trim()
        .trim_start_matches('@')
        .eq_ignore_ascii_case(&p.actor.handle)
    {
        return Ok(ctx.redirect_with_flash(&manage_of(&p), "error", "pf_confirm_mismatch"));
    }
    store::mark_deleted(&ctx.state.core, &p).await?;
    Ok(ctx.redirect_with_flash("/portfolios/mine", "success", "pf_deleted"))
}

/// Sets the cover image (multipart `file`; re-encoded to WebP). Followers get an `Update`.
pub async fn cover(
    ctx: WebCtx,
    Path(handle): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/edit"));
    let (file, _) = multipart_fields(multipart).await?;
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let back = manage_of(&p);
    let Some(bytes) = file else {
        return Ok(ctx.redirect_with_flash(&back, "error", "pf_file_missing"));
    };
    let max = ctx.state.config.limits.portfolio_media_max_bytes;
    let dir = ctx.state.core.config.media_dir();
    let stored = tokio::task::spawn_blocking(move || -> kogi_core::Result<String> {
        let webp = kogi_core::media::process_post_image(&bytes, max)
            .map_err(|_| Error::invalid("file", "file_invalid"))?;
        kogi_core::media::store(&dir, "covers", "webp", &webp)
    })
    .await
    .map_err(|_| WebError::Internal)?;
    let path = match stored {
        Ok(path) => path,
        Err(e) => return refused(&ctx, &back, e),
    };
    store::set_cover(&ctx.state.core, &p, Some(path)).await?;
    Ok(ctx.redirect_with_flash(&back, "success", "pf_cover_saved"))
}

/// Removes the cover image.
pub async fn cover_remove(ctx: WebCtx, Path(handle): Path<String>) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/edit"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let p = store::set_cover(&ctx.state.core, &p, None).await?;
    Ok(ctx.redirect_with_flash(&manage_of(&p), "success", "pf_cover_removed"))
}
