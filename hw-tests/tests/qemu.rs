//! The box daemon's device adapters on real kernel devices: a QEMU guest
//! under software emulation (Debian's kernel, a busybox initramfs built
//! here) with a real `/dev/uinput`, `/dev/input` and `/dev/fb0` (a
//! `bochs-display`). Inside, `guest-devices` drives a uinput remote through
//! the evdev adapter (with unplug and re-plug) and draws a screen through
//! the framebuffer adapter; the host checks the serial console and compares
//! a screendump of the guest's display with its own rendering, pixel by
//! pixel.
//!
//! Needs `qemu-system-x86`, `linux-image-amd64` and `busybox-static`
//! (`cargo xtask test` installs them). Fails, never skips, when the guest
//! cannot start. Bounded: the guest gets [`LIMIT`] in all.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[path = "qemu/cpio.rs"]
mod cpio;

/// How long the whole guest run may take (it takes ~20–40 s here).
const LIMIT: Duration = Duration::from_secs(240);

/// The guest's display size.
const WIDTH: u32 = 1280;
const HEIGHT: u32 = 720;

/// The newest Debian kernel on this machine and its version.
fn kernel() -> (PathBuf, String) {
    let mut kernels: Vec<PathBuf> = std::fs::read_dir("/boot")
        .expect("/boot: install linux-image-amd64 (cargo xtask test does)")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("vmlinuz-"))
        })
        .collect();
    kernels.sort();
    let kernel = kernels
        .pop()
        .expect("no /boot/vmlinuz-*: install linux-image-amd64 (cargo xtask test does)");
    let version = kernel.file_name().unwrap().to_str().unwrap()["vmlinuz-".len()..].to_owned();
    (kernel, version)
}

/// The shared libraries a binary needs, from `ldd`.
fn libraries(binary: &Path) -> Vec<PathBuf> {
    let out = Command::new("ldd")
        .arg(binary)
        .output()
        .expect("running ldd");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            line.split_whitespace()
                .find(|word| word.starts_with('/'))
                .map(PathBuf::from)
        })
        .collect()
}

const MODULES: &[&str] = &[
    "kernel/drivers/gpu/drm/drm.ko",
    "kernel/drivers/gpu/drm/drm_kms_helper.ko",
    "kernel/drivers/gpu/drm/ttm/ttm.ko",
    "kernel/drivers/gpu/drm/drm_ttm_helper.ko",
    "kernel/drivers/gpu/drm/drm_vram_helper.ko",
    "kernel/drivers/gpu/drm/tiny/bochs.ko",
    "kernel/drivers/input/evdev.ko",
    "kernel/drivers/input/misc/uinput.ko",
];

const FONTS: &[&str] = &[
    mimamori_remote_ui::BIZ_UD_GOTHIC,
    mimamori_remote_ui::BIZ_UD_GOTHIC_BOLD,
];

/// The guest's `/init`: devices up, the test program on the console.
fn init_script(version: &str) -> String {
    let mut script = String::from(
        "#!/bin/busybox sh\n\
         /bin/busybox --install -s /bin\n\
         mkdir -p /proc /sys /dev /tmp\n\
         mount -t proc proc /proc\n\
         mount -t sysfs sysfs /sys\n\
         mount -t devtmpfs devtmpfs /dev\n",
    );
    for module in MODULES {
        script.push_str(&format!(
            "insmod /lib/modules/{version}/{module} || echo 'guest: insmod {module} failed'\n"
        ));
    }
    script.push_str(
        "for i in $(seq 50); do [ -e /dev/fb0 ] && [ -e /dev/uinput ] && break; sleep 0.1; done\n\
         for c in /sys/class/vtconsole/vtcon*/bind; do echo 0 > $c; done\n\
         echo 'guest: devices:' $(ls /dev/fb0 /dev/uinput /dev/input)\n\
         /guest-devices\n\
         echo 'guest: program ended'\n\
         poweroff -f\n",
    );
    script
}

fn initramfs(dir: &Path, guest: &Path, version: &str) -> PathBuf {
    let mut archive = cpio::Writer::default();
    for d in ["bin", "dev", "proc", "sys", "tmp", "lib", "lib64"] {
        archive.dir(d);
    }
    archive.file("bin/busybox", &read("/bin/busybox"), 0o755);
    archive.file("init", init_script(version).as_bytes(), 0o755);
    for font in FONTS {
        archive.file_with_parents(Path::new(font), &read(Path::new(font)), 0o644);
    }
    // Without its debug information the program is a tenth of the size,
    // and the initramfs unpacks quickly into the guest's memory.
    let stripped = dir.join("guest-devices");
    let status = Command::new("strip")
        .arg("--strip-debug")
        .arg("-o")
        .arg(&stripped)
        .arg(guest)
        .status()
        .expect("running strip (binutils)");
    assert!(status.success(), "strip {}", guest.display());
    archive.file("guest-devices", &read(&stripped), 0o755);
    for lib in libraries(guest) {
        archive.file_with_parents(&lib, &read(&lib), 0o755);
    }
    for module in MODULES {
        let path = PathBuf::from(format!("/lib/modules/{version}/{module}"));
        archive.file_with_parents(&path, &read(&path), 0o644);
    }
    let path = dir.join("initramfs.cpio");
    std::fs::write(&path, archive.finish()).unwrap();
    path
}

