//! ISO 7816-4 command and response APDUs, and the exchange rules real
//! readers need: `61 xx` (more data: GET RESPONSE) and `6C xx` (wrong Le:
//! send again with Le = xx). Pure: a [`Transport`] moves the bytes.

use std::fmt;

use super::CardError;

/// Moves one command APDU to the card and brings its answer back
/// (data ‖ SW1 SW2). PC/SC in the daemon; scripted in unit tests.
pub trait Transport {
    /// Sends `apdu`, returns the card's raw answer.
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError>;
}

/// A command APDU (short form: data ≤ 255 bytes, Le ≤ 256).
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    /// Class byte.
    pub cla: u8,
    /// Instruction.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data (Lc is its length).
    pub data: Vec<u8>,
    /// Expected answer length; `Some(256)` is sent as `00`.
    pub le: Option<u16>,
}

impl Command {
    /// A command without data or Le.
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
        }
    }

    /// With command data.
    pub fn data(mut self, data: &[u8]) -> Self {
        self.data = data.to_vec();
        self
    }

    /// With an expected answer length (1–256).
    pub fn le(mut self, le: u16) -> Self {
        self.le = Some(le);
        self
    }

    /// The bytes on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![self.cla, self.ins, self.p1, self.p2];
        if !self.data.is_empty() {
            // Short APDUs only: every command here carries ≤ 255 bytes.
            out.push(u8::try_from(self.data.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(&self.data);
        }
        if let Some(le) = self.le {
            out.push(if le >= 256 { 0 } else { le as u8 });
        }
        out
    }
}

impl fmt::Debug for Command {
    /// Header and lengths only: command data may be a PIN.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02X} {:02X} {:02X} {:02X} (Lc {}, Le {:?})",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len(),
            self.le
        )
    }
}

/// A response APDU: data and the status word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Response data.
    pub data: Vec<u8>,
    /// SW1 SW2.
    pub sw: u16,
}

impl Response {
    /// Splits a raw answer; fewer than two bytes is not an answer.
    pub fn parse(raw: &[u8]) -> Result<Self, CardError> {
        if raw.len() < 2 {
            return Err(CardError::Malformed("an answer shorter than a status word"));
        }
        let (data, sw) = raw.split_at(raw.len() - 2);
        Ok(Self {
            data: data.to_vec(),
            sw: u16::from_be_bytes([sw[0], sw[1]]),
        })
    }

    /// `90 00`.
    pub fn is_ok(&self) -> bool {
        self.sw == 0x9000
    }
}

/// At most this many `61 xx` rounds for one command: a card that keeps
/// saying "more" is broken.
const MAX_GET_RESPONSE: usize = 16;

/// Sends `command` and returns the whole answer: `61 xx` is followed by
/// GET RESPONSE (`00 C0 00 00 xx`) until the data is complete, `6C xx` by
/// the same command with Le = xx (once).
pub fn exchange(transport: &mut impl Transport, command: &Command) -> Result<Response, CardError> {
    let mut response = Response::parse(&transport.transmit(&command.to_bytes())?)?;
    if response.sw >> 8 == 0x6C {
        let mut again = command.clone();
        again.le = Some(match response.sw & 0xFF {
            0 => 256,
            n => n,
        });
        response = Response::parse(&transport.transmit(&again.to_bytes())?)?;
    }
    let mut data = std::mem::take(&mut response.data);
    let mut rounds = 0;
    while response.sw >> 8 == 0x61 {
        rounds += 1;
        if rounds > MAX_GET_RESPONSE {
            return Err(CardError::Malformed("endless 61xx (GET RESPONSE)"));
        }
        let le = match response.sw & 0xFF {
            0 => 256,
            n => n,
        };
        let get = Command::new(0x00, 0xC0, 0x00, 0x00).le(le);
        response = Response::parse(&transport.transmit(&get.to_bytes())?)?;
        data.append(&mut response.data);
    }
    response.data = data;
    Ok(response)
}

#[cfg(test)]
pub(crate) mod script {
    //! A transport that plays a script of expected commands and answers.

    use super::*;

    /// An expected command and the answer to give (or an error).
    type Step = (Vec<u8>, Result<Vec<u8>, CardError>);

    /// Expected commands and their answers, in order.
    pub(crate) struct Script {
        steps: std::collections::VecDeque<Step>,
        /// Every command sent, in order.
        pub(crate) sent: Vec<Vec<u8>>,
    }

