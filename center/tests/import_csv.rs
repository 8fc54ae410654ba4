//! CSV import: residents lists and checkup results, as municipal staff
//! export them (UTF-8, UTF-8 with BOM, Shift_JIS; CRLF; quoted fields).

#[path = "import/children.rs"]
mod children;
#[path = "common/process.rs"]
mod process;

use std::path::PathBuf;

use jiff::civil::date;
use mimamori_center::import::{
    DateError, ErrorKind, ImportErrors, NewCheckup, NewResident, ResidentRef, SourceEncoding,
    decode_text, parse_checkups, parse_date, parse_residents,
};
use mimamori_protocol::{CardUid, CarePlan, CheckupItem, Judgement, MedicationSlot, VitalKind};
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "testdata", "import", name]
        .iter()
        .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn time(text: &str) -> mimamori_protocol::TimeOfDay {
    text.parse().unwrap()
}

fn residents_ok(bytes: &[u8]) -> Vec<NewResident> {
    parse_residents(bytes).unwrap_or_else(|e| panic!("{e}"))
}

fn residents_err(text: &str) -> Vec<String> {
    parse_residents(text.as_bytes())
        .map(|r| panic!("expected problems, got {r:?}"))
        .unwrap_err()
        .messages()
}

fn checkups_err(text: &str) -> Vec<String> {
    parse_checkups(text.as_bytes())
        .map(|r| panic!("expected problems, got {r:?}"))
        .unwrap_err()
        .messages()
}

/// What `residents_utf8.csv` (and its Shift_JIS twin) hold.
fn expected_residents() -> Vec<NewResident> {
    vec![
        NewResident {
            line: 2,
            name: "山田 花子".into(),
            name_kana: "やまだ はなこ".into(),
            district: "南部".into(),
            address: Some("南部町1-2-3\nひまわり荘101".into()),
            phone: Some("03-1234-5678".into()),
            birth_date: Some(date(1941, 4, 1)),
            care_plan: CarePlan {
                medication_slots: vec![MedicationSlot::Morning, MedicationSlot::Evening],
                vitals: vec![VitalKind::BloodPressure, VitalKind::Temperature],
                reminder_at: time("08:30"),
                deadline: time("11:00"),
            },
            card_uid: Some("04A1B2C3D4E5F6".parse::<CardUid>().unwrap()),
            device_id: Some("nanbu-0042".parse().unwrap()),
        },
        NewResident {
            // The address of the first resident spans lines 2 and 3.
            line: 4,
            name: "鈴木 一郎".into(),
            name_kana: "すずき いちろう".into(),
            district: "北部".into(),
            address: Some("北部町4-5, 2階".into()),
            phone: Some("090-1234-5678".into()),
            birth_date: Some(date(1938, 12, 5)),
            care_plan: CarePlan {
                medication_slots: vec![
                    MedicationSlot::Morning,
                    MedicationSlot::Evening,
                    MedicationSlot::Bedtime,
                ],
                vitals: vec![
                    VitalKind::BloodPressure,
                    VitalKind::Weight,
                    VitalKind::Steps,
                ],
                reminder_at: time("09:00"),
                deadline: time("12:00"),
            },
            card_uid: None,
            device_id: None,
        },
        NewResident {
            line: 5,
            name: "佐藤 ウメ".into(),
            name_kana: "さとう うめ".into(),
            district: "南部".into(),
            address: None,
            phone: None,
            birth_date: Some(date(1926, 3, 3)),
            care_plan: CarePlan {
                medication_slots: vec![],
                vitals: vec![],
                reminder_at: time("09:00"),
                deadline: time("12:00"),
            },
            card_uid: None,
            device_id: None,
        },
    ]
}

#[test]
fn a_utf8_residents_list() {
    let bytes = fixture("residents_utf8.csv");
    assert_eq!(decode_text(&bytes).unwrap().1, SourceEncoding::Utf8);
    assert_eq!(residents_ok(&bytes), expected_residents());
}

#[test]
fn the_same_list_in_shift_jis() {
    let utf8 = fixture("residents_utf8.csv");
    let sjis = fixture("residents_sjis.csv");
    // The fixture is the UTF-8 file encoded as Excel would.
    let text = std::str::from_utf8(&utf8).unwrap();
    let (encoded, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!unmappable);
    assert_eq!(&encoded[..], &sjis[..]);

    let (decoded, encoding) = decode_text(&sjis).unwrap();
    assert_eq!(encoding, SourceEncoding::ShiftJis);
    assert_eq!(decoded, text);
    assert_eq!(residents_ok(&sjis), expected_residents());
}

