//! The example configuration the package installs as
//! /etc/mimamori/box.toml (deploy/box/box.toml) loads as the box reads it:
//! from /etc/mimamori, with the token in the file beside it.

use std::path::Path;

use mimamori_daemon::config::{Config, Display};

#[test]
fn the_packaged_configuration_loads_with_its_token_file() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/box/box.toml");
    // /etc/mimamori as the package leaves it, once the token is provisioned.
    let etc = tempfile::tempdir().unwrap();
    let config_path = etc.path().join("box.toml");
    std::fs::copy(&example, &config_path).unwrap();

    // Without the token the error names the file to create.
    let err = Config::load(&config_path).unwrap_err().to_string();
    assert!(
        err.contains(&etc.path().join("token").display().to_string()),
        "{err}"
    );

    std::fs::write(etc.path().join("token"), "mmb_example-token\n").unwrap();
    let config = Config::load(&config_path).unwrap();
    assert_eq!(config.token, "mmb_example-token");
    assert_eq!(config.device_id.to_string(), "nanbu-0001");
    assert_eq!(config.center_url, "https://center.example.jp");
    assert_eq!(config.data_dir, Path::new("/var/lib/mimamori"));
    assert_eq!(
        config.display,
        Display::Fbdev {
            device: "/dev/fb0".into(),
            sysfs: "/sys/class/graphics/fb0".into(),
            bgr: false,
        }
    );
    assert_eq!(config.sync_interval_s, 60);
    assert_eq!(
        config.heartbeat_interval,
        std::time::Duration::from_secs(900)
    );
    assert_eq!(
        config.station, None,
        "a box unless [station] is uncommented"
    );

    // The station section, uncommented, gives the documented defaults.
    let text = std::fs::read_to_string(&config_path).unwrap();
    let station = text
        .replace("#[station]", "[station]")
        .replace("#repeat_window_s", "repeat_window_s")
        .replace("#show_s", "show_s");
    std::fs::write(&config_path, station).unwrap();
    let config = Config::load(&config_path).unwrap();
    assert_eq!(config.station, Some(Default::default()));
}
