//! The package checks of `cargo xtask test`: both Debian packages are built
//! for amd64 from the binaries the test run just built (debug profile,
//! stripped: the cross-compiled release build of `cargo xtask dist` takes
//! ~8 minutes on 2 cores and stays out of CI), then
//!
//! * inspected with `dpkg-deb`: control fields and dependencies, files and
//!   their modes, conffiles, maintainer scripts (`sh -n`, users, purge);
//! * their systemd units checked with `systemd-analyze verify` and scored
//!   with `systemd-analyze security --offline=yes`;
//! * installed into a scratch Debian root (debootstrap, `scratch.rs`):
//!   users and directories, the center serving and syncing a box, an
//!   upgrade that keeps the configuration and the data, removal that keeps
//!   the data, purge that deletes it.
//!
//! Each check prints `package check NAME ... ok` or `... FAILED` and counts
//! in the closing summary.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail, ensure};

use crate::dist::{self, BOX, CENTER, Package};
use crate::{cargo, scratch};

/// Highest `systemd-analyze security` exposure a unit may have (0–10).
const MAX_EXPOSURE: f64 = 2.0;

/// What the checks found.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) passed: u64,
    pub(crate) failed: u64,
}

impl Outcome {
    fn record(&mut self, name: &str, result: anyhow::Result<()>) {
        match result {
            Ok(()) => {
                println!("package check {name} ... ok");
                self.passed += 1;
            }
            Err(error) => {
                println!("package check {name} ... FAILED\n    {error:#}");
                self.failed += 1;
            }
        }
    }
}

/// Builds the amd64 packages from the test build and runs every check.
pub(crate) fn run() -> anyhow::Result<Outcome> {
    dist::ensure_cargo_deb()?;
    let out = dist::target_dir().join("dist-test");
    let center = build_test_package(CENTER, &out, None)?;
    let center_upgrade = build_test_package(CENTER, &out, Some("99"))?;
    let box_deb = build_test_package(BOX, &out, None)?;

    let mut outcome = Outcome::default();
    outcome.record(
        "mimamori-center control",
        check_control(&center, &CENTER_CONTROL),
    );
    outcome.record(
        "mimamori-box control",
        check_control(&box_deb, &BOX_CONTROL),
    );
    outcome.record("mimamori-center files", check_files(&center, CENTER_FILES));
    outcome.record("mimamori-box files", check_files(&box_deb, BOX_FILES));
    outcome.record(
        "mimamori-center scripts",
        check_scripts(&center, "mimamori-center", "/var/lib/mimamori-center"),
    );
    outcome.record(
        "mimamori-box scripts",
        check_scripts(&box_deb, "mimamori", "/var/lib/mimamori"),
    );
    outcome.record(
        "mimamori-center unit",
        check_unit(
            &center,
            "mimamori-center.service",
            "/usr/bin/mimamori-center",
            CENTER_UNIT,
        ),
    );
    outcome.record(
        "mimamori-box unit",
        check_unit(
            &box_deb,
            "mimamori-box.service",
            "/usr/bin/mimamorid",
            BOX_UNIT,
        ),
    );
    outcome.record(
        "mimamori-center in a scratch root",
        scratch::center_lifecycle(&center, &center_upgrade),
    );
    outcome.record(
        "mimamori-box in a scratch root",
        scratch::box_lifecycle(&box_deb),
    );
    Ok(outcome)
}

/// `cargo deb` over the binary `cargo test` built (target/debug), for the
/// host; `revision` makes a newer package for the upgrade check.
fn build_test_package(
    package: Package,
    out: &Path,
    revision: Option<&str>,
) -> anyhow::Result<PathBuf> {
    let out = out.join(revision.unwrap_or("1"));
    let mut command = cargo();
    command.args([
        "deb",
        "-p",
        package.krate,
        "--profile",
        "dev",
        "--no-build",
        "--strip",
        "--fast",
        "--quiet",
    ]);
    if let Some(revision) = revision {
        command.args(["--deb-revision", revision]);
    }
    command.arg("-o").arg(&out);
    dist::deb_command(&mut command, &format!("{} (test build)", package.name))
}

