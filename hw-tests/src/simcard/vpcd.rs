//! A card as vpcd sees it: a TCP client of the virtual reader's port.
//! Connecting inserts the card, closing removes it. Each frame is a 2-byte
//! big-endian length and a payload; a 1-byte payload from vpcd is a control
//! byte (`00` power off, `01` power on, `02` reset, `04` send the ATR), a
//! longer one a command APDU answered with data ‖ SW1 SW2.
//!
//! Latency: vpcd writes length and payload separately, so with Nagle and
//! delayed ACKs every APDU costs ~40 ms. The card's socket sets
//! `TCP_NODELAY`, re-arms `TCP_QUICKACK` before each read, and writes each
//! answer in one write.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context as _;

use super::{Card, Log};

/// vpcd's first reader, `Virtual PCD 00 00`.
pub const SLOT_0: u16 = 35963;
/// vpcd's second reader, `Virtual PCD 00 01`.
pub const SLOT_1: u16 = 35964;

/// The PC/SC name of the reader on `port`.
pub fn reader_name(port: u16) -> String {
    format!("Virtual PCD 00 {:02}", port.saturating_sub(SLOT_0))
}

/// What a card does on its own, on demand.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Wait this long before each answer (a slow card).
    pub delay: Option<Duration>,
    /// Leave the reader (close the socket) on receiving a command whose
    /// bytes start with this prefix, without answering it.
    pub remove_on: Option<Vec<u8>>,
    /// Answer every command with one meaningless byte.
    pub garbage: bool,
}

/// A card in a virtual reader. [`Inserted::remove`] (or drop) takes it out.
pub struct Inserted {
    stream: TcpStream,
    thread: Option<JoinHandle<()>>,
    log: Log,
    faults: Arc<Mutex<Faults>>,
}

impl Inserted {
    /// Inserts `card` into vpcd's reader on `port` (127.0.0.1).
    pub fn insert(port: u16, card: Box<dyn Card>) -> anyhow::Result<Self> {
        Self::insert_with(port, card, Faults::default())
    }

    /// Inserts `card` with `faults` from the start.
    pub fn insert_with(port: u16, mut card: Box<dyn Card>, faults: Faults) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port)).with_context(|| {
            format!(
                "connecting to vpcd on 127.0.0.1:{port} (is pcscd with vsmartcard-vpcd running?)"
            )
        })?;
        stream.set_nodelay(true)?;
        let log = Log::default();
        let faults = Arc::new(Mutex::new(faults));
        let thread = std::thread::Builder::new()
            .name(format!("simcard-{port}"))
            .spawn({
                let stream = stream.try_clone()?;
                let log = log.clone();
                let faults = faults.clone();
                move || {
                    let _ = serve(stream, card.as_mut(), &log, &faults);
                }
            })?;
        Ok(Self {
            stream,
            thread: Some(thread),
            log,
            faults,
        })
    }

    /// Every command APDU the card received, in order.
    pub fn log(&self) -> Vec<Vec<u8>> {
        self.log.commands()
    }

    /// Changes the card's behaviour from now on.
    pub fn set_faults(&self, faults: Faults) {
        *self.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    /// Whether the card is still in the reader (it leaves by itself on a
    /// `remove_on` command, or when pcscd goes away).
    pub fn is_in(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Takes the card out; returns the commands it received.
    pub fn remove(mut self) -> Vec<Vec<u8>> {
        self.stop();
        self.log.commands()
    }

    fn stop(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Inserted {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(
    mut stream: TcpStream,
    card: &mut dyn Card,
    log: &Log,
    faults: &Mutex<Faults>,
) -> std::io::Result<()> {
    loop {
        let _ = socket2::SockRef::from(&stream).set_tcp_quickack(true);
        let mut len = [0u8; 2];
        stream.read_exact(&mut len)?;
        let mut payload = vec![0u8; usize::from(u16::from_be_bytes(len))];
        stream.read_exact(&mut payload)?;
        let answer = match payload.as_slice() {
            [0x00] => {
                card.power(false);
                continue;
            }
            [0x01] | [0x02] => {
                card.power(true);
                continue;
            }
            [0x04] => card.atr(),
            [_] => continue,
            apdu => {
                log.push(apdu);
                let faults = faults.lock().unwrap_or_else(|e| e.into_inner()).clone();
                if faults
                    .remove_on
                    .as_ref()
                    .is_some_and(|p| apdu.starts_with(p))
                {
                    let _ = stream.shutdown(Shutdown::Both);
                    return Ok(());
                }
                if let Some(delay) = faults.delay {
                    std::thread::sleep(delay);
                }
                if faults.garbage {
                    vec![0x42]
                } else {
                    card.apdu(apdu)
                }
            }
        };
        let mut frame = Vec::with_capacity(answer.len() + 2);
        frame.extend_from_slice(
            &u16::try_from(answer.len())
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        frame.extend_from_slice(&answer);
        stream.write_all(&frame)?;
    }
}
