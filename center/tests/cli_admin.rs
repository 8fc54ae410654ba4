//! The command-line side of what the dashboard's admin pages do, run as
//! the operator runs it: new box tokens, cards listed and unbound, notices
//! retired, staff disabled and changed, family contacts removed, consent
//! granted, withdrawn and listed.

use std::path::Path;

#[path = "common/process.rs"]
mod process;

use process::{center, ok};

fn config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("center.toml");
    std::fs::write(&path, format!("data_dir = \"{}\"\n", dir.display())).unwrap();
    path
}

#[test]
fn boxes_cards_notices_staff_family_and_consent_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path());
    let first = ok(&cfg, &["admin", "box", "add", "nanbu-0601"]);
    let second = ok(&cfg, &["admin", "box", "new-token", "nanbu-0601"]);
    let token = |out: &str| out.lines().last().unwrap().to_owned();
    assert!(token(&second).starts_with("mmb_"));
    assert_ne!(token(&first), token(&second));

    ok(
        &cfg,
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
        ],
    );
    ok(&cfg, &["admin", "card", "bind", "1", "--uid", "04A1B2C3"]);
    let cards = ok(&cfg, &["admin", "card", "list", "1"]);
    assert!(
        cards.contains("card_uid") && cards.contains("04A1B2C3"),
        "{cards}"
    );
    let id = cards.split_whitespace().next().unwrap().to_owned();
    ok(&cfg, &["admin", "card", "unbind", &id]);
    assert_eq!(ok(&cfg, &["admin", "card", "list", "1"]), "");

    ok(
        &cfg,
        &[
            "admin",
            "notice",
            "add",
            "--title",
            "健康まつり",
            "--body",
            "公民館で",
        ],
    );
    ok(&cfg, &["admin", "notice", "retire", "1"]);
    assert!(ok(&cfg, &["admin", "notice", "list"]).contains("[retired]"));
    assert!(
        !center(&cfg, &["admin", "notice", "retire", "1"])
            .status
            .success(),
        "twice"
    );

    ok(
        &cfg,
        &[
            "admin",
            "staff",
            "add",
            "tanaka",
            "--name",
            "田中",
            "--role",
            "nurse",
            "--districts",
            "東町",
        ],
    );
    ok(
        &cfg,
        &[
            "admin",
            "staff",
            "role",
            "tanaka",
            "--role",
            "nurse",
            "--districts",
            "東町,西町",
        ],
    );
    ok(&cfg, &["admin", "staff", "disable", "tanaka"]);
    let staff = ok(&cfg, &["admin", "staff", "list", "--json"]);
    assert!(staff.contains("西町"), "{staff}");
    ok(&cfg, &["admin", "staff", "enable", "tanaka"]);
    let refused = center(
        &cfg,
        &["admin", "staff", "role", "tanaka", "--role", "nurse"],
    );
    assert!(!refused.status.success(), "a nurse without districts");

    ok(
        &cfg,
        &[
            "admin",
            "family",
            "add",
            "1",
            "--name",
            "山田 一郎",
            "--email",
            "ichiro@example.jp",
        ],
    );
    ok(
        &cfg,
        &[
            "admin",
            "consent",
            "withdraw",
            "1",
            "--with",
            "1",
            "--items",
            "vitals,体調",
            "--note",
            "電話で",
        ],
    );
    ok(
        &cfg,
        &[
            "admin", "consent", "grant", "1", "--with", "nurses", "--items", "all",
        ],
    );
    let family = ok(&cfg, &["admin", "family", "list", "1"]);
    assert!(
        family.contains("sees symptoms,medication,call_request"),
        "{family}"
    );
    let records = ok(&cfg, &["admin", "consent", "list", "1"]);
    assert_eq!(records.lines().count(), 3, "{records}");
    assert!(
        records.contains("withdraw") && records.contains("電話で"),
        "{records}"
    );
    let bad = center(
        &cfg,
        &[
            "admin", "consent", "grant", "1", "--with", "1", "--items", "blood",
        ],
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--items"));
    ok(&cfg, &["admin", "family", "remove", "1"]);
    assert_eq!(ok(&cfg, &["admin", "family", "list", "1"]), "");
    assert_eq!(
        ok(&cfg, &["admin", "consent", "list", "1"]).lines().count(),
        3,
        "records stay"
    );
}

#[test]
fn incidents_open_close_and_list_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path());
    let opened = ok(&cfg, &["admin", "incident", "open", "--name", "台風10号"]);
    assert!(opened.contains("opened incident 1 (台風10号)"), "{opened}");
    // One at a time: the second is refused and says why.
    let refused = process::center(&cfg, &["admin", "incident", "open", "--name", "大雨"]);
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("still open"), "{why}");
    let list = ok(&cfg, &["admin", "incident", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(list[0]["closed_at"].is_null(), "{list}");
    let closed = ok(&cfg, &["admin", "incident", "close", "1"]);
    assert!(closed.contains("closed incident 1"), "{closed}");
    let again = process::center(&cfg, &["admin", "incident", "close", "1"]);
    assert!(!again.status.success());
    let audit = ok(&cfg, &["admin", "incident", "list"]);
    assert!(
        audit.contains("台風10号") && audit.contains("closed"),
        "{audit}"
    );
}
