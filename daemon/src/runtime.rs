//! `mimamorid run`: the box's loop. One `select!` over the inputs (remote
//! keys, cards, sync results), a one-second tick and heartbeats; each input
//! goes to the UI's state machine, its effects are carried out (a confirmed
//! check-in is committed to the outbox before the UI hears it was saved),
//! and the screen is drawn when it changed. Syncing runs as its own task.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use mimamori_protocol::{
    Authentication, CardBinding, CheckupRecord, EventBody, EventId, Heartbeat, Notice,
    ResidentInfo, Standing, UidProof,
};
use mimamori_remote_ui::{App, BoxData, CardEvent, Effect, Event, Renderer, Screen, SyncStatus};
use tokio::sync::{Notify, mpsc};

use crate::card::link::{CardLink, Held};
use crate::card::{CardError, CardReport, CardService, PinCheck};
use crate::clock::BoxClock;
use crate::config::{Config, Display};
use crate::devices::{Devices, Running};
use crate::display::{Framebuffer, Geometry};
use crate::outbox::Outbox;
use crate::sync::{SyncClient, backoff};
use crate::systemd::Notifier;
use crate::virtual_tv::{self, VirtualTv};

/// Something for the loop to handle.
#[derive(Debug)]
pub enum Input {
    /// An event for the UI (a key, a held key, the call button).
    Ui(Event),
    /// A card was inserted; its UID.
    CardInserted(Vec<u8>),
    /// The card was removed.
    CardRemoved,
    /// News from the card service (PC/SC readers).
    Card(CardReport),
    /// The card's answer to a PIN.
    PinChecked(Result<PinCheck, CardError>),
    /// A sync finished: `Ok` online, `Err` offline (with why).
    Synced(Result<(), String>),
    /// The box's own parts: call button, room sensor.
    Hardware(crate::hardware::HardwareEvent),
}

/// Where frames go.
pub(crate) enum Output {
    Framebuffer(Framebuffer),
    Virtual(VirtualTv, u32, u32),
}

/// Opens the configured display: the framebuffer, or the virtual TV page
/// (whose keys and card buttons arrive on `inputs`).
pub(crate) async fn open_output(
    config: &Config,
    inputs: &mpsc::Sender<Input>,
) -> anyhow::Result<Output> {
    Ok(match &config.display {
        Display::Fbdev { device, sysfs, bgr } => {
            let geometry = Geometry::from_sysfs(sysfs, *bgr)?;
            Output::Framebuffer(Framebuffer::open(device, geometry)?)
        }
        Display::Virtual {
            listen,
            width,
            height,
            card_dock,
        } => {
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| {
                    format!("the virtual TV cannot listen on {listen} (display.listen)")
                })?;
            let (tv, address) =
                virtual_tv::serve(listener, inputs.clone(), card_dock.clone()).await?;
            tracing::info!("virtual TV on http://{address}/");
            if let Some(dock) = card_dock {
                tracing::info!("the virtual TV's cards come from the card dock at {dock}");
            }
            Output::Virtual(tv, *width, *height)
        }
    })
}

/// Draws `screen` on the output.
pub(crate) fn show(
    renderer: &mut Renderer,
    output: &mut Output,
    screen: &Screen,
) -> anyhow::Result<()> {
    match output {
        Output::Framebuffer(fb) => {
            let g = fb.geometry();
            let frame = renderer.render(screen, g.width, g.height);
            fb.show(&frame)?;
        }
        Output::Virtual(tv, width, height) => {
            let frame = renderer.render(screen, *width, *height);
            tv.show(
                frame.to_png()?,
                format!("{:?}", screen.kind),
                screen.title.clone(),
                screen.big.iter().chain(&screen.lines).cloned().collect(),
            );
        }
    }
    Ok(())
}

/// Runs the box (or, with `[station]`, the tap station) until `shutdown`
/// completes.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let devices = Devices::open(&config);
    run_with(config, devices, shutdown).await
}

