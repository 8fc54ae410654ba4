//! The card as the box's loop sees it: which card is in and whose it is,
//! the card service's reports turned into the UI's [`CardEvent`]s, PIN
//! answers into [`PinResult`]s. Pure: the residents come from the caller.

use std::collections::BTreeSet;

use mimamori_protocol::{CardBinding, CardUid, CertFingerprint, ResidentId, ResidentInfo};
use mimamori_remote_ui::{CardEvent, PinResult};

use super::{CardError, CardReport, Identity, PinCheck, PinStatus};

/// The card in the reader, once it is known to be a resident's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// A trial card (from a reader, or the virtual TV's buttons).
    Uid {
        /// Its UID.
        uid: CardUid,
        /// Whose.
        resident: ResidentId,
    },
    /// A My Number card in a PC/SC reader.
    Jpki {
        /// The reader it is in.
        reader: String,
        /// Its certificate.
        fingerprint: CertFingerprint,
        /// Whose.
        resident: ResidentId,
    },
}

impl Held {
    /// Whose card.
    pub fn resident(&self) -> ResidentId {
        match self {
            Held::Uid { resident, .. } | Held::Jpki { resident, .. } => *resident,
        }
    }
}

/// What the loop knows about cards and readers.
#[derive(Debug, Default)]
pub struct CardLink {
    held: Option<Held>,
    /// The reader of the card being shown (a card in another reader is
    /// not looked at until this one leaves).
    reader: Option<String>,
    readers: BTreeSet<String>,
    missing: bool,
}

impl CardLink {
    /// The resident's card in the reader, if any.
    pub fn held(&self) -> Option<&Held> {
        self.held.as_ref()
    }

    /// A report from the card service, as news for the UI.
    pub fn on_report(
        &mut self,
        report: CardReport,
        residents: &[ResidentInfo],
    ) -> Option<CardEvent> {
        match report {
            CardReport::ServiceUp | CardReport::Inserted { .. } => None,
            CardReport::ServiceDown => self.set_missing(true),
            CardReport::ReaderAttached { reader } => {
                self.readers.insert(reader);
                self.set_missing(false)
            }
            CardReport::ReaderDetached { reader } => {
                self.readers.remove(&reader);
                let gone = self.forget(&reader);
                if self.readers.is_empty() {
                    self.set_missing(true)
                } else {
                    gone
                }
            }
            CardReport::Removed { reader } => self.forget(&reader),
            CardReport::Unusable { reader, why } => {
                tracing::info!(reader = %reader, "unusable card: {why}");
                self.take_reader(&reader)?;
                Some(CardEvent::Unknown)
            }
            CardReport::Identified {
                reader, identity, ..
            } => {
                self.take_reader(&reader)?;
                Some(self.identified(reader, identity, residents))
            }
        }
    }

    /// The virtual TV's "insert" button: a trial card's UID.
    pub fn on_virtual_insert(&mut self, uid: &[u8], residents: &[ResidentInfo]) -> CardEvent {
        self.reader = None;
        match CardUid::from_bytes(uid) {
            Ok(uid) => self.uid_card(uid, residents),
            Err(_) => {
                self.held = None;
                CardEvent::Unknown
            }
        }
    }

    /// The virtual TV's "remove" button.
    pub fn on_virtual_remove(&mut self) -> CardEvent {
        self.held = None;
        self.reader = None;
        CardEvent::Removed
    }

    /// The card's answer to a PIN, for the UI. `None`: the card went away
    /// (a removal follows).
    pub fn pin_result(result: Result<PinCheck, CardError>) -> Option<PinResult> {
        match result {
            Ok(PinCheck::Ok) => Some(PinResult::Ok),
            Ok(PinCheck::Wrong { tries_left }) => Some(PinResult::Wrong { tries_left }),
            Ok(PinCheck::Locked) | Err(CardError::Locked) => Some(PinResult::Locked),
            // Not tried: the UI refuses at ≤ 1 as it does after a failure.
            Err(CardError::LastTry(n)) => Some(PinResult::Wrong { tries_left: n }),
            Err(error) => {
                tracing::warn!("the PIN could not be checked: {error}");
                None
            }
        }
    }

