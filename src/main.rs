//! `sumai-link serve | migrate | admin | demo | openapi`

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use secrecy::SecretString;

use sumai_link::config::Settings;
use sumai_link::domain::user::{Email, NewPassword};
use sumai_link::startup::{Application, open_database};
use sumai_link::{accounts, demo, maintenance, openapi, telemetry};

#[derive(Parser)]
#[command(
    name = "sumai-link",
    version,
    about = "住まいリンク: housing support for people with disabilities"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (API, portal, health endpoints); migrations run first.
    Serve {
        /// Load the demo data set (once) before serving.
        #[arg(long)]
        demo: bool,
        /// Address to listen on (overrides SUMAI_BIND).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage operator accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Load the demo data set (once) and exit.
    Demo,
    /// Check the audit log's hash chain.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Back up the database: SQLite online (servers keep running), PostgreSQL with
    /// pg_dump. An existing file is never overwritten.
    Backup {
        #[arg(long)]
        output: std::path::PathBuf,
    },
    /// Restore a backup made by `backup` into the configured database, then migrate.
    /// Stop every server first; a database that holds accounts needs --force.
    Restore {
        #[arg(long)]
        input: std::path::PathBuf,
        #[arg(long)]
        force: bool,
    },
    /// Print the OpenAPI document (YAML).
    Openapi {
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Seal pending records, then check every record from the chain's anchor to its
    /// head. Exit status 0: intact; 1: a record was changed or deleted; 2: no check.
    Verify,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an operator administrator. Without --password-stdin a strong password is
    /// generated and printed once.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "運営管理者")]
        name: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Openapi { output } = &cli.command {
        return match openapi::yaml() {
            Ok(yaml) => match output {
                Some(path) => match std::fs::write(path, yaml) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => fail(&format!("cannot write {}: {e}", path.display())),
                },
                None => {
                    print!("{yaml}");
                    ExitCode::SUCCESS
                }
            },
            Err(e) => fail(&e),
        };
    }
    let mut settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    telemetry::init(settings.log_format);
    let runtime = actix_web::rt::System::new();
    runtime.block_on(async move {
        match cli.command {
            Command::Serve { demo, bind } => {
                if let Some(bind) = bind {
                    settings.bind = bind;
                }
                serve(settings, demo).await
            }
            Command::Migrate => match open_database(&settings).await {
                Ok(_) => {
                    println!("migrations applied");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e.to_string()),
            },
            Command::Demo => match load_demo(&settings).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e),
            },
            Command::Admin {
                command:
                    AdminCommand::Create {
                        email,
                        name,
                        password_stdin,
                    },
            } => admin_create(&settings, &email, name, password_stdin).await,
            Command::Audit {
                command: AuditCommand::Verify,
            } => match maintenance::audit::verify(&settings).await {
                Ok(msg) => {
                    println!("{msg}");
                    ExitCode::SUCCESS
                }
                Err(e @ maintenance::audit::AuditCheckError::Broken(_)) => fail(&e.to_string()),
                Err(e) => {
                    eprintln!("sumai-link: {e}");
                    ExitCode::from(2)
                }
            },
            Command::Backup { output } => {
                report(maintenance::backup::backup(&settings, &output).await)
            }
            Command::Restore { input, force } => {
                report(maintenance::backup::restore(&settings, &input, force).await)
            }
            Command::Openapi { .. } => ExitCode::SUCCESS,
        }
    })
}

async fn serve(settings: Settings, with_demo: bool) -> ExitCode {
    let demo_password = settings.demo_password.clone();
    let bind = settings.bind.clone();
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(e) => return fail(&e.to_string()),
    };
    if with_demo {
        match demo::load(app.db(), &demo_password).await {
            Ok(true) => tracing::info!(
                "demo data loaded; every demo account's password is SUMAI_DEMO_PASSWORD"
            ),
            Ok(false) => tracing::info!("demo data already present"),
            Err(e) => return fail(&format!("demo data: {e}")),
        }
    }
    let no_users = {
        let db = app.db().clone();
        db.run(|conn| Ok(sumai_link::db::users::count(conn)?))
            .await
            .map(|n| n == 0)
            .unwrap_or(false)
    };
    if no_users {
        tracing::warn!(
            "no accounts yet: set SUMAI_BOOTSTRAP_ADMIN_EMAIL and SUMAI_BOOTSTRAP_ADMIN_PASSWORD, run `sumai-link admin create --email you@example.jp`, or serve --demo"
        );
    }
    tracing::info!(address = %bind, port = app.port(), "sumai-link listening");
    match app.run_until_stopped().await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.to_string()),
    }
}

async fn load_demo(settings: &Settings) -> Result<(), String> {
    let db = open_database(settings).await.map_err(|e| e.to_string())?;
    match demo::load(&db, &settings.demo_password).await {
        Ok(true) => println!("demo data loaded"),
        Ok(false) => println!("demo data already present"),
        Err(e) => return Err(e.to_string()),
    }
    Ok(())
}

async fn admin_create(
    settings: &Settings,
    email: &str,
    name: String,
    password_stdin: bool,
) -> ExitCode {
    let email = match Email::parse(email) {
        Ok(e) => e,
        Err(m) => return fail(&format!("--email {m}")),
    };
    let (password, generated) = if password_stdin {
        let mut s = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut s) {
            return fail(&format!("cannot read the password: {e}"));
        }
        (s.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        match sumai_link::auth::secret_token::random_hex(12) {
            Ok(p) => (p, true),
            Err(e) => return fail(&e.to_string()),
        }
    };
    if let Err(m) = NewPassword::parse(&password) {
        return fail(&format!("password {m}"));
    }
    let db = match open_database(settings).await {
        Ok(db) => db,
        Err(e) => return fail(&e.to_string()),
    };
    match accounts::create_operator_admin(
        &db,
        email.clone(),
        name,
        SecretString::from(password.clone()),
    )
    .await
    {
        Ok(()) => {
            println!("created operator administrator {}", email.as_str());
            if generated {
                println!("password (shown once): {password}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("{e}: {:?}", e.to_problem().errors)),
    }
}

fn report(outcome: Result<String, String>) -> ExitCode {
    match outcome {
        Ok(msg) => {
            println!("{msg}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("sumai-link: {msg}");
    ExitCode::FAILURE
}
