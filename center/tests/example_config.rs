//! The example configuration the package installs as
//! /etc/mimamori/center.toml (deploy/center/center.toml) loads, says what
//! the defaults say, and its commented-out `[mail]` section is valid once
//! uncommented.

use std::path::Path;

use mimamori_center::config::Config;

fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/center/center.toml")
}

#[test]
fn the_packaged_configuration_loads_and_keeps_the_defaults() {
    let config = Config::load(&example()).unwrap();
    assert_eq!(config.data_dir, Path::new("/var/lib/mimamori-center"));
    assert_eq!(
        config.database_path(),
        Path::new("/var/lib/mimamori-center/center.sqlite3")
    );
    assert_eq!(config.http.listen.to_string(), "127.0.0.1:8080");
    assert!(config.mail.is_none(), "mail is off until configured");
    // The values written out are the defaults, so the file documents them.
    let defaults = Config::parse("").unwrap();
    assert_eq!(config.thresholds, defaults.thresholds);
    assert_eq!(config.points, defaults.points);
    assert_eq!(config.sync, defaults.sync);
    assert_eq!(config.retention, defaults.retention);
    assert_eq!(config.sweep_interval, defaults.sweep_interval);
    assert_eq!(config.time_zone_name, defaults.time_zone_name);
}

#[test]
fn the_mail_section_of_the_example_is_valid_once_uncommented() {
    let text = std::fs::read_to_string(example()).unwrap();
    let start = text.find("# [mail]").expect("the example shows [mail]");
    let uncommented: String = text[start..]
        .lines()
        .map(|line| line.strip_prefix("# ").unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n");
    let config = Config::parse(&format!("{}\n{uncommented}\n", &text[..start])).unwrap();
    let mail = config.mail.expect("[mail] is read");
    assert_eq!(mail.smtp.host, "smtp.town.example.jp");
    assert_eq!(mail.smtp.port, 587);
}
