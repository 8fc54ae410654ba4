//! The box's configuration file, `/etc/mimamori/box.toml`.
//!
//! ```toml
//! device_id = "nanbu-0042"
//! center_url = "https://center.example.jp"
//! token_file = "/etc/mimamori/token"     # or: token = "mmb_…"
//! data_dir = "/var/lib/mimamori"
//! time_zone = "Asia/Tokyo"
//!
//! [display]
//! backend = "fbdev"                      # or "virtual" (a web page on 127.0.0.1)
//! framebuffer = "/dev/fb0"
//! bgr = false
//! # virtual: listen = "127.0.0.1:8700", size = "1280x720",
//! #   card_dock = "http://127.0.0.1:8710"  # simulated cards in a vpcd reader
//! #                                        # (`simcard dock`; needs [card] reader = "pcsc")
//!
//! [input]
//! devices = "auto"                       # remotes found in /dev/input by their keys;
//!                                        # or a list of paths; or "none"
//! [input.keys]                           # changes to the default key table
//! KEY_INFO = "back"                      # Linux key name or code = up, down, left,
//!                                        # right, ok, back, blue, red, green, yellow, 0–12
//!
//! [sync]
//! interval_s = 60
//! heartbeat_interval_s = 900            # fractions too (0.05 at least), for tests
//! retry_first_s = 5                      # back-off after a failed sync: doubles from
//! retry_max_s = 900                      # this up to that, with jitter
//! ca_file = "/etc/mimamori/center-ca.pem" # trust only these CAs for the center's
//!                                        # HTTPS (absent: the public web roots)
//!
//! [card]
//! reader = "pcsc"                        # or "none" (only the virtual TV's card buttons)
//! readers = ["Virtual PCD 00 01"]        # optional: watch only these PC/SC readers
//!                                        # (by name; absent or empty: every reader)
//!
//! [reminder]
//! repeat_every_min = 30                  # 0: once a day
//! max_prompts = 3
//!
//! [tv]
//! cec_device = "/dev/cec0"               # woken over HDMI-CEC with cec-ctl
//!
//! [hardware]                             # the box's own parts; absent: none
//! led_pin = 17                           # BCM GPIO numbers
//! led_active_low = false
//! chime = "pwm0"                         # "pwm0", "pwm1", "gpio:27" or "none"
//! chime_frequency_hz = 2000              # for a PWM chime
//! button_pin = 22
//! button_active_low = true               # to ground, with the pull-up
//! sensor = true                          # SHT4x room sensor
//! i2c_bus = 1
//! sensor_address = 0x44
//! sensor_interval_s = 60
//!
//! [clock]                                # demonstrations only
//! offset_file = "clock-offset"           # seconds the box's time runs ahead
//!
//! [station]                              # present: a tap station, not a box
//! repeat_window_s = 300                  # the same card again within this
//!                                        # counts once (0: every tap counts)
//! show_s = 5                             # how long a confirmation stays
//! ```
//!
//! With `[station]` the daemon is a tap station: a card reader and a
//! display at a fixed place; it needs no remote and no residents (`[input]`
//! and `[reminder]` are not used).
//!
//! Unknown keys are errors, and every error names its key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use mimamori_remote_ui::Key;
use serde::Deserialize;

