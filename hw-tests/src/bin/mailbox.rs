//! `mailbox`: the demo's local SMTP server, whose messages are read in a
//! browser. Plain SMTP on a loopback port, every message kept as an `.eml`
//! file in `--dir` (numbered on after a restart), and pages listing them
//! newest first, each decoded (`mail-parser`).
//!
//! ```text
//! mailbox --dir demo-data/mail --smtp 127.0.0.1:8083 --http 127.0.0.1:8082
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use clap::Parser;
use mimamori_hw_tests::mailbox::{Mailbox, smtp, web};

#[derive(Debug, Parser)]
#[command(
    name = "mailbox",
    about = "A local SMTP server whose messages can be read in a browser"
)]
struct Cli {
    /// Where messages are kept (NNNNNN.eml).
    #[arg(long)]
    dir: PathBuf,
    /// The SMTP listener (loopback only: it accepts mail for anyone).
    #[arg(long, default_value = "127.0.0.1:2525")]
    smtp: SocketAddr,
    /// The pages' listener.
    #[arg(long, default_value = "127.0.0.1:8025")]
    http: SocketAddr,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if !cli.smtp.ip().is_loopback() || !cli.http.ip().is_loopback() {
        bail!(
            "--smtp and --http must be loopback addresses (127.0.0.1): the mailbox takes mail for anyone"
        );
    }
    let mailbox = Arc::new(Mailbox::open(&cli.dir)?);
    let listener = std::net::TcpListener::bind(cli.smtp)
        .with_context(|| format!("cannot listen for SMTP on {} (--smtp)", cli.smtp))?;
    let smtp_thread = smtp::serve(listener, mailbox.clone());
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(cli.http)
            .await
            .with_context(|| format!("cannot listen on {} (--http)", cli.http))?;
        eprintln!(
            "mailbox: SMTP on {}, messages on http://{}/, kept in {}",
            cli.smtp,
            cli.http,
            cli.dir.display()
        );
        axum::serve(listener, web::router(mailbox))
            .await
            .context("serving the pages")
    })?;
    drop(smtp_thread);
    Ok(())
}
