//! Remote-control input: Linux evdev key events to the UI's keys.
//!
//! IR receivers (gpio-ir), HDMI-CEC remote passthrough and USB remotes all
//! appear as evdev devices, so the TV's own remote can drive the box. This
//! module is the pure part: which devices are remotes (by the keys they
//! have), the key table (Japanese remotes by default, replaceable from the
//! configuration), and turning presses, releases and autorepeats into UI
//! events. [`hotplug`] follows several remotes coming and going, and
//! [`devices`] reads them from `/dev/input`.
//!
//! Rules:
//! * A key acts on press; autorepeat is ignored, so a remote that repeats a
//!   held OK never answers twice.
//! * The red key is also the SOS key: a short press arrives as `Key(Red)`
//!   on release, a hold of [`RED_HOLD_MS`] as `Held(Red)` while still held
//!   (once), and then no `Key(Red)` on release.

pub mod devices;
pub mod hotplug;

use std::collections::HashMap;

use mimamori_remote_ui::{Event, Key};

/// `EV_KEY` in `input-event-codes.h`.
pub const EV_KEY: u16 = 1;

/// How long the red key is held to call for help, in milliseconds.
pub const RED_HOLD_MS: u64 = 2000;

/// Linux key codes (`input-event-codes.h`) the default table uses.
pub mod codes {
    #![allow(missing_docs)]
    pub const KEY_ESC: u16 = 1;
    pub const KEY_1: u16 = 2;
    pub const KEY_0: u16 = 11;
    pub const KEY_ENTER: u16 = 28;
    pub const KEY_KP7: u16 = 71;
    pub const KEY_KP8: u16 = 72;
    pub const KEY_KP9: u16 = 73;
    pub const KEY_KP4: u16 = 75;
    pub const KEY_KP5: u16 = 76;
    pub const KEY_KP6: u16 = 77;
    pub const KEY_KP1: u16 = 79;
    pub const KEY_KP2: u16 = 80;
    pub const KEY_KP3: u16 = 81;
    pub const KEY_KP0: u16 = 82;
    pub const KEY_KPENTER: u16 = 96;
    pub const KEY_UP: u16 = 103;
    pub const KEY_LEFT: u16 = 105;
    pub const KEY_RIGHT: u16 = 106;
    pub const KEY_DOWN: u16 = 108;
    pub const KEY_BACK: u16 = 158;
    pub const KEY_EXIT: u16 = 174;
    pub const KEY_OK: u16 = 0x160;
    pub const KEY_SELECT: u16 = 0x161;
    pub const KEY_RED: u16 = 0x18e;
    pub const KEY_GREEN: u16 = 0x18f;
    pub const KEY_YELLOW: u16 = 0x190;
    pub const KEY_BLUE: u16 = 0x191;
    pub const KEY_NUMERIC_0: u16 = 0x200;
    pub const KEY_NUMERIC_11: u16 = 0x26c;
    pub const KEY_NUMERIC_12: u16 = 0x26d;
}

use codes::*;

/// Which Linux key code means which UI key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap(HashMap<u16, Key>);

impl Default for KeyMap {
    /// Japanese TV remotes over IR, HDMI-CEC and USB: arrows, 決定 (OK /
    /// ENTER / SELECT), 戻る (BACK / EXIT / ESC), the colour keys, the 1–12
    /// channel keys, and a keyboard's digits for installers.
    fn default() -> Self {
        let mut map = HashMap::new();
        for (code, key) in [
            (KEY_UP, Key::Up),
            (KEY_DOWN, Key::Down),
            (KEY_LEFT, Key::Left),
            (KEY_RIGHT, Key::Right),
            (KEY_OK, Key::Ok),
            (KEY_ENTER, Key::Ok),
            (KEY_KPENTER, Key::Ok),
            (KEY_SELECT, Key::Ok),
            (KEY_BACK, Key::Back),
            (KEY_EXIT, Key::Back),
            (KEY_ESC, Key::Back),
            (KEY_BLUE, Key::Blue),
            (KEY_RED, Key::Red),
            (KEY_GREEN, Key::Green),
            (KEY_YELLOW, Key::Yellow),
            (KEY_NUMERIC_11, Key::Digit(11)),
            (KEY_NUMERIC_12, Key::Digit(12)),
            (KEY_0, Key::Digit(0)),
            (KEY_KP0, Key::Digit(0)),
        ] {
            map.insert(code, key);
        }
        for d in 0..10u8 {
            map.insert(KEY_NUMERIC_0 + u16::from(d), Key::Digit(d));
        }
        for d in 1..10u8 {
            map.insert(KEY_1 + u16::from(d) - 1, Key::Digit(d));
        }
        for (code, d) in [
            (KEY_KP1, 1),
            (KEY_KP2, 2),
            (KEY_KP3, 3),
            (KEY_KP4, 4),
            (KEY_KP5, 5),
            (KEY_KP6, 6),
            (KEY_KP7, 7),
            (KEY_KP8, 8),
            (KEY_KP9, 9),
        ] {
            map.insert(code, Key::Digit(d));
        }
        KeyMap(map)
    }
}

