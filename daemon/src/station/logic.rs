//! The tap station's state machine: card service reports, clock ticks and
//! roster updates in; effects (record a tap, chime) and the screen out. No
//! I/O and no clock: `now` is a parameter.
//!
//! * A My Number card is named by the fingerprint of its user-authentication
//!   certificate, which the card service reads without a PIN; a trial card
//!   by its UID. Nothing is verified or signed at a station.
//! * A card of someone in the roster is a tap: [`Effect::RecordTap`] goes
//!   to the loop, which commits it to the outbox and only then tells
//!   [`Station::tap_recorded`], which shows 「〇〇さん 確認しました」.
//! * One insertion is at most one tap: a card left on the reader counts
//!   once.
//! * The same card again within the repeat window is shown as already
//!   confirmed, and no tap is recorded. The window's memory comes from the
//!   outbox at start ([`Station::remember`]), so it holds across restarts.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use mimamori_protocol::{
    CardBinding, CardUid, JpkiBinding, Person, StationInfo, Timestamp, UidBinding,
};
use mimamori_remote_ui::station::{date_time, hour_minute};
use mimamori_remote_ui::{Chime, StationView};

use crate::card::{CardReport, Identity};

/// What the loop must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Commit a tap of `card` to the outbox, then call
    /// [`Station::tap_recorded`] with the outcome.
    RecordTap {
        /// The card.
        card: CardBinding,
        /// Whose it is, for the screen.
        name: String,
    },
    /// Sound the chime.
    Chime(Chime),
}

/// A station's settings (`[station]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Taps of the same card within this count once.
    pub repeat_window: Duration,
    /// How long a confirmation or a problem stays on screen.
    pub show: Duration,
}

/// Where the card service stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    /// Nothing heard yet.
    Unknown,
    Up,
    Down,
}

/// A card in a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Inserted, not read yet.
    Reading,
    /// Read (or found unreadable): nothing more for this insertion.
    Done,
}

/// The station's state.
#[derive(Debug)]
pub struct Station {
    settings: Settings,
    people: HashMap<CardBinding, String>,
    place: String,
    service: Service,
    readers: BTreeSet<String>,
    cards: BTreeMap<String, Phase>,
    last_taps: HashMap<CardBinding, Timestamp>,
    showing: Option<(StationView, i64)>,
}