/// Runs the box (or the tap station) with these devices (tests bring
/// stand-ins).
pub async fn run_with(
    config: Config,
    devices: Devices,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    if let Some(settings) = config.station {
        return crate::station::run::run_with(config, settings, devices, shutdown).await;
    }
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "creating the data directory {} (data_dir)",
            config.data_dir.display()
        )
    })?;
    let path = config.data_dir.join("box.sqlite3");
    let mut outbox = Outbox::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let clock = BoxClock::new(config.time_zone.clone(), config.clock_offset_file.clone());
    let now = move || clock.now();
    let started = Instant::now();

    let (inputs, mut rx) = mpsc::channel::<Input>(64);
    let mut devices = Running::start(devices, inputs.clone());
    let sync_now = Arc::new(Notify::new());
    if let Some(selection) = config.input_devices.clone() {
        tokio::spawn(crate::input::devices::run(
            selection,
            config.keys.clone(),
            inputs.clone(),
        ));
    }
    tokio::spawn(sync_loop(
        config.clone(),
        path.clone(),
        inputs.clone(),
        sync_now.clone(),
    ));

    let mut output = open_output(&config, &inputs).await?;
    let mut renderer = Renderer::system()?;
    let data = box_data(&outbox)?;
    set_cards(&output, &data);
    let mut app = App::with_data(data, now());
    app.set_reminder_policy(config.reminder);
    app.handle(Event::Sync(SyncStatus::Offline));
    let mut link = CardLink::default();
    let cards = config.card_reader.then(|| {
        let inputs = inputs.clone();
        CardService::start_with(config.card_readers.clone(), move |report| {
            let _ = inputs.blocking_send(Input::Card(report));
        })
    });
    let mut last_key_at = None;
    let mut key_seen: Option<Instant> = None;
    let mut shown: Option<Screen> = None;
    draw(&mut app, &mut renderer, &mut output, &mut shown)?;
    let systemd = Notifier::from_env();
    systemd.ready();
    systemd.status("showing the TV; waiting for the center");
    tracing::info!(
        "the box is up, first frame in {} ms",
        started.elapsed().as_millis()
    );
    let mut watchdog = systemd.watchdog_interval().map(tokio::time::interval);

    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut heartbeat = tokio::time::interval(config.heartbeat_interval);
    tokio::pin!(shutdown);
    loop {
        let mut events = Vec::new();
        tokio::select! {
            () = &mut shutdown => break,
            () = watchdog_tick(&mut watchdog) => systemd.watchdog(),
            _ = tick.tick() => events.push(Event::Tick(now())),
            _ = heartbeat.tick() => {
                let body = EventBody::Heartbeat(Heartbeat {
                    uptime_s: started.elapsed().as_secs(),
                    last_key_at,
                    tv_power: None,
                    room: devices.room(),
                    software_version: env!("CARGO_PKG_VERSION").to_owned(),
                    pending_events: u32::try_from(outbox.pending_count().unwrap_or(0)).unwrap_or(u32::MAX),
                });
                match outbox.record(body, now()) {
                    Ok(_) => sync_now.notify_one(),
                    Err(e) => tracing::error!("cannot record a heartbeat: {e}"),
                }
            }
            Some(input) = rx.recv() => match input {
                Input::Ui(event) => {
                    last_key_at = Some(now());
                    key_seen = Some(Instant::now());
                    events.push(event);
                }
                Input::CardInserted(uid) => {
                    let residents = section::<Vec<ResidentInfo>>(&outbox, "residents")?;
                    events.push(Event::Card(link.on_virtual_insert(&uid, &residents)));
                }
                Input::CardRemoved => events.push(Event::Card(link.on_virtual_remove())),
                Input::Card(report) => {
                    let residents = section::<Vec<ResidentInfo>>(&outbox, "residents")?;
                    events.extend(link.on_report(report, &residents).map(Event::Card));
                }
                Input::PinChecked(result) => events.push(match CardLink::pin_result(result) {
                    Some(result) => Event::Pin(result),
                    None => Event::Card(CardEvent::Removed),
                }),
                Input::Synced(Ok(())) => {
                    systemd.status(&format!("online; {} events wait for the center", outbox.pending_count().unwrap_or(0)));
                    let data = box_data(&outbox)?;
                    set_cards(&output, &data);
                    events.push(Event::Data(Box::new(data)));
                    events.push(Event::Sync(SyncStatus::Online));
                }
                Input::Synced(Err(why)) => {
                    systemd.status(&format!("offline ({why}); {} events wait for the center", outbox.pending_count().unwrap_or(0)));
                    events.push(Event::Sync(SyncStatus::Offline));
                }
                Input::Hardware(event) => events.extend(devices.event(event)),
            },
        }
        while let Some(event) = events.pop() {
            for effect in app.handle(event) {
                if devices.effect(&effect) {
                    continue;
                }
                let card = Card {
                    link: &link,
                    service: cards.as_ref(),
                    inputs: &inputs,
                };
                if let Some(back) = carry_out(effect, &mut outbox, &card, &now, &sync_now, key_seen)
                {
                    events.push(back);
                }
            }
        }
        draw(&mut app, &mut renderer, &mut output, &mut shown)?;
    }
    systemd.stopping();
    // The card thread may wait to hand in a report: close the channel
    // before joining it.
    drop(rx);
    drop(cards);
    tracing::info!(
        "the box stops; {} events wait for the center",
        outbox.pending_count().unwrap_or(0)
    );
    Ok(())
}

