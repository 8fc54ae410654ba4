//! Waking the TV over HDMI-CEC with `cec-ctl` (Debian's `v4l-utils`): the
//! box registers as a playback device, tells the TV to turn on (Image View
//! On) and claims the input (Active Source), so that a reminder or an SOS
//! shows even when the TV was off or on another channel.
//!
//! Where `cec-ctl` is not installed the box cannot wake the TV; [`Tv::find`]
//! says so once and waking does nothing.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The TV's remote control over HDMI-CEC.
#[derive(Debug, Clone)]
pub enum Tv {
    /// `cec-ctl` found.
    Cec(Cec),
    /// No `cec-ctl`: the TV is not woken.
    Absent,
}

/// `cec-ctl` and the CEC device it drives.
#[derive(Debug, Clone)]
pub struct Cec {
    program: PathBuf,
    device: PathBuf,
}

/// Why waking the TV failed.
#[derive(Debug, thiserror::Error)]
pub enum CecError {
    /// `cec-ctl` could not be started.
    #[error("cannot run {program}: {source}")]
    Start {
        /// The program.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// `cec-ctl` failed (no CEC device, TV not connected).
    #[error("`cec-ctl {args}` failed ({status}): {stderr}")]
    Failed {
        /// Its arguments.
        args: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// What it said.
        stderr: String,
    },
}

impl Tv {
    /// Looks for `cec-ctl` on `path` (a `PATH`-style list of directories)
    /// and logs once when it is missing.
    pub fn find(path: Option<&OsStr>, device: &Path) -> Tv {
        let found = path.and_then(|path| {
            std::env::split_paths(path)
                .map(|dir| dir.join("cec-ctl"))
                .find(|candidate| candidate.is_file())
        });
        match found {
            Some(program) => {
                tracing::info!(
                    "HDMI-CEC: {} on {} wakes the TV",
                    program.display(),
                    device.display()
                );
                Tv::Cec(Cec {
                    program,
                    device: device.to_owned(),
                })
            }
            None => {
                tracing::info!(
                    "HDMI-CEC absent: cec-ctl is not installed (Debian package v4l-utils); the TV will not be woken"
                );
                Tv::Absent
            }
        }
    }

    /// Wakes the TV and switches it to the box, in the background; failures
    /// are logged.
    pub fn wake(&self) {
        if let Tv::Cec(cec) = self {
            let cec = cec.clone();
            tokio::spawn(async move {
                if let Err(e) = cec.wake().await {
                    tracing::warn!("HDMI-CEC: the TV was not woken: {e}");
                }
            });
        }
    }
}

impl Cec {
    async fn run(&self, args: &[&str]) -> Result<String, CecError> {
        let out = tokio::process::Command::new(&self.program)
            .arg("-d")
            .arg(&self.device)
            .args(args)
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|source| CecError::Start {
                program: self.program.display().to_string(),
                source,
            })?;
        if !out.status.success() {
            return Err(CecError::Failed {
                args: args.join(" "),
                status: out.status,
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Registers as a playback device, turns the TV on and claims its
    /// input. Returns the box's physical address.
    pub async fn wake(&self) -> Result<Option<String>, CecError> {
        let status = self.run(&["--playback", "--osd-name", "Mimamori"]).await?;
        self.run(&["--to", "0", "--image-view-on"]).await?;
        let address = physical_address(&status);
        match &address {
            Some(address) => {
                self.run(&[
                    "--to",
                    "15",
                    "--active-source",
                    &format!("phys-addr={address}"),
                ])
                .await?;
            }
            None => tracing::warn!(
                "HDMI-CEC: cec-ctl did not report the box's physical address; the TV is on but may show another input"
            ),
        }
        Ok(address)
    }
}

/// The `Physical Address : 1.0.0.0` line of `cec-ctl`'s status, if valid.
pub fn physical_address(status: &str) -> Option<String> {
    status.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        if key.trim() != "Physical Address" {
            return None;
        }
        let value = value.trim();
        let parts: Vec<&str> = value.split('.').collect();
        (parts.len() == 4
            && parts
                .iter()
                .all(|p| p.len() == 1 && p.chars().all(|c| c.is_ascii_hexdigit()))
            && value != "f.f.f.f")
            .then(|| value.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::physical_address;

    #[test]
    fn the_physical_address_is_read_from_the_status() {
        let status = "Driver Info:\n\tDriver Name                : vc4_hdmi\n\
                      Physical Address           : 2.0.0.0\n\
                      Logical Address Mask       : 0x0010\n";
        assert_eq!(physical_address(status).as_deref(), Some("2.0.0.0"));
        assert_eq!(physical_address("Physical Address : f.f.f.f\n"), None);
        assert_eq!(physical_address("nothing\n"), None);
    }
}
