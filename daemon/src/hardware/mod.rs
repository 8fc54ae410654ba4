//! The box's own hardware as the loop sees it: the front LED, the chime,
//! the call button and the room sensor.
//!
//! A [`Board`] is the parts behind one small trait (set the LED pattern,
//! play a melody, tick); [`Drivers`] implements it over the
//! `mimamori-firmware` drivers for any embedded-hal pins and bus, and the
//! `pi` feature binds those to the Raspberry Pi's GPIO, PWM and I2C
//! ([`pi`]). [`Hardware`] owns a board on its own thread, ticks it (every
//! 10 ms while there is a button to poll) and hands what happened to the
//! loop as [`HardwareEvent`]s. [`fake::FakeBoard`] stands in for the parts
//! in tests of the runtime.
//!
//! A box without the parts, or a daemon built without the `pi` feature,
//! runs with the hardware layer absent: [`open`] says why, once.

pub mod config;
pub mod fake;
#[cfg(feature = "pi")]
pub mod pi;

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use embedded_hal::digital::{InputPin, OutputPin};
use embedded_hal::i2c::I2c;
use mimamori_firmware::{
    ButtonEvent, Buzzer, CallButton, Chime, LedPattern, Measurement, Melody, Precision, Sht4x,
    StatusLed,
};
use mimamori_protocol::{RoomClimate, Tenths};
use mimamori_remote_ui as ui;

/// What the parts did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HardwareEvent {
    /// The call button: short press, long press (SOS), stuck, released.
    Button(ButtonEvent),
    /// A room reading.
    Room(Measurement),
    /// The room sensor did not answer (or answered garbage).
    SensorFailed,
}

/// Why a part could not be driven.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{part}: {message}")]
pub struct BoardError {
    /// `led`, `chime`, `button` or `sensor`.
    pub part: &'static str,
    /// The bus's or pin's error.
    pub message: String,
}

impl BoardError {
    fn new(part: &'static str, error: impl std::fmt::Debug) -> Self {
        Self {
            part,
            message: format!("{error:?}"),
        }
    }
}

/// The box's parts behind one small interface, driven with a monotonic
/// `now_ms` (milliseconds since the board's thread started).
pub trait Board: Send {
    /// What the board has, for the log, e.g. `LED GPIO17, chime PWM0`.
    fn describe(&self) -> String;
    /// Shows an LED pattern from `now_ms` on.
    fn set_led(&mut self, pattern: LedPattern, now_ms: u64) -> Result<(), BoardError>;
    /// Plays a melody from `now_ms` on (cutting one that plays).
    fn play(&mut self, melody: Melody, now_ms: u64) -> Result<(), BoardError>;
    /// Advances the parts to `now_ms`, pushes what happened, and returns
    /// when it next needs a tick.
    fn tick(&mut self, now_ms: u64, events: &mut Vec<HardwareEvent>) -> Result<u64, BoardError>;
    /// Puts the parts at rest (LED off, chime silent) before the daemon
    /// stops.
    fn rest(&mut self) {}
}

/// The firmware drivers as a [`Board`], for any pins and bus. A part that is
/// `None` is not fitted.
pub struct Drivers<L, B, P, I> {
    /// The front LED.
    pub led: Option<StatusLed<L>>,
    /// The chime.
    pub chime: Option<Chime<B>>,
    /// The call button.
    pub button: Option<CallButton<P>>,
    /// The room sensor.
    pub sensor: Option<Sht4x<I>>,
    /// Milliseconds between room readings.
    pub sensor_interval_ms: u64,
    /// What the parts are, for the log.
    pub description: String,
    next_reading_ms: u64,
}

/// How often the button is polled (its debounce is 30 ms).
pub const BUTTON_POLL_MS: u64 = 10;

impl<L, B, P, I> Drivers<L, B, P, I> {
    /// A board of these parts; the first room reading is taken at once.
    pub fn new(
        led: Option<StatusLed<L>>,
        chime: Option<Chime<B>>,
        button: Option<CallButton<P>>,
        sensor: Option<Sht4x<I>>,
        sensor_interval_ms: u64,
        description: String,
    ) -> Self {
        Self {
            led,
            chime,
            button,
            sensor,
            sensor_interval_ms,
            description,
            next_reading_ms: 0,
        }
    }
}

