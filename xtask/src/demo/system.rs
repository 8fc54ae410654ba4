//! Starting the demo: the center's configuration and data, the mailbox,
//! the center, the stand-in boxes' history, the box daemon with its virtual
//! TV, and the TV screens as PNG files. Each part is one function, and
//! [`Running`] stops the processes when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context as _, bail};

use super::http::wait_ok;
use super::{DEMO_PASSWORD, NURSE_EMAIL, NURSE_LOGIN, Ports};
use crate::{cargo, run_checked};

/// What to start.
#[derive(Debug)]
pub(crate) struct Options {
    pub(crate) data: PathBuf,
    pub(crate) ports: Ports,
    pub(crate) sweep_interval_s: u32,
}

/// The demo, running. Dropping it stops its processes.
pub(crate) struct Running {
    pub(crate) data: PathBuf,
    pub(crate) ports: Ports,
    pub(crate) bin: PathBuf,
    pub(crate) sweep_interval_s: u32,
    // Stopped in reverse order: stations, shelter dock, box, dock, center,
    // mailbox.
    children: Vec<(&'static str, Child)>,
}

impl Running {
    /// The center's command line against the demo's configuration.
    pub(crate) fn center(&self, args: &[&str]) -> anyhow::Result<String> {
        center(&self.bin, &self.config(), args, None)
    }

    pub(crate) fn config(&self) -> PathBuf {
        self.data.join("center.toml")
    }

