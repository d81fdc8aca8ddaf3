//! Start-up and the HTTP stack: state, router, middleware, graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, Request};
use axum::Router;
use kogi_core::{Core, CoreConfig};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::config::{Config, MailConfig};
use crate::metrics::Metrics;
use crate::theme::Theme;

#[derive(Clone)]
pub struct AppState {
    pub core: Core,
    pub fed: kogi_federation::delivery::Federation,
    pub config: Arc<Config>,
    pub theme: Arc<Theme>,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub async fn instance_name(&self) -> String {
        kogi_core::settings::effective(&self.core.db, &self.core.settings_defaults)
            .await
            .map(|s| s.name)
            .unwrap_or_else(|_| self.core.settings_defaults.name.clone())
    }
}

/// Builds the domain context: database pool (migrated), mailer, settings.
pub async fn build_core(config: &Config, migrate: bool) -> anyhow::Result<Core> {
    let db = kogi_core::db::DbPool::connect(&config.database_url, config.database_max_connections)
        .map_err(|e| anyhow::anyhow!("database.url: {e}"))?;
    if migrate {
        let applied = kogi_core::db::migrate(&db, &config.database_url).await?;
        if !applied.is_empty() {
            tracing::info!(?applied, "applied migrations");
        }
    }
    let mailer = match &config.mail {
        MailConfig::Spool { dir } => {
            kogi_core::mail::Mailer::spool(dir.clone(), &config.mail_from)?
        }
        MailConfig::Smtp(s) => kogi_core::mail::Mailer::smtp(s, &config.mail_from)?,
    };
    let core_config = CoreConfig {
        public_url: config.public_url.clone(),
        data_dir: config.data_dir.clone(),
        session_days: config.session_days,
        confirm_token_hours: config.confirm_token_hours,
        reset_token_minutes: config.reset_token_minutes,
        avatar_max_bytes: config.limits.avatar_max_bytes,
        portfolio_import_max_bytes: config.limits.portfolio_import_max_bytes,
        portfolio_media_max_bytes: config.limits.portfolio_media_max_bytes,
    };
    Ok(Core {
        db,
        config: Arc::new(core_config),
        mailer,
        settings_defaults: Arc::new(config.instance.clone()),
        live: Default::default(),
    })
}

const CSP: &str = "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; \
                   font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
                   base-uri 'self'; object-src 'none'";

pub fn router(state: AppState) -> Router {
    let api = crate::api::router(state.clone())
        .layer(DefaultBodyLimit::max(state.config.limits.api_body_bytes));
    let web = crate::web::router(state.clone());
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(web)
        .nest("/api/kogi/v1", api)
        .merge(crate::ops::router())
        .merge(crate::ap::router())
        .merge(crate::ap::inbox_router(state.config.federation.inbox_max_bytes))
        .fallback(crate::web::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::web::render_errors))
        .layer(axum::middleware::from_fn(crate::web::refuse_nul))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::metrics::track))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// The federation context: HTTP client and delivery settings from the configuration.
pub fn build_federation(
    config: &Config,
    core: &Core,
) -> anyhow::Result<kogi_federation::delivery::Federation> {
    use kogi_federation::client::{ClientSettings, HttpClient};
    use kogi_federation::delivery::{DeliverySettings, Federation};
    let f = &config.federation;
    let client = HttpClient::new(ClientSettings {
        allow_private_addresses: f.allow_private_addresses,
        timeout: Duration::from_secs(f.fetch_timeout_secs),
        max_response_bytes: f.fetch_max_bytes,
        user_agent: format!(
            "Kogi/{} (+{})",
            env!("CARGO_PKG_VERSION"),
            config.public_url
        ),
        extra_roots_pem: f.ca_pem.clone(),
    })
    .map_err(|e| anyhow::anyhow!("federation client: {e}"))?;
    let secs = |s: i64| Duration::from_secs(s.max(0) as u64);
    kogi_federation::refresh::set_interval(Duration::from_secs(f.refresh_interval_secs));
    Ok(Federation {
        core: core.clone(),
        client,
        delivery: Arc::new(DeliverySettings {
            first_retry: secs(f.first_retry_secs),
            max_backoff: secs(f.max_backoff_secs),
            give_up: secs(f.give_up_secs),
            dead_after: secs(f.dead_after_secs),
            probe_interval: secs(f.probe_interval_secs),
            concurrency: f.concurrency,
            per_host_concurrency: f.per_host_concurrency,
            timeout: Duration::from_secs(f.delivery_timeout_secs),
        }),
        wake: Arc::new(tokio::sync::Notify::new()),
        keys: Arc::default(),
        signers: Arc::default(),
    })
}

