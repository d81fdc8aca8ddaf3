//! Kogi's extension terms (`kogi:…`), under one fixed namespace IRI declared inline in each
//! document's `@context`: what a portfolio actor carries, and the portfolio item and project
//! objects (sent as `Article`, readable by Mastodon, with these terms for other Kogi servers).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::links::ObjectOrId;

/// The fixed IRI of Kogi's extension terms.
pub const KOGI_NS: &str = "https://w3id.org/kogi#";

pub const PORTFOLIO_TYPE: &str = "kogi:portfolioType";
pub const ITEMS: &str = "kogi:items";
pub const PROJECTS: &str = "kogi:projects";
pub const ARCHIVED: &str = "kogi:archived";
pub const FIELDS: &str = "kogi:fields";
pub const SECTIONS: &str = "kogi:sections";
pub const KIND: &str = "kogi:kind";
pub const PORTFOLIO: &str = "kogi:portfolio";
pub const PROJECT: &str = "kogi:project";
pub const POSITION: &str = "kogi:position";
pub const SECTION: &str = "kogi:section";

/// The terms on a portfolio actor (an `Organization`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PortfolioTerms {
    #[serde(rename = "kogi:portfolioType", default)]
    pub portfolio_type: Option<String>,
    #[serde(
        rename = "kogi:items",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub items: Option<ObjectOrId>,
    #[serde(
        rename = "kogi:projects",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub projects: Option<ObjectOrId>,
    #[serde(
        rename = "kogi:archived",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub archived: Option<bool>,
    #[serde(
        rename = "kogi:fields",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub fields: Option<Map<String, Value>>,
    #[serde(
        rename = "kogi:sections",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sections: Option<Value>,
}

/// What a portfolio object is: an item or a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PortfolioObjectKind {
    Item,
    Project,
}

/// The terms on a portfolio item or project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortfolioObjectTerms {
    #[serde(rename = "kogi:kind")]
    pub kind: PortfolioObjectKind,
    #[serde(rename = "kogi:portfolio", default)]
    pub portfolio: Option<ObjectOrId>,
    #[serde(
        rename = "kogi:project",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub project: Option<ObjectOrId>,
    #[serde(
        rename = "kogi:position",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub position: Option<i64>,
    #[serde(
        rename = "kogi:section",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub section: Option<Value>,
}
