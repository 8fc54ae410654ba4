//! `cargo xtask demo`: the whole system, as far as it exists, on one machine.
//!
//! Today that is the wire protocol and the two programs' checks of it: the
//! demo builds both, feeds the documented example messages through the
//! center's and the box's decoders, shows a refused message with the field
//! named, and prints where to read on.

use std::io::Write as _;
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};

use crate::{cargo, run_checked, workspace_root};

/// Options of `cargo xtask demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: &Args) -> anyhow::Result<()> {
    run_checked(
        cargo().args([
            "build",
            "--locked",
            "--bin",
            "mimamori-center",
            "--bin",
            "mimamorid",
        ]),
        "building mimamori-center and mimamorid",
    )?;
    let root = workspace_root();
    let bin = root.join("target/debug");
    let examples = root.join("protocol/testdata/examples");
    let request = std::fs::read(examples.join("sync_request.json")).context("example request")?;
    let response =
        std::fs::read(examples.join("sync_response.json")).context("example response")?;

    println!();
    println!("== A box's sync request, as the center reads it");
    println!(
        "{}",
        pipe(&bin.join("mimamori-center"), &["check-request"], &request)?.0
    );

    println!("== The center's answer, as the box reads it");
    println!(
        "{}",
        pipe(&bin.join("mimamorid"), &["check-response"], &response)?.0
    );

    println!("== A check-in with an impossible blood pressure is refused, naming the field");
    let bad =
        String::from_utf8(request)?.replace("\"systolic_mmhg\": 138", "\"systolic_mmhg\": 500");
    let (out, ok) = pipe(
        &bin.join("mimamori-center"),
        &["check-request"],
        bad.as_bytes(),
    )?;
    if ok {
        bail!("the center accepted systolic 500");
    }
    println!("{out}");

    println!("== Where to look next");
    println!("  README.md               what Mimamori is, and the two commands");
    println!("  docs/architecture.md    the crates, the data flow, the rules");
    println!("  docs/protocol.md        the box <-> center wire format v1");
    println!("  protocol/testdata/      example messages and canonical-byte vectors");
    Ok(())
}

/// Runs `program args` with `input` on stdin; returns its stdout and stderr
/// together, and whether it succeeded.
fn pipe(program: &std::path::Path, args: &[&str], input: &[u8]) -> anyhow::Result<(String, bool)> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", program.display()))?;
    child
        .stdin
        .take()
        .context("stdin")?
        .write_all(input)
        .context("writing the message")?;
    let output = child.wait_with_output()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok((text.trim_end().to_owned(), output.status.success()))
}
