//! pcscd with vsmartcard's vpcd for tests: started when it is not running,
//! restarted on demand. There is one pcscd per machine, shared by every
//! test (and by `cargo xtask test`, which starts it first); it is left
//! running. Failing to start it is an error, never a skip.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::simcard::{SLOT_0, SLOT_1, reader_name};

const PID_FILE: &str = "/run/pcscd/pcscd.pid";

/// pcscd's process id, if one runs. The pid file is `PID\n` padded with
/// NULs, and stays behind after `kill -9`: the process is checked too.
pub fn running_pid() -> Option<u32> {
    let text = std::fs::read_to_string(PID_FILE).ok()?;
    let pid: u32 = text
        .trim_matches(|c: char| c == '\0' || c.is_whitespace())
        .parse()
        .ok()?;
    alive(pid).then_some(pid)
}

fn alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // `PID (comm) STATE ...`; a zombie is as good as gone.
    let Some((comm, rest)) = stat.split_once(") ") else {
        return false;
    };
    comm.ends_with("(pcscd") && !rest.starts_with('Z')
}

/// Makes sure pcscd runs and shows both virtual readers; starts it when
/// needed.
pub fn ensure() -> anyhow::Result<()> {
    if running_pid().is_none() {
        start()?;
    }
    wait_for_readers(Duration::from_secs(10))
}

/// Kills pcscd (`SIGKILL`, as a crash would) and does not start it again.
pub fn kill() -> anyhow::Result<()> {
    let Some(pid) = running_pid() else {
        return Ok(());
    };
    let status = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .context("running kill")?;
    if !status.success() {
        bail!("kill -KILL {pid} failed");
    }
    let until = Instant::now() + Duration::from_secs(5);
    while alive(pid) {
        if Instant::now() > until {
            bail!("pcscd (pid {pid}) did not die");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // A killed pcscd can stay a zombie for a while when PID 1 reaps late;
    // a new pcscd then takes the stale pid file for a live daemon and
    // refuses to start. The files are stale: remove them.
    let _ = std::fs::remove_file(PID_FILE);
    let _ = std::fs::remove_file("/run/pcscd/pcscd.comm");
    Ok(())
}

/// Starts pcscd (detached: it outlives the test process) and waits for the
/// readers.
pub fn start() -> anyhow::Result<()> {
    let binary = ["/usr/sbin/pcscd", "/sbin/pcscd"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .context("pcscd is not installed (Debian: pcscd and vsmartcard-vpcd; `cargo xtask test` installs them)")?;
    if !Path::new("/usr/lib/pcsc/drivers/serial/libifdvpcd.so").exists() {
        bail!("vpcd is not installed (Debian: vsmartcard-vpcd; `cargo xtask test` installs it)");
    }
    // Through sh so that pcscd is not our child (no zombie when killed).
    let status = Command::new("sh")
        .args(["-c", &format!("{binary} --foreground >/dev/null 2>&1 &")])
        .stdin(Stdio::null())
        .status()
        .context("starting pcscd")?;
    if !status.success() {
        bail!("could not start {binary}");
    }
    wait_for_readers(Duration::from_secs(10))
}

/// Waits until PC/SC lists both of vpcd's readers.
pub fn wait_for_readers(limit: Duration) -> anyhow::Result<()> {
    let wanted = [reader_name(SLOT_0), reader_name(SLOT_1)];
    let until = Instant::now() + limit;
    loop {
        let last;
        match pcsc::Context::establish(pcsc::Scope::User) {
            Ok(context) => match context.list_readers_owned() {
                Ok(names) => {
                    let names: Vec<String> = names
                        .iter()
                        .filter_map(|n| n.to_str().ok().map(str::to_owned))
                        .collect();
                    if wanted.iter().all(|w| names.contains(w)) {
                        return Ok(());
                    }
                    last = format!("readers {names:?}");
                }
                Err(e) => last = format!("listing readers: {e}"),
            },
            Err(e) => last = format!("connecting to pcscd: {e}"),
        }
        if Instant::now() > until {
            bail!("pcscd with vpcd is not ready after {limit:?} ({last})");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until no card is in either virtual reader (pcscd notices a card
/// that left at its next presence poll, ~0.4 s).
pub fn wait_empty(limit: Duration) -> anyhow::Result<()> {
    wait_empty_readers(&[SLOT_0, SLOT_1], limit)
}

/// Waits until no card is in the virtual readers of these vpcd ports.
pub fn wait_empty_readers(ports: &[u16], limit: Duration) -> anyhow::Result<()> {
    let context = pcsc::Context::establish(pcsc::Scope::User).context("connecting to pcscd")?;
    let until = Instant::now() + limit;
    let mut states: Vec<pcsc::ReaderState> = ports
        .iter()
        .copied()
        .map(|port| {
            pcsc::ReaderState::new(
                std::ffi::CString::new(reader_name(port)).unwrap_or_default(),
                pcsc::State::UNAWARE,
            )
        })
        .collect();
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match context.get_status_change(left, &mut states) {
            Ok(()) | Err(pcsc::Error::Timeout) => {}
            Err(e) => bail!("waiting for empty readers: {e}"),
        }
        if states
            .iter()
            .all(|s| !s.event_state().contains(pcsc::State::PRESENT))
        {
            return Ok(());
        }
        if Instant::now() > until {
            bail!("a card is still in a virtual reader after {limit:?}");
        }
        for state in &mut states {
            state.sync_current_state();
        }
    }
}
