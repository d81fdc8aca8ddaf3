//! Portability: a portfolio exported as one zip (`portfolio.json` plus `media/…` files) and
//! imported elsewhere as a copy (a new actor with no followers); cloning is the same copy made
//! on this instance. Item files are checked here too: images are re-encoded, other files must
//! be a PDF, audio or video by their bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::model::*;
use super::store::{self, ItemInput, PortfolioInput, ProjectInput};
use super::{queries, rules};
use crate::accounts::{Actor, ProfileLink};
use crate::archive::{self, ArchiveLimits};
use crate::error::{Error, Result};
use crate::Core;

pub const FORMAT: &str = "kogi-portfolio";
pub const VERSION: u32 = 1;
pub const MANIFEST: &str = "portfolio.json";
/// Files one item may carry.
pub const ITEM_MEDIA_MAX: usize = 12;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    #[serde(default)]
    pub source: String,
    pub portfolio: PortfolioDoc,
    #[serde(default)]
    pub items: Vec<ItemDoc>,
    #[serde(default)]
    pub projects: Vec<ProjectDoc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortfolioDoc {
    pub handle: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    pub portfolio_type: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub links: Vec<ProfileLink>,
    pub visibility: String,
    #[serde(default)]
    pub fields: Map<String, Value>,
    #[serde(default)]
    pub sections: Vec<Section>,
    #[serde(default)]
    pub cover: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaDoc {
    pub file: String,
    pub media_type: String,
    pub kind: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemDoc {
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub client: String,
    #[serde(default)]
    pub skills: Vec<String>,
    pub started_on: Option<String>,
    pub ended_on: Option<String>,
    pub video_url: Option<String>,
    pub external_url: Option<String>,
    #[serde(default)]
    pub position: i32,
    #[serde(default)]
    pub featured: bool,
    pub visibility: String,
    pub state: String,
    pub section: Option<String>,
    #[serde(default)]
    pub fields: Map<String, Value>,
    #[serde(default)]
    pub media: Vec<MediaDoc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectDoc {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub status: String,
    #[serde(default)]
    pub goals: Vec<String>,
    #[serde(default)]
    pub data: Map<String, Value>,
    #[serde(default)]
    pub links: Vec<ProfileLink>,
    pub visibility: String,
}

/// A portfolio ready to be zipped or copied: the manifest and the files it names.
pub struct Bundle {
    pub manifest: Manifest,
    pub files: BTreeMap<String, Vec<u8>>,
}

fn read_media(core: &Core, path: &str) -> Result<Vec<u8>> {
    let file = crate::media::resolve(&core.config.media_dir(), path)
        .ok_or_else(|| Error::Internal(format!("bad media path {path}")))?;
    std::fs::read(&file).map_err(|e| Error::Internal(format!("read {}: {e}", file.display())))
}

fn ext_of(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or("bin")
}

/// Everything of a local portfolio (deleted items and projects left out).
pub async fn export(core: &Core, p: &Portfolio) -> Result<Bundle> {
    let mut files = BTreeMap::new();
    let cover = match &p.row.cover_path {
        Some(path) => {
            let name = format!("media/cover.{}", ext_of(path));
            files.insert(name.clone(), read_media(core, path)?);
            Some(name)
        }
        None => None,
    };
    let mut items = Vec::new();
    for (n, item) in queries::items(core, p.id()).await?.into_iter().enumerate() {
        let mut media = Vec::new();
        for (m, file) in item.media().into_iter().enumerate() {
            let Some(path) = &file.path else { continue };
            let name = format!("media/item-{n}-{m}.{}", ext_of(path));
            files.insert(name.clone(), read_media(core, path)?);
            media.push(MediaDoc {
                file: name,
                media_type: file.media_type,
                kind: file.kind,
                description: file.description,
            });
        }
        items.push(ItemDoc {
            skills: item.skills(),
            fields: item.fields(),
            title: item.title,
            description: item.description,
            role: item.role,
            client: item.client,
            started_on: item.started_on,
            ended_on: item.ended_on,
            video_url: item.video_url,
            external_url: item.external_url,
            position: item.position,
            featured: item.featured,
            visibility: item.visibility,
            state: item.state,
            section: item.section,
            media,
        });
    }
    let projects = queries::projects(core, p.id())
        .await?
        .into_iter()
        .map(|pr| ProjectDoc {
            goals: pr.goals(),
            data: pr.data(),
            links: pr.links(),
            title: pr.title,
            description: pr.description,
            status: pr.status,
            visibility: pr.visibility,
        })
        .collect();
    Ok(Bundle {
        manifest: Manifest {
            format: FORMAT.into(),
            version: VERSION,
            source: p.actor.ap_id.clone(),
            portfolio: PortfolioDoc {
                handle: p.actor.handle.clone(),
                title: p.title().to_string(),
                summary: p.actor.summary.clone(),
                portfolio_type: p.row.portfolio_type.clone(),
                tags: p.tags(),
                links: p.links(),
                visibility: p.row.visibility.clone(),
                fields: p.fields(),
                sections: p.sections(),
                cover,
            },
            items,
            projects,
        },
        files,
    })
}

/// The bundle as a zip archive.
pub fn to_zip(bundle: &Bundle) -> Result<Vec<u8>> {
    let manifest =
        serde_json::to_vec_pretty(&bundle.manifest).map_err(|e| Error::Internal(e.to_string()))?;
    let mut entries = vec![(MANIFEST.to_string(), manifest)];
    entries.extend(bundle.files.iter().map(|(k, v)| (k.clone(), v.clone())));
    archive::write_zip(&entries).map_err(|e| Error::Internal(e.to_string()))
}

/// Reads an uploaded archive: size, entry names, bombs and the manifest are all checked here,
/// before anything is written.
pub fn from_zip(bytes: &[u8], max_bytes: usize) -> Result<Bundle> {
    let limits = ArchiveLimits {
        max_archive_bytes: max_bytes,
        max_total_bytes: max_bytes as u64,
        max_entry_bytes: max_bytes as u64,
        ..ArchiveLimits::default()
    };
    let mut archive =
        archive::read_zip(bytes, &limits).map_err(|e| Error::invalid("archive", e.code()))?;
    let manifest = archive
        .files
        .remove(MANIFEST)
        .ok_or(Error::invalid("archive", "archive_manifest_missing"))?;
    let manifest: Manifest = serde_json::from_slice(&manifest)
        .map_err(|_| Error::invalid("archive", "archive_manifest_invalid"))?;
    if manifest.format != FORMAT || manifest.version != VERSION {
        return Err(Error::invalid("archive", "archive_version_unsupported"));
    }
    if archive.files.keys().any(|k| !k.starts_with("media/")) {
        return Err(Error::invalid("archive", "archive_unexpected_entry"));
    }
    Ok(Bundle {
        manifest,
        files: archive.files,
    })
}

/// A checked item file: the bytes to store, its extension and how it is described.
pub struct ItemFile {
    pub bytes: Vec<u8>,
    pub ext: &'static str,
    pub media_type: String,
    pub kind: String,
}

/// Checks an uploaded item file: images are re-encoded to WebP (no metadata); PDFs, audio and
/// video are recognised by their bytes; anything else (HTML, SVG, archives…) is refused.
pub fn process_item_file(bytes: &[u8], max_bytes: usize) -> Result<ItemFile> {
    if bytes.len() > max_bytes {
        return Err(Error::invalid("file", "file_too_large"));
    }
    if image::guess_format(bytes).is_ok_and(|f| {
        matches!(
            f,
            image::ImageFormat::Png
                | image::ImageFormat::Jpeg
                | image::ImageFormat::WebP
                | image::ImageFormat::Gif
        )
    }) {
        let webp = crate::media::process_post_image(bytes, max_bytes)
            .map_err(|_| Error::invalid("file", "file_invalid"))?;
        return Ok(ItemFile {
            bytes: webp,
            ext: "webp",
            media_type: "image/webp".into(),
            kind: "Image".into(),
        });
    }
    let kind =
        crate::documents::sniff(bytes).ok_or(Error::invalid("file", "file_type_unsupported"))?;
    Ok(ItemFile {
        bytes: bytes.to_vec(),
        ext: kind.extension,
        media_type: kind.media_type.into(),
        kind: kind.ap_type.into(),
    })
}

/// Stores a checked file under `media/items/`; returns how the item describes it.
pub fn store_item_file(core: &Core, file: &ItemFile, description: &str) -> Result<ItemMedia> {
    let description = rules::optional_text("description", description, 1500)?;
    let path = crate::media::store(&core.config.media_dir(), "items", file.ext, &file.bytes)?;
    Ok(ItemMedia {
        path: Some(path),
        url: None,
        media_type: file.media_type.clone(),
        kind: file.kind.clone(),
        description,
    })
}

/// Imports a bundle as a new draft portfolio owned by `owner`, under `handle` (or the
/// bundle's). Everything is checked first; if a write fails half-way the copy is removed
/// again, so a refused import leaves nothing behind.
pub async fn import(
    core: &Core,
    owner: &Actor,
    bundle: Bundle,
    handle: Option<String>,
) -> Result<Portfolio> {
    let m = &bundle.manifest;
    let doc = &m.portfolio;
    let input = PortfolioInput {
        handle: Some(handle.unwrap_or_else(|| doc.handle.clone())),
        title: Some(doc.title.clone()),
        summary: Some(doc.summary.clone()),
        portfolio_type: Some(doc.portfolio_type.clone()),
        tags: Some(doc.tags.clone()),
        links: Some(doc.links.clone()),
        visibility: Some(doc.visibility.clone()),
        template: None,
        fields: Some(doc.fields.clone()),
        sections: Some(doc.sections.clone()),
    };
    store::validate_portfolio(core, &input).await?;
    let sections = rules::check_sections(&doc.sections)?;
    let max = core.config.portfolio_media_max_bytes;
    let file = |name: &str| -> Result<&Vec<u8>> {
        bundle
            .files
            .get(name)
            .ok_or(Error::invalid("archive", "archive_file_missing"))
    };
    let cover = match &doc.cover {
        Some(name) => {
            let bytes = file(name)?;
            Some(
                crate::media::process_post_image(bytes, max)
                    .map_err(|_| Error::invalid("archive", "archive_file_invalid"))?,
            )
        }
        None => None,
    };
    let mut item_inputs = Vec::new();
    for it in &m.items {
        let input = ItemInput {
            title: Some(it.title.clone()),
            description: Some(it.description.clone()),
            role: Some(it.role.clone()),
            client: Some(it.client.clone()),
            skills: Some(it.skills.clone()),
            started_on: it.started_on.clone(),
            ended_on: it.ended_on.clone(),
            video_url: it.video_url.clone(),
            external_url: it.external_url.clone(),
            position: Some(it.position),
            featured: Some(it.featured),
            visibility: Some(it.visibility.clone()),
            section: it.section.clone(),
            fields: Some(it.fields.clone()),
        };
        store::validate_item(&sections, &input)?;
        let state = State::parse(&it.state).ok_or(Error::invalid("state", "state_invalid"))?;
        if it.media.len() > ITEM_MEDIA_MAX {
            return Err(Error::invalid("media", "too_many_files"));
        }
        let mut files = Vec::new();
        for md in &it.media {
            let checked = process_item_file(file(&md.file)?, max)
                .map_err(|_| Error::invalid("archive", "archive_file_invalid"))?;
            rules::optional_text("description", &md.description, 1500)?;
            files.push((checked, md.description.clone()));
        }
        item_inputs.push((input, state, files));
    }
    let mut project_inputs = Vec::new();
    for pr in &m.projects {
        let input = ProjectInput {
            title: Some(pr.title.clone()),
            description: Some(pr.description.clone()),
            status: Some(pr.status.clone()),
            goals: Some(pr.goals.clone()),
            data: Some(pr.data.clone()),
            links: Some(pr.links.clone()),
            visibility: Some(pr.visibility.clone()),
        };
        store::validate_project(&input)?;
        project_inputs.push(input);
    }
    // Everything is valid: write. The handle may still be taken (checked on creation).
    let p = store::create(core, owner, input).await?;
    let mut written: Vec<String> = Vec::new();
    let result: Result<Portfolio> = async {
        let mut p = p.clone();
        if let Some(webp) = cover {
            let path = crate::media::store(&core.config.media_dir(), "covers", "webp", &webp)?;
            written.push(path.clone());
            p = store::set_cover(core, &p, Some(path)).await?;
        }
        for (input, state, files) in item_inputs {
            let item = store::create_item(core, &p, input).await?;
            let mut media = Vec::new();
            for (f, description) in &files {
                let m = store_item_file(core, f, description)?;
                if let Some(path) = &m.path {
                    written.push(path.clone());
                }
                media.push(m);
            }
            if !media.is_empty() {
                store::set_item_media(core, item.id, &media).await?;
            }
            if state != State::Draft {
                let item = store::set_item_state(core, &item, State::Published).await?;
                if state == State::Archived {
                    store::set_item_state(core, &item, State::Archived).await?;
                }
            }
        }
        for input in project_inputs {
            store::create_project(core, &p, input).await?;
        }
        Ok(p)
    }
    .await;
    match result {
        Ok(p) => queries::find(core, p.id()).await?.ok_or(Error::NotFound),
        Err(e) => {
            for path in &written {
                crate::media::remove(&core.config.media_dir(), path);
            }
            store::purge(core, &p).await?;
            Err(e)
        }
    }
}

/// A copy of a portfolio on this instance under a new handle, owned by `owner`.
pub async fn clone(core: &Core, owner: &Actor, p: &Portfolio, handle: &str) -> Result<Portfolio> {
    let bundle = export(core, p).await?;
    import(core, owner, bundle, Some(handle.to_string())).await
}
