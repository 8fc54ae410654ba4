//! `guest-devices`: the box daemon's device adapters against real kernel
//! devices, run as a program inside a QEMU guest (`tests/qemu.rs` builds
//! the guest and reads its serial console).
//!
//! Input: it creates a remote through `/dev/uinput`, lets the daemon's
//! evdev adapter find it in `/dev/input` by its keys, presses keys, unplugs
//! it while the red key is down and plugs it back in. Display: it draws a
//! TV screen through the daemon's framebuffer adapter to `/dev/fb0`; the
//! host takes a screendump and compares it with its own rendering.
//!
//! Each finding is printed as one line starting with `guest:`; the input
//! part ends with `guest: input ok` or `guest: input FAILED: …`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use evdev::uinput::VirtualDevice;
use evdev::{AttributeSet, EventType, InputEvent, KeyCode};
use mimamori_daemon::display::{Framebuffer, Geometry};
use mimamori_daemon::input::KeyMap;
use mimamori_daemon::input::devices::{self, Selection};
use mimamori_daemon::runtime::Input;
use mimamori_remote_ui::{Event, Key, Renderer, sample};
use tokio::sync::mpsc;

/// The screen drawn to the framebuffer (the host renders the same).
const SCREEN: &str = "condition";

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            println!("guest: input FAILED: no runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(input()) {
        Ok(()) => println!("guest: input ok"),
        Err(e) => println!("guest: input FAILED: {e:#}"),
    }
    match display() {
        Ok(line) => println!("guest: frame shown {line}"),
        Err(e) => {
            println!("guest: display FAILED: {e:#}");
            return ExitCode::FAILURE;
        }
    }
    // The host takes its screendump now and then stops the guest.
    loop {
        std::thread::sleep(Duration::from_secs(60));
    }
}

fn remote(name: &str) -> anyhow::Result<VirtualDevice> {
    let keys: AttributeSet<KeyCode> = [
        KeyCode::KEY_UP,
        KeyCode::KEY_DOWN,
        KeyCode::KEY_LEFT,
        KeyCode::KEY_RIGHT,
        KeyCode::KEY_OK,
        KeyCode::KEY_BACK,
        KeyCode::KEY_RED,
        KeyCode::KEY_GREEN,
        KeyCode::KEY_YELLOW,
        KeyCode::KEY_BLUE,
    ]
    .into_iter()
    .collect();
    VirtualDevice::builder()
        .context("opening /dev/uinput")?
        .name(name)
        .with_keys(&keys)?
        .build()
        .context("creating the uinput remote")
}

fn press(device: &mut VirtualDevice, key: KeyCode, value: i32) -> anyhow::Result<()> {
    device
        .emit(&[InputEvent::new(EventType::KEY.0, key.code(), value)])
        .context("writing to the uinput remote")
}

async fn tap(device: &mut VirtualDevice, key: KeyCode) -> anyhow::Result<()> {
    press(device, key, 1)?;
    tokio::time::sleep(Duration::from_millis(30)).await;
    press(device, key, 0)
}

/// The next UI event within `limit`, if any.
async fn next(rx: &mut mpsc::Receiver<Input>, limit: Duration) -> Option<Event> {
    match tokio::time::timeout(limit, rx.recv()).await {
        Ok(Some(Input::Ui(event))) => Some(event),
        _ => None,
    }
}

/// Taps ▶ until the adapter has opened the device and passes it on.
async fn until_found(
    device: &mut VirtualDevice,
    rx: &mut mpsc::Receiver<Input>,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        tap(device, KeyCode::KEY_RIGHT).await?;
        if let Some(event) = next(rx, Duration::from_millis(300)).await {
            ensure!(event == Event::Key(Key::Right), "first event {event:?}");
            // Taps sent before the device was opened are lost, not queued;
            // one may still be on its way.
            while let Some(event) = next(rx, Duration::from_millis(300)).await {
                ensure!(event == Event::Key(Key::Right), "then {event:?}");
            }
            return Ok(started.elapsed());
        }
    }
    bail!("the remote was not found in /dev/input within 20 s")
}

async fn input() -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::channel(64);
    tokio::spawn(devices::run(
        Selection::Auto(PathBuf::from("/dev/input")),
        KeyMap::default(),
        tx,
    ));

    // A keyboard without arrows is not a remote.
    let digits: AttributeSet<KeyCode> = [KeyCode::KEY_1, KeyCode::KEY_2].into_iter().collect();
    let mut keypad = VirtualDevice::builder()?
        .name("digits only")
        .with_keys(&digits)?
        .build()?;

    let mut first = remote("Mimamori test remote")?;
    let found = until_found(&mut first, &mut rx).await?;
    println!("guest: remote found after {} ms", found.as_millis());

    tap(&mut keypad, KeyCode::KEY_1).await?;
    press(&mut first, KeyCode::KEY_OK, 1)?;
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(40)).await;
        press(&mut first, KeyCode::KEY_OK, 2)?; // autorepeat
    }
    press(&mut first, KeyCode::KEY_OK, 0)?;
    let got = next(&mut rx, Duration::from_millis(500)).await;
    ensure!(got == Some(Event::Key(Key::Ok)), "OK held gave {got:?}");
    let got = next(&mut rx, Duration::from_millis(500)).await;
    ensure!(got.is_none(), "autorepeat or the keypad gave {got:?}");
    println!("guest: OK once despite autorepeat; the keypad ignored");

    // Red held (no autorepeat from this remote): SOS after 2 s.
    press(&mut first, KeyCode::KEY_RED, 1)?;
    let got = next(&mut rx, Duration::from_secs(4)).await;
    ensure!(got == Some(Event::Held(Key::Red)), "red held gave {got:?}");
    press(&mut first, KeyCode::KEY_RED, 0)?;
    let got = next(&mut rx, Duration::from_millis(500)).await;
    ensure!(got.is_none(), "the release after the hold gave {got:?}");
    println!("guest: red held is SOS");

    // Unplugged while red is down: no SOS comes of it.
    press(&mut first, KeyCode::KEY_RED, 1)?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(first);
    let got = next(&mut rx, Duration::from_secs(3)).await;
    ensure!(got.is_none(), "the unplugged remote gave {got:?}");
    println!("guest: unplugged mid-press, nothing sent");

    // Plugged back in.
    let mut second = remote("Mimamori test remote")?;
    let found = until_found(&mut second, &mut rx).await?;
    println!(
        "guest: re-plugged remote found after {} ms",
        found.as_millis()
    );
    tap(&mut second, KeyCode::KEY_BLUE).await?;
    let got = next(&mut rx, Duration::from_secs(1)).await;
    ensure!(got == Some(Event::Key(Key::Blue)), "blue gave {got:?}");
    println!("guest: the re-plugged remote works");
    Ok(())
}

fn display() -> anyhow::Result<String> {
    let geometry = Geometry::from_sysfs(std::path::Path::new("/sys/class/graphics/fb0"), false)?;
    let mut fb = Framebuffer::open(std::path::Path::new("/dev/fb0"), geometry)?;
    let mut renderer = Renderer::system()?;
    let app = sample::screen(SCREEN).context("the sample screen")?;
    let frame = renderer.render(&app.screen(), geometry.width, geometry.height);
    ensure!(fb.show(&frame)?, "the first frame was not written");
    ensure!(!fb.show(&frame)?, "an unchanged frame was written again");
    Ok(format!(
        "{SCREEN} {}x{} stride {} {:?}",
        geometry.width, geometry.height, geometry.stride, geometry.format
    ))
}
