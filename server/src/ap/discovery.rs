//! Discovery: WebFinger, host-meta and NodeInfo.

use super::*;

#[derive(Deserialize)]
pub struct ResourceQuery {
    pub(crate) resource: Option<String>,
}

pub(crate) fn jrd_response(doc: &Value) -> Response {
    let mut resp = (StatusCode::OK, serde_json::to_vec(doc).unwrap_or_default()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jrd+json"),
    );
    resp.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    resp
}

pub(crate) async fn webfinger_route(
    State(state): State<AppState>,
    Query(q): Query<ResourceQuery>,
) -> Response {
    let base = &state.config.public_url;
    let host = state.core.config.host();
    let Some(resource) = q.resource.filter(|r| !r.is_empty()) else {
        return (
            StatusCode::BAD_REQUEST,
            "the resource parameter is required",
        )
            .into_response();
    };
    // The instance actor, asked for by the instance URL (FEP-d556) or as host@host.
    if resource.trim_end_matches('/') == base.as_str() || resource == format!("acct:{host}@{host}")
    {
        return jrd_response(&webfinger::instance_jrd(base, &host));
    }
    let handle = if let Some((user, h)) = webfinger::parse_acct(&resource) {
        if h != host {
            return (StatusCode::NOT_FOUND, "not a local account").into_response();
        }
        user
    } else if let Some(rest) = resource.strip_prefix(&format!("{base}/")) {
        // A URL resource: the actor id or the profile page.
        let rest = rest.trim_start_matches('@');
        rest.strip_prefix("users/")
            .or_else(|| rest.strip_prefix("portfolios/"))
            .or_else(|| rest.strip_prefix("communities/"))
            .unwrap_or(rest)
            .to_string()
    } else {
        return (StatusCode::NOT_FOUND, "unknown resource").into_response();
    };
    match accounts::find_local_actor(&state.core, &handle).await {
        Ok(Some(a)) if a.deleted_at.is_some() => (StatusCode::GONE, "gone").into_response(),
        Ok(Some(a)) if a.kind != "application" && visible(&state, &a).await => {
            let profile = a.profile_url.clone().unwrap_or_else(|| a.ap_id.clone());
            jrd_response(&webfinger::jrd(
                &a.handle,
                &host,
                &a.ap_id,
                &profile,
                a.kind == "community",
            ))
        }
        Ok(_) => (StatusCode::NOT_FOUND, "no such account").into_response(),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

pub(crate) async fn host_meta(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/xrd+xml; charset=utf-8")],
        webfinger::host_meta(&state.config.public_url),
    )
        .into_response()
}

pub(crate) async fn nodeinfo_links(State(state): State<AppState>) -> Response {
    let doc = nodeinfo::well_known(&state.config.public_url);
    (
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec(&doc).unwrap_or_default(),
    )
        .into_response()
}

pub(crate) async fn nodeinfo_doc(state: &AppState, version: &str) -> Response {
    let db = &state.core.db;
    let usage = async {
        Ok::<_, kogi_core::Error>(nodeinfo::Usage {
            users: accounts::count_people(db).await?,
            active_month: accounts::active_people(db, 30).await?,
            active_halfyear: accounts::active_people(db, 180).await?,
            local_posts: 0,
        })
    }
    .await;
    let settings = kogi_core::settings::effective(db, &state.core.settings_defaults).await;
    match (usage, settings) {
        (Ok(u), Ok(s)) => {
            let open = s.registration_mode != kogi_core::settings::RegistrationMode::Closed;
            let doc = nodeinfo::document(version, &s.name, open, &u);
            let ct = format!("application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/{version}#\"");
            (
                [(header::CONTENT_TYPE, ct)],
                serde_json::to_vec(&doc).unwrap_or_default(),
            )
                .into_response()
        }
        (Err(e), _) | (_, Err(e)) => crate::error::ApiError::from(e).into_response(),
    }
}

pub(crate) async fn nodeinfo_21(State(state): State<AppState>) -> Response {
    nodeinfo_doc(&state, "2.1").await
}

pub(crate) async fn nodeinfo_20(State(state): State<AppState>) -> Response {
    nodeinfo_doc(&state, "2.0").await
}
