//! Installing the Debian packages that tests and the demo need.

use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};

/// Whether a Debian package is installed for this machine's architecture
/// (or for all). With multiarch (the arm64 libraries of the Pi build) a name
/// can stand for one package per architecture; a name with an architecture
/// (`libpcsclite-dev:arm64`) asks for that one.
fn installed(package: &str, native: &str) -> bool {
    let wanted = package.split_once(':').map_or(native, |(_, arch)| arch);
    Command::new("dpkg-query")
        .args(["-W", "-f=${Architecture} ${Status}\n", package])
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|out| {
            String::from_utf8_lossy(&out.stdout).lines().any(|line| {
                line.split_once(' ').is_some_and(|(arch, status)| {
                    (arch == wanted || arch == "all") && status == "install ok installed"
                })
            })
        })
}

/// This machine's Debian architecture (`amd64`).
fn native_architecture() -> String {
    Command::new("dpkg")
        .arg("--print-architecture")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Installs the `packages` that are missing, with `apt-get` (as root).
/// Fails, naming them, when they are missing and cannot be installed.
pub(crate) fn ensure(packages: &[&str]) -> anyhow::Result<()> {
    let native = native_architecture();
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !installed(p, &native))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    if !is_root() {
        bail!(
            "these Debian packages are missing: {list}; install them with `sudo apt-get install {list}` or run as root"
        );
    }
    eprintln!("xtask: installing Debian packages: {list}");
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            // Wait for another apt run (e.g. unattended-upgrades) instead of failing.
            .args(["-o", "DPkg::Lock::Timeout=300"])
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .with_context(|| format!("running apt-get {}", args.join(" ")))
    };
    let status = apt(&["update", "-q"])?;
    if !status.success() {
        bail!("`apt-get update` failed ({status}); check the network and /etc/apt/sources.list");
    }
    let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
    args.extend(&missing);
    let status = apt(&args)?;
    if !status.success() {
        bail!("`apt-get install {list}` failed ({status})");
    }
    let still_missing: Vec<&str> = missing
        .into_iter()
        .filter(|p| !installed(p, &native))
        .collect();
    if !still_missing.is_empty() {
        bail!(
            "apt-get finished but these packages are still not installed: {}",
            still_missing.join(" ")
        );
    }
    Ok(())
}
