//! CSV import of children with their guardians (児童名簿): real files on
//! disk in UTF-8 with BOM and in Shift_JIS, read and then stored through
//! the command line, all rows or none.

use std::path::{Path, PathBuf};

use jiff::civil::date;
use mimamori_center::import::{ImportedChild, ImportedGuardian, parse_children};
use mimamori_center::mail::GuardianPolicy;

use crate::process::{center, ok};

fn fixture(name: &str) -> PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "testdata", "import", name]
        .iter()
        .collect()
}

fn read(name: &str) -> Vec<u8> {
    let path = fixture(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn errors(text: &str) -> Vec<String> {
    parse_children(text.as_bytes())
        .map(|r| panic!("expected problems, got {r:?}"))
        .unwrap_err()
        .messages()
}

/// What `children_utf8_bom.csv` (and its Shift_JIS twin) hold.
fn expected() -> Vec<ImportedChild> {
    vec![
        ImportedChild {
            line: 2,
            name: "山田 太郎".into(),
            kana: "やまだ たろう".into(),
            district: "南部".into(),
            school: "南部小学校".into(),
            birth_date: Some(date(2016, 5, 1)),
            cards: vec!["04A1B2C3D4E5F6".parse().unwrap()],
            guardians: vec![
                ImportedGuardian {
                    name: "山田 花子".into(),
                    email: "hanako@example.jp".into(),
                    relation: "母".into(),
                    policy: GuardianPolicy::EveryTap,
                    consent_on: Some(date(2026, 4, 1)),
                },
                ImportedGuardian {
                    name: "山田 一郎".into(),
                    email: "ichiro@example.jp".into(),
                    relation: "父".into(),
                    policy: GuardianPolicy::FirstOfDay,
                    consent_on: Some(date(2026, 4, 1)),
                },
            ],
        },
        ImportedChild {
            line: 3,
            name: "鈴木 さくら".into(),
            kana: "すずき さくら".into(),
            district: "北部".into(),
            school: "北部小学校".into(),
            birth_date: Some(date(2017, 7, 7)),
            cards: vec!["04B1C2D3".parse().unwrap()],
            guardians: vec![ImportedGuardian {
                name: "鈴木 恵子".into(),
                email: "keiko@example.jp".into(),
                relation: "祖母".into(),
                policy: GuardianPolicy::FirstOfDay,
                consent_on: None,
            }],
        },
        ImportedChild {
            line: 4,
            name: "佐藤 健".into(),
            kana: "さとう けん".into(),
            district: "南部".into(),
            school: String::new(),
            birth_date: None,
            cards: vec![],
            guardians: vec![],
        },
    ]
}

#[test]
fn the_list_in_utf8_with_bom_and_in_shift_jis() {
    let bytes = read("children_sjis.csv");
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the fixture must really be Shift_JIS"
    );
    assert!(read("children_utf8_bom.csv").starts_with(b"\xef\xbb\xbf"));
    for name in ["children_utf8_bom.csv", "children_sjis.csv"] {
        let children = parse_children(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(children, expected(), "{name}");
    }
}

#[test]
fn every_bad_row_is_named_with_its_line_and_column() {
    let problems = parse_children(&read("children_bad.csv"))
        .unwrap_err()
        .messages();
    assert_eq!(
        problems,
        [
            "3行目「カードUID」: 2行目と同じカードです（カードは1人に1枚）",
            "3行目「保護者メール」: メールアドレスとして読めません（例: hanako@example.jp）",
            "3行目「通知」: 「毎日」は通知の設定として読めません（毎回、その日最初、なし）",
            "4行目「保護者氏名」: 保護者を書くときは氏名とメールアドレスの両方が必要です",
        ]
    );
}

#[test]
fn header_and_duplicate_problems() {
    assert_eq!(
        errors("氏名,ふりがな,学年\nあ,あ,1\n"),
        [
            "1行目「学年」: 知らない列名です（使える列名: 氏名、ふりがな、地区、学校、生年月日、カードUID、保護者氏名、保護者メール、続柄、通知、同意日、保護者2氏名、保護者2メール、続柄2、通知2、同意日2）",
            "1行目「地区」: 必須の列がありません",
        ]
    );
    assert_eq!(
        errors(
            "氏名,ふりがな,地区,生年月日\n山田 太郎,やまだ たろう,南部,2016-05-01\n山田 太郎,ヤマダタロウ,南部,H28.5.1\n"
        ),
        ["3行目「ふりがな」: 2行目と同じ人です（ふりがなと生年月日が同じ）"]
    );
}

fn config(dir: &Path) -> PathBuf {
    let path = dir.join("center.toml");
    std::fs::write(&path, format!("data_dir = \"{}\"\n", dir.display())).unwrap();
    path
}

fn query(dir: &Path, sql: &str) -> Vec<String> {
    let store = mimamori_center::store::Store::open(&dir.join("center.sqlite3")).unwrap();
    store
        .connection()
        .prepare(sql)
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn the_command_line_stores_every_row_or_none() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path());
    // A resident holds the card of the second row: the whole file is refused.
    ok(
        &cfg,
        &[
            "admin",
            "resident",
            "add",
            "--name",
            "高橋 トメ",
            "--kana",
            "たかはし とめ",
            "--district",
            "北部",
        ],
    );
    ok(&cfg, &["admin", "card", "bind", "1", "--uid", "04B1C2D3"]);
    let sjis = fixture("children_sjis.csv");
    let refused = center(&cfg, &["admin", "child", "import", sjis.to_str().unwrap()]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(
        err.contains(
            "3行目「カードUID」: カード 04B1C2D3 は既に利用者（利用者ID 1）に登録されています"
        ),
        "{err}"
    );
    assert_eq!(ok(&cfg, &["admin", "child", "list"]), "");
    let rev = query(
        tmp.path(),
        "SELECT CAST(value AS TEXT) FROM counters WHERE name = 'people_rev'",
    );

    ok(&cfg, &["admin", "card", "unbind", "1"]);
    let out = ok(&cfg, &["admin", "child", "import", sjis.to_str().unwrap()]);
    assert!(
        out.starts_with("3 children and 3 guardians imported"),
        "{out}"
    );
    let list = ok(&cfg, &["admin", "child", "list"]);
    assert!(
        list.contains("山田 太郎") && list.contains("cards 1 guardians 2"),
        "{list}"
    );
    let guardians = ok(&cfg, &["admin", "child", "guardian", "list", "1"]);
    assert!(
        guardians.contains("hanako@example.jp")
            && guardians.contains("every_tap")
            && guardians.contains("first_of_day")
            && guardians.contains("2026-04-01"),
        "{guardians}"
    );
    assert_ne!(
        query(
            tmp.path(),
            "SELECT CAST(value AS TEXT) FROM counters WHERE name = 'people_rev'"
        ),
        rev,
        "stations must get the new roster"
    );
    let actions = query(
        tmp.path(),
        "SELECT action FROM audit_log WHERE login = 'cli' AND (action LIKE 'child.%' OR action LIKE 'guardian.%') ORDER BY id",
    );
    assert_eq!(
        actions,
        [
            "child.add",
            "child.card",
            "guardian.add",
            "guardian.add",
            "child.add",
            "child.card",
            "guardian.add",
            "child.add",
        ]
    );

    // 鈴木 さくら's grandmother consents later.
    ok(
        &cfg,
        &[
            "admin",
            "child",
            "guardian",
            "consent",
            "3",
            "--on",
            "2026-04-02",
        ],
    );
    let guardians = ok(&cfg, &["admin", "child", "guardian", "list", "2"]);
    assert!(guardians.contains("consent 2026-04-02"), "{guardians}");

    // The same file again: every row is already there, nothing is added.
    let utf8 = fixture("children_utf8_bom.csv");
    let again = center(&cfg, &["admin", "child", "import", utf8.to_str().unwrap()]);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("2行目: 山田 太郎（やまだ たろう）は既に登録されています（児童ID 1）")
            && err.contains("4行目"),
        "{err}"
    );
    assert_eq!(
        query(tmp.path(), "SELECT CAST(COUNT(*) AS TEXT) FROM children"),
        ["3"]
    );
}

#[test]
fn a_child_with_a_school_card_and_a_library_card() {
    let text = "氏名,ふりがな,地区,カードUID\n\
                山田 太郎,やまだ たろう,南部,\"04000001、04000002\"\n\
                鈴木 花,すずき はな,北部,04000003;04000002\n";
    assert_eq!(
        errors(text),
        ["3行目「カードUID」: 2行目と同じカードです（カードは1人に1枚）"]
    );
    let children = parse_children(text.replace(";04000002", "").as_bytes()).unwrap();
    assert_eq!(
        children[0]
            .cards
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["04000001", "04000002"]
    );
    assert_eq!(children[1].cards.len(), 1);
}
