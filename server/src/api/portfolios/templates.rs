//! The admin's portfolio types and templates.

use super::*;

#[derive(Serialize, Deserialize, ToSchema)]
pub struct TypeView {
    pub name: String,
    pub label: String,
    #[schema(value_type = Vec<Object>)]
    pub fields: Vec<FieldDef>,
    #[serde(default)]
    pub builtin: bool,
}

/// Portfolio types: the built-in ones and the admin's.
#[utoipa::path(get, path = "/api/kogi/v1/portfolio-types", tag = "portfolios",
    responses((status = 200, description = "Types", body = Vec<TypeView>), Problems))]
pub async fn list_types(State(state): State<AppState>) -> Result<Json<Vec<TypeView>>, ApiError> {
    Ok(Json(
        types::list_types(&state.core)
            .await?
            .into_iter()
            .map(|t| TypeView {
                name: t.name,
                label: t.label,
                fields: t.fields,
                builtin: t.builtin,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTypeBody {
    /// `[a-z0-9_]{1,30}`, not a built-in type.
    pub name: String,
    pub label: String,
    /// `[{name, kind: text|number|date|url|choice, choices, required}]`.
    #[schema(value_type = Vec<Object>)]
    pub fields: Vec<FieldDef>,
}

/// Define a portfolio type (admins).
#[utoipa::path(post, path = "/api/kogi/v1/admin/portfolio-types", tag = "admin", security(("bearer" = [])), request_body = NewTypeBody,
    responses((status = 201, description = "Defined", body = TypeView), Problems))]
pub async fn add_type(
    State(state): State<AppState>,
    _admin: ApiAdmin,
    ApiJson(body): ApiJson<NewTypeBody>,
) -> Result<(StatusCode, Json<TypeView>), ApiError> {
    let t = types::add_type(&state.core, &body.name, &body.label, body.fields).await?;
    Ok((
        StatusCode::CREATED,
        Json(TypeView {
            name: t.name,
            label: t.label,
            fields: t.fields,
            builtin: false,
        }),
    ))
}

/// Remove a portfolio type (admins; portfolios of that type keep it).
#[utoipa::path(delete, path = "/api/kogi/v1/admin/portfolio-types/{name}", tag = "admin", security(("bearer" = [])),
    params(("name" = String, Path,)), responses((status = 204, description = "Removed"), Problems))]
pub async fn remove_type(
    State(state): State<AppState>,
    _admin: ApiAdmin,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    if !types::remove_type(&state.core, &name).await? {
        return Err(ApiError::not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateView {
    /// `[a-z0-9_]{1,30}`.
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub portfolio_type: String,
    /// `[{name, fields: [{name, kind, choices, required}]}]`.
    #[schema(value_type = Vec<Object>)]
    pub sections: Vec<Section>,
}

/// Templates to start a portfolio from.
#[utoipa::path(get, path = "/api/kogi/v1/portfolio-templates", tag = "portfolios",
    responses((status = 200, description = "Templates", body = Vec<TemplateView>), Problems))]
pub async fn list_templates(
    State(state): State<AppState>,
) -> Result<Json<Vec<TemplateView>>, ApiError> {
    Ok(Json(
        types::list_templates(&state.core)
            .await?
            .into_iter()
            .map(|t| TemplateView {
                name: t.name,
                description: t.description,
                portfolio_type: t.portfolio_type,
                sections: t.sections,
            })
            .collect(),
    ))
}

/// Define a template (admins).
#[utoipa::path(post, path = "/api/kogi/v1/admin/portfolio-templates", tag = "admin", security(("bearer" = [])), request_body = TemplateView,
    responses((status = 201, description = "Defined", body = TemplateView), Problems))]
pub async fn add_template(
    State(state): State<AppState>,
    _admin: ApiAdmin,
    ApiJson(body): ApiJson<TemplateView>,
) -> Result<(StatusCode, Json<TemplateView>), ApiError> {
    let t = types::add_template(
        &state.core,
        types::Template {
            name: body.name,
            description: body.description,
            portfolio_type: body.portfolio_type,
            sections: body.sections,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(TemplateView {
            name: t.name,
            description: t.description,
            portfolio_type: t.portfolio_type,
            sections: t.sections,
        }),
    ))
}

/// Remove a template (admins).
#[utoipa::path(delete, path = "/api/kogi/v1/admin/portfolio-templates/{name}", tag = "admin", security(("bearer" = [])),
    params(("name" = String, Path,)), responses((status = 204, description = "Removed"), Problems))]
pub async fn remove_template(
    State(state): State<AppState>,
    _admin: ApiAdmin,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    if !types::remove_template(&state.core, &name).await? {
        return Err(ApiError::not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}