    fn take_reader(&mut self, reader: &str) -> Option<()> {
        match &self.reader {
            Some(current) if current != reader && self.held.is_some() => None,
            _ => {
                self.reader = Some(reader.to_owned());
                Some(())
            }
        }
    }

    fn forget(&mut self, reader: &str) -> Option<CardEvent> {
        if self.reader.as_deref() != Some(reader) {
            return None;
        }
        self.reader = None;
        self.held = None;
        Some(CardEvent::Removed)
    }

    fn set_missing(&mut self, missing: bool) -> Option<CardEvent> {
        if self.missing == missing {
            return None;
        }
        self.missing = missing;
        if missing {
            self.held = None;
            self.reader = None;
            Some(CardEvent::ReaderMissing)
        } else {
            Some(CardEvent::ReaderBack)
        }
    }

    fn identified(
        &mut self,
        reader: String,
        identity: Identity,
        residents: &[ResidentInfo],
    ) -> CardEvent {
        match identity {
            Identity::Uid { uid } => match CardUid::from_bytes(&uid) {
                Ok(uid) => self.uid_card(uid, residents),
                Err(_) => CardEvent::Unknown,
            },
            Identity::Jpki {
                fingerprint, pin, ..
            } => {
                let owner = residents.iter().find(|r| {
                    r.cards.iter().any(
                        |c| matches!(c, CardBinding::Jpki(b) if b.cert_fingerprint == fingerprint),
                    )
                });
                let Some(owner) = owner else {
                    self.held = None;
                    return CardEvent::Unknown;
                };
                let pin_tries_left = match pin {
                    PinStatus::Locked => {
                        self.held = None;
                        return CardEvent::Locked;
                    }
                    PinStatus::TriesLeft(n) => n,
                    PinStatus::Verified => 3,
                };
                self.held = Some(Held::Jpki {
                    reader,
                    fingerprint,
                    resident: owner.id,
                });
                CardEvent::Jpki {
                    resident: owner.id,
                    pin_tries_left,
                }
            }
        }
    }