/// Completes at the next watchdog ping, or never without a watchdog.
pub(crate) async fn watchdog_tick(watchdog: &mut Option<tokio::time::Interval>) {
    match watchdog {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// The card side of [`carry_out`].
struct Card<'a> {
    link: &'a CardLink,
    service: Option<&'a CardService>,
    inputs: &'a mpsc::Sender<Input>,
}

/// How long the box waits for a card's signature.
const SIGNING_LIMIT: Duration = Duration::from_secs(10);

/// Does what the UI asked; returns an event to feed back, if any.
fn carry_out(
    effect: Effect,
    outbox: &mut Outbox,
    card: &Card<'_>,
    now: &impl Fn() -> mimamori_protocol::Timestamp,
    sync_now: &Notify,
    key_seen: Option<Instant>,
) -> Option<Event> {
    match effect {
        Effect::SaveCheckIn(draft) => {
            let Some(held) = card.link.held().filter(|h| h.resident() == draft.resident) else {
                tracing::warn!("a check-in was confirmed without its card in the reader");
                return Some(Event::SaveFailed);
            };
            let id = EventId::generate();
            let at = now();
            let check_in = match held {
                Held::Uid { uid, .. } => {
                    draft.into_check_in(Authentication::CardUid(UidProof { uid: uid.clone() }))
                }
                Held::Jpki {
                    reader,
                    fingerprint,
                    ..
                } => {
                    let Some(service) = card.service else {
                        return Some(Event::SaveFailed);
                    };
                    match crate::card::sign_check_in(
                        service,
                        reader,
                        *fingerprint,
                        draft,
                        id,
                        &at,
                        SIGNING_LIMIT,
                    ) {
                        Ok(check_in) => check_in,
                        Err(e) => {
                            tracing::warn!("the card did not sign the check-in: {e}");
                            return Some(Event::SaveFailed);
                        }
                    }
                }
            };
            match outbox.record_as(id, EventBody::CheckIn(check_in), at) {
                Ok(event) => {
                    let key_to_commit_ms = key_seen.map(|t| t.elapsed().as_secs_f64() * 1000.0);
                    tracing::info!(
                        event = %event.id,
                        seq = event.seq,
                        key_to_commit_ms,
                        "check-in recorded"
                    );
                    sync_now.notify_one();
                    None
                }
                Err(e) => {
                    tracing::error!("cannot record a check-in: {e}");
                    Some(Event::SaveFailed)
                }
            }
        }
        Effect::SendSos(sos) => {
            match outbox.record(EventBody::Sos(sos), now()) {
                Ok(event) => tracing::warn!(event = %event.id, "SOS recorded"),
                Err(e) => tracing::error!("cannot record an SOS: {e}"),
            }
            sync_now.notify_one();
            None
        }
        Effect::VerifyPin(pin) => {
            let (Some(Held::Jpki { reader, .. }), Some(service)) = (card.link.held(), card.service)
            else {
                tracing::warn!("a PIN was entered without a My Number card in a reader");
                return Some(Event::Card(CardEvent::Removed));
            };
            let Some(pin) = crate::card::Pin::new(pin.expose()) else {
                return Some(Event::Pin(mimamori_remote_ui::PinResult::Wrong {
                    tries_left: 3,
                }));
            };
            let answer = service.verify_pin(reader, pin);
            let inputs = card.inputs.clone();
            tokio::spawn(async move {
                let result = answer.await.unwrap_or(Err(CardError::Stopped));
                let _ = inputs.send(Input::PinChecked(result)).await;
            });
            None
        }
        other => {
            tracing::debug!("effect {other:?}");
            None
        }
    }
}

fn draw(
    app: &mut App,
    renderer: &mut Renderer,
    output: &mut Output,
    shown: &mut Option<Screen>,
) -> anyhow::Result<()> {
    let screen = app.screen();
    if shown.as_ref() == Some(&screen) {
        return Ok(());
    }
    show(renderer, output, &screen)?;
    *shown = Some(screen);
    Ok(())
}

fn set_cards(output: &Output, data: &BoxData) {
    if let Output::Virtual(tv, ..) = output {
        let cards = data
            .residents
            .iter()
            .flat_map(|r| {
                r.cards.iter().filter_map(move |c| match c {
                    CardBinding::CardUid(b) => Some((r.name.clone(), b.uid.to_string())),
                    CardBinding::Jpki(_) => None,
                })
            })
            .collect();
        tv.set_cards(cards);
    }
}

pub(crate) fn section<T: serde::de::DeserializeOwned + Default>(
    outbox: &Outbox,
    name: &str,
) -> anyhow::Result<T> {
    match outbox.center_data(name)? {
        Some(json) => {
            serde_json::from_str(&json).with_context(|| format!("the stored {name} section"))
        }
        None => Ok(T::default()),
    }
}

/// What the UI shows, from what the center last sent.
fn box_data(outbox: &Outbox) -> anyhow::Result<BoxData> {
    Ok(BoxData {
        residents: section::<Vec<ResidentInfo>>(outbox, "residents")?,
        notices: section::<Vec<Notice>>(outbox, "notices")?,
        read_notices: Vec::new(),
        checkups: section::<Vec<CheckupRecord>>(outbox, "checkups")?,
        standings: section::<Vec<Standing>>(outbox, "standings")?,
        history: Default::default(),
    })
}

pub(crate) async fn sync_loop(
    config: Config,
    path: PathBuf,
    inputs: mpsc::Sender<Input>,
    sync_now: Arc<Notify>,
) {
    let mut outbox = match Outbox::open(&path) {
        Ok(outbox) => outbox,
        Err(e) => {
            tracing::error!("the sync cannot open the outbox: {e}");
            return;
        }
    };
    let client = match SyncClient::with_ca(
        &config.center_url,
        &config.token,
        config.device_id.clone(),
        &config.center_ca,
    ) {
        Ok(client) => client,
        Err(e) => {
            tracing::error!("the sync cannot set up its HTTPS client ({e}); check sync.ca_file");
            return;
        }
    };
    let clock = BoxClock::new(config.time_zone.clone(), config.clock_offset_file.clone());
    let mut failures = 0u32;
    loop {
        let result = client.sync(&mut outbox, || clock.now()).await;
        let wait = match &result {
            Ok(outcome) => {
                failures = 0;
                if outcome.skew_ms.abs() > 60_000 {
                    tracing::warn!(skew_ms = outcome.skew_ms, "the box's clock is off");
                }
                Duration::from_secs(config.sync_interval_s)
            }
            Err(e) => {
                failures += 1;
                tracing::warn!("sync failed ({failures} in a row): {e}");
                backoff(failures - 1, rand::random::<f64>(), config.sync_retry)
            }
        };
        let _ = inputs
            .send(Input::Synced(result.map(|_| ()).map_err(|e| e.to_string())))
            .await;
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = sync_now.notified() => {}
        }
    }
}
