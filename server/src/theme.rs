//! Themes: templates, static files and message catalogues. The default theme is embedded in
//! the binary; `themes_dir` overrides any of its files without rebuilding.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::value::Kwargs;
use minijinja::{Environment, State, Value};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../themes/default/"]
struct DefaultTheme;

/// One language's messages, flattened to dotted keys.
type Catalogue = HashMap<String, String>;

pub struct Theme {
    env: Environment<'static>,
    catalogues: Arc<HashMap<String, Catalogue>>,
    themes_dir: Option<PathBuf>,
}

/// A file of the active theme: the override folder first, then the embedded default.
fn theme_file(themes_dir: Option<&Path>, relative: &str) -> Option<Vec<u8>> {
    if relative
        .split('/')
        .any(|p| p.is_empty() || p == "." || p == ".." || p.contains('\\'))
    {
        return None;
    }
    if let Some(dir) = themes_dir {
        let p = dir.join(relative);
        if p.is_file() {
            if let Ok(bytes) = std::fs::read(&p) {
                return Some(bytes);
            }
        }
    }
    DefaultTheme::get(relative).map(|f| f.data.into_owned())
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalogue) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            other => {
                out.insert(key, other.to_string());
            }
        }
    }
}

/// Fills `{name}` placeholders.
pub fn fill(template: &str, args: &[(&str, String)]) -> String {
    let mut s = template.to_string();
    for (k, v) in args {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

impl Theme {
    pub fn load(themes_dir: Option<PathBuf>) -> anyhow::Result<Theme> {
        let mut catalogues: HashMap<String, Catalogue> = HashMap::new();
        let mut names: Vec<String> = DefaultTheme::iter()
            .filter_map(|f| {
                f.strip_prefix("locales/")
                    .and_then(|n| n.strip_suffix(".toml"))
                    .map(str::to_string)
            })
            .collect();
        if let Some(dir) = &themes_dir {
            if let Ok(rd) = std::fs::read_dir(dir.join("locales")) {
                for e in rd.flatten() {
                    if let Some(n) = e.file_name().to_str().and_then(|n| n.strip_suffix(".toml")) {
                        names.push(n.to_string());
                    }
                }
            }
        }
        names.sort();
        names.dedup();
        for lang in names {
            let mut cat = Catalogue::new();
            // The embedded catalogue first, so an override file only needs the keys it changes.
            for source in [None, themes_dir.as_deref()] {
                let bytes = match source {
                    None => DefaultTheme::get(&format!("locales/{lang}.toml"))
                        .map(|f| f.data.into_owned()),
                    Some(d) => std::fs::read(d.join(format!("locales/{lang}.toml"))).ok(),
                };
                if let Some(bytes) = bytes {
                    let text = String::from_utf8(bytes)?;
                    let table: toml::Table = text
                        .parse()
                        .map_err(|e| anyhow::anyhow!("locales/{lang}.toml: {e}"))?;
                    flatten("", &table, &mut cat);
                }
            }
            catalogues.insert(lang, cat);
        }
        if !catalogues.contains_key("en") {
            anyhow::bail!("the theme has no English catalogue (locales/en.toml)");
        }
        let catalogues = Arc::new(catalogues);

        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
        let dir = themes_dir.clone();
        env.set_loader(move |name| {
            Ok(theme_file(dir.as_deref(), &format!("templates/{name}"))
                .and_then(|b| String::from_utf8(b).ok()))
        });
        let cats = catalogues.clone();
        env.add_function(
            "t",
            move |state: &State, key: String, kwargs: Kwargs| -> Result<String, minijinja::Error> {
                let lang = state
                    .lookup("lang")
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "en".into());
                let text = lookup(&cats, &lang, &key);
                let mut args = Vec::new();
                for k in kwargs.args() {
                    let v: Value = kwargs.get(k)?;
                    args.push((k, v.to_string()));
                }
                Ok(fill(&text, &args))
            },
        );
        Ok(Theme {
            env,
            catalogues,
            themes_dir,
        })
    }

    /// Renders a template of the active theme.
    pub fn render(&self, name: &str, ctx: Value) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(ctx)
    }

    /// A message in the given language (English when missing there), placeholders filled.
    pub fn text(&self, lang: &str, key: &str, args: &[(&str, String)]) -> String {
        fill(&lookup(&self.catalogues, lang, key), args)
    }

    /// Languages with a catalogue, as (code, own name).
    pub fn languages(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self
            .catalogues
            .keys()
            .map(|code| {
                (
                    code.clone(),
                    self.text(code, &format!("language.{code}"), &[]),
                )
            })
            .collect();
        v.sort();
        v
    }

    pub fn has_language(&self, code: &str) -> bool {
        self.catalogues.contains_key(code)
    }

    /// Picks the best catalogue for an `Accept-Language` header.
    pub fn negotiate(&self, accept_language: &str) -> Option<String> {
        let mut prefs: Vec<(f32, String)> = accept_language
            .split(',')
            .filter_map(|part| {
                let mut it = part.trim().split(';');
                let tag = it.next()?.trim().to_lowercase();
                let q = it
                    .find_map(|p| {
                        p.trim()
                            .strip_prefix("q=")
                            .and_then(|q| q.parse::<f32>().ok())
                    })
                    .unwrap_or(1.0);
                (!tag.is_empty() && q > 0.0).then_some((q, tag))
            })
            .collect();
        prefs.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
        prefs.into_iter().find_map(|(_, tag)| {
            let primary = tag.split('-').next().unwrap_or(&tag).to_string();
            if self.has_language(&tag) {
                Some(tag)
            } else if self.has_language(&primary) {
                Some(primary)
            } else {
                None
            }
        })
    }

    /// A static file of the theme, with its content type.
    pub fn static_file(&self, path: &str) -> Option<(Vec<u8>, &'static str)> {
        let bytes = theme_file(self.themes_dir.as_deref(), &format!("static/{path}"))?;
        Some((bytes, content_type_for(path)))
    }
}