/// What a `kogi serve` process does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    All,
    Web,
    Worker,
}

/// Runs the web server and/or the delivery worker until SIGTERM or Ctrl-C; requests and
/// deliveries in flight are allowed to finish.
pub async fn serve(config: Config, role: Role) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    if role != Role::All
        && kogi_core::db::Backend::from_url(&config.database_url)
            != Some(kogi_core::db::Backend::Postgres)
    {
        anyhow::bail!(
            "--role {role:?} needs PostgreSQL (database.url): SQLite serves one process only"
        );
    }
    let core = build_core(&config, true).await?;
    let theme = Theme::load(config.themes_dir.clone())?;
    let fed = build_federation(&config, &core)?;
    // The instance actor exists before anyone needs it to sign a fetch.
    kogi_core::actors::instance_actor(&core).await?;
    if core.db.backend() == kogi_core::db::Backend::Sqlite {
        // One process per SQLite database: claims left over are from a process that died.
        let released = kogi_core::deliveries::release_leases(&core).await?;
        if released > 0 {
            tracing::info!(released, "released deliveries claimed before a crash");
        }
    }
    let state = AppState {
        fed: fed.clone(),
        core,
        config: Arc::new(config.clone()),
        theme: Arc::new(theme),
        metrics: Arc::new(Metrics::default()),
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    if role == Role::Worker {
        spawn_housekeeping(state.clone());
        tracing::info!(backend = ?state.core.db.backend(), "kogi delivery worker is running");
        let publisher = tokio::spawn(fed.clone().run_publisher(stop_rx.clone()));
        let worker = tokio::spawn(fed.run_worker(stop_rx));
        shutdown_signal().await;
        let _ = stop_tx.send(true);
        let _ = worker.await;
        let _ = publisher.await;
        tracing::info!("stopped");
        return Ok(());
    }
    // Web processes push chat messages to open pages, whichever process stored them.
    state.core.live.spawn_listener(&state.core.db);
    let worker = if role == Role::All {
        spawn_housekeeping(state.clone());
        // The outbox publisher runs wherever the delivery worker runs.
        tokio::spawn(fed.clone().run_publisher(stop_rx.clone()));
        Some(tokio::spawn(fed.run_worker(stop_rx)))
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("listen: cannot bind {}: {e}", config.listen))?;
    tracing::info!(
        listen = %config.listen,
        public_url = %config.public_url,
        backend = ?state.core.db.backend(),
        startup_ms = started.elapsed().as_millis() as u64,
        "kogi is ready"
    );
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    // Deliveries in flight finish; queued ones stay in the database for the next start.
    let _ = stop_tx.send(true);
    if let Some(w) = worker {
        let _ = w.await;
    }
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Periodic clean-up of tables that only grow.
fn spawn_housekeeping(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(e) = kogi_core::ratelimit::prune(&state.core.db).await {
                tracing::warn!(error = %e, "pruning rate limits failed");
            }
            if let Err(e) = kogi_core::accounts::prune_sessions(&state.core).await {
                tracing::warn!(error = %e, "pruning sessions failed");
            }
            // Longer than any peer's retry horizon (Mastodon retries for about a week).
            if let Err(e) = kogi_core::inbox::prune(&state.core, 30).await {
                tracing::warn!(error = %e, "pruning seen activities failed");
            }
            if let Err(e) = kogi_core::deliveries::prune(&state.core, 30).await {
                tracing::warn!(error = %e, "pruning finished deliveries failed");
            }
        }
    });
}
