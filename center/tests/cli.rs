//! The `mimamori-center` binary as an operator runs it: admin commands, the
//! server as a real process (killed with SIGKILL and restarted), sweeps as of
//! a chosen instant, and configuration errors.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "common/process.rs"]
mod process;
#[path = "api/smtp.rs"]
mod smtp;

use process::{BIN, Server, center, free_port, ok};

/// Plain blocking HTTP for a test without an async runtime.
mod http {
    pub(crate) fn post(
        url: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let response = ::reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .json(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json().await.unwrap())
        })
    }
}

fn sync_body(resident: i64, call: bool) -> Value {
    json!({
        "protocol": "1.0",
        "device_id": "nanbu-0001",
        "sent_at": "2026-11-29T09:00:05+09:00",
        "events": [{
            "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
            "recorded_at": "2026-11-29T09:00:00+09:00",
            "boot_id": "6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22",
            "seq": 1,
            "body": {
                "type": "check_in", "resident": resident, "condition": "fair",
                "call_requested": call,
                "auth": {"method": "card_uid", "uid": "04A1B2C3"}
            }
        }]
    })
}

#[test]
fn an_operator_registers_a_household_and_the_server_survives_sigkill() {
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let config = tmp.path().join("center.toml");
    std::fs::write(
        &config,
        format!("data_dir = \"data\"\n[http]\nlisten = \"127.0.0.1:{port}\"\n"),
    )
    .unwrap();

    let out = ok(
        &config,
        &[
            "admin",
            "box",
            "add",
            "nanbu-0001",
            "--label",
            "東町 山田様宅",
        ],
    );
    let token = out.lines().nth(1).unwrap().trim().to_owned();
    assert!(token.starts_with("mmb_"), "{out}");
    let again = center(&config, &["admin", "box", "add", "nanbu-0001"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already registered"));

    let out = ok(
        &config,
        &[
            "admin",
            "resident",
            "add",
            "--name",
            "山田 花子",
            "--kana",
            "やまだ はなこ",
            "--district",
            "東町",
            "--medication",
            "朝,夕",
            "--vitals",
            "血圧",
            "--box",
            "nanbu-0001",
        ],
    );
    assert_eq!(out.trim(), "resident 1 registered");
    ok(
        &config,
        &["admin", "card", "bind", "1", "--uid", "04A1B2C3"],
    );
    let listed: Value =
        serde_json::from_str(&ok(&config, &["admin", "resident", "list", "--json"])).unwrap();
    assert_eq!(listed[0]["box_device"], "nanbu-0001");

    let server = Server::start(&config, &url);
    let (status, response) = http::post(&format!("{url}/api/v1/sync"), &token, &sync_body(1, true));
    assert_eq!(status, 200, "{response}");
    server.kill();

    // After SIGKILL: the acked check-in is there, and a resend is a duplicate.
    let server = Server::start(&config, &url);
    let (status, response) = http::post(&format!("{url}/api/v1/sync"), &token, &sync_body(1, true));
    assert_eq!(status, 200, "{response}");
    assert_eq!(response["acked"][0], "0f8fad5b-d9cb-469f-a165-70867728950e");
    let listed: Value =
        serde_json::from_str(&ok(&config, &["admin", "resident", "list", "--json"])).unwrap();
    assert!(listed[0]["last_check_in_at"].is_string(), "{listed}");
    drop(server);
}

#[test]
fn configuration_errors_name_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("center.toml");
    std::fs::write(&config, "[watch]\nmissed_dayz = 3\n").unwrap();
    let out = center(&config, &["admin", "box", "list"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missed_dayz"), "{err}");
    assert!(err.contains("center.toml"), "{err}");

    let missing = tmp.path().join("nowhere.toml");
    let out = center(&missing, &["admin", "box", "list"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the configuration file"));
}

#[test]
fn import_then_sweep_as_of_a_later_day_then_work_the_alert() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("center.toml");
    std::fs::write(&config, "data_dir = \"data\"\n").unwrap();
    ok(&config, &["admin", "box", "add", "nanbu-0200"]);
    let csv = tmp.path().join("residents.csv");
    std::fs::write(
        &csv,
        "氏名,フリガナ,地区,生年月日,服薬,端末,カードUID\n\
         山田 花子,ヤマダ ハナコ,東町,昭和16年4月1日,\"朝,夕\",nanbu-0200,04A1B2C3\n\
         佐藤 トメ,サトウ トメ,西町,1938/2/11,,,\n",
    )
    .unwrap();
    let out = ok(
        &config,
        &["admin", "resident", "import", csv.to_str().unwrap()],
    );
    assert!(out.starts_with("2 residents imported"), "{out}");
    // The same file again: nothing is imported, every line is named.
    let again = center(
        &config,
        &["admin", "resident", "import", csv.to_str().unwrap()],
    );
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(
        err.contains("2行目") && err.contains("3行目") && err.contains("既に登録されています"),
        "{err}"
    );

    #[allow(clippy::disallowed_methods)] // the CLI registered them at the real now
    let now = jiff::Timestamp::now();
    let later = (now + jiff::SignedDuration::from_hours(24 * 4)).to_string();
    let dry: Value = serde_json::from_str(&ok(
        &config,
        &["sweep", "--at", &later, "--dry-run", "--json"],
    ))
    .unwrap();
    let kinds: Vec<&str> = dry["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "missed").count(), 2, "{dry}");
    assert!(
        kinds.contains(&"box_offline"),
        "the box never synced: {dry}"
    );
    let none: Value =
        serde_json::from_str(&ok(&config, &["admin", "alerts", "list", "--json"])).unwrap();
    assert_eq!(none, json!([]), "a dry run stores nothing");

    let text = ok(&config, &["sweep", "--at", &later]);
    assert!(text.contains("opened") && text.contains("missed"), "{text}");
    let open: Value =
        serde_json::from_str(&ok(&config, &["admin", "alerts", "list", "--json"])).unwrap();
    let missed = open
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "missed")
        .unwrap();
    let id = missed["id"].as_i64().unwrap().to_string();
    assert!(
        missed["reason"]
            .as_str()
            .unwrap()
            .contains("記録がありません"),
        "{missed}"
    );

    ok(
        &config,
        &["admin", "alerts", "ack", &id, "--by", "保健師 田中"],
    );
    let twice = center(
        &config,
        &["admin", "alerts", "ack", &id, "--by", "保健師 田中"],
    );
    assert!(String::from_utf8_lossy(&twice.stderr).contains("is acknowledged"));
    let out = ok(
        &config,
        &[
            "admin",
            "alerts",
            "resolve",
            &id,
            "--by",
            "保健師 田中",
            "--outcome",
            "本人確認",
            "--note",
            "お元気でした",
        ],
    );
    assert!(out.contains("本人確認"), "{out}");
    let all: Value = serde_json::from_str(&ok(
        &config,
        &["admin", "alerts", "list", "--all", "--json"],
    ))
    .unwrap();
    let resolved = all
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"].as_i64().unwrap().to_string() == id)
        .unwrap();
    assert_eq!(resolved["state"], "resolved");
}

#[test]
fn residents_are_edited_and_get_their_own_thresholds_family_and_staff() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("center.toml");
    std::fs::write(&config, "data_dir = \"data\"\n").unwrap();
    ok(
        &config,
        &[
            "admin",
            "resident",
            "add",
            "--name",
            "佐藤 トメ",
            "--kana",
            "さとう とめ",
            "--district",
            "西町",
        ],
    );
    ok(
        &config,
        &[
            "admin",
            "resident",
            "edit",
            "1",
            "--district",
            "東町",
            "--phone",
            "0859-00-0000",
        ],
    );
    let listed: Value =
        serde_json::from_str(&ok(&config, &["admin", "resident", "list", "--json"])).unwrap();
    assert_eq!(listed[0]["district"], "東町");
    let empty = center(&config, &["admin", "resident", "edit", "1", "--name", " "]);
    assert!(String::from_utf8_lossy(&empty.stderr).contains("`name` must not be empty"));

    let out = ok(
        &config,
        &[
            "admin",
            "resident",
            "thresholds",
            "1",
            "--set",
            "missed_days=3",
            "--set",
            "offline_after=12h",
            "--set",
            "temperature_high=37.5",
        ],
    );
    assert!(out.contains("\"missed_days\":3"), "{out}");
    let shown: Value =
        serde_json::from_str(&ok(&config, &["admin", "resident", "thresholds", "1"])).unwrap();
    assert_eq!(shown["missed_days"], 3);
    assert_eq!(shown["temperature_high"], 37.5);
    let bad = center(
        &config,
        &[
            "admin",
            "resident",
            "thresholds",
            "1",
            "--set",
            "mised_days=3",
        ],
    );
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("mised_days"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let cleared: Value = serde_json::from_str(
        &ok(
            &config,
            &["admin", "resident", "thresholds", "1", "--clear"],
        )
        .replace("resident 1: own thresholds ", ""),
    )
    .unwrap();
    assert_eq!(cleared["missed_days"], Value::Null);

    ok(
        &config,
        &[
            "admin",
            "family",
            "add",
            "1",
            "--name",
            "佐藤 花",
            "--email",
            "hana@example.jp",
            "--relation",
            "長女",
            "--policy",
            "毎日まとめて",
        ],
    );
    let bad = center(
        &config,
        &[
            "admin",
            "family",
            "add",
            "1",
            "--name",
            "佐藤 花",
            "--email",
            "hana.example.jp",
        ],
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not an email address"));
    let family: Value =
        serde_json::from_str(&ok(&config, &["admin", "family", "list", "1", "--json"])).unwrap();
    assert_eq!(family[0]["policy"], "daily_digest");
    assert_eq!(family[0]["digest_at"], "19:00");
    assert_eq!(family[0]["consent"], "all");
    assert_eq!(family[0]["bounce"], Value::Null);
    assert_eq!(family.as_array().unwrap().len(), 1);
    ok(
        &config,
        &[
            "admin",
            "family",
            "edit",
            "1",
            "--digest-at",
            "07:30",
            "--consent",
            "体調,服薬",
        ],
    );
    let family: Value =
        serde_json::from_str(&ok(&config, &["admin", "family", "list", "1", "--json"])).unwrap();
    assert_eq!(family[0]["digest_at"], "07:30");
    assert_eq!(family[0]["consent"], "condition,medication");
    let text = ok(&config, &["admin", "family", "list"]);
    assert!(
        text.contains("daily_digest at 07:30") && text.contains("sees condition,medication"),
        "{text}"
    );
    let bad = center(
        &config,
        &["admin", "family", "edit", "1", "--consent", "体調,年収"],
    );
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        !bad.status.success() && stderr.contains("--consent") && stderr.contains("年収"),
        "{stderr}"
    );
    let bad = center(
        &config,
        &["admin", "family", "edit", "9", "--policy", "concerns_only"],
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("family contact 9 does not exist"));

    ok(
        &config,
        &[
            "admin",
            "staff",
            "add",
            "tanaka",
            "--name",
            "田中 保健師",
            "--role",
            "保健師",
            "--districts",
            "東町,西町",
        ],
    );
    let no_district = center(
        &config,
        &[
            "admin", "staff", "add", "suzuki", "--name", "鈴木", "--role", "nurse",
        ],
    );
    assert!(String::from_utf8_lossy(&no_district.stderr).contains("at least one district"));
    let staff: Value =
        serde_json::from_str(&ok(&config, &["admin", "staff", "list", "--json"])).unwrap();
    assert_eq!(staff[0]["districts"], json!(["東町", "西町"]));
}

/// The documented guarantee: after SIGKILL, every queued message is
/// delivered; only the messages in flight at the kill (at most
/// `concurrency`) may arrive twice, with the same Message-ID.
#[test]
fn mail_queued_when_the_center_is_killed_is_delivered_after_restart() {
    const CONTACTS: usize = 24;
    const CONCURRENCY: usize = 4;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let smtp = smtp::Smtp::up();
    // The relay takes its time, so the kill lands with mail in flight.
    smtp.delay(Duration::from_millis(150));
    let config = tmp.path().join("center.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"data\"\n[http]\nlisten = \"127.0.0.1:{port}\"\n\
             [mail]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"plain\"\n\
             from = \"mimamori@center.example.jp\"\ndesk_name = \"南部町 健康福祉課\"\n\
             desk_phone = \"0859-00-0000\"\ndesk_email = \"kenko@town.example.jp\"\n\
             public_url = \"https://center.example.jp\"\n\
             dashboard_url = \"https://center.example.jp/dashboard\"\n\
             message_id_domain = \"center.example.jp\"\npoll_interval_ms = 100\n\
             concurrency = {CONCURRENCY}\ngroup_window_s = 1\n",
            smtp.port
        ),
    )
    .unwrap();
    let out = ok(&config, &["admin", "box", "add", "nanbu-0001"]);
    let token = out.lines().nth(1).unwrap().trim().to_owned();
    ok(
        &config,
        &[
            "admin",
            "resident",
            "add",
            "--name",
            "山田 花子",
            "--kana",
            "やまだ はなこ",
            "--district",
            "東町",
            "--box",
            "nanbu-0001",
        ],
    );
    ok(
        &config,
        &["admin", "card", "bind", "1", "--uid", "04A1B2C3"],
    );
    for n in 0..CONTACTS {
        ok(
            &config,
            &[
                "admin",
                "family",
                "add",
                "1",
                "--name",
                &format!("山田 {n}"),
                "--email",
                &format!("family{n}@example.jp"),
                "--policy",
                "every_check_in",
            ],
        );
    }

    let server = Server::start(&config, &url);
    // Two days of check-ins arrive together (a box back online): one mail
    // per contact carries both.
    for day in 1..=2 {
        let mut body = sync_body(1, false);
        body["events"][0]["id"] = json!(format!("0f8fad5b-d9cb-469f-a165-70867728950{day}"));
        body["events"][0]["seq"] = json!(day);
        body["events"][0]["recorded_at"] = json!(format!("2026-11-2{day}T09:00:00+09:00"));
        body["sent_at"] = json!(format!("2026-11-2{day}T09:00:05+09:00"));
        let (status, response) = http::post(&format!("{url}/api/v1/sync"), &token, &body);
        assert_eq!(status, 200, "{response}");
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while smtp.received().len() < 6 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    server.kill();
    // Messages whose data was complete at the kill still finish on the
    // relay's side (after its delay): those were in flight.
    std::thread::sleep(Duration::from_millis(500));
    let before: std::collections::HashSet<String> =
        smtp.received().iter().map(message_id).collect();
    let listed: Value =
        serde_json::from_str(&ok(&config, &["admin", "mail", "list", "--json"])).unwrap();
    let messages = listed["messages"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        CONTACTS,
        "one message per contact: {listed}"
    );
    let pending = messages.iter().filter(|m| m["state"] == "pending").count();
    assert!(
        pending > 0,
        "the kill should leave queued mail behind: {listed}"
    );

    smtp.delay(Duration::ZERO);
    let server = Server::start(&config, &url);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let listed: Value =
            serde_json::from_str(&ok(&config, &["admin", "mail", "list", "--json"])).unwrap();
        if listed["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["state"] == "sent")
        {
            break;
        }
        assert!(Instant::now() < deadline, "not all sent: {listed}");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    drop(server);

    let received = smtp.received();
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    for r in &received {
        *counts.entry(message_id(r)).or_default() += 1;
        let parsed = mail_parser::MessageParser::default()
            .parse(&r.data)
            .unwrap();
        assert_eq!(parsed.subject(), Some("山田 花子さんの記録が2件届きました"));
    }
    assert_eq!(counts.len(), CONTACTS, "every queued message arrived");
    let twice: Vec<&String> = counts
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| id)
        .collect();
    assert!(
        counts.values().all(|n| *n <= 2),
        "at most twice: {counts:?}"
    );
    assert!(
        twice.len() <= CONCURRENCY,
        "only the messages in flight may arrive twice: {twice:?}"
    );
    for id in &twice {
        assert!(
            before.contains(*id),
            "{id} arrived twice but was not in flight at the kill"
        );
    }
}

fn message_id(received: &smtp::Received) -> String {
    mail_parser::MessageParser::default()
        .parse(&received.data)
        .unwrap()
        .message_id()
        .unwrap()
        .to_owned()
}

fn center_with_stdin(config: &Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_password_set_from_the_command_line_signs_in_to_the_dashboard() {
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let config = tmp.path().join("center.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"data\"\n[http]\nlisten = \"127.0.0.1:{port}\"\n[dashboard]\ntotp_for_nurses = false\n"
        ),
    )
    .unwrap();
    ok(
        &config,
        &[
            "admin",
            "staff",
            "add",
            "tanaka",
            "--name",
            "田中 保健師",
            "--role",
            "nurse",
            "--districts",
            "東町",
        ],
    );
    let short = center_with_stdin(
        &config,
        &["admin", "staff", "password", "tanaka"],
        "short\n",
    );
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10 characters"));
    let unknown = center_with_stdin(
        &config,
        &["admin", "staff", "password", "nobody"],
        "long enough password\n",
    );
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no staff login nobody"));
    let set = center_with_stdin(
        &config,
        &["admin", "staff", "password", "tanaka"],
        "long enough password\n",
    );
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );

    let _server = Server::start(&config, &url);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let form = client
            .get(format!("{url}/dashboard/login"))
            .send()
            .await
            .unwrap();
        let cookie = form.headers()["set-cookie"].to_str().unwrap().to_owned();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let csrf = cookie.split_once('=').unwrap().1.to_owned();
        let answer = client
            .post(format!("{url}/dashboard/login"))
            .header("cookie", cookie)
            .form(&[
                ("csrf", csrf.as_str()),
                ("login", "tanaka"),
                ("password", "long enough password"),
            ])
            .send()
            .await
            .unwrap();
        (
            answer.status().as_u16(),
            answer.headers().get("location").cloned(),
        )
    });
    assert_eq!(status.0, 303);
    assert_eq!(status.1.unwrap(), "/dashboard/");
}