    /// Serves until one of the processes stops (Ctrl-C stops them all).
    pub(crate) fn wait(mut self) -> anyhow::Result<()> {
        println!(
            "\nThe demo is running; Ctrl-C stops it. Logs in {}",
            self.data.display()
        );
        loop {
            for (name, child) in &mut self.children {
                if let Some(status) = child.try_wait()? {
                    bail!(
                        "{name} stopped ({status}); see its log in {}",
                        self.data.display()
                    );
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        while let Some((_, mut child)) = self.children.pop() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs the center's command line; `stdin` is written to it when given.
fn center(bin: &Path, config: &Path, args: &[&str], stdin: Option<&str>) -> anyhow::Result<String> {
    use std::io::Write as _;
    let mut child = Command::new(bin.join("mimamori-center"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running mimamori-center")?;
    let mut input = child.stdin.take().context("mimamori-center's stdin")?;
    input.write_all(stdin.unwrap_or_default().as_bytes())?;
    drop(input);
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "mimamori-center {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub(super) fn token(output: &str) -> anyhow::Result<String> {
    output
        .lines()
        .find(|l| l.starts_with("mmb_"))
        .map(str::to_owned)
        .context("no token in the output of `admin box add`")
}

/// The demo's residents: name, kana, district, box, trial card UID.
pub(crate) const RESIDENTS: [(&str, &str, &str, &str, &str); 5] = [
    (
        "山田 花子",
        "やまだ はなこ",
        "東町",
        "demo-0001",
        "04A1B2C3D4E5F6",
    ),
    (
        "山田 太郎",
        "やまだ たろう",
        "東町",
        "demo-0001",
        "04A1B2C3D4E5F7",
    ),
    (
        "佐藤 トメ",
        "さとう とめ",
        "西町",
        "demo-0002",
        "0102030405060708",
    ),
    (
        "鈴木 一郎",
        "すずき いちろう",
        "西町",
        "demo-0002",
        "04C0FFEE01",
    ),
    (
        "高橋 ハル",
        "たかはし はる",
        "南町",
        "demo-0002",
        "04C0FFEE02",
    ),
];

/// The family contacts: resident id, name, email, 続柄, policy.
pub(crate) const FAMILY: [(u32, &str, &str, &str, &str); 3] = [
    (1, "山田 恵子", "keiko@example.jp", "長女", "every_check_in"),
    (2, "山田 健一", "kenichi@example.jp", "長男", "daily_digest"),
    (3, "佐藤 誠", "makoto@example.jp", "甥", "concerns_only"),
];

/// Builds the programs, clears `data`, and starts everything.
pub(crate) fn start(options: &Options) -> anyhow::Result<Running> {
    build()?;
    let data = &options.data;
    if data.exists() {
        std::fs::remove_dir_all(data).with_context(|| format!("clearing {}", data.display()))?;
    }
    std::fs::create_dir_all(data)?;
    let mut running = Running {
        data: data.clone(),
        ports: options.ports,
        bin: super::bin_dir(),
        sweep_interval_s: options.sweep_interval_s,
        children: Vec::new(),
    };
    let config = running.config();
    std::fs::write(&config, center_config(options))?;
    std::fs::write(data.join("clock-offset"), super::clock::offset_file_text(0))?;

    start_mailbox(&mut running)?;
    let [token1, token2] = register(&running)?;
    start_center(&mut running)?;
    send_history(&running, &token1, &token2)?;
    add_family(&running)?;
    let certificate = super::cards::start_dock(&mut running)?;
    running.center(&[
        "admin",
        "card",
        "bind",
        "1",
        "--cert",
        &certificate.to_string_lossy(),
    ])?;
    println!(
        "  {}'s My Number card (PIN {}) bound to her",
        RESIDENTS[0].0,
        super::cards::DEMO_PIN
    );
    start_box(&mut running, &token1)?;
    super::cards::start_shelter_dock(&mut running)?;
    super::stations::start(&mut running)?;
    render_screens(&running)?;
    Ok(running)
}

fn build() -> anyhow::Result<()> {
    let mut command = cargo();
    command.args(["build", "--locked"]);
    for bin in [
        "mimamori-center",
        "fakebox",
        "mailbox",
        "mimamorid",
        "simcard",
    ] {
        command.args(["--bin", bin]);
    }
    run_checked(
        &mut command,
        "building the center, the box, fakebox, mailbox and simcard",
    )
}

/// The demo center's configuration: mail to the mailbox, a password-only
/// nurse, quick sweeps, and the clock offset file `--advance` writes.
fn center_config(options: &Options) -> String {
    let p = options.ports;
    format!(
        r#"# The demo center: data in ./data beside this file.
data_dir = "data"
time_zone = "Asia/Tokyo"

[http]
listen = "127.0.0.1:{center}"

[watch]
sweep_interval_s = {sweep}

# Demo only: the nurse signs in with a password alone.
[dashboard]
totp_for_nurses = false

# Demo only: `cargo xtask demo --advance 3d` writes this file and the
# center's time moves forward. Never in production.
[clock]
offset_file = "clock-offset"

# The demo's mailbox (plain SMTP on this machine).
[mail]
host = "127.0.0.1"
security = "plain"
port = {smtp}
from = "mimamori@center.example.jp"
from_name = "南部町 見守りセンター（デモ）"
desk_name = "南部町 健康福祉課"
desk_phone = "0859-00-0000"
desk_email = "kenko@town.example.jp"
desk_hours = "平日 8:30〜17:15"
public_url = "http://127.0.0.1:{center}"
dashboard_url = "http://127.0.0.1:{center}/dashboard/"
message_id_domain = "demo.center.example.jp"
poll_interval_ms = 500
group_window_s = 3
"#,
        center = p.center,
        smtp = p.smtp,
        sweep = options.sweep_interval_s,
    )
}

/// Starts a program with its stderr in `DATA/{log}`.
pub(super) fn spawn(
    running: &mut Running,
    name: &'static str,
    command: &mut Command,
    log: &str,
) -> anyhow::Result<()> {
    let log = std::fs::File::create(running.data.join(log))?;
    let child = command
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {name}"))?;
    running.children.push((name, child));
    Ok(())
}

fn start_mailbox(running: &mut Running) -> anyhow::Result<()> {
    let p = running.ports;
    println!(
        "\n== Starting the mailbox (SMTP on 127.0.0.1:{}, pages on http://127.0.0.1:{}/)",
        p.smtp, p.mailbox
    );
    let mut command = Command::new(running.bin.join("mailbox"));
    command
        .arg("--dir")
        .arg(running.data.join("mail"))
        .arg("--smtp")
        .arg(format!("127.0.0.1:{}", p.smtp))
        .arg("--http")
        .arg(format!("127.0.0.1:{}", p.mailbox));
    spawn(running, "the mailbox", &mut command, "mailbox.log")?;
    wait_ok(p.mailbox, "/healthz")
}

/// Registers the boxes, residents, cards, a notice and the nurse; returns
/// the tokens of boxes demo-0001 and demo-0002.
fn register(running: &Running) -> anyhow::Result<[String; 2]> {
    println!("\n== Registering two boxes and five residents (the operator's admin commands)");
    let token1 = token(&running.center(&[
        "admin",
        "box",
        "add",
        "demo-0001",
        "--label",
        "東町 山田様宅（ご夫婦）",
    ])?)?;
    let token2 = token(&running.center(&[
        "admin",
        "box",
        "add",
        "demo-0002",
        "--label",
        "西町 集会所前",
    ])?)?;
    for (i, (name, kana, district, device, uid)) in RESIDENTS.iter().enumerate() {
        running.center(&[
            "admin",
            "resident",
            "add",
            "--name",
            name,
            "--kana",
            kana,
            "--district",
            district,
            "--box",
            device,
            "--medication",
            "朝,夕",
            "--vitals",
            "血圧",
        ])?;
        running.center(&["admin", "card", "bind", &(i + 1).to_string(), "--uid", uid])?;
    }
    running.center(&[
        "admin",
        "resident",
        "pause",
        "5",
        "--through",
        "2099-12-31",
        "--reason",
        "hospital",
    ])?;
    running.center(&[
        "admin",
        "notice",
        "add",
        "--title",
        "インフルエンザ予防接種のお知らせ",
        "--body",
        "役場の保健センターで受け付けています。\n持ち物：保険証",
        "--important",
    ])?;
    print!("{}", running.center(&["admin", "resident", "list"])?);
    running.center(&[
        "admin",
        "staff",
        "add",
        NURSE_LOGIN,
        "--name",
        "保健師A",
        "--role",
        "nurse",
        "--districts",
        "東町,西町",
        "--email",
        NURSE_EMAIL,
    ])?;
    center(
        &running.bin,
        &running.config(),
        &["admin", "staff", "password", NURSE_LOGIN],
        Some(&format!("{DEMO_PASSWORD}\n")),
    )?;
    println!(
        "nurse {NURSE_LOGIN} (東町, 西町; alert mail to {NURSE_EMAIL}) can sign in to the dashboard"
    );
    Ok([token1, token2])
}

fn start_center(running: &mut Running) -> anyhow::Result<()> {
    let port = running.ports.center;
    println!("\n== Starting the center on http://127.0.0.1:{port}");
    let mut command = Command::new(running.bin.join("mimamori-center"));
    command.arg("--config").arg(running.config()).arg("serve");
    spawn(running, "the center", &mut command, "center.log")?;
    wait_ok(port, "/healthz")
}

/// Two stand-in boxes send a month of check-ins; the first sweep opens the
/// alerts (and the nurse's first mail).
fn send_history(running: &Running, token1: &str, token2: &str) -> anyhow::Result<()> {
    println!("\n== Two stand-in boxes send a month of check-ins");
    let url = format!("http://127.0.0.1:{}", running.ports.center);
    for (token, device, residents) in [
        (
            token1,
            "demo-0001",
            &["1:04A1B2C3D4E5F6:steady", "2:04A1B2C3D4E5F7:declining"][..],
        ),
        (
            token2,
            "demo-0002",
            &[
                "3:0102030405060708:silent:3",
                "4:04C0FFEE01:call",
                "5:04C0FFEE02:silent:20",
            ][..],
        ),
    ] {
        let mut command = Command::new(running.bin.join("fakebox"));
        command.args([
            "--center", &url, "--token", token, "--device", device, "history", "--days", "30",
        ]);
        for r in residents {
            command.args(["--resident", r]);
        }
        let out = command.output().context("running fakebox")?;
        if !out.status.success() {
            bail!("fakebox: {}", String::from_utf8_lossy(&out.stderr));
        }
        println!("{}", String::from_utf8_lossy(&out.stdout).trim());
    }
    println!(
        "\n== The watch engine sweeps (the server does this every {} s; here once by hand)",
        running.sweep_interval_s
    );
    print!("{}", running.center(&["sweep"])?);
    println!("\n== Alerts for the nurses (most urgent first)");
    print!("{}", running.center(&["admin", "alerts", "list"])?);
    Ok(())
}

/// Family contacts with the three policies, each with the resident's
/// consent to share everything; added after the history, so that their
/// first mail is about what happens in the demo.
fn add_family(running: &Running) -> anyhow::Result<()> {
    println!("\n== Family contacts (mail to the mailbox)");
    for (resident, name, email, relation, policy) in FAMILY {
        running.center(&[
            "admin",
            "family",
            "add",
            &resident.to_string(),
            "--name",
            name,
            "--email",
            email,
            "--relation",
            relation,
            "--policy",
            policy,
            "--consent",
            "all",
        ])?;
    }
    print!("{}", running.center(&["admin", "family", "list"])?);
    Ok(())
}

/// The box daemon's configuration for demo-0001: the virtual TV, its card
/// buttons forwarded to the card dock and the cards read through pcscd (its
/// reader only: the shelter station has the other), and
/// the center's clock offset file, so that the TV's "today" moves with
/// `--advance` too.
fn box_config(center_url: &str, token: &str, ports: Ports) -> String {
    let (tv_port, dock_port) = (ports.tv, ports.dock);
    let reader = super::stations::TV_READER;
    format!(
        "device_id = \"demo-0001\"\ncenter_url = \"{center_url}\"\ntoken = \"{token}\"\ndata_dir = \".\"\n\n[display]\nbackend = \"virtual\"\nlisten = \"127.0.0.1:{tv_port}\"\nsize = \"1280x720\"\ncard_dock = \"http://127.0.0.1:{dock_port}\"\n\n[sync]\ninterval_s = 5\n\n[card]\nreader = \"pcsc\"\nreaders = [\"{reader}\"]\n\n# Demo only: the box's time moves with `cargo xtask demo --advance`.\n[clock]\noffset_file = \"../clock-offset\"\n"
    )
}

fn start_box(running: &mut Running, token: &str) -> anyhow::Result<()> {
    println!("\n== Starting the box daemon for demo-0001 with a virtual TV");
    let box_dir = running.data.join("box");
    std::fs::create_dir_all(&box_dir)?;
    let config = box_dir.join("box.toml");
    let url = format!("http://127.0.0.1:{}", running.ports.center);
    std::fs::write(&config, box_config(&url, token, running.ports))?;
    let mut command = Command::new(running.bin.join("mimamorid"));
    command.args(["run", "--config"]).arg(&config);
    spawn(running, "the box daemon", &mut command, "box/mimamorid.log")?;
    wait_ok(running.ports.tv, "/state")?;
    println!("  virtual TV: http://127.0.0.1:{}/", running.ports.tv);
    Ok(())
}

fn render_screens(running: &Running) -> anyhow::Result<()> {
    println!("\n== The TV screens a resident sees (rendered by mimamorid)");
    let tv = running.data.join("tv");
    std::fs::create_dir_all(&tv)?;
    for screen in [
        "standby",
        "pin",
        "condition",
        "symptoms",
        "vitals",
        "confirm",
        "done",
        "history",
        "sos-confirm",
    ] {
        let out = tv.join(format!("{screen}.png"));
        let status = Command::new(running.bin.join("mimamorid"))
            .args(["render", "--screen", screen, "--size", "1920x1080", "--out"])
            .arg(&out)
            .stdout(Stdio::null())
            .status()
            .context("running mimamorid render")?;
        if !status.success() {
            bail!("mimamorid render --screen {screen} failed");
        }
    }
    println!("  {}/*.png", tv.display());
    Ok(())
}
