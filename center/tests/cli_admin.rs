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

/// Runs a command that must fail; its standard error.
fn refused(cfg: &Path, args: &[&str]) -> String {
    let out = center(cfg, args);
    assert!(!out.status.success(), "{args:?} should fail");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn stations_children_cards_and_guardians_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path());
    ok(&cfg, &["admin", "box", "add", "nanbu-0701"]);
    let added = ok(
        &cfg,
        &[
            "admin",
            "station",
            "add",
            "nanbu-st-01",
            "--place",
            "南部小学校",
            "--kind",
            "school",
            "--district",
            "東町",
        ],
    );
    let token = |out: &str| out.lines().last().unwrap().to_owned();
    assert!(token(&added).starts_with("mmb_"), "{added}");
    let err = refused(
        &cfg,
        &[
            "admin",
            "station",
            "add",
            "nanbu-st-02",
            "--place",
            "駅",
            "--kind",
            "station",
            "--district",
            "東町",
        ],
    );
    assert!(err.contains("--kind"), "{err}");

    let list = ok(&cfg, &["admin", "station", "list"]);
    assert!(
        list.contains("nanbu-st-01") && list.contains("南部小学校") && list.contains("active"),
        "{list}"
    );
    let boxes = ok(&cfg, &["admin", "box", "list"]);
    assert!(
        boxes.contains("nanbu-0701") && !boxes.contains("nanbu-st-01"),
        "home boxes only: {boxes}"
    );
    let again = ok(&cfg, &["admin", "station", "token", "nanbu-st-01"]);
    assert_ne!(token(&again), token(&added));
    assert!(refused(&cfg, &["admin", "station", "token", "nanbu-0701"]).contains("no station"));
    ok(&cfg, &["admin", "station", "revoke", "nanbu-st-01"]);
    assert!(ok(&cfg, &["admin", "station", "list"]).contains("revoked"));

    // A resident never lives at a station.
    let err = refused(
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
            "--box",
            "nanbu-st-01",
        ],
    );
    assert!(err.contains("tap station"), "{err}");
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

    let child = ok(
        &cfg,
        &[
            "admin",
            "child",
            "add",
            "--name",
            "山田 太郎",
            "--kana",
            "やまだ たろう",
            "--district",
            "東町",
            "--school",
            "南部小学校",
            "--birth-date",
            "2017-05-01",
        ],
    );
    assert_eq!(child.trim(), "child 1 registered");
    ok(&cfg, &["admin", "child", "card", "1", "--uid", "04AA0001"]);
    // The resident's card, and the child's own card again, are refused.
    let err = refused(&cfg, &["admin", "child", "card", "1", "--uid", "04A1B2C3"]);
    assert!(err.contains("already bound to resident 1"), "{err}");
    let err = refused(&cfg, &["admin", "child", "card", "1", "--uid", "04AA0001"]);
    assert!(err.contains("already bound to child 1"), "{err}");
    // And a child's card is not a resident's.
    let err = refused(&cfg, &["admin", "card", "bind", "1", "--uid", "04AA0001"]);
    assert!(err.contains("already bound to child 1"), "{err}");

    let children = ok(&cfg, &["admin", "child", "list"]);
    assert!(
        children.contains("山田 太郎") && children.contains("cards 1"),
        "{children}"
    );
    let g = ok(
        &cfg,
        &[
            "admin",
            "child",
            "guardian",
            "add",
            "1",
            "--name",
            "山田 良子",
            "--email",
            "yoshiko@example.jp",
            "--relation",
            "母",
            "--policy",
            "first_of_day",
            "--consent-on",
            "2026-12-01",
        ],
    );
    assert!(g.contains("guardian 1 added to child 1"), "{g}");
    let err = refused(
        &cfg,
        &[
            "admin",
            "child",
            "guardian",
            "add",
            "1",
            "--name",
            "山田 一郎",
            "--email",
            "ichiro@example.jp",
            "--relation",
            "父",
            "--policy",
            "sometimes",
        ],
    );
    assert!(err.contains("--policy"), "{err}");
    let guardians = ok(&cfg, &["admin", "child", "guardian", "list", "1"]);
    assert!(
        guardians.contains("yoshiko@example.jp")
            && guardians.contains("first_of_day")
            && guardians.contains("2026-12-01"),
        "{guardians}"
    );
    ok(&cfg, &["admin", "child", "guardian", "remove", "1"]);
    assert_eq!(ok(&cfg, &["admin", "child", "guardian", "list", "1"]), "");
    ok(&cfg, &["admin", "child", "remove", "1"]);
    assert_eq!(ok(&cfg, &["admin", "child", "list"]), "");
    // Its card is free again.
    ok(&cfg, &["admin", "card", "bind", "1", "--uid", "04AA0001"]);

    // Every change is in the audit log, done by `cli`.
    let store = mimamori_center::store::Store::open(&tmp.path().join("center.sqlite3")).unwrap();
    let actions: Vec<String> = store
        .connection()
        .prepare("SELECT action FROM audit_log WHERE login = 'cli' ORDER BY id")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        actions,
        [
            "station.add",
            "station.token",
            "station.revoke",
            "child.add",
            "child.card",
            "guardian.add",
            "guardian.remove",
            "child.remove",
        ]
    );
}
