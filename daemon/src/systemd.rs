//! Telling systemd how the box is doing (`sd_notify`), without libsystemd.
//!
//! With `Type=notify` and `WatchdogSec=` in the unit, systemd passes
//! `NOTIFY_SOCKET` (a datagram socket; `@name` is an abstract one) and
//! `WATCHDOG_USEC`. The daemon sends `READY=1` once the first frame is on
//! the TV, `WATCHDOG=1` from its main loop at half the watchdog period (so
//! a loop that hangs stops the pings and systemd restarts the box),
//! `STATUS=…` lines that `systemctl status` shows, and `STOPPING=1` on
//! the way out. Without `NOTIFY_SOCKET` every call does nothing.

use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

/// A connection to systemd's notification socket, or nothing.
#[derive(Debug)]
pub struct Notifier {
    target: Option<(UnixDatagram, SocketAddr)>,
    watchdog: Option<Duration>,
}

impl Notifier {
    /// A notifier that sends nothing.
    pub fn none() -> Self {
        Self {
            target: None,
            watchdog: None,
        }
    }

    /// From the environment systemd gives the service.
    pub fn from_env() -> Self {
        let var = |name| std::env::var(name).ok();
        let target = var("NOTIFY_SOCKET").and_then(|path| match connect(&path) {
            Ok(target) => Some(target),
            Err(e) => {
                tracing::warn!("NOTIFY_SOCKET={path} cannot be used: {e}");
                None
            }
        });
        let watchdog = watchdog_interval(
            var("WATCHDOG_USEC").as_deref(),
            var("WATCHDOG_PID").as_deref(),
            std::process::id(),
        );
        Self { target, watchdog }
    }

    /// How often [`watchdog`](Self::watchdog) must be called, if systemd
    /// watches this process.
    pub fn watchdog_interval(&self) -> Option<Duration> {
        self.target.as_ref().and(self.watchdog)
    }

    /// The service is up (the first frame is shown).
    pub fn ready(&self) {
        self.send("READY=1");
    }

    /// The main loop is alive.
    pub fn watchdog(&self) {
        self.send("WATCHDOG=1");
    }

    /// One line for `systemctl status`.
    pub fn status(&self, status: &str) {
        self.send(&format!("STATUS={}", status.replace('\n', " ")));
    }

    /// The service is shutting down.
    pub fn stopping(&self) {
        self.send("STOPPING=1");
    }

    fn send(&self, message: &str) {
        if let Some((socket, address)) = &self.target {
            if let Err(e) = socket.send_to_addr(message.as_bytes(), address) {
                tracing::debug!("sd_notify {message}: {e}");
            }
        }
    }
}

fn connect(path: &str) -> std::io::Result<(UnixDatagram, SocketAddr)> {
    let address = match path.strip_prefix('@') {
        Some(name) => {
            use std::os::linux::net::SocketAddrExt as _;
            SocketAddr::from_abstract_name(name.as_bytes())?
        }
        None => SocketAddr::from_pathname(path)?,
    };
    Ok((UnixDatagram::unbound()?, address))
}

/// Half of `WATCHDOG_USEC`, when it is set for this process
/// (`WATCHDOG_PID` absent or equal to `pid`).
pub fn watchdog_interval(usec: Option<&str>, for_pid: Option<&str>, pid: u32) -> Option<Duration> {
    if for_pid.is_some_and(|p| p.trim().parse::<u32>().ok() != Some(pid)) {
        return None;
    }
    let usec: u64 = usec?.trim().parse().ok().filter(|&u| u > 0)?;
    Some(Duration::from_micros(usec / 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watchdog_is_pinged_at_half_its_period_and_only_for_this_process() {
        assert_eq!(
            watchdog_interval(Some("30000000"), None, 7),
            Some(Duration::from_secs(15))
        );
        assert_eq!(
            watchdog_interval(Some("30000000"), Some("7"), 7),
            Some(Duration::from_secs(15))
        );
        assert_eq!(watchdog_interval(Some("30000000"), Some("8"), 7), None);
        assert_eq!(watchdog_interval(Some("0"), None, 7), None);
        assert_eq!(watchdog_interval(Some("soon"), None, 7), None);
        assert_eq!(watchdog_interval(None, None, 7), None);
    }
}
