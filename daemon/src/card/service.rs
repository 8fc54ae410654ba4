//! The card service: one thread owns the PC/SC context, blocks in
//! `SCardGetStatusChange` (readers and `\\?PnP?\Notification`), and reports
//! what happens as [`CardReport`]s. It identifies each inserted card
//! ([`super::identify`]), keeps the connection while the card is in, and
//! carries out the daemon's PIN checks and signatures on that connection.
//!
//! pcscd absent at boot, or restarted later, is survived: the context is
//! established again after a growing pause (0.2 s up to 2 s), waiting on the
//! request channel so that a stop is immediate. A request wakes the
//! blocked thread with `SCardCancel`; dropping the [`CardService`] stops the
//! thread and joins it.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pcsc::{
    Context, Disposition, PNP_NOTIFICATION, Protocols, ReaderState, Scope, ShareMode, State,
};
use tokio::sync::oneshot;

use super::pcsc_transport::from_pcsc;
use super::{CardError, Identity, Pin, PinCheck, PinStatus, identify, jpki};

/// What the card service saw.
#[derive(Debug, Clone)]
pub enum CardReport {
    /// pcscd answers (at start, and after it came back).
    ServiceUp,
    /// pcscd is not running or went away; the service keeps trying.
    ServiceDown,
    /// A reader appeared.
    ReaderAttached {
        /// Its PC/SC name.
        reader: String,
    },
    /// A reader went away (unplugged, or pcscd stopped).
    ReaderDetached {
        /// Its PC/SC name.
        reader: String,
    },
    /// A card is in the reader; identification follows.
    Inserted {
        /// The reader.
        reader: String,
    },
    /// The card said who it is.
    Identified {
        /// The reader.
        reader: String,
        /// Who.
        identity: Identity,
        /// From the card reported present to identified.
        took: Duration,
    },
    /// A card that is neither a My Number card nor has a UID, or that
    /// does not answer sensibly.
    Unusable {
        /// The reader.
        reader: String,
        /// Why, for the log.
        why: String,
    },
    /// The card was taken out.
    Removed {
        /// The reader.
        reader: String,
    },
}

/// Where a request's answer goes (a oneshot for async callers, a channel
/// for blocking ones).
type Reply<T> = Box<dyn FnOnce(Result<T, CardError>) + Send>;

fn oneshot_reply<T: Send + 'static>() -> (Reply<T>, oneshot::Receiver<Result<T, CardError>>) {
    let (tx, rx) = oneshot::channel();
    (
        Box::new(move |result| {
            let _ = tx.send(result);
        }),
        rx,
    )
}

enum Request {
    PinStatus(String, Reply<PinStatus>),
    VerifyPin(String, Pin, Reply<PinCheck>),
    Sign(String, [u8; 32], Reply<Vec<u8>>),
}

enum Message {
    Request(Request),
    Stop,
}

#[derive(Default)]
struct Shared {
    /// The live context, for `SCardCancel` from other threads.
    context: Mutex<Option<Context>>,
    /// The thread is about to block, or blocks, in `SCardGetStatusChange`.
    waiting: AtomicBool,
    /// Messages sent / taken by the thread.
    sent: AtomicU64,
    taken: AtomicU64,
}

/// The handle of the card service thread. Dropping it stops the thread.
pub struct CardService {
    messages: mpsc::Sender<Message>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for CardService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardService")
    }
}

impl CardService {
    /// Starts the service; `report` is called on the service thread for
    /// everything it sees (keep it short: hand the report on).
    pub fn start(report: impl FnMut(CardReport) + Send + 'static) -> Self {
        Self::start_with(Vec::new(), report)
    }

    /// [`CardService::start`] watching only the readers named in `only`
    /// (every reader when it is empty): on a machine with several readers,
    /// each daemon keeps to its own.
    pub fn start_with(only: Vec<String>, report: impl FnMut(CardReport) + Send + 'static) -> Self {
        let (messages, rx) = mpsc::channel();
        let shared = Arc::new(Shared::default());
        let thread = std::thread::Builder::new()
            .name("card-service".into())
            .spawn({
                let shared = shared.clone();
                move || Service::new(rx, shared, only, Box::new(report)).run()
            })
            .expect("spawning the card service thread");
        Self {
            messages,
            shared,
            thread: Some(thread),
        }
    }