impl Station {
    /// A station with no roster yet.
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            people: HashMap::new(),
            place: String::new(),
            service: Service::Unknown,
            readers: BTreeSet::new(),
            cards: BTreeMap::new(),
            last_taps: HashMap::new(),
            showing: None,
        }
    }

    /// Takes in whom the station recognises and where it stands, as the
    /// center last sent them.
    pub fn set_roster(&mut self, people: &[Person], info: Option<&StationInfo>) {
        self.people = people
            .iter()
            .flat_map(|p| p.cards.iter().map(|c| (c.clone(), p.name.clone())))
            .collect();
        if let Some(info) = info {
            self.place.clone_from(&info.place);
        }
    }

    /// How many cards the roster holds.
    pub fn roster_cards(&self) -> usize {
        self.people.len()
    }

    /// A tap recorded before (at start, from the outbox).
    pub fn remember(&mut self, card: CardBinding, at: Timestamp) {
        self.last_taps.insert(card, at);
    }

    /// A report from the card service.
    pub fn card(&mut self, report: CardReport, now: &Timestamp) -> Vec<Effect> {
        match report {
            CardReport::ServiceUp => {
                self.service = Service::Up;
                Vec::new()
            }
            CardReport::ServiceDown => {
                self.service = Service::Down;
                self.readers.clear();
                self.cards.clear();
                Vec::new()
            }
            CardReport::ReaderAttached { reader } => {
                self.service = Service::Up;
                self.readers.insert(reader);
                Vec::new()
            }
            CardReport::ReaderDetached { reader } => {
                self.readers.remove(&reader);
                self.cards.remove(&reader);
                Vec::new()
            }
            CardReport::Inserted { reader } => {
                self.cards.insert(reader, Phase::Reading);
                Vec::new()
            }
            CardReport::Identified {
                reader, identity, ..
            } => {
                if self.cards.insert(reader, Phase::Done) == Some(Phase::Done) {
                    return Vec::new(); // this insertion was counted
                }
                self.identified(&identity, now)
            }
            CardReport::Unusable { reader, why } => {
                tracing::info!(%reader, %why, "a card that cannot be read");
                if self.cards.insert(reader, Phase::Done) == Some(Phase::Done) {
                    return Vec::new();
                }
                self.show(StationView::Unreadable, now);
                vec![Effect::Chime(Chime::Error)]
            }
            CardReport::Removed { reader } => {
                if self.cards.remove(&reader) == Some(Phase::Reading) {
                    self.show(StationView::CardLeft, now);
                    return vec![Effect::Chime(Chime::Error)];
                }
                Vec::new()
            }
        }
    }

    fn identified(&mut self, identity: &Identity, now: &Timestamp) -> Vec<Effect> {
        let Some(card) = binding(identity) else {
            self.show(StationView::Unreadable, now);
            return vec![Effect::Chime(Chime::Error)];
        };
        let Some(name) = self.people.get(&card).cloned() else {
            tracing::info!(kind = identity.kind(), "a card nobody registered here");
            self.show(StationView::UnknownCard, now);
            return vec![Effect::Chime(Chime::Error)];
        };
        if let Some(last) = self.last_taps.get(&card) {
            let elapsed = now.unix_millis() - last.unix_millis();
            let window = i64::try_from(self.settings.repeat_window.as_millis()).unwrap_or(i64::MAX);
            if (0..window).contains(&elapsed) {
                let time = hour_minute(last);
                self.show(StationView::AlreadyConfirmed { name, time }, now);
                return vec![Effect::Chime(Chime::Saved)];
            }
        }
        vec![Effect::RecordTap { card, name }]
    }

    /// The loop's answer to [`Effect::RecordTap`]: `stored` when the tap is
    /// committed to the outbox.
    pub fn tap_recorded(
        &mut self,
        card: CardBinding,
        name: String,
        stored: bool,
        now: &Timestamp,
    ) -> Vec<Effect> {
        if stored {
            self.last_taps.insert(card, *now);
            let time = hour_minute(now);
            self.show(StationView::Confirmed { name, time }, now);
            vec![Effect::Chime(Chime::Saved)]
        } else {
            self.show(StationView::SaveFailed, now);
            vec![Effect::Chime(Chime::Error)]
        }
    }

    fn show(&mut self, view: StationView, now: &Timestamp) {
        let show = i64::try_from(self.settings.show.as_millis()).unwrap_or(i64::MAX);
        self.showing = Some((view, now.unix_millis().saturating_add(show)));
    }

    /// Whether the reader is missing: pcscd down, or no reader attached.
    pub fn no_reader(&self) -> bool {
        match self.service {
            Service::Unknown => false,
            Service::Down => true,
            Service::Up => self.readers.is_empty(),
        }
    }

    /// What the screen shows at `now`.
    pub fn view(&self, now: &Timestamp) -> StationView {
        if self.no_reader() {
            return StationView::NoReader;
        }
        match &self.showing {
            Some((view, until)) if now.unix_millis() < *until => view.clone(),
            _ => StationView::Idle {
                place: self.place.clone(),
                clock: date_time(now),
            },
        }
    }
}

/// How the roster names this card.
pub fn binding(identity: &Identity) -> Option<CardBinding> {
    match identity {
        Identity::Jpki { fingerprint, .. } => Some(CardBinding::Jpki(JpkiBinding {
            cert_fingerprint: *fingerprint,
        })),
        Identity::Uid { uid } => CardUid::from_bytes(uid)
            .ok()
            .map(|uid| CardBinding::CardUid(UidBinding { uid })),
    }
}

#[cfg(test)]
mod tests;