impl KeyMap {
    /// The UI key for a Linux key code.
    pub fn get(&self, code: u16) -> Option<Key> {
        self.0.get(&code).copied()
    }

    /// Maps `code` to `key`, replacing what it meant before (the
    /// configuration's `[input.keys]` table).
    pub fn set(&mut self, code: u16, key: Key) {
        self.0.insert(code, key);
    }
}

/// Whether a device with these keys is a remote the resident can use: it
/// must be able to move and to choose (arrows and an OK key). Keyboards
/// qualify too (installers use them); mice, power buttons and lid switches
/// do not.
pub fn is_remote(keys: &[u16]) -> bool {
    let has = |code| keys.contains(&code);
    let arrows = [KEY_UP, KEY_DOWN, KEY_LEFT, KEY_RIGHT]
        .iter()
        .all(|&c| has(c));
    let choose = [KEY_OK, KEY_ENTER, KEY_SELECT, KEY_KPENTER]
        .iter()
        .any(|&c| has(c));
    arrows && choose
}

/// One raw input event, as read from the device (or a recording).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawEvent {
    /// Milliseconds, from the event's timestamp.
    pub time_ms: u64,
    /// `EV_KEY`, `EV_SYN`, …
    pub kind: u16,
    /// The key code.
    pub code: u16,
    /// 1 press, 0 release, 2 autorepeat.
    pub value: i32,
}

/// Turns raw key events into UI events.
#[derive(Debug, Default)]
pub struct KeyReader {
    map: KeyMap,
    red_down_since: Option<u64>,
    red_held_sent: bool,
}

impl KeyReader {
    /// A reader with the given key table.
    pub fn new(map: KeyMap) -> Self {
        Self {
            map,
            red_down_since: None,
            red_held_sent: false,
        }
    }

    /// The UI event for one raw event, if any.
    pub fn feed(&mut self, event: RawEvent) -> Option<Event> {
        if event.kind != EV_KEY {
            return None;
        }
        let key = self.map.get(event.code)?;
        if key == Key::Red {
            return self.red(event);
        }
        (event.value == 1).then_some(Event::Key(key))
    }

    /// Lets time pass while nothing arrives (a held red key without
    /// autorepeat still becomes `Held(Red)`).
    pub fn tick(&mut self, now_ms: u64) -> Option<Event> {
        let since = self.red_down_since?;
        if !self.red_held_sent && now_ms.saturating_sub(since) >= RED_HOLD_MS {
            self.red_held_sent = true;
            return Some(Event::Held(Key::Red));
        }
        None
    }

    /// When [`tick`](Self::tick) should next be called, if a red key is down.
    pub fn next_tick_ms(&self) -> Option<u64> {
        match self.red_down_since {
            Some(since) if !self.red_held_sent => Some(since + RED_HOLD_MS),
            _ => None,
        }
    }

    fn red(&mut self, event: RawEvent) -> Option<Event> {
        match event.value {
            1 => {
                self.red_down_since = Some(event.time_ms);
                self.red_held_sent = false;
                None
            }
            2 => self.tick(event.time_ms),
            0 => {
                let was_down = self.red_down_since.take().is_some();
                let held = std::mem::take(&mut self.red_held_sent);
                (was_down && !held).then_some(Event::Key(Key::Red))
            }
            _ => None,
        }
    }
}

/// Reads a recording in `evtest` style, one event a line:
/// `SECONDS.MICROS TYPE CODE VALUE` (e.g. `12.500000 1 352 1`); `#` starts a
/// comment. For tests and for replaying a customer's remote.
pub fn parse_recording(text: &str) -> Result<Vec<RawEvent>, String> {
    text.lines()
        .enumerate()
        .filter_map(|(n, line)| {
            let line = line.split('#').next().unwrap_or("").trim();
            (!line.is_empty()).then_some((n + 1, line))
        })
        .map(|(n, line)| {
            let bad = || format!("line {n}: `{line}` is not `SECONDS.MICROS TYPE CODE VALUE`");
            let parts: Vec<&str> = line.split_whitespace().collect();
            let [time, kind, code, value] = parts.as_slice() else {
                return Err(bad());
            };
            let (secs, micros) = time.split_once('.').ok_or_else(bad)?;
            let secs: u64 = secs.parse().map_err(|_| bad())?;
            let micros: u64 = micros.parse().map_err(|_| bad())?;
            Ok(RawEvent {
                time_ms: secs * 1000 + micros / 1000,
                kind: kind.parse().map_err(|_| bad())?,
                code: code.parse().map_err(|_| bad())?,
                value: value.parse().map_err(|_| bad())?,
            })
        })
        .collect()
}
