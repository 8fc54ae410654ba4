//! `cargo xtask demo`: the whole system, as far as it exists, on one machine.
//!
//! Today that is the center with demo households and a month of check-ins
//! sent by stand-in boxes (`fakebox`), the watch engine's alerts, the
//! operator's command line, and the TV screens rendered to PNG files. It
//! runs until Ctrl-C and prints what to try.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::{cargo, run_checked, workspace_root};

/// Options of `cargo xtask demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Port for the center's HTTP API.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Set everything up and exit instead of serving until Ctrl-C.
    #[arg(long)]
    no_wait: bool,
}

/// The demo nurse's dashboard password (a demo on one machine only).
const DEMO_PASSWORD: &str = "mimamori-demo";

struct Demo {
    bin: PathBuf,
    config: PathBuf,
}

impl Demo {
    fn center(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = Command::new(self.bin.join("mimamori-center"))
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env("RUST_LOG", "warn")
            .output()
            .context("running mimamori-center")?;
        if !out.status.success() {
            bail!(
                "mimamori-center {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn center_with_stdin(&self, args: &[&str], stdin: &str) -> anyhow::Result<()> {
        use std::io::Write as _;
        let mut child = Command::new(self.bin.join("mimamori-center"))
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("running mimamori-center")?;
        child
            .stdin
            .take()
            .context("mimamori-center's stdin")?
            .write_all(stdin.as_bytes())?;
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!(
                "mimamori-center {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }

    fn fakebox(
        &self,
        url: &str,
        token: &str,
        device: &str,
        residents: &[&str],
    ) -> anyhow::Result<String> {
        let mut command = Command::new(self.bin.join("fakebox"));
        command.args([
            "--center", url, "--token", token, "--device", device, "history", "--days", "30",
        ]);
        for r in residents {
            command.args(["--resident", r]);
        }
        let out = command.output().context("running fakebox")?;
        if !out.status.success() {
            bail!("fakebox: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
}

/// A child process that is stopped when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    run_checked(
        cargo().args([
            "build",
            "--locked",
            "--bin",
            "mimamori-center",
            "--bin",
            "fakebox",
        ]),
        "building mimamori-center and fakebox",
    )?;
    let root = workspace_root();
    let data = root.join("demo-data");
    if data.exists() {
        std::fs::remove_dir_all(&data).with_context(|| format!("clearing {}", data.display()))?;
    }
    std::fs::create_dir_all(&data)?;
    if std::net::TcpListener::bind(("127.0.0.1", args.port)).is_err() {
        bail!("port {} is in use; pass --port with a free one", args.port);
    }
    let config = data.join("center.toml");
    std::fs::write(
        &config,
        format!(
            "# The demo center: data in ./data beside this file.\ndata_dir = \"data\"\ntime_zone = \"Asia/Tokyo\"\n\n[http]\nlisten = \"127.0.0.1:{}\"\n\n[watch]\nsweep_interval_s = 10\n\n# Demo only: the nurse signs in with a password alone.\n[dashboard]\ntotp_for_nurses = false\n",
            args.port
        ),
    )?;
    let demo = Demo {
        bin: root.join("target/debug"),
        config: config.clone(),
    };
    let url = format!("http://127.0.0.1:{}", args.port);

    println!("\n== Registering two boxes and five residents (the operator's admin commands)");
    let token1 = token(&demo.center(&[
        "admin",
        "box",
        "add",
        "demo-0001",
        "--label",
        "東町 山田様宅（ご夫婦）",
    ])?)?;
    let token2 = token(&demo.center(&[
        "admin",
        "box",
        "add",
        "demo-0002",
        "--label",
        "西町 集会所前",
    ])?)?;
    let residents: [(&str, &str, &str, &str, &str); 5] = [
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
    for (i, (name, kana, district, device, uid)) in residents.iter().enumerate() {
        demo.center(&[
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
        demo.center(&["admin", "card", "bind", &(i + 1).to_string(), "--uid", uid])?;
    }
    demo.center(&[
        "admin",
        "resident",
        "pause",
        "5",
        "--through",
        "2099-12-31",
        "--reason",
        "hospital",
    ])?;
    demo.center(&[
        "admin",
        "notice",
        "add",
        "--title",
        "インフルエンザ予防接種のお知らせ",
        "--body",
        "役場の保健センターで受け付けています。\n持ち物：保険証",
        "--important",
    ])?;
    print!("{}", demo.center(&["admin", "resident", "list"])?);
    demo.center(&[
        "admin",
        "staff",
        "add",
        "hokenshi",
        "--name",
        "保健師A",
        "--role",
        "nurse",
        "--districts",
        "東町,西町",
    ])?;
    demo.center_with_stdin(
        &["admin", "staff", "password", "hokenshi"],
        &format!("{DEMO_PASSWORD}\n"),
    )?;
    println!("nurse hokenshi (東町, 西町) can sign in to the dashboard");

    println!("\n== Starting the center on {url}");
    let log = std::fs::File::create(data.join("center.log"))?;
    let server = Guard(
        Command::new(demo.bin.join("mimamori-center"))
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("starting mimamori-center serve")?,
    );
    wait_healthy(args.port)?;

    println!("\n== Two stand-in boxes send a month of check-ins");
    println!(
        "{}",
        demo.fakebox(
            &url,
            &token1,
            "demo-0001",
            &["1:04A1B2C3D4E5F6:steady", "2:04A1B2C3D4E5F7:declining"]
        )?
    );
    println!(
        "{}",
        demo.fakebox(
            &url,
            &token2,
            "demo-0002",
            &[
                "3:0102030405060708:silent:3",
                "4:04C0FFEE01:call",
                "5:04C0FFEE02:silent:20"
            ]
        )?
    );

    println!("\n== The watch engine sweeps (the server does this every 10 s; here once by hand)");
    print!("{}", demo.center(&["sweep"])?);
    println!("\n== Alerts for the nurses (most urgent first)");
    print!("{}", demo.center(&["admin", "alerts", "list"])?);

    println!("\n== Starting the box daemon for demo-0001 with a virtual TV");
    let box_dir = data.join("box");
    std::fs::create_dir_all(&box_dir)?;
    let tv_port = args.port + 1;
    if std::net::TcpListener::bind(("127.0.0.1", tv_port)).is_err() {
        bail!(
            "port {tv_port} (the virtual TV) is in use; pass --port with two free ports in a row"
        );
    }
    let box_config = box_dir.join("box.toml");
    std::fs::write(
        &box_config,
        format!(
            "device_id = \"demo-0001\"\ncenter_url = \"{url}\"\ntoken = \"{token1}\"\ndata_dir = \".\"\n\n[display]\nbackend = \"virtual\"\nlisten = \"127.0.0.1:{tv_port}\"\nsize = \"1280x720\"\n\n[sync]\ninterval_s = 10\n\n[card]\nreader = \"none\"\n"
        ),
    )?;
    let box_log = std::fs::File::create(box_dir.join("mimamorid.log"))?;
    let the_box = Guard(
        Command::new(demo.bin.join("mimamorid"))
            .args(["run", "--config"])
            .arg(&box_config)
            .stdout(Stdio::null())
            .stderr(box_log)
            .spawn()
            .context("starting mimamorid run")?,
    );
    wait_healthy_path(tv_port, "/state")?;
    println!(
        "  virtual TV: http://127.0.0.1:{tv_port}/  (insert 山田 花子's card, then answer with the remote)"
    );

    println!("\n== The TV screens a resident sees (rendered by mimamorid)");
    let tv = data.join("tv");
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
        let status = Command::new(demo.bin.join("mimamorid"))
            .args(["render", "--screen", screen, "--size", "1920x1080", "--out"])
            .arg(&out)
            .stdout(Stdio::null())
            .status()
            .context("running mimamorid render")?;
        if !status.success() {
            bail!("mimamorid render --screen {screen} failed");
        }
    }
    println!(
        "  {}/*.png (open them in an image viewer; `target/debug/mimamorid render --screen list` names them all)",
        tv.display()
    );

    print_guide(&url, &config, &token1);
    if args.no_wait {
        drop(the_box);
        return Ok(());
    }
    println!(
        "\nThe center is running; Ctrl-C stops it. Its log: {}",
        data.join("center.log").display()
    );
    let mut server = server;
    let status = server.0.wait()?;
    bail!(
        "the center stopped ({status}); see {}",
        data.join("center.log").display()
    )
}

fn token(output: &str) -> anyhow::Result<String> {
    output
        .lines()
        .find(|l| l.starts_with("mmb_"))
        .map(str::to_owned)
        .context("no token in the output of `admin box add`")
}

fn wait_healthy(port: u16) -> anyhow::Result<()> {
    wait_healthy_path(port, "/healthz")
}

fn wait_healthy_path(port: u16, path: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read as _, Write as _};
            let _ = stream
                .write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes());
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200") {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("nothing answered on port {port} ({path}) within 30 s")
}

fn print_guide(url: &str, config: &Path, token: &str) {
    let c = format!("target/debug/mimamori-center --config {}", config.display());
    println!("\n== Try it");
    println!(
        "  Virtual TV:       http://127.0.0.1:{}/  (the box demo-0001; its log: demo-data/box/mimamorid.log)",
        url.rsplit(':')
            .next()
            .and_then(|p| p.parse::<u16>().ok())
            .map_or(0, |p| p + 1)
    );
    println!("  Dashboard:        {url}/dashboard/  (login hokenshi, password {DEMO_PASSWORD})");
    println!("  Health:           curl {url}/healthz");
    println!("  Box API:          POST {url}/api/v1/sync   (Authorization: Bearer {token})");
    println!(
        "  A check-in now:   target/debug/fakebox --center {url} --token {token} --device demo-0001 \\"
    );
    println!(
        "                      check-in --resident 2 --uid 04A1B2C3D4E5F7 --condition poor --call"
    );
    println!("  Alerts:           {c} admin alerts list");
    println!("  Acknowledge:      {c} admin alerts ack ID --by 保健師A");
    println!(
        "  Resolve (visit):  {c} admin alerts resolve ID --by 保健師A --outcome 本人確認 --note \"お元気でした\""
    );
    println!("  Three days on:    {c} sweep --at $(date -d '+3 days' -Iseconds) --dry-run");
    println!("  Residents:        {c} admin resident list");
    println!(
        "  Docs:             README.md, docs/architecture.md, docs/protocol.md, docs/dashboard.md"
    );
}