    impl Script {
        pub(crate) fn new() -> Self {
            Self {
                steps: Default::default(),
                sent: Vec::new(),
            }
        }

        /// Expects `command` (hex) and answers `answer` (hex).
        pub(crate) fn expect(mut self, command: &str, answer: &str) -> Self {
            self.steps.push_back((unhex(command), Ok(unhex(answer))));
            self
        }

        /// Expects `command` (hex) with raw answer bytes.
        pub(crate) fn expect_raw(mut self, command: &str, answer: Vec<u8>) -> Self {
            self.steps.push_back((unhex(command), Ok(answer)));
            self
        }

        /// Expects `command` (hex) and fails with `error`.
        pub(crate) fn fail(mut self, command: &str, error: CardError) -> Self {
            self.steps.push_back((unhex(command), Err(error)));
            self
        }

        /// Every step was played.
        pub(crate) fn done(&self) {
            assert!(
                self.steps.is_empty(),
                "{} steps not played",
                self.steps.len()
            );
        }
    }

    pub(crate) fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    impl Transport for Script {
        fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError> {
            self.sent.push(apdu.to_vec());
            let (expected, answer) = self
                .steps
                .pop_front()
                .unwrap_or_else(|| panic!("unexpected command {}", hex::encode_upper(apdu)));
            assert_eq!(
                hex::encode_upper(apdu),
                hex::encode_upper(&expected),
                "command sent"
            );
            answer
        }
    }
}

#[cfg(test)]
mod tests {
    use super::script::Script;
    use super::*;

    #[test]
    fn commands_encode_in_short_form() {
        assert_eq!(
            Command::new(0, 0xB0, 1, 0).le(256).to_bytes(),
            [0, 0xB0, 1, 0, 0]
        );
        assert_eq!(
            Command::new(0, 0x20, 0, 0x80).data(b"1234").to_bytes(),
            [0, 0x20, 0, 0x80, 4, b'1', b'2', b'3', b'4']
        );
        assert_eq!(
            Command::new(0, 0x20, 0, 0x80).to_bytes(),
            [0, 0x20, 0, 0x80]
        );
        let debug = format!("{:?}", Command::new(0, 0x20, 0, 0x80).data(b"1234"));
        assert!(!debug.contains("31"), "{debug}");
    }

    #[test]
    fn a_short_answer_is_malformed() {
        assert!(matches!(
            Response::parse(&[0x90]),
            Err(CardError::Malformed(_))
        ));
        assert_eq!(
            Response::parse(&[1, 2, 0x90, 0]).unwrap(),
            Response {
                data: vec![1, 2],
                sw: 0x9000
            }
        );
    }

    #[test]
    fn more_data_is_fetched_with_get_response() {
        let mut card = Script::new()
            .expect("00B0000004", "3082 6104")
            .expect("00C0000004", "0102 6102")
            .expect("00C0000002", "0304 9000");
        let r = exchange(&mut card, &Command::new(0, 0xB0, 0, 0).le(4)).unwrap();
        assert_eq!(r.data, [0x30, 0x82, 1, 2, 3, 4]);
        assert!(r.is_ok());
        card.done();
    }

    #[test]
    fn a_wrong_le_is_corrected_once() {
        let mut card = Script::new()
            .expect("00B0000000", "6C20")
            .expect("00B0000020", "0102 9000");
        let r = exchange(&mut card, &Command::new(0, 0xB0, 0, 0).le(256)).unwrap();
        assert_eq!(r.data, [1, 2]);
        card.done();
    }

    #[test]
    fn endless_more_data_is_an_error() {
        let mut card = Script::new().expect("00B0000001", "6101");
        for _ in 0..MAX_GET_RESPONSE {
            card = card.expect("00C0000001", "006101");
        }
        assert!(matches!(
            exchange(&mut card, &Command::new(0, 0xB0, 0, 0).le(1)),
            Err(CardError::Malformed(_))
        ));
    }

    #[test]
    fn removal_is_passed_on() {
        let mut card = Script::new().fail("00B0000001", CardError::Removed);
        assert!(matches!(
            exchange(&mut card, &Command::new(0, 0xB0, 0, 0).le(1)),
            Err(CardError::Removed)
        ));
    }
}