#[test]
fn a_bom_file_with_crlf_line_ends() {
    let bytes = fixture("residents_bom_crlf.csv");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let (text, encoding) = decode_text(&bytes).unwrap();
    assert_eq!(encoding, SourceEncoding::Utf8WithBom);
    assert!(text.starts_with("氏名,"), "the BOM is dropped");
    assert!(!text.contains('\r'));

    let residents = residents_ok(&bytes);
    let summary: Vec<_> = residents
        .iter()
        .map(|r| {
            (
                r.line,
                r.name.as_str(),
                r.name_kana.as_str(),
                r.address.as_deref(),
                r.birth_date,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                2,
                "高橋 三郎",
                "たかはし さぶろう",
                Some("東部町1\n高橋様方"),
                Some(date(2019, 5, 1))
            ),
            (4, "伊藤 よし", "いとう よし", None, Some(date(1989, 1, 7))),
            (
                5,
                "渡辺 みつ",
                "わたなべ みつ",
                None,
                Some(date(1989, 1, 8))
            ),
        ]
    );
}

#[test]
fn every_bad_row_is_reported_with_its_line() {
    let errors = parse_residents(&fixture("residents_bad.csv")).unwrap_err();
    assert_eq!(
        errors.messages(),
        [
            "3行目「氏名」: 必須の項目が空欄です",
            "4行目「ふりがな」: ふりがなに使えない文字「田」があります（ひらがなかカタカナで書いてください）",
            "4行目「生年月日」: 存在しない日付です",
            "5行目「氏名」: 改行などの制御文字は使えません",
            "5行目「電話番号」: 電話番号の数字は10桁か11桁です（この値は8桁）",
            "7行目「生年月日」: 昭和64年1月8日は昭和の期間外です（正しくは平成元年1月8日）",
            "7行目「服薬」: 「夜」は服薬の時間帯として読めません（朝、昼、夕、寝る前）",
            "7行目「声かけ時刻」: 声かけ時刻（10:00）が締切（09:30）より後です",
            "8行目: 列の数が見出しと合いません（見出しは8列、この行は5列）",
            "9行目「ふりがな」: 2行目と同じ人です（ふりがなと生年月日が同じ）",
            "10行目「地区」: 必須の項目が空欄です",
        ]
    );
    // Programs can classify without reading the text.
    let first = &errors.as_slice()[0];
    assert_eq!(first.line, Some(3));
    assert_eq!(first.column.as_deref(), Some("氏名"));
    assert_eq!(first.kind, ErrorKind::Required);
    assert_eq!(
        errors.as_slice()[5].kind,
        ErrorKind::BadDate(DateError::OutsideEra {
            written: "昭和64年1月8日".into(),
            era: "昭和",
            actual: "平成元年1月8日".into(),
        })
    );
}

#[test]
fn the_message_format_staff_read() {
    let errors =
        residents_err("氏名,ふりがな,地区,生年月日\n山田 花子,やまだ はなこ,南部,1941年4月\n");
    assert_eq!(
        errors,
        ["2行目「生年月日」: 日付として読めません（例: 1941-04-01, 昭和16年4月1日）"]
    );
}

#[test]
fn era_dates_through_the_file() {
    let csv = "氏名,ふりがな,地区,生年月日\n\
               一,いち,南部,令和元年5月1日\n\
               二,に,南部,昭和64年1月7日\n\
               三,さん,南部,平成元年1月8日\n\
               四,よん,南部,S16.4.1\n\
               五,ご,南部,大正元年7月30日\n\
               六,ろく,南部,Ｈ１．１．８\n";
    let dates: Vec<_> = residents_ok(csv.as_bytes())
        .iter()
        .map(|r| r.birth_date.unwrap())
        .collect();
    assert_eq!(
        dates,
        [
            date(2019, 5, 1),
            date(1989, 1, 7),
            date(1989, 1, 8),
            date(1941, 4, 1),
            date(1912, 7, 30),
            date(1989, 1, 8),
        ]
    );
}

