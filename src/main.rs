//! The `hearth` command: serve the forum, migrate its database, create an admin, check a
//! moderation rules file, print the OpenAPI document. Everything else lives in the crates under `crates/`.
#![forbid(unsafe_code)]

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hearth_server::Config;

/// Hearth: a small, private, moderated support forum.
///
/// With no configuration it serves the whole site on http://127.0.0.1:8080 with an SQLite
/// database under ./hearth-data/. Set DATABASE_URL=postgres://... and REDIS_URL=redis://... to
/// run several instances behind a load balancer.
#[derive(Parser)]
#[command(name = "hearth", version, about, long_about)]
struct Cli {
    /// A configuration file (default: ./hearth.toml if it exists). Environment variables
    /// (HEARTH_LISTEN, DATABASE_URL, REDIS_URL, HEARTH_RULES, HEARTH_PUBLIC_URL, ...) override it.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the forum (the default). Runs database migrations first.
    Serve,
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// Manage admin accounts from the server's command line.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Work with moderation rules files.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Print the OpenAPI document of the HTTP API (as `GET /api/openapi.json` serves it) and
    /// exit. `web-client/openapi.json` is this output; the web client's types are generated
    /// from it. Needs no configuration or database.
    Openapi,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an admin account. Asks for the password on the terminal.
    Create {
        /// The admin's handle (3 to 32 letters, digits, '_', '-' or '.'; not identifying).
        #[arg(long)]
        handle: String,
        /// The admin's email (used to sign in and for account recovery).
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input instead of asking.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove every second factor and recovery code of an account (for staff who lost theirs
    /// with no admin left to reset them). They enrol again at their next sign-in.
    ResetFactors {
        /// The account's handle.
        #[arg(long)]
        handle: String,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Check a moderation rules file and report each problem with its line.
    Check {
        /// The file to check, e.g. moderation-rules.toml.
        file: PathBuf,
    },
    /// Run test cases (JSON Lines: text, expect, signpost, concern, category, why) against a
    /// rules file and print the per-category table and every miss. Exits non-zero when a case
    /// is missed or the input cannot be used.
    Test {
        /// The cases, one JSON object a line.
        cases: PathBuf,
        /// The rules file to test.
        #[arg(long, default_value = "moderation-rules.toml")]
        rules: PathBuf,
        /// How many approved posts the author has (the new-member rules depend on it).
        #[arg(long, default_value_t = 3)]
        approved_posts: u32,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi = command {
        print!("{}", hearth_server::routes::openapi::document_json());
        return ExitCode::SUCCESS;
    }
    if let Command::Rules {
        command: RulesCommand::Check { file },
    } = &command
    {
        return check_rules(file);
    }
    if let Command::Rules {
        command:
            RulesCommand::Test {
                cases,
                rules,
                approved_posts,
            },
    } = &command
    {
        return test_rules(cases, rules, *approved_posts);
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hearth: {e}");
            return ExitCode::from(2);
        }
    };
    hearth_server::init_logging(config.log_format == "json");
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hearth: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match command {
            Command::Serve => hearth_server::serve(config).await,
            Command::Migrate => migrate(config).await,
            Command::Admin {
                command:
                    AdminCommand::Create {
                        handle,
                        email,
                        password_stdin,
                    },
            } => create_admin(config, &handle, &email, password_stdin).await,
            Command::Admin {
                command: AdminCommand::ResetFactors { handle },
            } => reset_factors(config, &handle).await,
            Command::Rules { .. } | Command::Openapi => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hearth: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn migrate(config: Config) -> anyhow::Result<()> {
    hearth_server::build_state(config, hearth_app::system_clock()).await?;
    println!("the database schema is up to date");
    Ok(())
}

async fn create_admin(
    config: Config,
    handle: &str,
    email: &str,
    from_stdin: bool,
) -> anyhow::Result<()> {
    let password = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password("Password for the new admin (10+ characters): ")?;
        let again = rpassword::prompt_password("Same password again: ")?;
        anyhow::ensure!(
            first == again,
            "the two passwords differ; nothing was created"
        );
        first
    };
    let state = hearth_server::build_state(config, hearth_app::system_clock()).await?;
    let admin = state
        .app
        .create_admin(handle, email, &password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("admin {} created (id {})", admin.handle, admin.id);
    Ok(())
}

async fn reset_factors(config: Config, handle: &str) -> anyhow::Result<()> {
    let state = hearth_server::build_state(config, hearth_app::system_clock()).await?;
    let removed = state
        .app
        .reset_factors_from_command_line(handle)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "{handle}: {removed} second factor(s) and every recovery code removed; their sessions \
         ended. They set up a new authenticator app at their next sign-in."
    );
    Ok(())
}

fn check_rules(file: &std::path::Path) -> ExitCode {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}: cannot read: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    match hearth_core::moderation::RuleSet::parse(&text) {
        Ok(rules) => {
            println!("{}: ok ({} rules)", file.display(), rules.rules().len());
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for p in &problems {
                eprintln!("{}: {p}", file.display());
            }
            eprintln!(
                "{}: {} problem(s); the file was not accepted",
                file.display(),
                problems.len()
            );
            ExitCode::FAILURE
        }
    }
}

/// `hearth rules test`: the same scoring as the repository's corpus test
/// (`hearth_core::moderation::corpus`). Bad input gets one line naming the file and line.
fn test_rules(
    cases_file: &std::path::Path,
    rules_file: &std::path::Path,
    approved: u32,
) -> ExitCode {
    use hearth_core::moderation::{AuthorFacts, RuleSet, corpus};
    let rules_text = match std::fs::read_to_string(rules_file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}: cannot read: {e}", rules_file.display());
            return ExitCode::from(2);
        }
    };
    let rules = match RuleSet::parse(&rules_text) {
        Ok(r) => r,
        Err(problems) => {
            for p in &problems {
                eprintln!("{}: {p}", rules_file.display());
            }
            return ExitCode::from(2);
        }
    };
    let cases_text = match std::fs::read_to_string(cases_file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}: cannot read: {e}", cases_file.display());
            return ExitCode::from(2);
        }
    };
    let cases = match corpus::parse_cases(&cases_text) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}: {e}", cases_file.display());
            return ExitCode::from(2);
        }
    };
    let author = AuthorFacts {
        approved_posts: approved,
        role: hearth_core::policy::Role::Member,
    };
    let report = corpus::run(&rules, &cases, author);
    print!("{report}");
    if report.misses().next().is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
