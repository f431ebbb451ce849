//! The `csapi` command: serve, migrate, print the OpenAPI document, manage workspaces.

use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use csapi::app::{
    App, Bootstrap, DEFAULT_KEY_CACHE_TTL, MAX_KEY_CACHE_TTL, RateLimit, RateLimits, WebhookOptions,
};
use csapi::domain::Role;
use csapi::domain::webhook::{Reach, RetrySchedule};
use csapi::http::HttpOptions;
use csapi::server::{ConnectionLimits, ServeOptions, Server};
use csapi::store::{Store, StoreConfig};
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(
    name = "csapi",
    version,
    about = "Open, self-hostable customer-success API"
)]
struct Cli {
    /// `postgres://…`, `sqlite://path` or a bare SQLite path.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://csapi.db",
        global = true
    )]
    database_url: String,
    /// Database connections per process.
    #[arg(long, env = "CSAPI_POOL_SIZE", default_value_t = 16, global = true)]
    pool_size: usize,
    #[arg(long, env = "CSAPI_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Serve REST and gRPC (applies migrations first).
    Serve(ServeArgs),
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the OpenAPI document (3.1; `--version 3.0` for the 3.0.3 edition).
    Openapi {
        #[arg(long, default_value = "3.1", value_parser = ["3.1", "3.0"])]
        version: String,
    },
    /// Manage workspaces.
    Workspace {
        #[command(subcommand)]
        command: WorkspaceCommand,
    },
    /// Manage API keys without the API (recovery).
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Issue a key for an existing workspace and print it (shown once).
    Create {
        /// The workspace's name (`default` for the one made on first start).
        #[arg(long)]
        workspace: String,
        #[arg(long, value_enum)]
        role: KeyRole,
        /// What the key is for, as listed by `GET /v1/api-keys`.
        #[arg(long, default_value = "issued from the command line")]
        name: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum KeyRole {
    Read,
    Write,
    Admin,
}

impl From<KeyRole> for Role {
    fn from(r: KeyRole) -> Self {
        match r {
            KeyRole::Read => Role::Read,
            KeyRole::Write => Role::Write,
            KeyRole::Admin => Role::Admin,
        }
    }
}

#[derive(Subcommand)]
enum WorkspaceCommand {
    /// Create a workspace and print its admin key.
    Create {
        #[arg(long)]
        name: String,
    },
}

#[derive(Args)]
struct ServeArgs {
    #[arg(long, env = "CSAPI_HTTP_ADDR", default_value = "127.0.0.1:8080")]
    http_addr: String,
    #[arg(long, env = "CSAPI_GRPC_ADDR", default_value = "127.0.0.1:50051")]
    grpc_addr: String,
    /// The admin key of the `default` workspace made on an empty store.
    #[arg(long, env = "CSAPI_BOOTSTRAP_KEY", hide_env_values = true)]
    bootstrap_key: Option<String>,
    /// Seconds a request may take before it is answered 503.
    #[arg(long, env = "CSAPI_REQUEST_TIMEOUT", default_value_t = 30)]
    request_timeout: u64,
    /// Largest request body in bytes.
    #[arg(long, env = "CSAPI_BODY_LIMIT", default_value_t = 1024 * 1024)]
    body_limit: usize,
    /// Requests per API key, as a quota per window (`6000/min`, `100/s`), or `off`.
    #[arg(long, env = "CSAPI_RATE_LIMIT", default_value = "off", value_parser = rate_limit)]
    rate_limit: Limit,
    /// Requests per workspace, over all its keys, or `off`.
    #[arg(long, env = "CSAPI_WORKSPACE_RATE_LIMIT", default_value = "off", value_parser = rate_limit)]
    workspace_rate_limit: Limit,
    /// Milliseconds a resolved API key is trusted without asking the store
    /// (0 to 5000); a revocation reaches other replicas within this time.
    #[arg(long, env = "CSAPI_KEY_CACHE_TTL_MS", default_value_t = DEFAULT_KEY_CACHE_TTL.as_millis() as u64,
          value_parser = clap::value_parser!(u64).range(0..=MAX_KEY_CACHE_TTL.as_millis() as u64))]
    key_cache_ttl_ms: u64,
    /// Comma-separated origins allowed by CORS.
    #[arg(long, env = "CSAPI_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
    /// Seconds a client may take to send a request's headers, and a
    /// keep-alive connection may sit idle between requests.
    #[arg(long, env = "CSAPI_HEADER_TIMEOUT", default_value_t = 10)]
    header_timeout: u64,
    /// REST connections served at once; more wait to be accepted.
    #[arg(long, env = "CSAPI_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
    /// How long the change feed keeps events: a number and a unit (`30d`,
    /// `12h`, `90m`, `3600s`). A reader further behind must resync.
    #[arg(long, env = "CSAPI_EVENT_RETENTION", default_value = "30d", value_parser = span)]
    event_retention: Duration,
    /// Lets webhooks call plain http and private, loopback and link-local
    /// addresses (a receiver on this host or network); off in production.
    #[arg(long, env = "CSAPI_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    webhook_allow_private: bool,
    /// Waits between the attempts of a failed webhook delivery,
    /// comma-separated; after the last, the delivery is given up.
    #[arg(long, env = "CSAPI_WEBHOOK_RETRY_SCHEDULE", default_value = "5s,5m,30m,2h,5h,10h,10h",
          value_delimiter = ',', value_parser = span)]
    webhook_retry_schedule: Vec<Duration>,
    /// How long every delivery to a webhook may fail before csapi disables it.
    #[arg(long, env = "CSAPI_WEBHOOK_DISABLE_AFTER", default_value = "5d", value_parser = span)]
    webhook_disable_after: Duration,
    /// Seconds in-flight requests get to finish after SIGTERM or Ctrl-C.
    #[arg(long, env = "CSAPI_SHUTDOWN_GRACE", default_value_t = 30)]
    shutdown_grace: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _logs_written = init_logs(cli.log_format)?;
    if let Command::Openapi { version } = &cli.command {
        let document = match version.as_str() {
            "3.0" => serde_json::to_string_pretty(&csapi::http::openapi_3_0())?,
            _ => csapi::http::openapi().to_pretty_json()?,
        };
        println!("{document}");
        return Ok(());
    }
    let store = Store::connect(&StoreConfig {
        url: cli.database_url.clone(),
        pool_size: cli.pool_size,
        acquire_timeout: Duration::from_secs(5),
    })
    .await?;
    let applied = store.migrate().await.context("applying migrations")?;
    tracing::info!(backend = store.backend_name(), applied, "store ready");
    let app = App::new(store);
    match cli.command {
        Command::Openapi { .. } | Command::Migrate => Ok(()),
        Command::Workspace {
            command: WorkspaceCommand::Create { name },
        } => {
            let (id, admin) = app.create_workspace(&name).await?;
            println!(
                "workspace {name} ({id}) created; admin key (shown once):\n{}",
                admin.secret
            );
            Ok(())
        }
        Command::ApiKey {
            command:
                ApiKeyCommand::Create {
                    workspace,
                    role,
                    name,
                },
        } => {
            let created = app.issue_key(&workspace, &name, role.into()).await?;
            println!(
                "{} key {} for workspace {workspace} (shown once):\n{}",
                created.key.role.as_str(),
                created.key.id,
                created.secret
            );
            Ok(())
        }
        Command::Serve(args) => serve(app, args).await,
    }
}