    /// The PIN's tries left on the card in `reader`, without spending one.
    pub fn pin_status(&self, reader: &str) -> oneshot::Receiver<Result<PinStatus, CardError>> {
        let (reply, rx) = oneshot_reply();
        self.send(Message::Request(Request::PinStatus(reader.into(), reply)));
        rx
    }

    /// Verifies `pin` on the My Number card in `reader`. Refused without
    /// trying (`CardError::LastTry`) when 1 try or none is left.
    pub fn verify_pin(
        &self,
        reader: &str,
        pin: Pin,
    ) -> oneshot::Receiver<Result<PinCheck, CardError>> {
        let (reply, rx) = oneshot_reply();
        self.send(Message::Request(Request::VerifyPin(
            reader.into(),
            pin,
            reply,
        )));
        rx
    }

    /// Signs a SHA-256 digest with the card in `reader` (PIN verified).
    pub fn sign(
        &self,
        reader: &str,
        digest: [u8; 32],
    ) -> oneshot::Receiver<Result<Vec<u8>, CardError>> {
        let (reply, rx) = oneshot_reply();
        self.send(Message::Request(Request::Sign(
            reader.into(),
            digest,
            reply,
        )));
        rx
    }

    /// [`Self::sign`], waiting for the card (at most `limit`). For callers
    /// that must not go on before the signature exists.
    pub fn sign_blocking(
        &self,
        reader: &str,
        digest: [u8; 32],
        limit: Duration,
    ) -> Result<Vec<u8>, CardError> {
        let (tx, rx) = mpsc::channel();
        let reply: Reply<Vec<u8>> = Box::new(move |result| {
            let _ = tx.send(result);
        });
        self.send(Message::Request(Request::Sign(
            reader.into(),
            digest,
            reply,
        )));
        rx.recv_timeout(limit).unwrap_or(Err(CardError::Stopped))
    }

    fn send(&self, message: Message) {
        let seq = self.shared.sent.fetch_add(1, Ordering::SeqCst) + 1;
        if self.messages.send(message).is_err() {
            return; // the thread is gone; the reply sender was dropped with it
        }
        self.kick(seq);
    }

