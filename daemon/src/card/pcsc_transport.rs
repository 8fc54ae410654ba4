//! [`Transport`] over a connected PC/SC card, and PC/SC errors in our terms.

use super::CardError;
use super::apdu::Transport;

/// The largest answer: a 256-byte signature, a status word, and slack.
const RECEIVE: usize = 264;

impl Transport for pcsc::Card {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError> {
        let mut buffer = [0u8; RECEIVE];
        let answer = pcsc::Card::transmit(self, apdu, &mut buffer).map_err(from_pcsc)?;
        if answer.is_empty() {
            // No status word at all: the card left mid-command (vpcd and
            // some readers report this as an empty answer, not an error).
            return Err(CardError::Removed);
        }
        Ok(answer.to_vec())
    }
}

/// A PC/SC error as the card service sees it.
pub(super) fn from_pcsc(error: pcsc::Error) -> CardError {
    use pcsc::Error as E;
    match error {
        E::RemovedCard | E::ResetCard | E::NoSmartcard | E::UnpoweredCard => CardError::Removed,
        E::NoService | E::ServiceStopped | E::CommError | E::InvalidHandle => CardError::NoService,
        other => CardError::Reader(other),
    }
}
