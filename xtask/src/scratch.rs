//! A scratch Debian 12 root (debootstrap, minbase) to install the packages
//! into with the root's own dpkg, run their maintainer scripts and their
//! binaries under `chroot`. The bootstrapped root is kept as a tarball in
//! target/scratch/ (about a minute to make, seconds to unpack); every check
//! unpacks a fresh copy.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};

use crate::dist;

/// A fresh root, deleted when dropped.
struct Root {
    dir: PathBuf,
}

impl Drop for Root {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Root {
    fn new(name: &str) -> anyhow::Result<Root> {
        let tarball = bootstrapped()?;
        let dir = dist::target_dir().join("scratch").join(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir)?;
        let root = Root { dir };
        run(Command::new("tar")
            .arg("-xf")
            .arg(&tarball)
            .arg("-C")
            .arg(&root.dir))?;
        Ok(root)
    }

    fn path(&self, inside: &str) -> PathBuf {
        self.dir.join(inside.trim_start_matches('/'))
    }

    /// A command run inside the root as root.
    fn chroot(&self, args: &[&str]) -> Command {
        let mut command = Command::new("chroot");
        command
            .arg(&self.dir)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .env("LC_ALL", "C.UTF-8");
        command
    }

    /// A command run inside the root as `user` (no login, no PAM).
    fn chroot_as(&self, user: &str, args: &[&str]) -> anyhow::Result<Command> {
        let (uid, gid) = self.ids(user)?;
        let mut command = Command::new("chroot");
        command
            .arg(format!("--userspec={uid}:{gid}"))
            .arg(&self.dir)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin")
            .env("RUST_LOG", "warn");
        Ok(command)
    }

    fn install(&self, deb: &Path, force_depends: bool) -> anyhow::Result<()> {
        let inside = format!(
            "/tmp/{}",
            deb.file_name().and_then(|n| n.to_str()).unwrap_or("p.deb")
        );
        std::fs::copy(deb, self.path(&inside))?;
        let mut args = vec!["dpkg"];
        if force_depends {
            args.push("--force-depends");
        }
        args.extend(["-i", inside.as_str()]);
        run(&mut self.chroot(&args)).with_context(|| format!("dpkg -i {}", deb.display()))?;
        Ok(())
    }

    /// The user's uid and gid, from the root's passwd.
    fn ids(&self, user: &str) -> anyhow::Result<(u32, u32)> {
        let passwd = std::fs::read_to_string(self.path("/etc/passwd"))?;
        let line = passwd
            .lines()
            .find(|l| l.split(':').next() == Some(user))
            .with_context(|| format!("no user {user} in the root"))?;
        let fields: Vec<&str> = line.split(':').collect();
        ensure!(fields.len() >= 7, "bad passwd line {line}");
        ensure!(
            fields[6] == "/usr/sbin/nologin",
            "{user} has a login shell: {line}"
        );
        Ok((fields[2].parse()?, fields[3].parse()?))
    }

    fn group_members(&self, group: &str) -> anyhow::Result<Option<u32>> {
        let groups = std::fs::read_to_string(self.path("/etc/group"))?;
        Ok(groups
            .lines()
            .find(|l| l.split(':').next() == Some(group))
            .and_then(|l| l.split(':').nth(2)?.parse().ok()))
    }

