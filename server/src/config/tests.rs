use super::*;

fn with(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let dir = tempfile_dir();
    let cfg_path = dir.path().join("none.toml");
    std::fs::write(&cfg_path, "").unwrap();
    load_with(Some(&cfg_path), &move |n| {
        vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone())
    })
}

/// A directory removed when the returned guard is dropped.
fn tempfile_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("kogi-cfg-")
        .tempdir()
        .unwrap()
}

#[test]
fn defaults() {
    let c = with(&[]).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.public_url, "http://localhost:8080");
    assert!(c.database_url.starts_with("sqlite://"));
    assert!(matches!(c.mail, MailConfig::Spool { .. }));
}

#[test]
fn bad_values_name_the_key() {
    let e = with(&[("KOGI_LISTEN", "nope")]).unwrap_err();
    assert_eq!(e.key, "listen");
    let e = with(&[("KOGI_INSTANCE_REGISTRATION_MODE", "sometimes")]).unwrap_err();
    assert_eq!(e.key, "instance.registration_mode");
    let e = with(&[("KOGI_DATABASE_MAX_CONNECTIONS", "-3")]).unwrap_err();
    assert_eq!(e.key, "database.max_connections");
    let e = with(&[("KOGI_MAIL_KIND", "smtp")]).unwrap_err();
    assert_eq!(e.key, "mail.smtp_host");
}

#[test]
fn unknown_file_keys_are_refused() {
    let d = tempfile_dir();
    let p = d.path().join("k.toml");
    std::fs::write(&p, "[mail]\nkindd = \"spool\"\n").unwrap();
    let e = load_with(Some(&p), &|_| None).unwrap_err();
    assert_eq!(e.key, "mail.kindd");
    std::fs::write(&p, "listen = 8080\n").unwrap();
    let e = load_with(Some(&p), &|_| None).unwrap_err();
    assert_eq!(e.key, "listen");
}

#[test]
fn env_overrides_file() {
    let d = tempfile_dir();
    let p = d.path().join("k.toml");
    std::fs::write(&p, "[instance]\nname = \"From file\"\n").unwrap();
    let c = load_with(Some(&p), &|n| {
        (n == "KOGI_INSTANCE_NAME").then(|| "From env".to_string())
    })
    .unwrap();
    assert_eq!(c.instance.name, "From env");
    let c = load_with(Some(&p), &|_| None).unwrap();
    assert_eq!(c.instance.name, "From file");
}

#[test]
fn ip_ranges() {
    let r = IpRange::parse("10.0.0.0/8").unwrap();
    assert!(r.contains("10.1.2.3".parse().unwrap()));
    assert!(!r.contains("11.1.2.3".parse().unwrap()));
    assert!(IpRange::parse("::1")
        .unwrap()
        .contains("::1".parse().unwrap()));
    assert!(IpRange::parse("10.0.0.0/40").is_none());
}

#[test]
fn every_key_has_a_kogi_env_name() {
    for k in KEYS {
        assert!(k.env.starts_with("KOGI_"), "{}", k.path);
    }
}
