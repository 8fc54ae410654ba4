//! `mimamori-center serve`: the HTTP API, the nurses' dashboard, the
//! periodic sweep and the mail sender.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::api::{AppState, router};
use crate::clock::Clock;
use crate::config::Config;
use crate::dashboard::DashboardState;
use crate::mail::sender::Sender;
use crate::store::dashboard::Dashboard;
use crate::store::{self, CenterStore, SqliteStore, Writer};

/// Serves the center on `listener` until `shutdown` completes, then lets
/// requests in flight finish and the last commit land.
pub async fn serve(
    config: Config,
    clock: Arc<dyn Clock>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let path = config.database_path();
    let conn =
        store::open(&path).with_context(|| format!("opening the database {}", path.display()))?;
    let (writer, writer_thread) = Writer::start(conn);
    let config = Arc::new(config);
    let backend: Arc<dyn CenterStore> = Arc::new(SqliteStore::new(writer.clone(), config.clone()));
    let state = AppState {
        store: backend.clone(),
        config: config.clone(),
        clock: clock.clone(),
    };
    let dashboard = DashboardState {
        db: Dashboard::new(writer.clone(), config.clone()),
        config: config.clone(),
        clock: clock.clone(),
    };

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let sender = match &config.mail {
        Some(mail) => {
            let sender = Sender::new(writer.clone(), Arc::new(mail.clone()), clock.clone())
                .context("setting up the SMTP transport ([mail])")?;
            tracing::info!(host = %mail.smtp.host, port = mail.smtp.port, "mail sender started");
            Some(tokio::spawn(sender.run(stop_rx.clone())))
        }
        None => {
            tracing::info!("no [mail] section: mail is off");
            None
        }
    };
    let sweeper = tokio::spawn(sweep_periodically(
        backend.clone(),
        config.clone(),
        clock,
        stop_rx,
    ));

    tracing::info!(address = %listener.local_addr()?, database = %path.display(), "center listening");
    let app = router(state).merge(crate::dashboard::router(dashboard));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("serving HTTP")?;

    let _ = stop_tx.send(true);
    let _ = sweeper.await;
    if let Some(sender) = sender {
        let _ = sender.await;
    }
    // The last handles of the writer go here; then its thread ends.
    drop(backend);
    drop(writer);
    tokio::task::spawn_blocking(move || writer_thread.join())
        .await
        .context("waiting for the database writer")?
        .map_err(|_| anyhow::anyhow!("the database writer thread panicked"))?;
    tracing::info!("center stopped");
    Ok(())
}

async fn sweep_periodically(
    store: Arc<dyn CenterStore>,
    config: Arc<Config>,
    clock: Arc<dyn Clock>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut interval = tokio::time::interval(config.sweep_interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.changed() => return,
        }
        match store.sweep(clock.now()).await {
            Ok(report) => {
                for a in &report.applied {
                    tracing::info!(resident = a.resident, alert = a.alert, kind = %a.kind, action = a.action, "{}", a.reason);
                }
            }
            Err(e) => tracing::error!("sweep failed: {e}"),
        }
    }
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