#[test]
fn era_boundaries() {
    assert_eq!(parse_date("昭和64年1月7日"), Ok(date(1989, 1, 7)));
    assert_eq!(parse_date("平成元年1月8日"), Ok(date(1989, 1, 8)));
    assert_eq!(parse_date("平成31年4月30日"), Ok(date(2019, 4, 30)));
    assert_eq!(parse_date("令和元年5月1日"), Ok(date(2019, 5, 1)));
    assert_eq!(parse_date("大正15年12月24日"), Ok(date(1926, 12, 24)));
    assert_eq!(parse_date("昭和元年12月25日"), Ok(date(1926, 12, 25)));
    let outside = |text: &str| parse_date(text).unwrap_err().to_string();
    assert_eq!(
        outside("平成31年5月1日"),
        "平成31年5月1日は平成の期間外です（正しくは令和元年5月1日）"
    );
    assert_eq!(
        outside("平成元年1月7日"),
        "平成元年1月7日は平成の期間外です（正しくは昭和64年1月7日）"
    );
    assert_eq!(
        outside("昭和元年12月24日"),
        "昭和元年12月24日は昭和の期間外です（正しくは大正15年12月24日）"
    );
}

#[test]
fn full_width_digits_and_dashes() {
    let csv = "氏名,ふりがな,地区,電話番号,生年月日,声かけ時刻,締切,カードUID\n\
               山田 花子,やまだ はなこ,南部,０９０ー１２３４ー５６７８,１９４１／４／１,０８：００,１０：３０,０４ａ１ｂ２ｃ３\n";
    let resident = &residents_ok(csv.as_bytes())[0];
    assert_eq!(resident.phone.as_deref(), Some("090-1234-5678"));
    assert_eq!(resident.birth_date, Some(date(1941, 4, 1)));
    assert_eq!(resident.care_plan.reminder_at, time("08:00"));
    assert_eq!(resident.care_plan.deadline, time("10:30"));
    assert_eq!(resident.card_uid.as_ref().unwrap().to_string(), "04A1B2C3");
}

#[test]
fn a_quoted_field_with_a_line_break_keeps_line_numbers_right() {
    let csv = "氏名,ふりがな,地区,住所,生年月日\n\
               山田 花子,やまだ はなこ,南部,\"南部町1-2-3\n\n二行目\",昭和16年4月1日\n\
               鈴木 一郎,すずき いちろう,北部,\"北部町, 5\",昭和99年1月1日\n";
    assert_eq!(
        residents_err(csv),
        ["5行目「生年月日」: 昭和99年1月1日は昭和の期間外です（正しくは令和6年1月1日）"]
    );
    let fixed = csv.replace("昭和99年", "昭和9年");
    let residents = residents_ok(fixed.as_bytes());
    assert_eq!(
        residents[0].address.as_deref(),
        Some("南部町1-2-3\n\n二行目")
    );
    assert_eq!(residents[1].address.as_deref(), Some("北部町, 5"));
    assert_eq!((residents[0].line, residents[1].line), (2, 5));
}

#[test]
fn an_unknown_column_is_an_error_not_dropped() {
    let errors = residents_err(
        "氏名,ふりがな,地区,生年月目\n山田 花子,やまだ はなこ,南部,昭和16年4月1日\n鈴木 一郎,,北部,\n",
    );
    assert_eq!(
        errors,
        [
            "1行目「生年月目」: 知らない列名です（使える列名: 氏名、ふりがな、地区、住所、電話番号、生年月日、服薬、測定、声かけ時刻、締切、カードUID、端末）",
            "3行目「ふりがな」: 必須の項目が空欄です",
        ]
    );
}

#[test]
fn header_problems() {
    assert_eq!(
        residents_err("氏名,地区\n山田 花子,南部\n"),
        ["1行目「ふりがな」: 必須の列がありません"]
    );
    assert_eq!(
        residents_err("氏名,name,ふりがな,地区\n山田 花子,山田 花子,やまだ はなこ,南部\n"),
        ["1行目「name」: 「氏名」と同じ列です（列が重複しています）"]
    );
    assert_eq!(
        residents_err("氏名,ふりがな,地区,\n山田 花子,やまだ はなこ,南部,メモ\n"),
        ["2行目: 左から4列目に値がありますが、その列には見出しがありません"]
    );
}

#[test]
fn english_headers_in_any_order() {
    let csv = "Kana,district,NAME,birth_date,medication,vitals,reminder_at,deadline,card_uid,box,phone,address\n\
               やまだ はなこ,南部,山田 花子,1941-04-01,bedtime,steps,07:00,08:00,04A1B2C3,nanbu-0001,0312345678,南部町\n";
    let resident = &residents_ok(csv.as_bytes())[0];
    assert_eq!(resident.name, "山田 花子");
    assert_eq!(
        resident.care_plan.medication_slots,
        [MedicationSlot::Bedtime]
    );
    assert_eq!(resident.care_plan.vitals, [VitalKind::Steps]);
    assert_eq!(resident.device_id.as_ref().unwrap().as_str(), "nanbu-0001");
}

