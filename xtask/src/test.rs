//! `cargo xtask test`: everything CI checks, in one command.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::Stdio;

use anyhow::{Context as _, bail};

use crate::{cargo, debian, run_checked};

/// Debian packages the test suite needs.
const PACKAGES: &[&str] = &[
    // The TV's typeface: the remote-ui golden frames are drawn with it.
    "fonts-morisawa-bizud-gothic",
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
    let totals = run_tests(args.filter.as_deref())?;
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