    fn uid_card(&mut self, uid: CardUid, residents: &[ResidentInfo]) -> CardEvent {
        let owner = residents.iter().find(|r| {
            r.cards
                .iter()
                .any(|c| matches!(c, CardBinding::CardUid(b) if b.uid == uid))
        });
        match owner {
            Some(owner) => {
                self.held = Some(Held::Uid {
                    uid,
                    resident: owner.id,
                });
                CardEvent::Uid { resident: owner.id }
            }
            None => {
                self.held = None;
                CardEvent::Unknown
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use mimamori_protocol::{JpkiBinding, UidBinding};

    use super::*;
    use crate::card::CardType;

    fn residents() -> Vec<ResidentInfo> {
        let json = serde_json::json!([{
            "id": 7, "name": "山田 花子", "name_kana": "やまだ はなこ",
            "care_plan": {"reminder_at": "09:00", "deadline": "12:00"},
            "cards": []
        }]);
        let mut residents: Vec<ResidentInfo> = serde_json::from_value(json).unwrap();
        residents[0].cards = vec![
            CardBinding::Jpki(JpkiBinding {
                cert_fingerprint: CertFingerprint([1; 32]),
            }),
            CardBinding::CardUid(UidBinding {
                uid: "04A1B2C3".parse().unwrap(),
            }),
        ];
        residents
    }

    fn jpki(reader: &str, fp: u8, pin: PinStatus) -> CardReport {
        CardReport::Identified {
            reader: reader.into(),
            identity: Identity::Jpki {
                card_type: CardType::MyNumberCard,
                certificate: vec![],
                fingerprint: CertFingerprint([fp; 32]),
                pin,
            },
            took: Duration::ZERO,
        }
    }

    #[test]
    fn a_bound_my_number_card_asks_for_the_pin_with_its_tries() {
        let mut link = CardLink::default();
        let r = residents();
        assert_eq!(
            link.on_report(jpki("A", 1, PinStatus::TriesLeft(2)), &r),
            Some(CardEvent::Jpki {
                resident: ResidentId(7),
                pin_tries_left: 2
            })
        );
        assert_eq!(link.held().unwrap().resident(), ResidentId(7));
        // A card in the other reader meanwhile is not looked at.
        assert_eq!(
            link.on_report(jpki("B", 2, PinStatus::TriesLeft(3)), &r),
            None
        );
        assert_eq!(
            link.on_report(CardReport::Removed { reader: "B".into() }, &r),
            None
        );
        assert_eq!(
            link.on_report(CardReport::Removed { reader: "A".into() }, &r),
            Some(CardEvent::Removed)
        );
        assert!(link.held().is_none());
    }

    #[test]
    fn locked_unknown_and_unusable_cards() {
        let mut link = CardLink::default();
        let r = residents();
        assert_eq!(
            link.on_report(jpki("A", 1, PinStatus::Locked), &r),
            Some(CardEvent::Locked)
        );
        assert_eq!(
            link.on_report(jpki("A", 9, PinStatus::TriesLeft(3)), &r),
            Some(CardEvent::Unknown)
        );
        assert_eq!(
            link.on_report(
                CardReport::Unusable {
                    reader: "A".into(),
                    why: "x".into()
                },
                &r
            ),
            Some(CardEvent::Unknown)
        );
        assert!(link.held().is_none());
    }

    #[test]
    fn readers_going_and_coming() {
        let mut link = CardLink::default();
        let r = residents();
        assert_eq!(
            link.on_report(CardReport::ReaderAttached { reader: "A".into() }, &r),
            None
        );
        link.on_report(jpki("A", 1, PinStatus::TriesLeft(3)), &r);
        assert_eq!(
            link.on_report(CardReport::ServiceDown, &r),
            Some(CardEvent::ReaderMissing)
        );
        assert!(link.held().is_none());
        assert_eq!(
            link.on_report(CardReport::ReaderAttached { reader: "A".into() }, &r),
            Some(CardEvent::ReaderBack)
        );
        assert_eq!(
            link.on_report(CardReport::ReaderDetached { reader: "A".into() }, &r),
            Some(CardEvent::ReaderMissing)
        );
    }

    #[test]
    fn trial_cards_from_a_reader_or_the_virtual_tv() {
        let mut link = CardLink::default();
        let r = residents();
        let uid = CardReport::Identified {
            reader: "A".into(),
            identity: Identity::Uid {
                uid: vec![4, 0xA1, 0xB2, 0xC3],
            },
            took: Duration::ZERO,
        };
        assert_eq!(
            link.on_report(uid, &r),
            Some(CardEvent::Uid {
                resident: ResidentId(7)
            })
        );
        assert_eq!(link.on_virtual_remove(), CardEvent::Removed);
        assert_eq!(
            link.on_virtual_insert(&[4, 0xA1, 0xB2, 0xC3], &r),
            CardEvent::Uid {
                resident: ResidentId(7)
            }
        );
        assert_eq!(
            link.on_virtual_insert(&[1, 2, 3, 4], &r),
            CardEvent::Unknown
        );
    }

    #[test]
    fn pin_answers_for_the_ui() {
        assert_eq!(CardLink::pin_result(Ok(PinCheck::Ok)), Some(PinResult::Ok));
        assert_eq!(
            CardLink::pin_result(Err(CardError::LastTry(1))),
            Some(PinResult::Wrong { tries_left: 1 })
        );
        assert_eq!(
            CardLink::pin_result(Ok(PinCheck::Locked)),
            Some(PinResult::Locked)
        );
        assert_eq!(CardLink::pin_result(Err(CardError::Removed)), None);
    }
}