fn read(path: impl AsRef<Path>) -> Vec<u8> {
    let path = path.as_ref();
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A P6 PPM as (width, height, RGB bytes).
fn parse_ppm(data: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while data[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !data[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&data[start..at]).into_owned());
    }
    assert_eq!(fields[0], "P6", "not a PPM");
    let width: u32 = fields[1].parse().unwrap();
    let height: u32 = fields[2].parse().unwrap();
    let pixels = data[at + 1..].to_vec();
    assert_eq!(pixels.len(), (width * height * 3) as usize);
    (width, height, pixels)
}

#[test]
fn the_input_and_display_adapters_work_on_real_kernel_devices() {
    let tmp = tempfile::tempdir().unwrap();
    let (kernel, version) = kernel();
    let guest = Path::new(env!("CARGO_BIN_EXE_guest-devices"));
    let initrd = initramfs(tmp.path(), guest, &version);
    let monitor = tmp.path().join("monitor.sock");
    let started = Instant::now();
    let mut qemu = Command::new("qemu-system-x86_64")
        .args(["-machine", "pc", "-cpu", "max", "-m", "768", "-smp", "1"])
        .args(["-nodefaults", "-no-user-config", "-no-reboot"])
        .arg("-kernel")
        .arg(&kernel)
        .arg("-initrd")
        .arg(&initrd)
        .args([
            "-append",
            "console=ttyS0 panic=-1 quiet loglevel=3 vt.global_cursor_default=0",
        ])
        .args([
            "-device",
            &format!("bochs-display,xres={WIDTH},yres={HEIGHT}"),
        ])
        .args(["-display", "none", "-serial", "stdio"])
        .arg("-monitor")
        .arg(format!("unix:{},server=on,wait=off", monitor.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qemu-system-x86_64 cannot start: install qemu-system-x86 (cargo xtask test does)");
    let (lines, from_guest) = mpsc::channel::<String>();
    let stdout = qemu.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });

    let mut console = Vec::new();
    let mut shown = None;
    let deadline = started + LIMIT;
    while shown.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        match from_guest.recv_timeout(left) {
            Ok(line) => {
                let line = line.trim_end_matches('\r').to_owned();
                eprintln!("{line}");
                if let Some(rest) = line.strip_prefix("guest: frame shown ") {
                    shown = Some(rest.to_owned());
                }
                let over = line.contains("display FAILED") || line.contains("program ended");
                console.push(line);
                if over {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    let elapsed = started.elapsed();
    let screen = tmp.path().join("screen.ppm");
    if shown.is_some() {
        let mut monitor = UnixStream::connect(&monitor).expect("the QEMU monitor");
        monitor
            .write_all(format!("screendump {}\n", screen.display()).as_bytes())
            .unwrap();
        let wait = Instant::now();
        // The monitor answers with its prompt once the file is written.
        monitor
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut said = Vec::new();
        let mut buf = [0u8; 1024];
        while wait.elapsed() < Duration::from_secs(20) {
            match monitor.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => said.extend_from_slice(&buf[..n]),
                Err(_) => {}
            }
            if screen.exists() && String::from_utf8_lossy(&said).matches("(qemu)").count() >= 2 {
                break;
            }
        }
    }
    let _ = qemu.kill();
    let mut stderr = String::new();
    let _ = qemu.stderr.take().unwrap().read_to_string(&mut stderr);
    let _ = qemu.wait();
    let console = console.join("\n");
    assert!(
        console.contains("guest: devices:"),
        "the guest did not boot within {LIMIT:?} ({elapsed:?}); QEMU said: {stderr}\nconsole:\n{console}"
    );
    assert!(
        console.contains("guest: input ok"),
        "the input adapter on a uinput remote:\n{console}"
    );
    let shown = shown.unwrap_or_else(|| panic!("no frame shown:\n{console}"));
    assert!(
        shown.starts_with(&format!("condition {WIDTH}x{HEIGHT} ")) && shown.ends_with("Xrgb8888"),
        "{shown}"
    );
    eprintln!("guest run: {elapsed:?} to the frame");

    // The host renders the same screen; the guest's display must show
    // exactly that.
    let (width, height, pixels) = parse_ppm(&read(&screen));
    assert_eq!((width, height), (WIDTH, HEIGHT));
    let mut renderer = mimamori_remote_ui::Renderer::system().unwrap();
    let app = mimamori_remote_ui::sample::screen("condition").unwrap();
    let frame = renderer.render(&app.screen(), WIDTH, HEIGHT);
    let differing = frame
        .rgba()
        .chunks_exact(4)
        .zip(pixels.chunks_exact(3))
        .filter(|(want, got)| want[..3] != got[..])
        .count();
    if differing > 0 {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("qemu-screendump.ppm");
        let _ = std::fs::copy(&screen, &out);
        panic!(
            "{differing} of {} pixels differ from the host's rendering; the screendump is at {}",
            WIDTH * HEIGHT,
            out.display()
        );
    }
}