impl<L, B, P, I> Board for Drivers<L, B, P, I>
where
    L: OutputPin + Send,
    B: Buzzer + Send,
    B::Error: std::fmt::Debug,
    P: InputPin + Send,
    I: I2c + Send,
{
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn set_led(&mut self, pattern: LedPattern, now_ms: u64) -> Result<(), BoardError> {
        match &mut self.led {
            Some(led) => led
                .set_pattern(pattern, now_ms)
                .map_err(|e| BoardError::new("led", e)),
            None => Ok(()),
        }
    }

    fn play(&mut self, melody: Melody, now_ms: u64) -> Result<(), BoardError> {
        match &mut self.chime {
            Some(chime) => chime
                .play(melody, now_ms)
                .map_err(|e| BoardError::new("chime", e)),
            None => Ok(()),
        }
    }

    fn tick(&mut self, now_ms: u64, events: &mut Vec<HardwareEvent>) -> Result<u64, BoardError> {
        let mut next = now_ms + 60_000;
        let mut first_error = None;
        if let Some(led) = &mut self.led {
            if let Err(e) = led.tick(now_ms) {
                first_error.get_or_insert(BoardError::new("led", e));
            }
            next = next.min(led.next_change_ms().unwrap_or(next));
        }
        if let Some(chime) = &mut self.chime {
            if let Err(e) = chime.tick(now_ms) {
                first_error.get_or_insert(BoardError::new("chime", e));
            }
            next = next.min(chime.next_change_ms().unwrap_or(next));
        }
        if let Some(button) = &mut self.button {
            match button.tick(now_ms) {
                Ok(Some(event)) => events.push(HardwareEvent::Button(event)),
                Ok(None) => {}
                Err(e) => {
                    first_error.get_or_insert(BoardError::new("button", e));
                }
            }
            next = next.min(now_ms + BUTTON_POLL_MS);
        }
        if let Some(sensor) = &mut self.sensor {
            if sensor.is_measuring() {
                match sensor.read_measurement(now_ms) {
                    Ok(m) => {
                        events.push(HardwareEvent::Room(m));
                        self.next_reading_ms = now_ms + self.sensor_interval_ms;
                    }
                    Err(mimamori_firmware::Error::NotReady { ready_at_ms }) => {
                        next = next.min(ready_at_ms);
                    }
                    Err(e) => {
                        events.push(HardwareEvent::SensorFailed);
                        first_error.get_or_insert(BoardError::new("sensor", e));
                        self.next_reading_ms = now_ms + self.sensor_interval_ms;
                    }
                }
            }
            if !sensor.is_measuring() && now_ms >= self.next_reading_ms {
                match sensor.start_measurement(Precision::High, now_ms) {
                    Ok(ready_at_ms) => next = next.min(ready_at_ms),
                    Err(e) => {
                        events.push(HardwareEvent::SensorFailed);
                        first_error.get_or_insert(BoardError::new("sensor", e));
                        self.next_reading_ms = now_ms + self.sensor_interval_ms;
                    }
                }
            }
            if !sensor.is_measuring() {
                next = next.min(self.next_reading_ms);
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(next.max(now_ms + 1)),
        }
    }

    fn rest(&mut self) {
        if let Some(led) = &mut self.led {
            let _ = led.set_pattern(LedPattern::Off, 0);
        }
        if let Some(chime) = &mut self.chime {
            let _ = chime.stop();
        }
    }
}

enum Command {
    Led(LedPattern),
    Play(Melody),
}

/// A board on its own thread. Dropping the handle stops the thread (the
/// LED goes dark, the chime silent) and joins it.
pub struct Hardware {
    commands: Option<mpsc::Sender<Command>>,
    thread: Option<JoinHandle<()>>,
    description: String,
}

impl Hardware {
    /// Starts `board`'s thread; `deliver` gets each event and returns
    /// false once nobody listens (the thread then ends).
    pub fn spawn(
        mut board: Box<dyn Board>,
        deliver: impl Fn(HardwareEvent) -> bool + Send + 'static,
    ) -> std::io::Result<Self> {
        let description = board.describe();
        let (commands, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("hardware".into())
            .spawn(move || {
                let started = Instant::now();
                let now_ms = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                let mut next_ms: u64 = 0;
                let mut last_error: Option<BoardError> = None;
                let mut events = Vec::new();
                loop {
                    let wait = next_ms.saturating_sub(now_ms());
                    let result = match rx.recv_timeout(Duration::from_millis(wait)) {
                        Ok(Command::Led(p)) => board.set_led(p, now_ms()),
                        Ok(Command::Play(m)) => board.play(m, now_ms()),
                        Err(mpsc::RecvTimeoutError::Timeout) => Ok(()),
                        Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    };
                    let result = result.and_then(|()| board.tick(now_ms(), &mut events));
                    match result {
                        Ok(next) => {
                            if let Some(e) = last_error.take() {
                                tracing::info!("box hardware works again after: {e}");
                            }
                            next_ms = next;
                        }
                        Err(e) => {
                            // Once per distinct failure, not at every tick.
                            if last_error.as_ref() != Some(&e) {
                                tracing::warn!("box hardware: {e}");
                            }
                            last_error = Some(e);
                            next_ms = now_ms() + BUTTON_POLL_MS;
                        }
                    }
                    for event in events.drain(..) {
                        if !deliver(event) {
                            board.rest();
                            return;
                        }
                    }
                }
                board.rest();
            })?;
        Ok(Self {
            commands: Some(commands),
            thread: Some(thread),
            description,
        })
    }

    /// What the board has.
    pub fn describe(&self) -> &str {
        &self.description
    }

    /// Shows an LED pattern.
    pub fn led(&self, pattern: LedPattern) {
        self.send(Command::Led(pattern));
    }

    /// Plays a melody.
    pub fn play(&self, melody: Melody) {
        self.send(Command::Play(melody));
    }

    fn send(&self, command: Command) {
        if let Some(commands) = &self.commands {
            let _ = commands.send(command);
        }
    }
}

impl Drop for Hardware {
    fn drop(&mut self) {
        self.commands.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The LED pattern for what the UI wants shown.
pub fn led_pattern(ui: ui::LedPattern) -> LedPattern {
    match ui {
        ui::LedPattern::Off => LedPattern::Off,
        ui::LedPattern::Reminder => LedPattern::SlowBlink,
        ui::LedPattern::Done => LedPattern::On,
        ui::LedPattern::Sos => LedPattern::FastBlink,
    }
}

/// The chime's melody for a UI sound; key clicks stay on the TV's side.
pub fn melody(chime: ui::Chime) -> Option<Melody> {
    match chime {
        ui::Chime::Reminder => Some(Melody::Reminder),
        ui::Chime::Saved | ui::Chime::Sos => Some(Melody::Confirm),
        ui::Chime::Error => Some(Melody::Error),
        ui::Chime::Click | ui::Chime::Refused => None,
    }
}

/// A reading as the heartbeat carries it.
pub fn room_climate(m: &Measurement) -> RoomClimate {
    RoomClimate {
        temperature_c: Tenths(i32::from(m.temperature_tenths())),
        humidity_pct: Tenths(i32::from(m.humidity_tenths())),
    }
}

/// What a hardware event means to the UI, if anything.
pub fn ui_event(event: &HardwareEvent) -> Option<ui::Event> {
    match event {
        HardwareEvent::Button(ButtonEvent::LongPress) => Some(ui::Event::CallButton),
        HardwareEvent::Button(ButtonEvent::ShortPress) => None,
        HardwareEvent::Button(ButtonEvent::Stuck | ButtonEvent::StuckCleared) => None,
        HardwareEvent::Room(m) => Some(ui::Event::Room(Some(m.wbgt()))),
        HardwareEvent::SensorFailed => Some(ui::Event::Room(None)),
    }
}

/// Opens the box's parts as the configuration says, or says (once, in the
/// log) why the box runs without them.
pub fn open(config: Option<&config::HardwareConfig>) -> Option<Box<dyn Board>> {
    let Some(config) = config else {
        tracing::info!(
            "box hardware absent: box.toml has no [hardware] section (no LED, chime, call button or room sensor)"
        );
        return None;
    };
    open_configured(config)
}

#[cfg(feature = "pi")]
fn open_configured(config: &config::HardwareConfig) -> Option<Box<dyn Board>> {
    match pi::open(config) {
        Ok(board) => {
            tracing::info!("box hardware: {}", board.describe());
            Some(Box::new(board))
        }
        Err(e) => {
            tracing::warn!("box hardware absent: {e:#}");
            None
        }
    }
}

#[cfg(not(feature = "pi"))]
fn open_configured(_: &config::HardwareConfig) -> Option<Box<dyn Board>> {
    tracing::info!(
        "box hardware absent: this mimamorid is built without the `pi` feature, so [hardware] in box.toml is not used"
    );
    None
}
