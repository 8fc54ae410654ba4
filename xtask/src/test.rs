//! `cargo xtask test`: everything CI checks, in one command.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::Stdio;

use anyhow::{Context as _, bail};

use crate::{cargo, debian, run_checked};

/// Debian packages the test suite needs.
const PACKAGES: &[&str] = &[
    // The TV's typeface: the remote-ui golden frames are drawn with it.
    "fonts-morisawa-bizud-gothic",
    // The nurses' dashboard is tested end to end in headless Chromium,
    // driven over WebDriver by chromedriver.
    "chromium",
    "chromium-driver",
    // The real-kernel-device test (hw-tests/tests/qemu.rs): a QEMU guest under
    // software emulation with Debian's kernel and a busybox initramfs, giving
    // /dev/uinput, /dev/input and /dev/fb0; `strip` (binutils) shrinks the
    // program put into the guest.
    "qemu-system-x86",
    "linux-image-amd64",
    "busybox-static",
    "binutils",
    // The package checks (packages.rs): cargo-deb's `$auto` dependencies,
    // the scratch root, `systemd-analyze verify` and `security`.
    "dpkg-dev",
    "debootstrap",
    "systemd",
    // The card reader: pcsc-lite to build against (the `pcsc` crate links
    // it via pkg-config), pcscd with vsmartcard's virtual readers to test
    // through the real PC/SC stack with the simulated cards.
    "pkg-config",
    "libpcsclite-dev",
    "pcscd",
    "vsmartcard-vpcd",
];

/// Options of `cargo xtask test`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Skip `cargo fmt --check` and clippy (for a quick local run; CI never does).
    #[arg(long)]
    no_lint: bool,
    /// Only run tests whose name contains this.
    filter: Option<String>,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    debian::ensure(PACKAGES)?;
    ensure_rustup_components()?;
    ensure_pcscd()?;
    // The Pi build: the daemon with the `pi` feature type-checks for aarch64
    // (installs the target, the cross compiler and, once the daemon links
    // PC/SC, libpcsclite-dev:arm64).
    crate::cross::check()?;
    if !args.no_lint {
        run_checked(
            cargo().args(["fmt", "--all", "--check"]),
            "cargo fmt --check",
        )?;
        run_checked(
            cargo().args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--locked",
                "--",
                "-D",
                "warnings",
            ]),
            "cargo clippy -D warnings",
        )?;
    }
    let mut totals = run_tests(args.filter.as_deref())?;
    // The demo's walk: the whole system as real processes on free ports,
    // driven over HTTP (each step bounded; about a minute in all).
    if args
        .filter
        .as_deref()
        .is_none_or(|f| "demo walk".contains(f))
    {
        eprintln!("xtask: the demo's walk (cargo xtask demo --walk, on free ports)");
        match crate::demo::walk_in(&crate::workspace_root().join("target/demo-walk")) {
            Ok(()) => {
                println!("test demo walk ... ok");
                totals.passed += 1;
            }
            Err(e) => {
                println!("test demo walk ... FAILED: {e:#}");
                totals.failed += 1;
            }
        }
    }
    // After the tests, whose build made the binaries the packages hold.
    if args
        .filter
        .as_deref()
        .is_none_or(|f| "package check".contains(f))
    {
        let packages = crate::packages::run()?;
        totals.passed += packages.passed;
        totals.failed += packages.failed;
    }
    // The closing line, read by people and by CI alike.
    println!(
        "summary: {} passed, {} failed{}",
        totals.passed,
        totals.failed,
        if totals.ignored > 0 {
            format!(", {} skipped", totals.ignored)
        } else {
            String::new()
        }
    );
    if totals.failed > 0 || !totals.all_ok {
        bail!("tests failed");
    }
    if totals.passed == 0 {
        bail!("no test ran");
    }
    Ok(())
}

/// Starts pcscd (with vpcd's two virtual readers) unless it runs; the card
/// tests share it. Fails when it does not come up.
pub(crate) fn ensure_pcscd() -> anyhow::Result<()> {
    let pid_alive = || {
        std::fs::read_to_string("/run/pcscd/pcscd.pid")
            .ok()
            .and_then(|t| {
                t.trim_matches(|c: char| c == '\0' || c.is_whitespace())
                    .parse::<u32>()
                    .ok()
            })
            .and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
            .is_some_and(|stat| stat.contains("(pcscd) ") && !stat.contains("(pcscd) Z"))
    };
    if pid_alive() {
        return Ok(());
    }
    eprintln!("xtask: starting pcscd");
    // Through sh, so that pcscd outlives xtask and is nobody's zombie.
    run_checked(
        std::process::Command::new("sh")
            .args(["-c", "/usr/sbin/pcscd --foreground >/dev/null 2>&1 &"]),
        "starting pcscd",
    )?;
    for _ in 0..100 {
        if pid_alive() && std::path::Path::new("/run/pcscd/pcscd.comm").exists() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    bail!("pcscd did not start (is the pcscd package installed?)")
}

fn ensure_rustup_components() -> anyhow::Result<()> {
    let have = |tool: &str| {
        cargo()
            .args([tool, "--version"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if have("fmt") && have("clippy") {
        return Ok(());
    }
    run_checked(
        std::process::Command::new("rustup").args(["component", "add", "rustfmt", "clippy"]),
        "rustup component add rustfmt clippy",
    )
}

#[derive(Debug, Default)]
struct Totals {
    passed: u64,
    failed: u64,
    ignored: u64,
    all_ok: bool,
}

/// Runs `cargo test` for the workspace, passing its output through, and adds
/// up the `test result:` lines of every test binary.
fn run_tests(filter: Option<&str>) -> anyhow::Result<Totals> {
    eprintln!("xtask: cargo test --workspace");
    let mut command = cargo();
    command.args(["test", "--workspace", "--locked", "--no-fail-fast"]);
    if let Some(filter) = filter {
        command.args(["--", filter]);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .context("starting cargo test")?;
    let stdout = child.stdout.take().context("cargo test's output")?;
    let mut totals = Totals::default();
    let mut out = std::io::stdout().lock();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading cargo test's output")?;
        writeln!(out, "{line}")?;
        if let Some(counts) = parse_result_line(&line) {
            totals.passed += counts.0;
            totals.failed += counts.1;
            totals.ignored += counts.2;
        }
    }
    let status = child.wait().context("waiting for cargo test")?;
    totals.all_ok = status.success();
    Ok(totals)
}

/// `test result: ok. 9 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; …`
fn parse_result_line(line: &str) -> Option<(u64, u64, u64)> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let count = |word: &str| -> Option<u64> {
        rest.split(['.', ';'])
            .map(str::trim)
            .find_map(|part| part.strip_suffix(word)?.trim().parse().ok())
    };
    Some((
        count("passed")?,
        count("failed")?,
        count("ignored").unwrap_or(0),
    ))
}

#[cfg(test)]
mod tests {
    use super::parse_result_line;

    #[test]
    fn reads_cargo_test_result_lines() {
        assert_eq!(
            parse_result_line(
                "test result: ok. 9 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s"
            ),
            Some((9, 0, 1))
        );
        assert_eq!(
            parse_result_line(
                "test result: FAILED. 21 passed; 5 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.20s"
            ),
            Some((21, 5, 0))
        );
        assert_eq!(parse_result_line("running 26 tests"), None);
    }
}
