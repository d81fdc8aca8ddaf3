//! `kogi`: the server binary — configuration, start-up, all HTTP, and the operator commands.

mod ap;
mod api;
mod app;
mod config;
mod ctx;
mod error;
mod limits;
mod mailer;
mod metrics;
mod ops;
mod theme;
mod web;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "kogi",
    version,
    about = "Kogi: portfolios, communities, listings, campaigns and events, federated"
)]
struct Cli {
    /// Configuration file (default: ./kogi.toml when it exists). KOGI_* variables override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (migrates the database first).
    Serve {
        /// `all` (default): web and delivery worker in one process. With PostgreSQL, `web`
        /// serves HTTP only and `worker` only delivers, so each can be scaled out.
        #[arg(long, value_enum, default_value_t = app::Role::All)]
        role: app::Role,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Show or document the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Operator commands.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Theme tools.
    Theme {
        #[command(subcommand)]
        command: ThemeCommand,
    },
    /// Print the migrated database schema in a backend-neutral form (JSON).
    DbSchema,
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration (secrets masked) and, for instance settings, whether
    /// the configuration or an admin's saved setting applies.
    Show,
    /// Print the configuration reference as a Markdown table.
    Docs,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a ready-to-use account (confirmed and approved). Use --admin for the first admin.
    CreateUser {
        name: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        admin: bool,
    },
    /// Approve an account waiting in registration mode "approval".
    ApproveUser { name: String },
    /// List accounts waiting for approval.
    PendingUsers,
    /// Set someone's role: user, moderator or admin.
    SetRole { name: String, role: String },
    /// Save an instance setting; it wins over the configuration from now on.
    SetSetting { key: String, value: String },
    /// Block an instance (host or host:port): its activities are refused, nothing is sent to it.
    BlockInstance { host: String },
    /// Lift an instance block.
    UnblockInstance { host: String },
    /// Define a portfolio type: `--field name:kind` where kind is text, number, date, url or
    /// choice (`name:choice:a|b|c`); add `:required` to require a value.
    AddPortfolioType {
        name: String,
        #[arg(long)]
        label: String,
        #[arg(long = "field")]
        fields: Vec<String>,
    },
    /// Remove a portfolio type (portfolios of that type keep it).
    RemovePortfolioType { name: String },
    /// List portfolio types, built-in and defined.
    PortfolioTypes,
    /// Define a portfolio template from a JSON file: {name, description, portfolio_type,
    /// sections: [{name, fields: [{name, kind, choices, required}]}]}.
    AddPortfolioTemplate { file: PathBuf },
    /// Remove a portfolio template.
    RemovePortfolioTemplate { name: String },
    /// List portfolio templates.
    PortfolioTemplates,
    /// Print the instance settings in force: key, source (config or saved) and value.
    Settings,
    /// List blocked instances.
    BlockedInstances,
    /// Print the delivery queue: rows by state, pending and failed rows per host, dead hosts.
    Queue,
    /// Try a host's waiting deliveries now (and probe it now if it is dead).
    RetryHost { host: String },
    /// List a community's moderation reports, open ones first.
    Reports { community: String },
    /// Mark one of a community's reports resolved.
    ResolveReport { community: String, id: i64 },
}

#[derive(Subcommand)]
enum ThemeCommand {
    /// Write the built-in default theme to DIR, as a starting point for `themes_dir`.
    Export { dir: PathBuf },
}

fn init_logging(cfg: &config::Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&cfg.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cfg.log_format {
        config::LogFormat::Json => builder.json().init(),
        config::LogFormat::Text => builder.init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kogi: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Config {
        command: ConfigCommand::Docs,
    } = cli.command
    {
        print!("{}", config::docs());
        return Ok(());
    }
    if let Command::Theme {
        command: ThemeCommand::Export { dir },
    } = &cli.command
    {
        let n = theme::export(dir)?;
        println!("wrote {n} files to {}", dir.display());
        return Ok(());
    }
    let cfg = config::load(cli.config.as_deref())
        .map_err(|e| anyhow::anyhow!("configuration error: {e}"))?;
    init_logging(&cfg);
    match cli.command {
        Command::Serve { role } => app::serve(cfg, role).await,
        Command::Migrate => {
            let core = app::build_core(&cfg, false).await?;
            let applied = kogi_core::db::migrate(&core.db, &cfg.database_url).await?;
            println!("applied {} migration(s)", applied.len());
            Ok(())
        }
        Command::DbSchema => {
            let core = app::build_core(&cfg, true).await?;
            let schema = kogi_core::db::describe_schema(&core.db).await?;
            println!("{}", serde_json::to_string_pretty(&schema)?);
            Ok(())
        }
        Command::Config {
            command: ConfigCommand::Show,
        } => {
            // Saved settings need the database; show the file/env view if it is unreachable.
            match app::build_core(&cfg, true).await {
                Ok(core) => {
                    let (eff, sources) = kogi_core::settings::effective_with_sources(
                        &core.db,
                        &core.settings_defaults,
                    )
                    .await?;
                    print!("{}", config::show(&cfg, Some(&sources), Some(&eff)));
                }
                Err(e) => {
                    eprintln!(
                        "note: database not reachable ({e:#}); saved instance settings not shown"
                    );
                    print!("{}", config::show(&cfg, None, None));
                }
            }
            Ok(())
        }
        Command::Admin { command } => {
            let core = app::build_core(&cfg, true).await?;
            match command {
                AdminCommand::CreateUser {
                    name,
                    email,
                    password,
                    admin,
                } => {
                    let a = kogi_admin::create_user(&core, &name, &email, &password, admin)
                        .await
                        .map_err(describe)?;
                    println!("created {} ({})", a.username, a.role);
                }
                AdminCommand::ApproveUser { name } => {
                    let a = kogi_admin::approve_user(&core, &name)
                        .await
                        .map_err(describe)?;
                    println!("approved {}", a.username);
                }
                AdminCommand::PendingUsers => {
                    for a in kogi_admin::pending_users(&core).await? {
                        let confirmed = if a.email_confirmed_at.is_some() {
                            "confirmed"
                        } else {
                            "unconfirmed"
                        };
                        println!("{}\t{}\t{confirmed}", a.username, a.email);
                    }
                }
                AdminCommand::SetRole { name, role } => {
                    let a = kogi_admin::set_role(&core, &name, &role)
                        .await
                        .map_err(describe)?;
                    println!("{} is now {}", a.username, a.role);
                }
                AdminCommand::BlockInstance { host } => {
                    kogi_admin::block_instance(&core, &host, true)
                        .await
                        .map_err(describe)?;
                    println!("blocked {host}");
                }
                AdminCommand::UnblockInstance { host } => {
                    kogi_admin::block_instance(&core, &host, false)
                        .await
                        .map_err(describe)?;
                    println!("unblocked {host}");
                }
                AdminCommand::AddPortfolioType {
                    name,
                    label,
                    fields,
                } => {
                    let t = kogi_admin::add_portfolio_type(&core, &name, &label, &fields)
                        .await
                        .map_err(describe)?;
                    println!(
                        "defined portfolio type {} ({} fields)",
                        t.name,
                        t.fields.len()
                    );
                }
                AdminCommand::RemovePortfolioType { name } => {
                    if !kogi_admin::remove_portfolio_type(&core, &name).await? {
                        anyhow::bail!("no portfolio type {name}");
                    }
                    println!("removed portfolio type {name}");
                }
                AdminCommand::PortfolioTypes => {
                    for t in kogi_admin::portfolio_types(&core).await? {
                        let fields: Vec<String> = t
                            .fields
                            .iter()
                            .map(|f| format!("{}:{:?}", f.name, f.kind).to_lowercase())
                            .collect();
                        println!("{}\t{}\t{}", t.name, t.label, fields.join(","));
                    }
                }
                AdminCommand::AddPortfolioTemplate { file } => {
                    let json = std::fs::read_to_string(&file)
                        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
                    let t = kogi_admin::add_portfolio_template(&core, &json)
                        .await
                        .map_err(describe)?;
                    println!(
                        "defined template {} ({} sections)",
                        t.name,
                        t.sections.len()
                    );
                }
                AdminCommand::RemovePortfolioTemplate { name } => {
                    if !kogi_admin::remove_portfolio_template(&core, &name).await? {
                        anyhow::bail!("no template {name}");
                    }
                    println!("removed template {name}");
                }
                AdminCommand::PortfolioTemplates => {
                    for t in kogi_admin::portfolio_templates(&core).await? {
                        let sections: Vec<&str> =
                            t.sections.iter().map(|s| s.name.as_str()).collect();
                        println!("{}\t{}\t{}", t.name, t.portfolio_type, sections.join(","));
                    }
                }
                AdminCommand::SetSetting { key, value } => {
                    kogi_admin::validate_setting(&key, &value).map_err(|m| anyhow::anyhow!(m))?;
                    kogi_admin::set_setting(&core, &key, &value)
                        .await
                        .map_err(describe)?;
                    println!("saved {key}");
                }
                other => admin_more(&core, other).await?,
            }
            Ok(())
        }
        Command::Config {
            command: ConfigCommand::Docs,
        }
        | Command::Theme { .. } => Ok(()),
    }
}

/// The `kogi admin` commands for settings, instances, the queue and reports.
async fn admin_more(core: &kogi_core::Core, command: AdminCommand) -> anyhow::Result<()> {
    let no_community = |e: kogi_core::Error| match e {
        kogi_core::Error::NotFound => anyhow::anyhow!("no such community"),
        other => describe(other),
    };
    match command {
        AdminCommand::Settings => {
            for s in kogi_admin::settings(core).await? {
                let source = match s.source {
                    kogi_core::settings::Source::Config => "config",
                    kogi_core::settings::Source::Saved => "saved",
                };
                println!("{}\t{source}\t{}", s.key, s.value);
            }
        }
        AdminCommand::BlockedInstances => {
            for h in kogi_admin::blocked_instances(core).await? {
                println!("{}", h.host);
            }
        }
        AdminCommand::Queue => {
            let q = kogi_admin::queue(core).await?;
            let s = &q.states;
            println!(
                "pending {}\tdone {}\tfailed {}\texpired {}",
                s.pending, s.done, s.failed, s.expired
            );
            for h in &q.hosts {
                println!(
                    "host {}\tpending {}\tfailed {}",
                    h.host, h.pending, h.failed
                );
            }
            let at = |t: Option<chrono::NaiveDateTime>| {
                t.map(|t| {
                    t.and_utc()
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                })
                .unwrap_or_else(|| "-".into())
            };
            for h in &q.dead {
                println!(
                    "dead {}\tfailing since {}\tlast probe {}",
                    h.host,
                    at(h.failing_since),
                    at(h.last_probe_at)
                );
            }
        }
        AdminCommand::RetryHost { host } => {
            let n = kogi_admin::retry_host(core, &host)
                .await
                .map_err(describe)?;
            println!("{n} deliveries to {host} due now");
        }
        AdminCommand::Reports { community } => {
            for r in kogi_admin::community_reports(core, &community)
                .await
                .map_err(no_community)?
            {
                let state = if r.resolved { "resolved" } else { "open" };
                let post = r
                    .post_id
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "-".into());
                println!("{}\t{state}\t{}\t{post}\t{}", r.id, r.reporter, r.reason);
            }
        }
        AdminCommand::ResolveReport { community, id } => {
            if !kogi_admin::resolve_report(core, &community, id)
                .await
                .map_err(no_community)?
            {
                anyhow::bail!("no report {id} in {community}");
            }
            println!("resolved report {id}");
        }
        _ => {}
    }
    Ok(())
}

/// Operator-facing wording of domain errors.
fn describe(e: kogi_core::Error) -> anyhow::Error {
    match e {
        kogi_core::Error::Invalid { field, code } => {
            anyhow::anyhow!("{field}: {}", error::title_for(code))
        }
        kogi_core::Error::NotFound => anyhow::anyhow!("no such account"),
        other => anyhow::anyhow!(other),
    }
}