/// A rate limit or `off` (clap takes `Option` for a missing value, hence the alias).
type Limit = Option<RateLimit>;

fn rate_limit(s: &str) -> Result<Limit, String> {
    match s.trim() {
        "off" => Ok(None),
        rate => rate.parse().map(Some),
    }
}

async fn serve(app: App, args: ServeArgs) -> anyhow::Result<()> {
    let app = app
        .with_rate_limits(RateLimits {
            per_key: args.rate_limit,
            per_workspace: args.workspace_rate_limit,
        })
        .with_key_cache(Duration::from_millis(args.key_cache_ttl_ms))
        .with_event_retention(args.event_retention)
        .with_webhooks(WebhookOptions {
            reach: if args.webhook_allow_private {
                Reach::Private
            } else {
                Reach::Public
            },
            retries: RetrySchedule(args.webhook_retry_schedule),
            disable_after: args.webhook_disable_after,
            ..WebhookOptions::default()
        });
    match app.bootstrap(args.bootstrap_key).await? {
        Bootstrap::Created { admin, .. } => println!(
            "created workspace `default`; its admin key (shown once): {}",
            admin.secret
        ),
        Bootstrap::KeyNotApplied => tracing::warn!(
            "CSAPI_BOOTSTRAP_KEY was not applied: the store already has workspaces, and the key \
             is none of theirs. Use a key you were given, or issue one with \
             `csapi api-key create --workspace default --role admin`"
        ),
        Bootstrap::AlreadyDone => {}
    }
    let http = TcpListener::bind(&args.http_addr)
        .await
        .with_context(|| format!("binding {}", args.http_addr))?;
    let grpc = TcpListener::bind(&args.grpc_addr)
        .await
        .with_context(|| format!("binding {}", args.grpc_addr))?;
    let options = ServeOptions {
        http: HttpOptions {
            body_limit: args.body_limit,
            request_timeout: Duration::from_secs(args.request_timeout),
            cors_origins: args.cors_origins,
        },
        connections: ConnectionLimits {
            header_timeout: Duration::from_secs(args.header_timeout),
            max_connections: args.max_connections,
        },
        shutdown_grace: Duration::from_secs(args.shutdown_grace),
    };
    let server = Server::start(app, http, grpc, options).await?;
    release_start_up_memory();
    println!(
        "csapi serving REST on http://{} (docs at /docs) and gRPC on {}",
        server.http_addr, server.grpc_addr
    );
    shutdown_signal().await;
    tracing::info!("shutting down: finishing in-flight requests");
    server.stop();
    server.wait().await
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Logs to stderr in batches (coloured only on a terminal); the answer must
/// be held until the process ends, so that the last lines are written.
fn init_logs(format: LogFormat) -> anyhow::Result<csapi::logs::FlushOnDrop<std::io::Stderr>> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info"));
    let (lines, flush) = csapi::logs::to_stderr().context("starting the log writer")?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(lines);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    Ok(flush)
}

/// Gives the allocator's free pages back to the system: starting (migrations,
/// routes and their contract, gRPC descriptors) frees megabytes in the middle
/// of the heap that glibc would otherwise keep for good.
fn release_start_up_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system; it takes no
    // pointers and any thread may call it at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A span of time: a whole number and a unit, `s`, `m`, `h` or `d`.
fn span(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a span of time such as 30d, 12h, 90m or 3600s");
    if !text.is_ascii() {
        return Err(bad());
    }
    let split = text.len().checked_sub(1).ok_or_else(bad)?;
    let (n, unit) = text.split_at(split);
    let n: u64 = n.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(seconds)
        .filter(|s| *s > 0 && *s <= 10 * 365 * 86_400)
        .map(Duration::from_secs)
        .ok_or_else(bad)
}
