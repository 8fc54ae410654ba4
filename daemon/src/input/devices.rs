//! Reading the remotes on `/dev/input`: the adapter around [`Remotes`].
//!
//! One task watches the device directory with inotify (a remote plugged in
//! appears as `eventN`; udev may give it its permissions a moment later, so
//! a changed attribute is a second chance to open it), and one task per
//! open device reads its events through evdev's tokio stream. A device that
//! vanishes mid-read ends its task with an error (`ENODEV`), which is
//! reported as its removal; its replacement is picked up when it appears.
//! Nothing busy-waits: every task sleeps in the kernel until a device
//! event, an inotify event or (while a red key is down) the hold deadline.
//! Event times are the adapter's own monotonic milliseconds.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use inotify::{Inotify, WatchMask};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::hotplug::{Admission, DeviceEvent, Remotes};
use super::{EV_KEY, KeyMap, RawEvent};
use crate::runtime::Input;

/// Which devices are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every `event*` device in this directory (normally `/dev/input`)
    /// that looks like a remote.
    Auto(PathBuf),
    /// These paths only (e.g. `/dev/input/by-id/…-event-kbd`), whenever
    /// they exist.
    Paths(Vec<PathBuf>),
}

impl Selection {
    fn directories(&self) -> Vec<PathBuf> {
        match self {
            Selection::Auto(dir) => vec![dir.clone()],
            Selection::Paths(paths) => {
                let mut dirs: Vec<PathBuf> = paths
                    .iter()
                    .filter_map(|p| p.parent().map(Path::to_path_buf))
                    .collect();
                dirs.sort();
                dirs.dedup();
                dirs
            }
        }
    }

    fn wants(&self, path: &Path) -> bool {
        match self {
            Selection::Auto(dir) => {
                path.parent() == Some(dir.as_path())
                    && path
                        .file_name()
                        .and_then(OsStr::to_str)
                        .is_some_and(|n| n.starts_with("event"))
            }
            Selection::Paths(paths) => paths.iter().any(|p| p == path),
        }
    }

    fn admission(&self) -> Admission {
        match self {
            Selection::Auto(_) => Admission::ByCapability,
            Selection::Paths(_) => Admission::Named,
        }
    }

    fn candidates(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for dir in self.directories() {
            if let Ok(entries) = std::fs::read_dir(&dir) {
                found.extend(
                    entries
                        .flatten()
                        .map(|e| e.path())
                        .filter(|p| self.wants(p)),
                );
            }
        }
        found.sort();
        found
    }
}

/// How often a missing device directory is looked for again.
const RETRY_DIRECTORY: Duration = Duration::from_secs(5);

/// Reads the selected devices until `events` is closed, sending each UI
/// event to the box's loop. Spawn it as a task; it runs for the daemon's life.
pub async fn run(selection: Selection, map: KeyMap, events: mpsc::Sender<Input>) {
    let started = Instant::now();
    let now_ms = move || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut remotes = Remotes::new(map, selection.admission());
    let (reports, mut from_devices) = mpsc::channel::<DeviceEvent>(64);
    let mut readers = JoinSet::new();
    let mut open: HashSet<PathBuf> = HashSet::new();
    let mut watch = None;
    let mut told = false;
    let mut retry = tokio::time::interval(RETRY_DIRECTORY);
    retry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if watch.is_none() {
            match start_watch(&selection) {
                Ok(w) => {
                    watch = Some(w);
                    told = false;
                }
                Err(e) if !told => {
                    tracing::warn!("{e}; looking again every {} s", RETRY_DIRECTORY.as_secs());
                    told = true;
                }
                Err(_) => {}
            }
            if watch.is_some() {
                for path in selection.candidates() {
                    open_device(
                        &path,
                        &mut remotes,
                        &mut open,
                        &mut readers,
                        &reports,
                        now_ms,
                    );
                }
            }
        }
        let hold = remotes
            .next_tick_ms()
            .map(|due| started + Duration::from_millis(due));
        tokio::select! {
            Some(change) = next_change(&mut watch) => match change {
                Ok(path) => {
                    if selection.wants(&path) && !open.contains(&path) {
                        open_device(&path, &mut remotes, &mut open, &mut readers, &reports, now_ms);
                    }
                }
                Err(e) => {
                    tracing::warn!("watching the input devices failed: {e}; looking again");
                    watch = None;
                }
            },
            Some(report) = from_devices.recv() => {
                let event = match report {
                    DeviceEvent::Removed { device } => {
                        let path = PathBuf::from(&device);
                        open.remove(&path);
                        remotes.remove(&device);
                        tracing::info!("remote gone: {device}");
                        // A quick re-plug may already have the same name.
                        if path.exists() {
                            open_device(&path, &mut remotes, &mut open, &mut readers, &reports, now_ms);
                        }
                        None
                    }
                    other => remotes.apply(other),
                };
                if let Some(event) = event {
                    if events.send(Input::Ui(event)).await.is_err() {
                        break;
                    }
                }
            }
            () = sleep_until(hold) => {
                for event in remotes.tick(now_ms()) {
                    if events.send(Input::Ui(event)).await.is_err() {
                        return;
                    }
                }
            }
            _ = retry.tick(), if watch.is_none() => {}
            Some(_) = readers.join_next(), if !readers.is_empty() => {}
            () = events.closed() => break,
        }
    }
    readers.abort_all();
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