#[test]
fn trailing_commas_and_blank_lines_are_fine() {
    let csv = "氏名,ふりがな,地区,,\n山田 花子,やまだ はなこ,南部,,\n,,,,\n\n\n";
    assert_eq!(residents_ok(csv.as_bytes()).len(), 1);
    let csv = "氏名,ふりがな,地区,\n山田 花子,やまだ はなこ,南部\n";
    assert_eq!(residents_ok(csv.as_bytes()).len(), 1);
}

#[test]
fn a_header_alone_is_not_an_import() {
    assert_eq!(
        residents_err("氏名,ふりがな,地区\n"),
        ["データ行がありません"]
    );
    assert_eq!(
        residents_err("氏名,ふりがな,地区\r\n,,\r\n\r\n"),
        ["データ行がありません"]
    );
    assert_eq!(
        residents_err(""),
        ["ファイルが空です（見出し行がありません）"]
    );
    assert_eq!(
        checkups_err("利用者ID,受診日,健診名,項目,結果\n"),
        ["データ行がありません"]
    );
}

#[test]
fn residents_without_birth_dates_cannot_be_told_apart() {
    assert_eq!(
        residents_err(
            "氏名,ふりがな,地区\n山田 花子,やまだ はなこ,南部\n山田 花子,やまだはなこ,北部\n"
        ),
        ["3行目「ふりがな」: 2行目と同じふりがなで、どちらも生年月日がないため区別できません"]
    );
    // Same reading, different birth dates: two people.
    let csv = "氏名,ふりがな,地区,生年月日\n山田 花子,やまだ はなこ,南部,S16.4.1\n山田 花子,やまだ はなこ,北部,S16.4.2\n";
    assert_eq!(residents_ok(csv.as_bytes()).len(), 2);
}

#[test]
fn a_file_neither_utf8_nor_shift_jis() {
    // 氏名 in Shift_JIS, then 0xFD: neither Shift_JIS nor UTF-8.
    let bytes = b"\x8E\x81\x96\xBC,ab\xFD\n";
    let errors: ImportErrors = parse_residents(bytes).unwrap_err();
    assert_eq!(
        errors.messages(),
        [
            "文字コードが UTF-8 でも Shift_JIS でもありません（先頭から 7 バイトの位置に読めない文字があります）"
        ]
    );
    assert_eq!(errors.as_slice()[0].kind, ErrorKind::NotText { offset: 7 });
}

/// Encodes as UTF-16LE with a BOM (Excel's 「Unicode テキスト」).
trait Utf16 {
    fn encode_utf16_bytes_for_test(&self) -> Vec<u8>;
}

impl Utf16 for str {
    fn encode_utf16_bytes_for_test(&self) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in self.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        bytes
    }
}

#[test]
fn a_utf16_file_says_how_to_save_it() {
    let bytes = "氏名,ふりがな,地区\n山田,やまだ,南部\n".encode_utf16_bytes_for_test();
    assert_eq!(
        parse_residents(&bytes).unwrap_err().as_slice()[0].kind,
        ErrorKind::Utf16
    );
}

#[test]
fn checkups_group_by_person_day_and_title() {
    let checkups = parse_checkups(&fixture("checkups_sjis.csv")).unwrap_or_else(|e| panic!("{e}"));
    let item =
        |name: &str, value: &str, unit: Option<&str>, judgement: Option<Judgement>| CheckupItem {
            name: name.into(),
            value: value.into(),
            unit: unit.map(Into::into),
            judgement,
        };
    let hanako = ResidentRef::Kana {
        kana: "やまだ はなこ".into(),
        birth_date: date(1941, 4, 1),
    };
    assert_eq!(
        checkups,
        [
            NewCheckup {
                line: 2,
                resident: ResidentRef::Id(1042),
                examined_on: date(2026, 6, 12),
                title: "特定健康診査".into(),
                items: vec![
                    item("HbA1c", "6.1", Some("%"), Some(Judgement::Caution)),
                    item("収縮期血圧", "132", Some("mmHg"), Some(Judgement::Normal)),
                    item("尿蛋白", "（－）", None, None),
                ],
            },
            NewCheckup {
                line: 4,
                resident: hanako,
                examined_on: date(2026, 6, 12),
                title: "特定健康診査".into(),
                items: vec![
                    item("HbA1c", "5.6", Some("%"), Some(Judgement::Normal)),
                    item(
                        "LDLコレステロール",
                        "165",
                        Some("mg/dL"),
                        Some(Judgement::Abnormal)
                    ),
                ],
            },
            NewCheckup {
                line: 5,
                resident: ResidentRef::Id(1042),
                examined_on: date(2026, 6, 12),
                title: "がん検診".into(),
                items: vec![item("胸部X線", "異常なし", None, Some(Judgement::Normal))],
            },
        ]
    );
}