    /// Owner, group and permission bits of a path inside the root.
    fn stat(&self, inside: &str) -> anyhow::Result<(u32, u32, u32)> {
        use std::os::unix::fs::MetadataExt as _;
        let meta =
            std::fs::metadata(self.path(inside)).with_context(|| format!("{inside} is missing"))?;
        Ok((meta.uid(), meta.gid(), meta.mode() & 0o7777))
    }
}

fn run(command: &mut Command) -> anyhow::Result<String> {
    let out = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !out.status.success() {
        bail!(
            "{command:?} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The Debian mirror this machine's apt uses.
fn mirror() -> String {
    let sources =
        std::fs::read_to_string("/etc/apt/sources.list.d/debian.sources").unwrap_or_default();
    sources
        .lines()
        .find_map(|l| l.strip_prefix("URIs:"))
        .and_then(|uris| uris.split_whitespace().next())
        .map(str::to_owned)
        .unwrap_or_else(|| "http://deb.debian.org/debian".into())
}

/// The tarball of a bootstrapped minbase root, made when missing.
fn bootstrapped() -> anyhow::Result<PathBuf> {
    let dir = dist::target_dir().join("scratch");
    // Named by what it holds, so a change of `--include` makes a new one.
    let tarball = dir.join("bookworm-minbase-adduser-libpcsclite1.tar");
    if tarball.exists() {
        return Ok(tarball);
    }
    let build = dir.join("bootstrap");
    if build.exists() {
        std::fs::remove_dir_all(&build)?;
    }
    std::fs::create_dir_all(&dir)?;
    eprintln!(
        "xtask: debootstrap bookworm (minbase) into {}",
        build.display()
    );
    run(Command::new("debootstrap")
        // libpcsclite1: the daemon links the PC/SC client library (the box
        // package's other dependencies, pcscd among them, are forced).
        .args([
            "--variant=minbase",
            "--include=adduser,libpcsclite1",
            "bookworm",
        ])
        .arg(&build)
        .arg(mirror()))
    .context("debootstrap")?;
    let partial = tarball.with_extension("tar.partial");
    run(Command::new("tar")
        .arg("-cf")
        .arg(&partial)
        .arg("-C")
        .arg(&build)
        .arg("."))?;
    std::fs::rename(&partial, &tarball)?;
    std::fs::remove_dir_all(&build)?;
    Ok(tarball)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// One HTTP/1.1 request to 127.0.0.1:`port`; the status and the body.
fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> anyhow::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("not an HTTP response: {response}"))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// The center's server, running in the root; SIGTERM and a clean exit
/// expected when stopped.
struct Server(Option<Child>);

impl Server {
    fn stop(mut self) -> anyhow::Result<()> {
        let mut child = self.0.take().context("stopped twice")?;
        run(Command::new("kill").args(["-TERM", &child.id().to_string()]))?;
        let status = child.wait()?;
        ensure!(
            status.success(),
            "the center exited with {status} on SIGTERM"
        );
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

const CONFIG: &str = "/etc/mimamori/center.toml";

/// Installs, runs, upgrades, removes and purges `mimamori-center`.
pub(crate) fn center_lifecycle(deb: &Path, upgrade: &Path) -> anyhow::Result<()> {
    let root = Root::new("center")?;
    root.install(deb, false)?;

    // What the maintainer scripts made.
    let (uid, gid) = root.ids("mimamori-center")?;
    ensure!(
        uid < 1000,
        "mimamori-center is not a system user (uid {uid})"
    );
    ensure!(
        root.stat("/var/lib/mimamori-center")? == (uid, gid, 0o750),
        "data directory: {:?}",
        root.stat("/var/lib/mimamori-center")?
    );
    ensure!(
        root.stat(CONFIG)? == (0, gid, 0o640),
        "{CONFIG}: {:?}",
        root.stat(CONFIG)?
    );
    // Enabled: the wants link (absolute, so read inside the root).
    let link = std::fs::read_link(
        root.path("/etc/systemd/system/multi-user.target.wants/mimamori-center.service"),
    )
    .context("the unit is not enabled")?;
    ensure!(
        root.path(&link.to_string_lossy()).is_file(),
        "the unit is enabled as {}, which is not in the package",
        link.display()
    );

    let version = run(&mut root.chroot_as("mimamori-center", &["mimamori-center", "--version"])?)?;
    ensure!(
        version.starts_with("mimamori-center "),
        "--version: {version}"
    );

    // The operator moves the listener off 8080 (a port in use here) — a
    // changed conffile, which the upgrade must keep.
    let port = free_port()?;
    let text = std::fs::read_to_string(root.path(CONFIG))?;
    ensure!(
        text.contains("listen = \"127.0.0.1:8080\""),
        "the example listens elsewhere"
    );
    std::fs::write(
        root.path(CONFIG),
        text.replace("127.0.0.1:8080", &format!("127.0.0.1:{port}")),
    )?;

    let added = run(&mut root.chroot_as(
        "mimamori-center",
        &[
            "mimamori-center",
            "--config",
            CONFIG,
            "admin",
            "box",
            "add",
            "scratch-0001",
        ],
    )?)?;
    let token = added
        .lines()
        .nth(1)
        .context("no token printed")?
        .trim()
        .to_owned();
    ensure!(
        root.stat("/var/lib/mimamori-center/center.sqlite3")?.0 == uid,
        "database not the service user's"
    );

    serve_and_sync(&root, port, &token, 1)?;

    // Upgrade: configuration and data kept, the same user.
    root.install(upgrade, false)?;
    let status = run(&mut root.chroot(&["dpkg-query", "-W", "-f=${Version}", "mimamori-center"]))?;
    ensure!(
        status.ends_with("-99"),
        "after the upgrade: version {status}"
    );
    ensure!(
        root.ids("mimamori-center")? == (uid, gid),
        "the upgrade changed the user"
    );
    ensure!(
        std::fs::read_to_string(root.path(CONFIG))?.contains(&format!("127.0.0.1:{port}")),
        "the upgrade replaced the changed configuration"
    );
    serve_and_sync(&root, port, &token, 2)?;

    // Removal keeps data and configuration; purge deletes both.
    run(&mut root.chroot(&["dpkg", "--remove", "mimamori-center"]))?;
    ensure!(
        !root.path("/usr/bin/mimamori-center").exists(),
        "removal left the binary"
    );
    ensure!(
        root.path("/var/lib/mimamori-center/center.sqlite3")
            .exists(),
        "removal deleted the database"
    );
    ensure!(
        root.path(CONFIG).exists(),
        "removal deleted the configuration"
    );
    run(&mut root.chroot(&["dpkg", "--purge", "mimamori-center"]))?;
    ensure!(
        !root.path("/var/lib/mimamori-center").exists(),
        "purge kept the database"
    );
    ensure!(!root.path(CONFIG).exists(), "purge kept the configuration");
    Ok(())
}

/// Starts the installed center as its user, waits for /healthz, sends the
/// box's sync number `seq` (a heartbeat) and stops it with SIGTERM.
fn serve_and_sync(root: &Root, port: u16, token: &str, seq: u32) -> anyhow::Result<()> {
    let log = root.path("/tmp/center.log");
    let server = Server(Some(
        root.chroot_as(
            "mimamori-center",
            &["mimamori-center", "--config", CONFIG, "serve"],
        )?
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log)?)
        .spawn()?,
    ));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok((200, _)) = http(port, "GET", "/healthz", None, "") {
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "the installed center did not answer within 20 s: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let id = format!("5c7a7c4e-0000-4000-8000-{seq:012}");
    let body = format!(
        r#"{{"protocol":"1.0","device_id":"scratch-0001","sent_at":"2026-11-29T09:00:05+09:00","events":[{{"id":"{id}","recorded_at":"2026-11-29T09:00:00+09:00","boot_id":"6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22","seq":{seq},"body":{{"type":"heartbeat","uptime_s":60,"software_version":"0.1.0"}}}}]}}"#
    );
    let (status, answer) = http(port, "POST", "/api/v1/sync", Some(token), &body)?;
    ensure!(
        status == 200 && answer.contains(&id),
        "sync answered {status}: {answer}"
    );
    server.stop()
}

/// Installs (without its dependencies: pcscd, fonts, … are not in the
/// scratch root), checks and purges `mimamori-box`.
pub(crate) fn box_lifecycle(deb: &Path) -> anyhow::Result<()> {
    let root = Root::new("box")?;
    root.install(deb, true)?;
    let (uid, gid) = root.ids("mimamori")?;
    ensure!(uid < 1000, "mimamori is not a system user (uid {uid})");
    for group in ["gpio", "i2c"] {
        ensure!(
            root.group_members(group)?.is_some(),
            "postinst did not create the group {group}"
        );
    }
    ensure!(
        root.stat("/var/lib/mimamori")? == (uid, gid, 0o750),
        "data directory: {:?}",
        root.stat("/var/lib/mimamori")?
    );
    ensure!(
        root.stat("/etc/mimamori/box.toml")? == (0, gid, 0o640),
        "box.toml: {:?}",
        root.stat("/etc/mimamori/box.toml")?
    );
    ensure!(
        root.path("/usr/lib/udev/rules.d/60-mimamori-box.rules")
            .exists(),
        "no udev rules"
    );
    let version = run(&mut root.chroot_as("mimamori", &["mimamorid", "--version"])?)?;
    ensure!(version.starts_with("mimamorid "), "--version: {version}");

    // The provisioned token goes with a purge, like the outbox.
    std::fs::write(root.path("/etc/mimamori/token"), "mmb_x\n")?;
    std::fs::write(root.path("/var/lib/mimamori/box.sqlite3"), "")?;
    run(&mut root.chroot(&["dpkg", "--remove", "mimamori-box"]))?;
    ensure!(
        root.path("/var/lib/mimamori/box.sqlite3").exists(),
        "removal deleted the outbox"
    );
    run(&mut root.chroot(&["dpkg", "--purge", "mimamori-box"]))?;
    ensure!(
        !root.path("/var/lib/mimamori").exists(),
        "purge kept the outbox"
    );
    ensure!(
        !root.path("/etc/mimamori").exists(),
        "purge kept /etc/mimamori"
    );
    Ok(())
}
