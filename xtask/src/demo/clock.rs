//! `cargo xtask demo --advance 3d`: moves the running demo's clock forward
//! by writing the center's clock offset file (`[clock] offset_file`), which
//! the center reads again within a second; its next sweep (every few
//! seconds) runs at the moved time.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// The offset file's text for an offset in seconds.
pub(crate) fn offset_file_text(seconds: i64) -> String {
    format!(
        "# The demo center's clock runs this many seconds ahead of the system's.\n# Written by `cargo xtask demo --advance`; demo only, never in production.\n{seconds}\n"
    )
}

/// `3d`, `12h`, `1d6h`, `90m`, `45s` as seconds.
pub(crate) fn parse_duration(text: &str) -> anyhow::Result<i64> {
    let mut total: i64 = 0;
    let mut number = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'd' => 86_400,
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => bail!("`{text}`: `{c}` is not a unit (d, h, m or s), e.g. 3d or 1d12h"),
        };
        let n: i64 = number
            .parse()
            .with_context(|| format!("`{text}`: a number must come before `{c}`"))?;
        number.clear();
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .with_context(|| format!("`{text}` is too long"))?;
    }
    if !number.is_empty() {
        bail!("`{text}`: `{number}` needs a unit (d, h, m or s), e.g. {number}d");
    }
    if total == 0 {
        bail!("`{text}`: give a duration such as 3d, 12h or 1d6h");
    }
    if total > 365 * 86_400 {
        bail!("`{text}`: at most a year at a time");
    }
    Ok(total)
}

/// The offset now in the file (0 when it holds none).
fn current(file: &Path) -> anyhow::Result<i64> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .map_or(Ok(0), |l| {
            l.parse()
                .with_context(|| format!("{}: `{l}` is not a number of seconds", file.display()))
        })
}

/// Adds `seconds` to the offset in `DATA/clock-offset`; returns the
/// offsets before and after.
pub(crate) fn move_forward(data: &Path, seconds: i64) -> anyhow::Result<(i64, i64)> {
    let file = data.join("clock-offset");
    let before = current(&file)?;
    let after = before
        .checked_add(seconds)
        .context("the offset is too large")?;
    // A new file renamed over the old one: the center never reads half.
    let tmp = data.join(".clock-offset.tmp");
    std::fs::write(&tmp, offset_file_text(after))?;
    std::fs::rename(&tmp, &file)?;
    Ok((before, after))
}

/// The port in the demo configuration's `listen = "127.0.0.1:PORT"`.
fn center_port(config: &Path) -> anyhow::Result<u16> {
    let text = std::fs::read_to_string(config).with_context(|| {
        format!(
            "no demo in {} (start it with `cargo xtask demo` first)",
            config.parent().unwrap_or(config).display()
        )
    })?;
    text.lines()
        .find_map(|l| l.trim().strip_prefix("listen = \"127.0.0.1:"))
        .and_then(|rest| rest.trim_end_matches('"').parse().ok())
        .with_context(|| format!("no `listen` address in {}", config.display()))
}

fn sweep_interval(config: &Path) -> u64 {
    std::fs::read_to_string(config)
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.trim().strip_prefix("sweep_interval_s = "))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(10)
}

/// Moves the demo in `data` forward by `duration` and reports what the
/// center did.
pub(crate) fn advance(data: &Path, duration: &str) -> anyhow::Result<()> {
    let seconds = parse_duration(duration)?;
    let config = data.join("center.toml");
    let port = center_port(&config)?;
    if !super::http::Client::new(port)
        .get("/healthz")
        .is_ok_and(|p| p.status == 200)
    {
        bail!(
            "the demo's center does not answer on http://127.0.0.1:{port}/healthz: start `cargo xtask demo` first (in another terminal) and leave it running"
        );
    }
    let (before, after) = move_forward(data, seconds)?;
    println!(
        "The demo's clock now runs {} ahead of this machine's (was {}); written to {}.",
        human(after),
        human(before),
        data.join("clock-offset").display()
    );
    let wait = sweep_interval(&config) + 2;
    println!("Waiting {wait} s for the center's next sweep…");
    let until = Instant::now() + Duration::from_secs(wait);
    while Instant::now() < until {
        std::thread::sleep(Duration::from_millis(200));
    }
    let bin = super::bin_dir().join("mimamori-center");
    let out = std::process::Command::new(&bin)
        .arg("--config")
        .arg(&config)
        .args(["admin", "alerts", "list"])
        .env("RUST_LOG", "error")
        .output()
        .with_context(|| format!("running {}", bin.display()))?;
    println!("Open alerts as of the moved clock:");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    println!(
        "Their mail arrives in the mailbox within seconds; the dashboard shows them (reload it)."
    );
    Ok(())
}

fn human(seconds: i64) -> String {
    let (d, h, m) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    match (d, h, m) {
        (0, 0, 0) => "0".into(),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::{human, parse_duration};

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3d").unwrap(), 3 * 86_400);
        assert_eq!(parse_duration("1d12h").unwrap(), 36 * 3600);
        assert_eq!(parse_duration("90m").unwrap(), 5400);
        for bad in ["3", "3x", "d", "", "0d", "400d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(human(3 * 86_400), "3 d 0 h");
        assert_eq!(human(5400), "1 h 30 min");
    }
}