fn lookup(cats: &HashMap<String, Catalogue>, lang: &str, key: &str) -> String {
    cats.get(lang)
        .and_then(|c| c.get(key))
        .or_else(|| cats.get("en").and_then(|c| c.get(key)))
        .cloned()
        .unwrap_or_else(|| key.to_string())
}

pub fn content_type_for(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        // SVG is served as an image only from the theme (trusted), never from uploads.
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// `kogi theme export DIR`: writes the embedded default theme out as a starting point.
pub fn export(dir: &Path) -> anyhow::Result<usize> {
    let mut n = 0;
    for name in DefaultTheme::iter() {
        let Some(file) = DefaultTheme::get(&name) else {
            continue;
        };
        let target = dir.join(name.as_ref());
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, file.data.as_ref())?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_languages() {
        let t = Theme::load(None).unwrap();
        assert_eq!(
            t.negotiate("es-ES,es;q=0.9,en;q=0.8").as_deref(),
            Some("es")
        );
        assert_eq!(t.negotiate("fr-FR, en;q=0.5").as_deref(), Some("en"));
        assert_eq!(t.negotiate("de").as_deref(), None);
    }

    #[test]
    fn english_is_complete_and_spanish_covers_sign_up_and_log_in() {
        let t = Theme::load(None).unwrap();
        let en = &t.catalogues["en"];
        let es = &t.catalogues["es"];
        for key in en
            .keys()
            .filter(|k| k.starts_with("signup.") || k.starts_with("login."))
        {
            assert!(es.contains_key(key), "es.toml lacks {key}");
        }
        assert_eq!(fill("Hi {name}", &[("name", "Ana".into())]), "Hi Ana");
    }

    #[test]
    fn every_template_key_exists_in_english() {
        let t = Theme::load(None).unwrap();
        let en = &t.catalogues["en"];
        for name in DefaultTheme::iter().filter(|n| n.starts_with("templates/")) {
            let text =
                String::from_utf8(DefaultTheme::get(&name).unwrap().data.into_owned()).unwrap();
            for quote in ['"', '\''] {
                let pat = format!("t({quote}");
                for (i, _) in text.match_indices(&pat) {
                    let rest = &text[i + pat.len()..];
                    let key = &rest[..rest.find(quote).unwrap()];
                    if key.ends_with('_') {
                        // A key completed in the template (`t("community.kind_" ~ kind)`).
                        assert!(
                            en.keys().any(|k| k.starts_with(key)),
                            "{name}: no keys for {key}…"
                        );
                        continue;
                    }
                    assert!(en.contains_key(key), "{name}: missing key {key}");
                }
            }
        }
    }
}