#[test]
fn checkup_problems_are_all_reported() {
    let csv = "利用者ID,氏名かな,生年月日,受診日,健診名,項目,結果,単位,判定\n\
               1042,,,2026-06-12,特定健康診査,HbA1c,6.1,%,要注意\n\
               1042,,,2026-06-12,特定健康診査,HbA1c,6.2,%,B\n\
               ,やまだ はなこ,,2026-06-12,特定健康診査,HbA1c,6.1,%,Z\n\
               10a2,,,令和8年6月31日,,HbA1c,,,\n";
    assert_eq!(
        checkups_err(csv),
        [
            "3行目「項目」: 同じ健診の同じ項目が2行目にもあります",
            "4行目「生年月日」: 必須の項目が空欄です",
            "4行目「判定」: 「Z」は判定として読めません（異常なし・A、要注意・要経過観察・B・C、要受診・要精密検査・D・E）",
            "5行目「利用者ID」: 利用者IDは数字で書いてください",
            "5行目「受診日」: 存在しない日付です",
            "5行目「健診名」: 必須の項目が空欄です",
            "5行目「結果」: 必須の項目が空欄です",
        ]
    );
}

#[test]
fn a_checkup_file_must_say_whose_results() {
    assert_eq!(
        checkups_err(
            "氏名かな,受診日,健診名,項目,結果\nやまだ はなこ,2026-06-12,特定健康診査,HbA1c,6.1\n"
        ),
        ["1行目: 「利用者ID」の列か、「氏名かな」と「生年月日」の列が必要です"]
    );
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode_text(&bytes);
        let _ = parse_residents(&bytes);
        let _ = parse_checkups(&bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "[氏名ふりがな地区生年月日,\"\n\r 0-9a-zA-Zァ-ヶｦ-ﾟ年月元平昭令]{0,200}") {
        let _ = parse_residents(text.as_bytes());
        let _ = parse_date(&text);
    }

    #[test]
    fn western_dates_read_back(days in 0i32..80_000) {
        let day = date(1873, 1, 1).checked_add(jiff::Span::new().days(days)).unwrap();
        let slash = format!("{}/{}/{}", day.year(), day.month(), day.day());
        prop_assert_eq!(parse_date(&slash), Ok(day));
        prop_assert_eq!(parse_date(&day.to_string()), Ok(day));
    }

    #[test]
    fn heisei_dates_read_back(days in 0i32..11_070) {
        // 平成 runs from 1989-01-08 to 2019-04-30 (11,070 days); its year N
        // is 1988 + N.
        let day = date(1989, 1, 8).checked_add(jiff::Span::new().days(days)).unwrap();
        let year = day.year() - 1988;
        let kanji = if year == 1 {
            format!("平成元年{}月{}日", day.month(), day.day())
        } else {
            format!("平成{year}年{}月{}日", day.month(), day.day())
        };
        prop_assert_eq!(parse_date(&kanji), Ok(day));
        prop_assert_eq!(parse_date(&format!("H{year}.{}.{}", day.month(), day.day())), Ok(day));
    }

    #[test]
    fn showa_dates_read_back(days in 0i32..22_660) {
        // 昭和 runs from 1926-12-25 to 1989-01-07 (22,659 days); its year N
        // is 1925 + N.
        let day = date(1926, 12, 25).checked_add(jiff::Span::new().days(days)).unwrap();
        let year = day.year() - 1925;
        prop_assert_eq!(
            parse_date(&format!("昭和{year}年{}月{}日", day.month(), day.day())),
            Ok(day)
        );
    }
}

#[test]
fn era_lengths_in_the_properties_are_right() {
    let days = |a: jiff::civil::Date, b: jiff::civil::Date| a.until(b).unwrap().get_days();
    assert_eq!(days(date(1989, 1, 8), date(2019, 4, 30)) + 1, 11_070);
    assert_eq!(days(date(1926, 12, 25), date(1989, 1, 7)) + 1, 22_660);
}
