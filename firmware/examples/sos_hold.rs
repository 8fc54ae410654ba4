//! How an owner wires the drivers together, on simulated pins: the resident
//! holds the call button for four seconds; the box sends an SOS, chimes and
//! blinks fast. Prints the timeline.
//!
//! ```text
//! cargo run -p mimamori-firmware --example sos_hold
//! ```

use std::cell::Cell;
use std::convert::Infallible;
use std::rc::Rc;

use embedded_hal::digital::{ErrorType, InputPin, OutputPin};
use mimamori_firmware::{ButtonEvent, CallButton, Chime, LedPattern, Melody, Polarity, StatusLed};

/// A simulated pin: outputs print their changes, inputs read a shared level.
struct SimPin {
    name: &'static str,
    level: Rc<Cell<bool>>,
    now: Rc<Cell<u64>>,
}

impl ErrorType for SimPin {
    type Error = Infallible;
}

impl OutputPin for SimPin {
    fn set_low(&mut self) -> Result<(), Infallible> {
        println!("{:>6} ms  {} low", self.now.get(), self.name);
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Infallible> {
        println!("{:>6} ms  {} high", self.now.get(), self.name);
        Ok(())
    }
}

impl InputPin for SimPin {
    fn is_high(&mut self) -> Result<bool, Infallible> {
        Ok(self.level.get())
    }
    fn is_low(&mut self) -> Result<bool, Infallible> {
        Ok(!self.level.get())
    }
}

fn main() {
    let now = Rc::new(Cell::new(0));
    let button_level = Rc::new(Cell::new(true)); // pull-up: released = high
    let pin = |name| SimPin {
        name,
        level: button_level.clone(),
        now: now.clone(),
    };

    let mut button = CallButton::new(pin("button"), Polarity::ActiveLow);
    let mut led = StatusLed::new(pin("led"), Polarity::ActiveHigh);
    let mut chime = Chime::pin(pin("buzzer"), Polarity::ActiveHigh);
    let Ok(()) = led.set_pattern(LedPattern::On, 0);

    // The owner's loop: one pass every 10 ms of simulated time.
    for t in (0..=6_000).step_by(10) {
        now.set(t);
        button_level.set(!(500..4_500).contains(&t)); // held from 0.5 s to 4.5 s
        let Ok(event) = button.tick(t);
        match event {
            Some(ButtonEvent::LongPress) => {
                println!("{t:>6} ms  SOS: send it, tell the resident");
                let Ok(()) = led.set_pattern(LedPattern::FastBlink, t);
                let Ok(()) = chime.play(Melody::Confirm, t);
            }
            Some(other) => println!("{t:>6} ms  {other:?}"),
            None => {}
        }
        let Ok(()) = led.tick(t);
        let Ok(()) = chime.tick(t);
    }
}