    /// Wakes the thread until it has taken message `seq`. While it blocks
    /// in `SCardGetStatusChange` one `SCardCancel` does; a cancel that
    /// arrives just before it blocks is lost, hence the short retries.
    fn kick(&self, seq: u64) {
        for _ in 0..2000 {
            if self.shared.taken.load(Ordering::SeqCst) >= seq
                || !self.shared.waiting.load(Ordering::SeqCst)
            {
                return;
            }
            if let Some(context) = self.shared.context.lock().map(|c| c.clone()).ok().flatten() {
                let _ = context.cancel();
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

impl Drop for CardService {
    fn drop(&mut self) {
        self.send(Message::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A reader as the thread knows it.
#[derive(Default)]
struct Reader {
    /// Connected while a card is in (and answered).
    card: Option<pcsc::Card>,
    /// The card is in (reported `Inserted`).
    present: bool,
    identity: Option<Identity>,
}

enum Ended {
    Stop,
    Lost,
}

struct Service {
    rx: mpsc::Receiver<Message>,
    shared: Arc<Shared>,
    report: Box<dyn FnMut(CardReport) + Send>,
    /// The readers watched, by name; empty: all.
    only: Vec<String>,
    readers: BTreeMap<String, Reader>,
}

const FIRST_PAUSE: Duration = Duration::from_millis(200);
const LONGEST_PAUSE: Duration = Duration::from_secs(2);

impl Service {
    fn new(
        rx: mpsc::Receiver<Message>,
        shared: Arc<Shared>,
        only: Vec<String>,
        report: Box<dyn FnMut(CardReport) + Send>,
    ) -> Self {
        Self {
            rx,
            shared,
            only,
            report,
            readers: BTreeMap::new(),
        }
    }

    fn run(mut self) {
        let mut pause = FIRST_PAUSE;
        let mut down_reported = false;
        loop {
            match Context::establish(Scope::User) {
                Ok(context) => {
                    pause = FIRST_PAUSE;
                    *self
                        .shared
                        .context
                        .lock()
                        .unwrap_or_else(|e| e.into_inner()) = Some(context.clone());
                    (self.report)(CardReport::ServiceUp);
                    let ended = self.watch(&context);
                    *self
                        .shared
                        .context
                        .lock()
                        .unwrap_or_else(|e| e.into_inner()) = None;
                    self.forget_readers();
                    match ended {
                        Ended::Stop => return,
                        Ended::Lost => {
                            tracing::warn!("pcscd went away; reconnecting");
                            (self.report)(CardReport::ServiceDown);
                            down_reported = true;
                        }
                    }
                }
                Err(error) => {
                    if !down_reported {
                        tracing::warn!("pcscd is not available ({error}); retrying");
                        (self.report)(CardReport::ServiceDown);
                        down_reported = true;
                    }
                }
            }
            // Wait before trying again, answering requests meanwhile.
            let until = Instant::now() + pause;
            pause = (pause * 2).min(LONGEST_PAUSE);
            loop {
                let left = until.saturating_duration_since(Instant::now());
                match self.rx.recv_timeout(left) {
                    Ok(message) => {
                        self.shared.taken.fetch_add(1, Ordering::SeqCst);
                        match message {
                            Message::Stop => return,
                            Message::Request(request) => refuse(request, CardError::NoService),
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        }
    }

    /// Watches the readers until stopped or pcscd is lost.
    fn watch(&mut self, context: &Context) -> Ended {
        let mut states = vec![ReaderState::new(PNP_NOTIFICATION(), State::UNAWARE)];
        loop {
            if let Err(ended) = self.update_readers(context, &mut states) {
                return ended;
            }
            for state in &mut states {
                state.sync_current_state();
            }
            self.shared.waiting.store(true, Ordering::SeqCst);
            while let Ok(message) = self.rx.try_recv() {
                self.shared.taken.fetch_add(1, Ordering::SeqCst);
                match message {
                    Message::Stop => {
                        self.shared.waiting.store(false, Ordering::SeqCst);
                        return Ended::Stop;
                    }
                    Message::Request(request) => self.serve(request),
                }
            }
            let result = context.get_status_change(None, &mut states);
            self.shared.waiting.store(false, Ordering::SeqCst);
            match result {
                Ok(()) | Err(pcsc::Error::Cancelled) | Err(pcsc::Error::Timeout) => {}
                Err(error) => {
                    tracing::warn!("SCardGetStatusChange: {error}");
                    return Ended::Lost;
                }
            }
            for state in states.iter().skip(1) {
                let Ok(name) = state.name().to_str() else {
                    continue;
                };
                let name = name.to_owned();
                self.reader_changed(context, &name, state.event_state());
            }
        }
    }

    /// Adds readers that appeared and drops those that went away.
    fn update_readers(
        &mut self,
        context: &Context,
        states: &mut Vec<ReaderState>,
    ) -> Result<(), Ended> {
        let mut names = match context.list_readers_owned() {
            Ok(names) => names,
            Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
            Err(error) => {
                tracing::warn!("SCardListReaders: {error}");
                return Err(Ended::Lost);
            }
        };
        if !self.only.is_empty() {
            names.retain(|n| n.to_str().is_ok_and(|n| self.only.iter().any(|o| o == n)));
        }
        let dead: Vec<usize> = states
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, s)| {
                s.event_state().intersects(State::UNKNOWN | State::IGNORE)
                    || !names.iter().any(|n| n.as_c_str() == s.name())
            })
            .map(|(i, _)| i)
            .collect();
        for i in dead.into_iter().rev() {
            let state = states.remove(i);
            if let Ok(name) = state.name().to_str() {
                self.detach(name);
            }
        }
        for name in names {
            if states.iter().any(|s| s.name() == name.as_c_str()) {
                continue;
            }
            let Ok(text) = name.to_str() else {
                continue;
            };
            let text = text.to_owned();
            tracing::info!(reader = %text, "reader attached");
            self.readers.insert(text.clone(), Reader::default());
            (self.report)(CardReport::ReaderAttached { reader: text });
            states.push(ReaderState::new(name, State::UNAWARE));
        }
        Ok(())
    }

    fn detach(&mut self, name: &str) {
        if let Some(mut reader) = self.readers.remove(name) {
            if let Some(card) = reader.card.take() {
                let _ = card.disconnect(Disposition::LeaveCard);
            }
            if reader.present {
                (self.report)(CardReport::Removed {
                    reader: name.to_owned(),
                });
            }
            tracing::info!(reader = %name, "reader detached");
            (self.report)(CardReport::ReaderDetached {
                reader: name.to_owned(),
            });
        }
    }

    fn forget_readers(&mut self) {
        let names: Vec<String> = self.readers.keys().cloned().collect();
        for name in names {
            self.detach(&name);
        }
    }

    fn reader_changed(&mut self, context: &Context, name: &str, state: State) {
        let present = self.readers.get(name).is_some_and(|r| r.present);
        let now_present = state.contains(State::PRESENT);
        if present && !now_present {
            self.card_gone(name);
            return;
        }
        if !present && now_present {
            let since = Instant::now();
            (self.report)(CardReport::Inserted {
                reader: name.to_owned(),
            });
            let reader = self.readers.entry(name.to_owned()).or_default();
            reader.present = true;
            if state.contains(State::MUTE) {
                (self.report)(CardReport::Unusable {
                    reader: name.to_owned(),
                    why: "the card does not answer (mute)".into(),
                });
                return;
            }
            self.identify(context, name, since);
        }
    }

    fn card_gone(&mut self, name: &str) {
        if let Some(reader) = self.readers.get_mut(name) {
            reader.present = false;
            reader.identity = None;
            if let Some(card) = reader.card.take() {
                let _ = card.disconnect(Disposition::LeaveCard);
            }
        }
        (self.report)(CardReport::Removed {
            reader: name.to_owned(),
        });
    }

    fn identify(&mut self, context: &Context, name: &str, since: Instant) {
        let reader_name = CString::new(name).unwrap_or_default();
        // Every disconnect leaves the card as it is: resetting a card that
        // just left upsets vpcd (the reader misses the next card) and costs
        // a real reader a power cycle for nothing.
        let result = context
            .connect(&reader_name, ShareMode::Shared, Protocols::ANY)
            .map_err(from_pcsc)
            .and_then(|mut card| match identify(&mut card) {
                Ok(identity) => Ok((card, identity)),
                Err(error) => {
                    let _ = card.disconnect(Disposition::LeaveCard);
                    Err(error)
                }
            });
        let report = match result {
            Ok((card, Some(identity))) => {
                let took = since.elapsed();
                tracing::info!(reader = %name, kind = identity.kind(), ?took, "card identified");
                if let Some(reader) = self.readers.get_mut(name) {
                    reader.card = Some(card);
                    reader.identity = Some(identity.clone());
                }
                CardReport::Identified {
                    reader: name.to_owned(),
                    identity,
                    took,
                }
            }
            Ok((card, None)) => {
                let _ = card.disconnect(Disposition::LeaveCard);
                CardReport::Unusable {
                    reader: name.to_owned(),
                    why: "neither a My Number card nor a card with a UID".into(),
                }
            }
            Err(CardError::Removed) => {
                tracing::info!(reader = %name, "card removed while it was being read");
                self.card_gone(name);
                return;
            }
            Err(error) => CardReport::Unusable {
                reader: name.to_owned(),
                why: error.to_string(),
            },
        };
        (self.report)(report);
    }

    fn serve(&mut self, request: Request) {
        match request {
            Request::PinStatus(reader, reply) => {
                reply(self.with_jpki(&reader, jpki::pin_status));
            }
            Request::VerifyPin(reader, pin, reply) => {
                reply(
                    self.with_jpki(&reader, |card| match jpki::pin_status(card)? {
                        PinStatus::Verified => Ok(PinCheck::Ok),
                        PinStatus::Locked => Ok(PinCheck::Locked),
                        PinStatus::TriesLeft(n) if n <= 1 => Err(CardError::LastTry(n)),
                        PinStatus::TriesLeft(_) => jpki::verify_pin(card, &pin),
                    }),
                );
            }
            Request::Sign(reader, digest, reply) => {
                reply(self.with_jpki(&reader, |card| jpki::sign(card, &digest)));
            }
        }
    }

    fn with_jpki<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut pcsc::Card) -> Result<T, CardError>,
    ) -> Result<T, CardError> {
        let reader = self
            .readers
            .get_mut(name)
            .ok_or_else(|| CardError::NoCard(name.to_owned()))?;
        match reader.identity {
            Some(Identity::Jpki { .. }) => {}
            Some(Identity::Uid { .. }) => return Err(CardError::NotJpki),
            None => return Err(CardError::NoCard(name.to_owned())),
        }
        let card = reader
            .card
            .as_mut()
            .ok_or_else(|| CardError::NoCard(name.to_owned()))?;
        f(card)
    }
}

fn refuse(request: Request, error: CardError) {
    match request {
        Request::PinStatus(_, reply) => reply(Err(error)),
        Request::VerifyPin(_, _, reply) => reply(Err(error)),
        Request::Sign(_, _, reply) => reply(Err(error)),
    }
}
