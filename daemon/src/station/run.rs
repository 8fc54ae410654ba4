//! The tap station's loop (`mimamorid run` with `[station]`): one
//! `select!` over card reports, a one-second tick, heartbeats and sync
//! results; each arm calls a named function. A tap is committed to the
//! outbox before the screen confirms it. Syncing runs as its own task, as
//! on a box.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use mimamori_protocol::{CardBinding, EventBody, Heartbeat, Person, StationInfo, Timestamp};
use mimamori_remote_ui::{Effect as UiEffect, Renderer, Screen};
use tokio::sync::{Notify, mpsc};

use super::logic::{Effect, Settings, Station};
use crate::card::{CardReport, CardService, Identity};
use crate::clock::BoxClock;
use crate::config::{Config, StationConfig};
use crate::devices::{Devices, Running};
use crate::outbox::Outbox;
use crate::runtime::{self, Input, Output};
use crate::systemd::Notifier;

/// The reader name of the virtual page's card buttons (without a dock).
const VIRTUAL_READER: &str = "virtual TV";

/// What the loop holds besides the state machine.
struct Parts {
    outbox: Outbox,
    devices: Running,
    sync_now: Arc<Notify>,
    clock: BoxClock,
    output: Output,
    renderer: Renderer,
    shown: Option<Screen>,
    started: Instant,
    /// For the card just identified: how long identifying took (from the
    /// card reported present) and when the loop got it; logged once its
    /// screen is drawn.
    latency: Option<(Duration, Instant)>,
}

impl Parts {
    fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

/// Runs the station until `shutdown` completes.
pub async fn run_with(
    config: Config,
    settings: StationConfig,
    devices: Devices,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "creating the data directory {} (data_dir)",
            config.data_dir.display()
        )
    })?;
    let path = config.data_dir.join("box.sqlite3");
    let outbox = Outbox::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let clock = BoxClock::new(config.time_zone.clone(), config.clock_offset_file.clone());
    let (inputs, mut rx) = mpsc::channel::<Input>(64);
    let devices = Running::start(devices, inputs.clone());
    let sync_now = Arc::new(Notify::new());
    tokio::spawn(runtime::sync_loop(
        config.clone(),
        path.clone(),
        inputs.clone(),
        sync_now.clone(),
    ));
    let output = runtime::open_output(&config, &inputs).await?;
    let mut parts = Parts {
        outbox,
        devices,
        sync_now,
        clock,
        output,
        renderer: Renderer::system()?,
        shown: None,
        started: Instant::now(),
        latency: None,
    };
    let mut station = Station::new(Settings {
        repeat_window: settings.repeat_window,
        show: settings.show,
    });
    load_roster(&mut station, &parts)?;
    remember_taps(&mut station, &mut parts, settings.repeat_window)?;
    let cards = config.card_reader.then(|| {
        let inputs = inputs.clone();
        CardService::start_with(config.card_readers.clone(), move |report| {
            let _ = inputs.blocking_send(Input::Card(report));
        })
    });
    draw(&station, &mut parts)?;
    let systemd = Notifier::from_env();
    systemd.ready();
    systemd.status("tap station; waiting for the center");
    tracing::info!(
        repeat_window_s = settings.repeat_window.as_secs(),
        show_s = settings.show.as_secs(),
        "the tap station is up"
    );
    let mut watchdog = systemd.watchdog_interval().map(tokio::time::interval);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut heartbeat = tokio::time::interval(config.heartbeat_interval);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            () = runtime::watchdog_tick(&mut watchdog) => systemd.watchdog(),
            _ = tick.tick() => {}
            _ = heartbeat.tick() => record_heartbeat(&mut parts),
            Some(input) = rx.recv() => on_input(input, &mut station, &mut parts, &systemd)?,
        }
        draw(&station, &mut parts)?;
    }
    systemd.stopping();
    // The card thread may wait to hand in a report: close the channel
    // before joining it.
    drop(rx);
    drop(cards);
    tracing::info!(
        "the tap station stops; {} events wait for the center",
        parts.outbox.pending_count().unwrap_or(0)
    );
    Ok(())
}

/// One input of the loop.
fn on_input(
    input: Input,
    station: &mut Station,
    parts: &mut Parts,
    systemd: &Notifier,
) -> anyhow::Result<()> {
    match input {
        Input::Card(report) => on_card(report, station, parts),
        Input::CardInserted(uid) => {
            // The virtual page's card buttons (no dock): a trial card.
            on_card(
                CardReport::Inserted {
                    reader: VIRTUAL_READER.into(),
                },
                station,
                parts,
            );
            on_card(
                CardReport::Identified {
                    reader: VIRTUAL_READER.into(),
                    identity: Identity::Uid { uid },
                    took: Duration::ZERO,
                },
                station,
                parts,
            );
        }
        Input::CardRemoved => on_card(
            CardReport::Removed {
                reader: VIRTUAL_READER.into(),
            },
            station,
            parts,
        ),
        Input::Synced(Ok(())) => {
            load_roster(station, parts)?;
            systemd.status(&format!(
                "online; {} people known; {} events wait for the center",
                station.roster_cards(),
                parts.outbox.pending_count().unwrap_or(0)
            ));
        }
        Input::Synced(Err(why)) => systemd.status(&format!(
            "offline ({why}); {} events wait for the center",
            parts.outbox.pending_count().unwrap_or(0)
        )),
        Input::Hardware(event) => {
            let _ = parts.devices.event(event);
        }
        Input::Ui(_) | Input::PinChecked(_) => {}
    }
    Ok(())
}

