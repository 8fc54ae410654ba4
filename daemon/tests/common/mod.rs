//! A center with one household — box `box-0001`, 山田 花子 with the trial
//! card 04A1B2C3 — for the box's tests.

pub(crate) mod stub_center;
pub(crate) mod tv;

use mimamori_center::config::Config;
use mimamori_center::store::{Store, admin};

/// The center's configuration (data under `dir/center`), the box's token
/// and the resident's id.
pub(crate) fn center_with_household(
    dir: &std::path::Path,
    now: jiff::Timestamp,
) -> (Config, String, i64) {
    let mut config = Config::parse("").unwrap();
    config.data_dir = dir.join("center");
    let mut store = Store::open(&config.database_path()).unwrap();
    let (token, resident) = store
        .transaction(|c| {
            let token = admin::add_box(c, "box-0001", "", now)?;
            let resident = admin::add_resident(
                c,
                &config,
                &admin::NewResident {
                    name: "山田 花子".into(),
                    kana: "やまだ はなこ".into(),
                    district: "東町".into(),
                    address: String::new(),
                    phone: String::new(),
                    birth_date: None,
                    care_plan: serde_json::from_str(
                        r#"{"reminder_at": "09:00", "deadline": "12:00"}"#,
                    )
                    .unwrap(),
                    box_device: Some("box-0001".into()),
                },
                now,
            )?;
            admin::bind_uid(c, resident, &"04A1B2C3".parse().unwrap(), now)?;
            Ok((token, resident))
        })
        .unwrap();
    (config, token, resident)
}

/// How many rows `sql` counts in the center's database.
#[allow(dead_code)] // not every test binary counts
pub(crate) fn count(config: &Config, sql: &str) -> i64 {
    let store = Store::open(&config.database_path()).unwrap();
    store
        .connection()
        .query_row(sql, [], |row| row.get(0))
        .unwrap()
}
