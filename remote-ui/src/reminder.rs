//! When the box reminds: today's check-in is not done by the care plan's
//! reminder time. Pure: the day, the time and who is done are parameters.
//!
//! The first prompt comes at the earliest reminder time of a resident whose
//! check-in is missing; it is repeated every
//! [`ReminderPolicy::repeat_every_minutes`] while still missing, at most
//! [`ReminderPolicy::max_prompts`] times a day. A resident whose check-in is
//! done (on this box or, as the center's standings say, elsewhere) or whose
//! watch is paused that day is not reminded.
//!
//! ```
//! use mimamori_remote_ui::{ReminderPolicy, Reminders};
//!
//! let policy = ReminderPolicy { repeat_every_minutes: 30, max_prompts: 3 };
//! let mut reminders = Reminders::default();
//! let day = "2026-11-29".parse().unwrap();
//! // `due` (from `due_residents`) is false before the reminder time at 9:00;
//! // then a prompt at 9:00, again at 9:30 and 10:00, then quiet.
//! assert!(!reminders.check(&policy, day, 8 * 60 + 59, false));
//! assert!(reminders.check(&policy, day, 9 * 60, true));
//! assert!(!reminders.check(&policy, day, 9 * 60 + 29, true));
//! assert!(reminders.check(&policy, day, 9 * 60 + 30, true));
//! assert!(reminders.check(&policy, day, 10 * 60, true));
//! assert!(!reminders.check(&policy, day, 10 * 60 + 30, true));
//! ```

use mimamori_protocol::{CalendarDate, ResidentId, ResidentInfo, Standing};

/// How often the box reminds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderPolicy {
    /// Minutes between prompts while the check-in is still missing; 0
    /// prompts once a day.
    pub repeat_every_minutes: u16,
    /// Most prompts a day (at least 1).
    pub max_prompts: u8,
}

impl Default for ReminderPolicy {
    /// Every 30 minutes, three times a day.
    fn default() -> Self {
        Self {
            repeat_every_minutes: 30,
            max_prompts: 3,
        }
    }
}

/// What the reminder remembers of today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reminders {
    day: Option<CalendarDate>,
    prompts: u8,
    last_minute: u16,
}

impl Reminders {
    /// Whether to prompt now, `minute` minutes into `day` (local time),
    /// given whether a check-in is `due` (see [`due_residents`]). Counts
    /// the prompt when it says yes.
    pub fn check(
        &mut self,
        policy: &ReminderPolicy,
        day: CalendarDate,
        minute: u16,
        due: bool,
    ) -> bool {
        if self.day != Some(day) {
            *self = Reminders {
                day: Some(day),
                prompts: 0,
                last_minute: 0,
            };
        }
        if !due || self.prompts >= policy.max_prompts.max(1) {
            return false;
        }
        let again = self.prompts == 0
            || (policy.repeat_every_minutes > 0
                && minute >= self.last_minute + policy.repeat_every_minutes);
        if again {
            self.prompts += 1;
            self.last_minute = minute;
        }
        again
    }

    /// Prompts given today.
    pub fn prompts_on(&self, day: CalendarDate) -> u8 {
        if self.day == Some(day) {
            self.prompts
        } else {
            0
        }
    }
}

/// The residents whose reminder time has come on `day` at `minute` with
/// their check-in missing and their watch not paused. `done` says whether
/// a resident's check-in of `day` is stored.
pub fn due_residents(
    residents: &[ResidentInfo],
    standings: &[Standing],
    day: CalendarDate,
    minute: u16,
    done: impl Fn(ResidentId) -> bool,
) -> Vec<ResidentId> {
    residents
        .iter()
        .filter(|r| r.care_plan.reminder_at.minutes_of_day() <= minute)
        .filter(|r| !done(r.id))
        .filter(|r| {
            !standings
                .iter()
                .any(|s| s.resident == r.id && s.paused_through.is_some_and(|p| day <= p))
        })
        .map(|r| r.id)
        .collect()
}
