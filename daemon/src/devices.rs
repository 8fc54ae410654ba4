//! The box's devices besides the screen and the remote: its own parts
//! ([`hardware`](crate::hardware)) and the TV's HDMI-CEC
//! ([`cec`](crate::cec)). The loop hands them the UI's effects (LED, chime,
//! wake the TV) and gets back the UI events their news means (call button
//! held, room too hot).

use mimamori_firmware::ButtonEvent;
use mimamori_protocol::RoomClimate;
use mimamori_remote_ui::{Effect, Event};
use tokio::sync::mpsc;

use crate::cec::Tv;
use crate::config::Config;
use crate::hardware::{self, Board, Hardware, HardwareEvent};
use crate::runtime::Input;

/// The devices a box runs with; [`Devices::open`] finds them, tests build
/// their own.
pub struct Devices {
    /// The box's parts, if it has them.
    pub board: Option<Box<dyn Board>>,
    /// The TV's HDMI-CEC.
    pub tv: Tv,
}

impl Devices {
    /// The parts `config` names (absent without the `pi` feature or the
    /// hardware) and `cec-ctl` from `PATH`; says once what is missing.
    pub fn open(config: &Config) -> Self {
        Self {
            board: hardware::open(config.hardware.as_ref()),
            tv: Tv::find(std::env::var_os("PATH").as_deref(), &config.cec_device),
        }
    }

    /// No parts and no CEC.
    pub fn none() -> Self {
        Self {
            board: None,
            tv: Tv::Absent,
        }
    }
}

/// The devices while the loop runs.
pub(crate) struct Running {
    hardware: Option<Hardware>,
    tv: Tv,
    room: Option<RoomClimate>,
}

impl Running {
    /// Starts the parts' thread; their news arrives as [`Input::Hardware`].
    pub(crate) fn start(devices: Devices, inputs: mpsc::Sender<Input>) -> Self {
        let hardware = devices.board.and_then(|board| {
            match Hardware::spawn(board, move |e| {
                inputs.blocking_send(Input::Hardware(e)).is_ok()
            }) {
                Ok(h) => Some(h),
                Err(e) => {
                    tracing::error!("box hardware absent: cannot start its thread: {e}");
                    None
                }
            }
        });
        Self {
            hardware,
            tv: devices.tv,
            room: None,
        }
    }

    /// Carries out an effect that concerns the devices; false for others.
    pub(crate) fn effect(&self, effect: &Effect) -> bool {
        match effect {
            Effect::Led(pattern) => {
                if let Some(h) = &self.hardware {
                    h.led(hardware::led_pattern(*pattern));
                }
                true
            }
            Effect::Chime(chime) => {
                if let (Some(h), Some(melody)) = (&self.hardware, hardware::melody(*chime)) {
                    h.play(melody);
                }
                true
            }
            Effect::WakeTv => {
                self.tv.wake();
                true
            }
            _ => false,
        }
    }

    /// Takes in the parts' news; returns what it means to the UI.
    pub(crate) fn event(&mut self, event: HardwareEvent) -> Option<Event> {
        match event {
            HardwareEvent::Button(ButtonEvent::LongPress) => {
                tracing::warn!("the call button was held: asking for help");
            }
            HardwareEvent::Button(ButtonEvent::Stuck) => {
                tracing::warn!(
                    "the call button is stuck (held for a minute); it is ignored until released"
                );
            }
            HardwareEvent::Button(ButtonEvent::StuckCleared) => {
                tracing::info!("the call button was released and works again");
            }
            HardwareEvent::Button(ButtonEvent::ShortPress) => {
                tracing::debug!("the call button was pressed briefly");
            }
            HardwareEvent::Room(m) => {
                tracing::debug!(
                    temperature_mc = m.temperature_millicelsius,
                    humidity_mpct = m.humidity_millipercent,
                    "room reading"
                );
                self.room = Some(hardware::room_climate(&m));
            }
            HardwareEvent::SensorFailed => self.room = None,
        }
        hardware::ui_event(&event)
    }

    /// The last room reading, for the heartbeat.
    pub(crate) fn room(&self) -> Option<RoomClimate> {
        self.room
    }
}
