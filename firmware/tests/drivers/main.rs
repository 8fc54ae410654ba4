//! The drivers against embedded-hal-mock: every pin and bus transaction is
//! expected, in order and — through [`Script`] — at the tick it belongs to;
//! every mock ends with `.done()`.

mod button;
mod chime;
mod heat;
mod led;
mod sht4x;

use std::fmt::Debug;

use embedded_hal_mock::common::Generic;

/// A timed script for a mock: the transactions expected during each tick.
///
/// `run` sets each step's expectations on a clone of the mock (it shares
/// its queue with the one moved into the driver), calls the tick, and
/// checks that the step's transactions were all consumed before the next
/// step; so a write one tick early or late fails the test.
pub(crate) struct Script<T: Clone + Debug + PartialEq> {
    steps: Vec<(u64, Vec<T>)>,
}

impl<T: Clone + Debug + PartialEq> Script<T> {
    pub(crate) fn new() -> Self {
        Script { steps: Vec::new() }
    }

    /// At `now_ms`, expect `transactions` (none: the tick must not touch
    /// the bus).
    pub(crate) fn at(&mut self, now_ms: u64, transactions: Vec<T>) -> &mut Self {
        self.steps.push((now_ms, transactions));
        self
    }

    /// Ticks at every `step_ms` from `from` to `to` inclusive, expecting
    /// `transactions(now)` each time.
    pub(crate) fn every(
        &mut self,
        step_ms: u64,
        from: u64,
        to: u64,
        mut transactions: impl FnMut(u64) -> Vec<T>,
    ) -> &mut Self {
        for now in (from..=to).step_by(step_ms as usize) {
            self.steps.push((now, transactions(now)));
        }
        self
    }

    /// Runs the script against `mock` (a clone of the driver's), calling
    /// `tick(now)` once per step, then `done()`.
    pub(crate) fn run(&self, mock: &mut Generic<T>, mut tick: impl FnMut(u64)) {
        for (now, transactions) in &self.steps {
            let _step = StepGuard(*now);
            mock.update_expectations(transactions);
            tick(*now);
        }
        let _step = StepGuard(u64::MAX);
        mock.done();
    }
}

/// Names the step of a failing script.
struct StepGuard(u64);

impl Drop for StepGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            match self.0 {
                u64::MAX => eprintln!("script failed at its end"),
                // The expectations of the tick before `now` were checked here.
                now => eprintln!("script failed at the step for {now} ms (or the tick before)"),
            }
        }
    }
}