fn output(command: &mut Command) -> anyhow::Result<String> {
    let out = command
        .output()
        .with_context(|| format!("running {:?}", command.get_program()))?;
    if !out.status.success() {
        bail!(
            "{command:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

struct Control {
    package: &'static str,
    depends: &'static [&'static str],
    conffiles: &'static [&'static str],
}

const CENTER_CONTROL: Control = Control {
    package: "mimamori-center",
    depends: &["adduser", "libc6"],
    conffiles: &["/etc/mimamori/center.toml"],
};

const BOX_CONTROL: Control = Control {
    package: "mimamori-box",
    depends: &[
        "adduser",
        "libc6",
        "pcscd",
        "libccid",
        "fonts-morisawa-bizud-gothic",
        "v4l-utils",
    ],
    conffiles: &["/etc/mimamori/box.toml"],
};

fn check_control(deb: &Path, want: &Control) -> anyhow::Result<()> {
    let field = |name: &str| -> anyhow::Result<String> {
        Ok(
            output(Command::new("dpkg-deb").arg("--field").arg(deb).arg(name))?
                .trim()
                .to_owned(),
        )
    };
    ensure!(
        field("Package")? == want.package,
        "Package: {}",
        field("Package")?
    );
    ensure!(
        field("Architecture")? == "amd64",
        "Architecture: {}",
        field("Architecture")?
    );
    let depends = field("Depends")?;
    let names: Vec<&str> = depends
        .split(',')
        .map(|d| d.split_whitespace().next().unwrap_or(""))
        .collect();
    for dep in want.depends {
        ensure!(names.contains(dep), "Depends lacks {dep}: {depends}");
    }
    ensure!(!depends.contains(':'), "arch-qualified Depends: {depends}");
    let dir = tempdir("control")?;
    output(Command::new("dpkg-deb").arg("--control").arg(deb).arg(&dir))?;
    let conffiles = std::fs::read_to_string(dir.join("conffiles")).unwrap_or_default();
    let conffiles: Vec<&str> = conffiles.lines().map(str::trim).collect();
    ensure!(conffiles == want.conffiles, "conffiles: {conffiles:?}");
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

/// (path in the package, `ls -l` mode).
const CENTER_FILES: &[(&str, &str)] = &[
    ("usr/bin/mimamori-center", "-rwxr-xr-x"),
    ("etc/mimamori/center.toml", "-rw-r-----"),
    (
        "usr/lib/systemd/system/mimamori-center.service",
        "-rw-r--r--",
    ),
    ("usr/share/doc/mimamori-center/README.md", "-rw-r--r--"),
    (
        "usr/share/doc/mimamori-center/examples/nginx.conf",
        "-rw-r--r--",
    ),
];

const BOX_FILES: &[(&str, &str)] = &[
    ("usr/bin/mimamorid", "-rwxr-xr-x"),
    ("etc/mimamori/box.toml", "-rw-r-----"),
    ("usr/lib/systemd/system/mimamori-box.service", "-rw-r--r--"),
    ("usr/lib/udev/rules.d/60-mimamori-box.rules", "-rw-r--r--"),
    ("usr/share/doc/mimamori-box/README.md", "-rw-r--r--"),
];

fn check_files(deb: &Path, want: &[(&str, &str)]) -> anyhow::Result<()> {
    let listing = output(Command::new("dpkg-deb").arg("--contents").arg(deb))?;
    for (path, mode) in want {
        let line = listing
            .lines()
            .find(|l| {
                l.trim_end().ends_with(&format!(" {path}"))
                    || l.trim_end().ends_with(&format!(" ./{path}"))
            })
            .with_context(|| format!("{path} is not in the package:\n{listing}"))?;
        ensure!(line.starts_with(mode), "{path}: `{line}`, want mode {mode}");
        ensure!(
            line.contains(" 0/0 ") || line.contains(" root/root "),
            "{path} not owned by root: `{line}`"
        );
    }
    Ok(())
}

fn check_scripts(deb: &Path, user: &str, data_dir: &str) -> anyhow::Result<()> {
    let dir = tempdir("scripts")?;
    output(Command::new("dpkg-deb").arg("--control").arg(deb).arg(&dir))?;
    for script in ["postinst", "prerm", "postrm"] {
        let path = dir.join(script);
        let text = std::fs::read_to_string(&path).with_context(|| format!("no {script}"))?;
        ensure!(
            !text.contains("#DEBHELPER#"),
            "{script}: #DEBHELPER# left in"
        );
        output(Command::new("sh").arg("-n").arg(&path))
            .with_context(|| format!("{script}: syntax"))?;
    }
    let postinst = std::fs::read_to_string(dir.join("postinst"))?;
    ensure!(
        postinst.contains(&format!("--shell /usr/sbin/nologin {user}")),
        "postinst does not create the user {user}"
    );
    ensure!(
        postinst.contains("deb-systemd-helper enable"),
        "postinst does not enable the unit"
    );
    let postrm = std::fs::read_to_string(dir.join("postrm"))?;
    let purge = postrm
        .rfind("\"purge\" ]; then")
        .context("postrm has no purge branch")?;
    ensure!(
        postrm[purge..].contains(&format!("rm -rf {data_dir}")),
        "purge keeps {data_dir}"
    );
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

const CENTER_UNIT: &[&str] = &[
    "User=mimamori-center",
    "StateDirectory=mimamori-center",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateDevices=yes",
    "NoNewPrivileges=yes",
    "CapabilityBoundingSet=\n",
    "SystemCallFilter=@system-service",
];

const BOX_UNIT: &[&str] = &[
    "Type=notify",
    "WatchdogSec=",
    "Restart=always",
    "User=mimamori",
    "SupplementaryGroups=input video gpio i2c\n",
    "StateDirectory=mimamori",
    "DevicePolicy=closed",
    "ProtectSystem=strict",
    "PrivateTmp=yes",
    "NoNewPrivileges=yes",
    "CapabilityBoundingSet=\n",
    "SystemCallFilter=@system-service",
];

fn check_unit(deb: &Path, unit: &str, binary: &str, directives: &[&str]) -> anyhow::Result<()> {
    let dir = tempdir("unit")?;
    output(Command::new("dpkg-deb").arg("-x").arg(deb).arg(&dir))?;
    let file = dir.join("usr/lib/systemd/system").join(unit);
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("{unit} not in the package"))?;
    for directive in directives {
        ensure!(
            text.lines()
                .any(|l| format!("{l}\n").starts_with(directive)),
            "{unit} lacks {}",
            directive.trim_end()
        );
    }
    // `verify` checks every directive; the binary itself is not installed
    // on this machine, the one complaint expected.
    let verify = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&file)
        .output()?;
    let complaints: Vec<String> = String::from_utf8_lossy(&verify.stderr)
        .lines()
        .chain(String::from_utf8_lossy(&verify.stdout).lines())
        .filter(|l| !l.trim().is_empty())
        .filter(|l| !l.contains(&format!("Command {binary} is not executable")))
        .map(str::to_owned)
        .collect();
    ensure!(
        complaints.is_empty(),
        "systemd-analyze verify {unit}:\n{}",
        complaints.join("\n")
    );
    let security = output(
        Command::new("systemd-analyze")
            .args(["security", "--offline=yes", "--no-pager"])
            .arg(&file),
    )?;
    let level = security
        .lines()
        .find_map(|l| {
            l.split_once("Overall exposure level for ")?
                .1
                .split_once(": ")?
                .1
                .split_whitespace()
                .next()?
                .parse::<f64>()
                .ok()
        })
        .with_context(|| format!("no exposure level in:\n{security}"))?;
    println!("    {unit}: systemd-analyze security exposure {level}");
    ensure!(
        level <= MAX_EXPOSURE,
        "{unit}: exposure {level} above {MAX_EXPOSURE}"
    );
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

/// A fresh directory under target/dist-test/work.
pub(crate) fn tempdir(name: &str) -> anyhow::Result<PathBuf> {
    let dir = dist::target_dir().join("dist-test/work").join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}
