//! A portfolio's projects: the editor, their updates and their team.

use super::*;

pub(crate) fn project_values(x: &Project) -> Fields {
    let mut v = Fields::new();
    v.insert("title".into(), x.title.clone());
    v.insert("description".into(), x.description.clone());
    v.insert("status".into(), x.status.clone());
    v.insert("visibility".into(), x.visibility.clone());
    v.insert("goals".into(), x.goals().join("\n"));
    let data: Vec<String> = x
        .data()
        .iter()
        .map(|(k, d)| format!("{k}: {}", shown(d)))
        .collect();
    v.insert("data".into(), data.join("\n"));
    put_links(&mut v, &x.links());
    v
}

pub(crate) fn project_input(form: &Fields) -> ProjectInput {
    let goals: Vec<String> = get(form, "goals")
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let mut data = Map::new();
    for line in get(form, "data").lines().filter(|l| !l.trim().is_empty()) {
        let (k, d) = line.split_once(':').unwrap_or((line, ""));
        data.insert(k.trim().to_string(), Json::String(d.trim().to_string()));
    }
    ProjectInput {
        title: Some(get(form, "title")),
        description: Some(get(form, "description")),
        status: Some(get(form, "status")),
        goals: Some(goals),
        data: Some(data),
        links: Some(links_from(form)),
        visibility: Some(get(form, "visibility")),
    }
}

pub(crate) async fn project_editor(
    ctx: &WebCtx,
    p: &Portfolio,
    x: Option<&Project>,
    values: Option<Fields>,
    errors: Errors,
) -> Result<Response, WebError> {
    let core = &ctx.state.core;
    let values = values.unwrap_or_else(|| match x {
        Some(x) => project_values(x),
        None => Fields::from([
            ("visibility".to_string(), "public".to_string()),
            ("status".to_string(), "planned".to_string()),
        ]),
    });
    let page = page_of(p);
    let project = match x {
        Some(x) => {
            let members: Vec<Value> = queries::project_members(core, x.id)
                .await?
                .into_iter()
                .map(|(role, a)| context! { username => a.handle, name => a.name(), role => role })
                .collect();
            let updates = queries::project_updates(core, &x.ap_id).await?.len();
            Some(context! {
                id => x.id, title => x.title, url => format!("{page}/projects/{}", x.id),
                base => format!("{page}/projects/{}", x.id), action => project_edit_of(p, x.id),
                members => members, updates => updates,
            })
        }
        None => None,
    };
    Ok(ctx.render_status(
        unprocessable(&errors),
        "portfolios/project_form.html",
        context! {
            portfolio => context! { handle => p.actor.handle, title => p.title(), url => page, edit_url => manage_of(p) },
            project => project, values => values, errors => errors,
            statuses => PROJECT_STATUSES, visibilities => VISIBILITIES,
            new_action => format!("{page}/projects"),
        },
    ))
}

/// The form for a new project (owners and editors).
pub async fn project_new_page(
    ctx: WebCtx,
    Path(handle): Path<String>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/projects/new"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    project_editor(&ctx, &p, None, None, Errors::new()).await
}

/// Adds a project, then opens its editor (team, updates).
pub async fn project_create(
    ctx: WebCtx,
    Path(handle): Path<String>,
    WebForm(form): WebForm<Fields>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/projects/new"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    match store::create_project(&ctx.state.core, &p, project_input(&form)).await {
        Ok(x) => Ok(ctx.redirect_with_flash(
            &project_edit_of(&p, x.id),
            "success",
            "pf_project_created",
        )),
        Err(e) => {
            let errors = form_errors(&ctx, e)?;
            project_editor(&ctx, &p, None, Some(form), errors).await
        }
    }
}

/// The editor of a project.
pub async fn project_edit_page(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/projects/{id}/edit"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let x = project_of(&ctx, &p, id).await?;
    project_editor(&ctx, &p, Some(&x), None, Errors::new()).await
}

/// Saves a project.
pub async fn project_save(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    WebForm(form): WebForm<Fields>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/projects/{id}/edit"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let x = project_of(&ctx, &p, id).await?;
    match store::update_project(&ctx.state.core, &x, project_input(&form)).await {
        Ok(x) => {
            Ok(ctx.redirect_with_flash(&project_edit_of(&p, x.id), "success", "pf_project_saved"))
        }
        Err(e) => {
            let errors = form_errors(&ctx, e)?;
            project_editor(&ctx, &p, Some(&x), Some(form), errors).await
        }
    }
}

/// Deletes a project.
pub async fn project_delete(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/projects/{id}/edit"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let x = project_of(&ctx, &p, id).await?;
    store::delete_project(&ctx.state.core, &x).await?;
    Ok(ctx.redirect_with_flash(&manage_of(&p), "success", "pf_project_deleted"))
}

#[derive(Deserialize)]
pub struct UpdateForm {
    #[serde(default)]
    pub(crate) content: String,
}

/// Posts an update of a project: on its page, and to the portfolio's followers (to the team
/// only when the project is members-only).
pub async fn project_update(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    WebForm(form): WebForm<UpdateForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/projects/{id}/edit"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let x = project_of(&ctx, &p, id).await?;
    let back = format!("{}#updates-title", project_edit_of(&p, x.id));
    match ctx
        .state
        .fed
        .post_project_update(&p, &x, &form.content)
        .await
    {
        Ok(_) => Ok(ctx.redirect_with_flash(
            &format!("{}/projects/{}", page_of(&p), x.id),
            "success",
            "pf_update_posted",
        )),
        Err(e) => refused(&ctx, &back, e),
    }
}

#[derive(Deserialize)]
pub struct ProjectMemberForm {
    #[serde(default)]
    pub(crate) username: String,
    #[serde(default)]
    pub(crate) role: String,
}

/// Puts a local person on a project's team, with what they do there.
pub async fn project_member_save(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    WebForm(form): WebForm<ProjectMemberForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/projects/{id}/edit"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let x = project_of(&ctx, &p, id).await?;
    let back = format!("{}#project-team-title", project_edit_of(&p, x.id));
    let username = form.username.trim().trim_start_matches('@');
    let Some(person) = kogi_core::accounts::find_person(&ctx.state.core.db, username).await? else {
        return Ok(ctx.redirect_with_flash(&back, "error", "pf_no_such_person"));
    };
    match store::set_project_member(&ctx.state.core, &x, &person.actor, &form.role).await {
        Ok(()) => Ok(ctx.redirect_with_flash(&back, "success", "pf_member_saved")),
        Err(e) => refused(&ctx, &back, e),
    }
}

/// Takes someone off a project's team.
pub async fn project_member_remove(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    WebForm(form): WebForm<ProjectMemberForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/projects/{id}/edit"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let x = project_of(&ctx, &p, id).await?;
    let back = format!("{}#project-team-title", project_edit_of(&p, x.id));
    let Some(person) =
        kogi_core::accounts::find_person(&ctx.state.core.db, form.username.trim()).await?
    else {
        return Ok(ctx.redirect_with_flash(&back, "error", "pf_no_such_person"));
    };
    if store::remove_project_member(&ctx.state.core, &x, person.actor.id).await? {
        Ok(ctx.redirect_with_flash(&back, "success", "pf_member_removed"))
    } else {
        Ok(ctx.redirect_with_flash(&back, "info", "pf_not_a_member"))
    }
}