pub use crate::hardware::config::{ChimeOutput, HardwareConfig};
use crate::input::KeyMap;
use crate::input::devices::Selection;

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file (or the token file) could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// TOML syntax, a missing or unknown key, a wrong type.
    #[error("{0}")]
    Syntax(String),
    /// A value that makes no sense.
    #[error("`{key}`: {message}")]
    Invalid {
        /// The key.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// Where frames go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Display {
    /// The Linux framebuffer.
    Fbdev {
        /// The device, e.g. `/dev/fb0`.
        device: PathBuf,
        /// Its sysfs directory, e.g. `/sys/class/graphics/fb0`.
        sysfs: PathBuf,
        /// Blue first in each pixel.
        bgr: bool,
    },
    /// A web page on 127.0.0.1 with the frame and a clickable remote.
    Virtual {
        /// Where the page listens (loopback only).
        listen: SocketAddr,
        /// Frame size.
        width: u32,
        /// Frame size.
        height: u32,
        /// The base URL of a card dock (`simcard dock`, 127.0.0.1 only)
        /// whose simulated cards the page offers; they reach the box
        /// through pcscd like real cards. `None`: the page's card buttons
        /// hand trial cards straight to the loop.
        card_dock: Option<String>,
    },
}

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The box's name at the center.
    pub device_id: mimamori_protocol::DeviceId,
    /// The center's base URL.
    pub center_url: String,
    /// The box's token.
    pub token: String,
    /// Where the outbox lives.
    pub data_dir: PathBuf,
    /// The residents' time zone.
    pub time_zone: jiff::tz::TimeZone,
    /// The TV output.
    pub display: Display,
    /// Seconds between regular syncs.
    pub sync_interval_s: u64,
    /// Time between heartbeats.
    pub heartbeat_interval: std::time::Duration,
    /// The back-off of failed syncs.
    pub sync_retry: crate::sync::Retry,
    /// `sync.ca_file`: the only CAs trusted for the center's certificate
    /// (PEM, read at start); empty: the public web roots.
    pub center_ca: Vec<reqwest::Certificate>,
    /// The remotes read from `/dev/input`; `None` reads none.
    pub input_devices: Option<Selection>,
    /// Linux key codes to the UI's keys.
    pub keys: KeyMap,
    /// Whether the card service reads PC/SC readers (`card.reader`).
    pub card_reader: bool,
    /// The PC/SC readers the card service watches, by name
    /// (`card.readers`); empty: every reader.
    pub card_readers: Vec<String>,
    /// How often the TV reminds of a missing check-in.
    pub reminder: mimamori_remote_ui::ReminderPolicy,
    /// The HDMI-CEC device that wakes the TV.
    pub cec_device: PathBuf,
    /// The box's own LED, chime, call button and room sensor, if it has them.
    pub hardware: Option<HardwareConfig>,
    /// `[clock] offset_file`: demonstrations only ([`crate::clock::BoxClock`]).
    pub clock_offset_file: Option<PathBuf>,
    /// `[station]`: run as a tap station instead of a box.
    pub station: Option<StationConfig>,
}

/// A tap station's settings (`[station]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StationConfig {
    /// `repeat_window_s`: the same card tapped again within this counts
    /// once (zero: every tap counts).
    pub repeat_window: std::time::Duration,
    /// `show_s`: how long a confirmation (or a problem) stays on screen.
    pub show: std::time::Duration,
}