/// A card report: to the state machine, and its effects carried out.
fn on_card(report: CardReport, station: &mut Station, parts: &mut Parts) {
    if let CardReport::Identified { took, .. } = &report {
        parts.latency = Some((*took, Instant::now()));
    }
    let now = parts.now();
    let effects = station.card(report, &now);
    carry_out(effects, station, parts, &now);
}

/// Carries out the state machine's effects: a tap is committed to the
/// outbox, and only then does the station hear it was stored.
fn carry_out(effects: Vec<Effect>, station: &mut Station, parts: &mut Parts, now: &Timestamp) {
    let mut queue = std::collections::VecDeque::from(effects);
    while let Some(effect) = queue.pop_front() {
        match effect {
            Effect::RecordTap { card, name } => {
                let stored = record_tap(&mut parts.outbox, card.clone(), *now);
                if stored {
                    parts.sync_now.notify_one();
                }
                queue.extend(station.tap_recorded(card, name, stored, now));
            }
            Effect::Chime(chime) => {
                parts.devices.effect(&UiEffect::Chime(chime));
            }
        }
    }
}

fn record_tap(outbox: &mut Outbox, card: CardBinding, at: Timestamp) -> bool {
    match outbox.record_tap(card, at) {
        Ok(event) => {
            tracing::info!(event = %event.id, seq = event.seq, "tap recorded");
            true
        }
        Err(e) => {
            tracing::error!("cannot record a tap: {e}");
            false
        }
    }
}

fn record_heartbeat(parts: &mut Parts) {
    let body = EventBody::Heartbeat(Heartbeat {
        uptime_s: parts.started.elapsed().as_secs(),
        last_key_at: None,
        tv_power: None,
        room: parts.devices.room(),
        software_version: env!("CARGO_PKG_VERSION").to_owned(),
        pending_events: u32::try_from(parts.outbox.pending_count().unwrap_or(0))
            .unwrap_or(u32::MAX),
    });
    let now = parts.now();
    match parts.outbox.record(body, now) {
        Ok(_) => parts.sync_now.notify_one(),
        Err(e) => tracing::error!("cannot record a heartbeat: {e}"),
    }
}

/// The roster and the place as the center last sent them; the virtual
/// page's card buttons offer the roster's trial cards.
fn load_roster(station: &mut Station, parts: &Parts) -> anyhow::Result<()> {
    let people = runtime::section::<Vec<Person>>(&parts.outbox, "people")?;
    let info = runtime::section::<Option<StationInfo>>(&parts.outbox, "station")?;
    station.set_roster(&people, info.as_ref());
    if let Output::Virtual(tv, ..) = &parts.output {
        tv.set_cards(
            people
                .iter()
                .flat_map(|p| {
                    p.cards.iter().filter_map(move |c| match c {
                        CardBinding::CardUid(b) => Some((p.name.clone(), b.uid.to_string())),
                        CardBinding::Jpki(_) => None,
                    })
                })
                .collect(),
        );
    }
    Ok(())
}

/// The taps recorded within the repeat window before this start.
fn remember_taps(station: &mut Station, parts: &mut Parts, window: Duration) -> anyhow::Result<()> {
    let now = parts.now();
    let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
    let since_ms = now.unix_millis().saturating_sub(window_ms);
    let since = Timestamp::from_unix_nanos(i128::from(since_ms) * 1_000_000, now.offset_seconds())
        .unwrap_or(now);
    for (card, at) in parts.outbox.last_taps(&since)? {
        station.remember(card, at);
    }
    Ok(())
}

/// Draws the station's screen when it changed.
fn draw(station: &Station, parts: &mut Parts) -> anyhow::Result<()> {
    let screen = station.view(&parts.now()).screen();
    if parts.shown.as_ref() == Some(&screen) {
        return Ok(());
    }
    runtime::show(&mut parts.renderer, &mut parts.output, &screen)?;
    if let Some((took, since)) = parts.latency.take() {
        tracing::info!(
            kind = ?screen.kind,
            card_to_screen_ms = (took + since.elapsed()).as_secs_f64() * 1000.0,
            "a card's screen is drawn"
        );
    }
    parts.shown = Some(screen);
    Ok(())
}