type Watch = (
    inotify::EventStream<Vec<u8>>,
    Vec<(inotify::WatchDescriptor, PathBuf)>,
);

/// Watches the selection's directories for devices appearing (or getting
/// their permissions); fails while a directory is missing.
fn start_watch(selection: &Selection) -> Result<Watch, String> {
    let inotify = Inotify::init().map_err(|e| format!("inotify is not available: {e}"))?;
    let mut dirs = Vec::new();
    for dir in selection.directories() {
        let wd = inotify
            .watches()
            .add(
                &dir,
                WatchMask::CREATE | WatchMask::ATTRIB | WatchMask::MOVED_TO,
            )
            .map_err(|e| format!("cannot watch {} for remotes: {e}", dir.display()))?;
        dirs.push((wd, dir));
    }
    let stream = inotify
        .into_event_stream(vec![0u8; 4096])
        .map_err(|e| format!("inotify stream: {e}"))?;
    Ok((stream, dirs))
}

/// The next path that appeared in a watched directory.
async fn next_change(watch: &mut Option<Watch>) -> Option<std::io::Result<PathBuf>> {
    let Some((stream, dirs)) = watch.as_mut() else {
        return std::future::pending().await;
    };
    loop {
        let event = match stream.next().await? {
            Ok(event) => event,
            Err(e) => return Some(Err(e)),
        };
        let dir = dirs.iter().find(|(wd, _)| *wd == event.wd).map(|(_, d)| d);
        if let (Some(dir), Some(name)) = (dir, event.name) {
            return Some(Ok(dir.join(name)));
        }
    }
}

fn open_device(
    path: &Path,
    remotes: &mut Remotes,
    open: &mut HashSet<PathBuf>,
    readers: &mut JoinSet<()>,
    reports: &mpsc::Sender<DeviceEvent>,
    now_ms: impl Fn() -> u64 + Send + 'static,
) {
    let device = match evdev::Device::open(path) {
        Ok(device) => device,
        Err(e) => {
            // Often udev has not set its permissions yet; an attribute
            // change will bring it back here.
            tracing::debug!("cannot open {}: {e}", path.display());
            return;
        }
    };
    let keys: Vec<u16> = device
        .supported_keys()
        .map(|keys| keys.iter().map(|k| k.code()).collect())
        .unwrap_or_default();
    let name = path.display().to_string();
    let label = device.name().unwrap_or("unnamed").to_owned();
    if !remotes.add(&name, &keys) {
        tracing::debug!("{name} ({label}) is not a remote");
        return;
    }
    let mut stream = match device.into_event_stream() {
        Ok(stream) => stream,
        Err(e) => {
            tracing::warn!("cannot read {name} ({label}): {e}");
            remotes.remove(&name);
            return;
        }
    };
    tracing::info!("remote connected: {name} ({label})");
    open.insert(path.to_owned());
    let reports = reports.clone();
    readers.spawn(async move {
        let why = loop {
            match stream.next_event().await {
                Ok(event) if event.event_type().0 == EV_KEY => {
                    let raw = RawEvent {
                        time_ms: now_ms(),
                        kind: EV_KEY,
                        code: event.code(),
                        value: event.value(),
                    };
                    let report = DeviceEvent::Raw {
                        device: name.clone(),
                        event: raw,
                    };
                    if reports.send(report).await.is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => break e,
            }
        };
        tracing::debug!("reading {name} ended: {why}");
        let _ = reports.send(DeviceEvent::Removed { device: name }).await;
    });
}