impl Default for StationConfig {
    fn default() -> Self {
        Self {
            repeat_window: std::time::Duration::from_secs(300),
            show: std::time::Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct StationFile {
    repeat_window_s: u64,
    show_s: u64,
}

impl Default for StationFile {
    fn default() -> Self {
        let d = StationConfig::default();
        Self {
            repeat_window_s: d.repeat_window.as_secs(),
            show_s: d.show.as_secs(),
        }
    }
}

impl StationFile {
    fn check(self) -> Result<StationConfig, ConfigError> {
        if self.repeat_window_s > 86_400 {
            return Err(ConfigError::Invalid {
                key: "station.repeat_window_s",
                message: format!("{} s is more than a day", self.repeat_window_s),
            });
        }
        if !(1..=60).contains(&self.show_s) {
            return Err(ConfigError::Invalid {
                key: "station.show_s",
                message: format!("{} is not between 1 and 60 s", self.show_s),
            });
        }
        Ok(StationConfig {
            repeat_window: std::time::Duration::from_secs(self.repeat_window_s),
            show: std::time::Duration::from_secs(self.show_s),
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    device_id: String,
    center_url: String,
    token: Option<String>,
    token_file: Option<PathBuf>,
    #[serde(default = "default_data_dir")]
    data_dir: PathBuf,
    #[serde(default = "default_time_zone")]
    time_zone: String,
    #[serde(default)]
    display: DisplayFile,
    #[serde(default)]
    sync: SyncFile,
    #[serde(default)]
    input: InputFile,
    #[serde(default)]
    card: CardFile,
    #[serde(default)]
    reminder: ReminderFile,
    #[serde(default)]
    tv: TvFile,
    hardware: Option<crate::hardware::config::HardwareFile>,
    #[serde(default)]
    clock: crate::clock::ClockFile,
    station: Option<StationFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct InputFile {
    devices: Option<DevicesFile>,
    keys: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum DevicesFile {
    Word(String),
    Paths(Vec<PathBuf>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct CardFile {
    reader: String,
    readers: Vec<String>,
}

impl Default for CardFile {
    fn default() -> Self {
        Self {
            reader: "pcsc".into(),
            readers: Vec::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ReminderFile {
    repeat_every_min: u16,
    max_prompts: u8,
}

impl Default for ReminderFile {
    fn default() -> Self {
        let policy = mimamori_remote_ui::ReminderPolicy::default();
        Self {
            repeat_every_min: policy.repeat_every_minutes,
            max_prompts: policy.max_prompts,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct TvFile {
    cec_device: PathBuf,
}

impl Default for TvFile {
    fn default() -> Self {
        Self {
            cec_device: "/dev/cec0".into(),
        }
    }
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("/var/lib/mimamori")
}

/// A card dock's base URL: `http://` on a loopback address, no path; the
/// URL without a trailing `/`.
fn card_dock_url(text: &str) -> Result<String, ConfigError> {
    let bad = |message: String| ConfigError::Invalid {
        key: "display.card_dock",
        message,
    };
    let url = reqwest::Url::parse(text).map_err(|e| bad(format!("`{text}`: {e}")))?;
    if url.scheme() != "http" {
        return Err(bad(format!("`{text}` is not an http:// URL")));
    }
    let host = url.host_str().unwrap_or_default();
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        return Err(bad(format!("`{text}`: the card dock is on 127.0.0.1 only")));
    }
    if url.path() != "/" || url.query().is_some() {
        return Err(bad(format!(
            "`{text}`: give the dock's address without a path"
        )));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

fn default_time_zone() -> String {
    "Asia/Tokyo".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct DisplayFile {
    backend: String,
    framebuffer: PathBuf,
    sysfs: Option<PathBuf>,
    bgr: bool,
    listen: String,
    size: String,
    card_dock: Option<String>,
}

impl Default for DisplayFile {
    fn default() -> Self {
        Self {
            backend: "fbdev".into(),
            framebuffer: "/dev/fb0".into(),
            sysfs: None,
            bgr: false,
            listen: "127.0.0.1:8700".into(),
            size: "1280x720".into(),
            card_dock: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct SyncFile {
    interval_s: u64,
    heartbeat_interval_s: f64,
    retry_first_s: f64,
    retry_max_s: f64,
    ca_file: Option<PathBuf>,
}

impl Default for SyncFile {
    fn default() -> Self {
        Self {
            interval_s: 60,
            heartbeat_interval_s: 900.0,
            retry_first_s: 5.0,
            retry_max_s: 900.0,
            ca_file: None,
        }
    }
}

impl Config {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path.parent().unwrap_or(Path::new(".")))
    }

    /// Checks a configuration given as text; relative paths are relative
    /// to `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Self, ConfigError> {
        let file: File = toml::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        let device_id = file
            .device_id
            .parse()
            .map_err(|message| ConfigError::Invalid {
                key: "device_id",
                message,
            })?;
        if !(file.center_url.starts_with("https://") || file.center_url.starts_with("http://")) {
            return Err(ConfigError::Invalid {
                key: "center_url",
                message: format!("`{}` is not an http(s) URL", file.center_url),
            });
        }
        let token = match (file.token, file.token_file) {
            (Some(token), None) => token,
            (None, Some(path)) => {
                let path = base.join(path);
                std::fs::read_to_string(&path)
                    .map_err(|source| ConfigError::Read { path, source })?
                    .trim()
                    .to_owned()
            }
            _ => {
                return Err(ConfigError::Invalid {
                    key: "token",
                    message: "give exactly one of `token` and `token_file`".into(),
                });
            }
        };
        if token.is_empty() {
            return Err(ConfigError::Invalid {
                key: "token",
                message: "is empty".into(),
            });
        }
        let time_zone =
            jiff::tz::TimeZone::get(&file.time_zone).map_err(|e| ConfigError::Invalid {
                key: "time_zone",
                message: format!("`{}`: {e}", file.time_zone),
            })?;
        let d = file.display;
        let card_dock = d.card_dock.as_deref().map(card_dock_url).transpose()?;
        if card_dock.is_some() && d.backend != "virtual" {
            return Err(ConfigError::Invalid {
                key: "display.card_dock",
                message: "the card dock belongs to the virtual TV (backend = \"virtual\")".into(),
            });
        }
        if card_dock.is_some() && file.card.reader != "pcsc" {
            return Err(ConfigError::Invalid {
                key: "display.card_dock",
                message: "the dock's cards are read through pcscd: set [card] reader = \"pcsc\""
                    .into(),
            });
        }
        let display = match d.backend.as_str() {
            "fbdev" => Display::Fbdev {
                sysfs: d.sysfs.unwrap_or_else(|| {
                    let name = d
                        .framebuffer
                        .file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or("fb0");
                    PathBuf::from("/sys/class/graphics").join(name)
                }),
                device: d.framebuffer,
                bgr: d.bgr,
            },
            "virtual" => {
                let listen: SocketAddr = d.listen.parse().map_err(|_| ConfigError::Invalid {
                    key: "display.listen",
                    message: format!("`{}` is not an address:port", d.listen),
                })?;
                if !listen.ip().is_loopback() {
                    return Err(ConfigError::Invalid {
                        key: "display.listen",
                        message: "the virtual TV listens on 127.0.0.1 only".into(),
                    });
                }
                let (width, height) = d
                    .size
                    .split_once('x')
                    .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
                    .ok_or_else(|| ConfigError::Invalid {
                        key: "display.size",
                        message: format!("`{}` is not WIDTHxHEIGHT", d.size),
                    })?;
                Display::Virtual {
                    listen,
                    width,
                    height,
                    card_dock,
                }
            }
            other => {
                return Err(ConfigError::Invalid {
                    key: "display.backend",
                    message: format!("`{other}` is not fbdev or virtual"),
                });
            }
        };
        if file.sync.interval_s == 0 {
            return Err(ConfigError::Invalid {
                key: "sync.interval_s",
                message: "must be at least 1 s".into(),
            });
        }
        let heartbeat = file.sync.heartbeat_interval_s;
        if !(0.05..=86_400.0).contains(&heartbeat) {
            return Err(ConfigError::Invalid {
                key: "sync.heartbeat_interval_s",
                message: format!("{heartbeat} is not between 0.05 s and a day"),
            });
        }
        let retry_first = file.sync.retry_first_s;
        if !(0.05..=3_600.0).contains(&retry_first) {
            return Err(ConfigError::Invalid {
                key: "sync.retry_first_s",
                message: format!("{retry_first} is not between 0.05 s and an hour"),
            });
        }
        let retry_max = file.sync.retry_max_s;
        if !(retry_first..=86_400.0).contains(&retry_max) {
            return Err(ConfigError::Invalid {
                key: "sync.retry_max_s",
                message: format!(
                    "{retry_max} is not between sync.retry_first_s ({retry_first}) and a day"
                ),
            });
        }
        let center_ca = match &file.sync.ca_file {
            None => Vec::new(),
            Some(path) => {
                let path = base.join(path);
                let pem = std::fs::read(&path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                match reqwest::Certificate::from_pem_bundle(&pem) {
                    Ok(certificates) if !certificates.is_empty() => certificates,
                    Ok(_) => {
                        return Err(ConfigError::Invalid {
                            key: "sync.ca_file",
                            message: format!("{} holds no PEM certificate", path.display()),
                        });
                    }
                    Err(e) => {
                        return Err(ConfigError::Invalid {
                            key: "sync.ca_file",
                            message: format!("{}: {e}", path.display()),
                        });
                    }
                }
            }
        };
        let input_devices = match file.input.devices {
            None => Some(Selection::Auto(PathBuf::from("/dev/input"))),
            Some(DevicesFile::Word(word)) if word == "auto" => {
                Some(Selection::Auto(PathBuf::from("/dev/input")))
            }
            Some(DevicesFile::Word(word)) if word == "none" => None,
            Some(DevicesFile::Word(word)) => {
                return Err(ConfigError::Invalid {
                    key: "input.devices",
                    message: format!("`{word}` is not \"auto\", \"none\" or a list of paths"),
                });
            }
            Some(DevicesFile::Paths(paths)) => {
                if paths.is_empty() || paths.iter().any(|p| !p.is_absolute()) {
                    return Err(ConfigError::Invalid {
                        key: "input.devices",
                        message: "give absolute device paths such as /dev/input/by-id/…-event-kbd"
                            .into(),
                    });
                }
                Some(Selection::Paths(paths))
            }
        };
        let mut keys = KeyMap::default();
        for (code, key) in &file.input.keys {
            let bad = |message: String| ConfigError::Invalid {
                key: "input.keys",
                message,
            };
            let code = key_code(code)
                .ok_or_else(|| bad(format!("`{code}` is not a Linux key name or code")))?;
            let key = ui_key(key).ok_or_else(|| {
                bad(format!(
                    "`{key}` is not up, down, left, right, ok, back, blue, red, green, yellow or 0–12"
                ))
            })?;
            keys.set(code, key);
        }
        let card_reader = match file.card.reader.as_str() {
            "pcsc" => true,
            "none" => false,
            other => {
                return Err(ConfigError::Invalid {
                    key: "card.reader",
                    message: format!("`{other}` is not pcsc or none"),
                });
            }
        };
        if !file.card.readers.is_empty() && !card_reader {
            return Err(ConfigError::Invalid {
                key: "card.readers",
                message: "readers are watched only with [card] reader = \"pcsc\"".into(),
            });
        }
        if file.card.readers.iter().any(|r| r.trim().is_empty()) {
            return Err(ConfigError::Invalid {
                key: "card.readers",
                message: "a reader's name is empty".into(),
            });
        }
        if !(1..=24).contains(&file.reminder.max_prompts) {
            return Err(ConfigError::Invalid {
                key: "reminder.max_prompts",
                message: format!("{} is not between 1 and 24", file.reminder.max_prompts),
            });
        }
        if file.reminder.repeat_every_min > 720 {
            return Err(ConfigError::Invalid {
                key: "reminder.repeat_every_min",
                message: format!(
                    "{} minutes is more than 12 hours (0 reminds once a day)",
                    file.reminder.repeat_every_min
                ),
            });
        }
        let hardware = file.hardware.map(|h| h.check()).transpose()?;
        let clock_offset_file = file.clock.check(base)?;
        let station = file.station.map(StationFile::check).transpose()?;
        if station.is_some() && !card_reader && matches!(display, Display::Fbdev { .. }) {
            return Err(ConfigError::Invalid {
                key: "card.reader",
                message: "a station reads cards: set [card] reader = \"pcsc\" (\"none\" only \
                          with the virtual TV's card buttons)"
                    .into(),
            });
        }
        Ok(Config {
            station,
            input_devices,
            keys,
            card_reader,
            card_readers: file.card.readers,
            device_id,
            center_url: file.center_url,
            token,
            data_dir: base.join(file.data_dir),
            time_zone,
            display,
            sync_interval_s: file.sync.interval_s,
            heartbeat_interval: std::time::Duration::from_secs_f64(heartbeat),
            sync_retry: crate::sync::Retry {
                first: std::time::Duration::from_secs_f64(retry_first),
                max: std::time::Duration::from_secs_f64(retry_max),
            },
            center_ca,
            reminder: mimamori_remote_ui::ReminderPolicy {
                repeat_every_minutes: file.reminder.repeat_every_min,
                max_prompts: file.reminder.max_prompts,
            },
            cec_device: file.tv.cec_device,
            hardware,
            clock_offset_file,
        })
    }
}

/// `KEY_INFO`, `358` or `0x166`.
fn key_code(name: &str) -> Option<u16> {
    if let Some(hex) = name.strip_prefix("0x") {
        return u16::from_str_radix(hex, 16).ok();
    }
    if let Ok(code) = name.parse() {
        return Some(code);
    }
    name.parse::<evdev::KeyCode>().ok().map(|k| k.code())
}

fn ui_key(name: &str) -> Option<Key> {
    Some(match name {
        "up" => Key::Up,
        "down" => Key::Down,
        "left" => Key::Left,
        "right" => Key::Right,
        "ok" => Key::Ok,
        "back" => Key::Back,
        "blue" => Key::Blue,
        "red" => Key::Red,
        "green" => Key::Green,
        "yellow" => Key::Yellow,
        digit => match digit.parse::<u8>() {
            Ok(d) if d <= 12 => Key::Digit(d),
            _ => return None,
        },
    })
}

#[cfg(test)]
mod tests;
