//! Several remotes at once, coming and going: the pure part of reading
//! `/dev/input`.
//!
//! [`Remotes`] takes what the device adapter sees — a device appeared with
//! these keys, a raw event from it, it vanished — and gives the UI's
//! events. Each device has its own [`KeyReader`], so a red key held on a
//! remote that is then unplugged never turns into an SOS later, and a press
//! on one remote cannot be released by another.
//!
//! One press can reach the box twice: the box's IR receiver sees the TV
//! remote, and the TV passes the same press on over HDMI-CEC. The same key
//! from a *different* device within [`ECHO_MS`] is therefore taken as that
//! echo and dropped, so an answer is never given twice.

use std::collections::BTreeMap;

use mimamori_remote_ui::Event;

use super::{KeyMap, KeyReader, RawEvent, is_remote};

/// How close (ms) the same key from two devices counts as one press.
pub const ECHO_MS: u64 = 150;

/// What the device adapter reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceEvent {
    /// A device appeared, with the key codes it can send.
    Added {
        /// Its name (the adapter uses the device path).
        device: String,
        /// Its key codes.
        keys: Vec<u16>,
    },
    /// The device is gone (unplugged, or its reads failed).
    Removed {
        /// Its name.
        device: String,
    },
    /// An event from the device.
    Raw {
        /// Its name.
        device: String,
        /// The event.
        event: RawEvent,
    },
}

/// How devices are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Any device that looks like a remote ([`is_remote`]).
    ByCapability,
    /// Devices named in the configuration: taken if they have at least one
    /// key of the key table.
    Named,
}

/// The remotes in use and what each is in the middle of.
#[derive(Debug)]
pub struct Remotes {
    map: KeyMap,
    admission: Admission,
    readers: BTreeMap<String, KeyReader>,
    last: Option<(String, Event, u64)>,
}

impl Remotes {
    /// No remotes yet.
    pub fn new(map: KeyMap, admission: Admission) -> Self {
        Self {
            map,
            admission,
            readers: BTreeMap::new(),
            last: None,
        }
    }

    /// Whether a device with these keys is used; if so it is added.
    pub fn add(&mut self, device: &str, keys: &[u16]) -> bool {
        let usable = match self.admission {
            Admission::ByCapability => is_remote(keys),
            Admission::Named => keys.iter().any(|&code| self.map.get(code).is_some()),
        };
        if usable {
            self.readers
                .insert(device.to_owned(), KeyReader::new(self.map.clone()));
        }
        usable
    }

    /// Forgets a device and whatever key it had down.
    pub fn remove(&mut self, device: &str) -> bool {
        self.readers.remove(device).is_some()
    }

    /// The devices in use.
    pub fn devices(&self) -> impl Iterator<Item = &str> {
        self.readers.keys().map(String::as_str)
    }

    /// The UI event for a raw event from `device`, if any.
    pub fn feed(&mut self, device: &str, event: RawEvent) -> Option<Event> {
        let out = self.readers.get_mut(device)?.feed(event)?;
        self.deduplicate(device, out, event.time_ms)
    }

    /// Lets time pass: a red key held long enough becomes `Held(Red)`.
    pub fn tick(&mut self, now_ms: u64) -> Vec<Event> {
        let mut out = Vec::new();
        let devices: Vec<String> = self.readers.keys().cloned().collect();
        for device in devices {
            let held = self.readers.get_mut(&device).and_then(|r| r.tick(now_ms));
            if let Some(event) = held.and_then(|e| self.deduplicate(&device, e, now_ms)) {
                out.push(event);
            }
        }
        out
    }

    /// When [`tick`](Self::tick) should next be called.
    pub fn next_tick_ms(&self) -> Option<u64> {
        self.readers
            .values()
            .filter_map(KeyReader::next_tick_ms)
            .min()
    }

    /// Applies one report of the adapter (recordings replay through this).
    pub fn apply(&mut self, event: DeviceEvent) -> Option<Event> {
        match event {
            DeviceEvent::Added { device, keys } => {
                self.add(&device, &keys);
                None
            }
            DeviceEvent::Removed { device } => {
                self.remove(&device);
                None
            }
            DeviceEvent::Raw { device, event } => self.feed(&device, event),
        }
    }

    fn deduplicate(&mut self, device: &str, event: Event, at_ms: u64) -> Option<Event> {
        let echo = self.last.as_ref().is_some_and(|(other, last, when)| {
            other != device && *last == event && at_ms.saturating_sub(*when) < ECHO_MS
        });
        if echo {
            return None;
        }
        self.last = Some((device.to_owned(), event.clone(), at_ms));
        Some(event)
    }
}

/// Reads a recording of several devices, one line each:
///
/// ```text
/// 0.000000 event3 add 103 108 105 106 352     # a device and its key codes
/// 0.500000 event3 1 352 1                      # TYPE CODE VALUE from it
/// 2.000000 event3 remove
/// ```
///
/// `#` starts a comment. Returns each report with its time in ms.
pub fn parse_session(text: &str) -> Result<Vec<(u64, DeviceEvent)>, String> {
    text.lines()
        .enumerate()
        .filter_map(|(n, line)| {
            let line = line.split('#').next().unwrap_or("").trim();
            (!line.is_empty()).then_some((n + 1, line))
        })
        .map(|(n, line)| {
            let bad = || {
                format!(
                    "line {n}: `{line}` is not `SECONDS.MICROS DEVICE add CODES…`, `… DEVICE remove` or `… DEVICE TYPE CODE VALUE`"
                )
            };
            let parts: Vec<&str> = line.split_whitespace().collect();
            let (time, device, rest) = match parts.as_slice() {
                [time, device, rest @ ..] => (*time, (*device).to_owned(), rest),
                _ => return Err(bad()),
            };
            let (secs, micros) = time.split_once('.').ok_or_else(bad)?;
            let secs: u64 = secs.parse().map_err(|_| bad())?;
            let micros: u64 = micros.parse().map_err(|_| bad())?;
            let time_ms = secs * 1000 + micros / 1000;
            let report = match rest {
                ["add", codes @ ..] => DeviceEvent::Added {
                    device,
                    keys: codes
                        .iter()
                        .map(|c| c.parse().map_err(|_| bad()))
                        .collect::<Result<_, _>>()?,
                },
                ["remove"] => DeviceEvent::Removed { device },
                [kind, code, value] => DeviceEvent::Raw {
                    device,
                    event: RawEvent {
                        time_ms,
                        kind: kind.parse().map_err(|_| bad())?,
                        code: code.parse().map_err(|_| bad())?,
                        value: value.parse().map_err(|_| bad())?,
                    },
                },
                _ => return Err(bad()),
            };
            Ok((time_ms, report))
        })
        .collect()
}

/// Plays a session recording as the adapter would live: time passes
/// between reports (so held keys are noticed without autorepeat). Returns
/// the UI events with their times.
pub fn replay(remotes: &mut Remotes, session: &[(u64, DeviceEvent)]) -> Vec<(u64, Event)> {
    let mut out = Vec::new();
    for (at, report) in session {
        while let Some(due) = remotes.next_tick_ms().filter(|due| due <= at) {
            out.extend(remotes.tick(due).into_iter().map(|e| (due, e)));
        }
        if let Some(event) = remotes.apply(report.clone()) {
            out.push((*at, event));
        }
    }
    out
}
