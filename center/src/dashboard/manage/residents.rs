//! Residents for administrators: the list (paged) with the form to add
//! one, and a resident's administration page — particulars, care plan,
//! box, pause, cards, family contacts, consent records.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use mimamori_protocol::{CarePlan, MedicationSlot, VitalKind};

use super::{
    Fields, ListQuery, admin, back, change, csrf, day_field, done_message, field, required, ticked,
};
use crate::dashboard::{Chrome, ClientAddr, DashboardState, PageError, local_time, render};
use crate::domain::PauseReason;
use crate::store::dashboard::residents::{self as listing, ResidentFilter};
use crate::store::{admin as ops, consent, manage, people};

const PAGE_SIZE: u32 = 50;

pub(crate) struct Line {
    id: i64,
    name: String,
    kana: String,
    district: String,
    status: String,
}

#[derive(Template)]
#[template(path = "dashboard/admin_residents.html")]
struct ListPage {
    chrome: Chrome,
    done: &'static str,
    q: String,
    page: u32,
    more: bool,
    rows: Vec<Line>,
    boxes: Vec<String>,
    slots: Vec<(&'static str, &'static str)>,
    vitals: Vec<(&'static str, &'static str)>,
}

const VITALS: [VitalKind; 4] = [
    VitalKind::BloodPressure,
    VitalKind::Temperature,
    VitalKind::Weight,
    VitalKind::Steps,
];

fn slot_choices() -> Vec<(&'static str, &'static str)> {
    MedicationSlot::ALL
        .iter()
        .map(|s| (s.as_str(), s.label_ja()))
        .collect()
}

fn vital_choices() -> Vec<(&'static str, &'static str)> {
    VITALS.iter().map(|v| (v.as_str(), v.label_ja())).collect()
}

/// `GET /dashboard/admin/residents?q=&page=`.
pub(crate) async fn list(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "residents").await?;
    let filter = ResidentFilter {
        query: query.q.clone(),
        limit: PAGE_SIZE + 1,
        offset: query.page * PAGE_SIZE,
        ..ResidentFilter::default()
    };
    let viewer = me.viewer.clone();
    let (mut rows, boxes) = state
        .db
        .run(move |conn, _| {
            Ok((
                listing::list(conn, &viewer, &filter)?,
                ops::list_boxes(conn)?,
            ))
        })
        .await?;
    let more = rows.len() > PAGE_SIZE as usize;
    rows.truncate(PAGE_SIZE as usize);
    render(&ListPage {
        chrome: me.chrome("利用者の管理"),
        done: done_message(&query.done),
        q: query.q,
        page: query.page,
        more,
        rows: rows
            .into_iter()
            .map(|r| Line {
                status: match &r.paused_through {
                    Some(day) => format!("一時停止（{day}まで）"),
                    None => "見守り中".into(),
                },
                id: r.id,
                name: r.name,
                kana: r.kana,
                district: r.district,
            })
            .collect(),
        boxes: boxes
            .into_iter()
            .filter(|b| !b.revoked)
            .map(|b| b.device_id)
            .collect(),
        slots: slot_choices(),
        vitals: vital_choices(),
    })
}

fn care_plan(fields: &Fields) -> Result<CarePlan, PageError> {
    let time = |name: &str, label: &str, default: &str| {
        let text = match field(fields, name) {
            "" => default,
            t => t,
        };
        text.parse()
            .map_err(|_| PageError::BadRequest(format!("{label}は 09:00 の形で入れてください。")))
    };
    let plan = CarePlan {
        medication_slots: MedicationSlot::ALL
            .iter()
            .copied()
            .filter(|s| ticked(fields, &format!("med_{}", s.as_str())))
            .collect(),
        vitals: VITALS
            .iter()
            .copied()
            .filter(|v| ticked(fields, &format!("vital_{}", v.as_str())))
            .collect(),
        reminder_at: time("reminder", "お知らせの時刻", "09:00")?,
        deadline: time("deadline", "記録の締め切り", "12:00")?,
    };
    mimamori_protocol::Validate::validate(&plan)
        .map_err(|e| PageError::BadRequest(format!("見守りの設定を確認してください（{e}）。")))?;
    Ok(plan)
}

/// `POST /dashboard/admin/residents`: registers a resident.
pub(crate) async fn add(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "residents").await?;
    csrf(&me, &fields)?;
    let new = ops::NewResident {
        name: required(&fields, "name", "氏名")?.to_owned(),
        kana: required(&fields, "kana", "ふりがな")?.to_owned(),
        district: required(&fields, "district", "地区")?.to_owned(),
        address: field(&fields, "address").to_owned(),
        phone: field(&fields, "phone").to_owned(),
        birth_date: day_field(&fields, "birth_date", "生年月日")?,
        care_plan: care_plan(&fields)?,
        box_device: Some(field(&fields, "box").to_owned()).filter(|b| !b.is_empty()),
    };
    let now = state.clock.now();
    let id = change(&state, &me, "admin.resident.add", move |conn, config| {
        let id = ops::add_resident(conn, config, &new, now)?;
        Ok((id, Some(id), format!("{} ({})", new.name, new.district)))
    })
    .await?;
    Ok(back(&format!("/dashboard/admin/residents/{id}"), "added"))
}

struct ContactLine {
    id: i64,
    name: String,
    email: String,
    relation: String,
    policy: String,
    digest_at: String,
    shared: String,
    unsubscribed: bool,
}

struct CardLine {
    id: i64,
    kind: &'static str,
    key: String,
    detail: String,
}

/// One consent record as the pages show it.
pub(crate) struct ConsentLine {
    pub(crate) audience: String,
    pub(crate) action: &'static str,
    pub(crate) items: String,
    pub(crate) shared: String,
    pub(crate) agreed_on: String,
    pub(crate) note: String,
    pub(crate) recorded: String,
}

#[derive(Template)]
#[template(path = "dashboard/admin_resident.html")]
struct ResidentPage {
    chrome: Chrome,
    done: &'static str,
    id: i64,
    name: String,
    kana: String,
    district: String,
    address: String,
    phone: String,
    birth_date: String,
    box_device: String,
    boxes: Vec<String>,
    paused: String,
    today: String,
    cards: Vec<CardLine>,
    contacts: Vec<ContactLine>,
    consent: Vec<ConsentLine>,
    items: Vec<(&'static str, &'static str)>,
    plan_slots: Vec<(&'static str, &'static str, bool)>,
    plan_vitals: Vec<(&'static str, &'static str, bool)>,
    reminder: String,
    deadline: String,
}

/// The words of a consent list.
pub(crate) fn shared_words(items: &[String]) -> String {
    if items.is_empty() {
        "なし".into()
    } else {
        items
            .iter()
            .map(|i| consent::item_label(i))
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// `GET /dashboard/admin/residents/{id}`.
pub(crate) async fn page(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "resident").await?;
    let now = state.clock.now();
    let viewer = me.viewer.clone();
    let found = state
        .db
        .run(move |conn, _| {
            let Some(row) = manage::particulars(conn, id)? else {
                return Ok(None);
            };
            crate::store::dashboard::audit::record(
                conn,
                &viewer,
                "admin.resident.view",
                Some(id),
                "",
                now,
            )?;
            Ok(Some((
                row,
                manage::cards(conn, id)?,
                people::list_family(conn, Some(id))?,
                consent::history(conn, id)?,
                ops::list_boxes(conn)?,
            )))
        })
        .await?;
    let Some((row, cards, contacts, history, boxes)) = found else {
        return Err(PageError::NotFound);
    };
    let manage::Particulars {
        name,
        kana,
        district,
        address,
        phone,
        birth_date: birth,
        box_device,
        paused_through: paused,
        pause_reason: reason,
        care_plan,
    } = row;
    let tz = &state.config.time_zone;
    let today = now.to_zoned(tz.clone()).date().to_string();
    render(&ResidentPage {
        chrome: me.chrome(&format!("{name} さんの管理")),
        done: done_message(&query.done),
        id,
        name,
        kana,
        district,
        address,
        phone,
        birth_date: birth.unwrap_or_default(),
        box_device: box_device.unwrap_or_default(),
        boxes: boxes
            .into_iter()
            .filter(|b| !b.revoked)
            .map(|b| b.device_id)
            .collect(),
        paused: match (paused, reason) {
            (Some(day), reason) if day >= today => format!(
                "{day}まで一時停止中（{}）",
                reason
                    .and_then(|r| r.parse::<PauseReason>().ok())
                    .map_or("", |r| r.label_ja())
            ),
            _ => String::new(),
        },
        today,
        cards: cards
            .into_iter()
            .map(|c| CardLine {
                id: c.id,
                kind: if c.kind == "jpki" {
                    "マイナンバーカード（利用者証明用証明書）"
                } else {
                    "お試しカード（UID、複製の恐れあり）"
                },
                key: c.key,
                detail: format!(
                    "登録 {}{}",
                    local_time(c.created_at, tz),
                    c.not_after
                        .map(|t| format!("、有効期限 {}", local_time(t, tz)))
                        .unwrap_or_default()
                ),
            })
            .collect(),
        contacts: contacts
            .into_iter()
            .map(|c| ContactLine {
                shared: if c.consent == "all" {
                    "すべて".into()
                } else if c.consent == "none" {
                    "なし".into()
                } else {
                    shared_words(&c.consent.split(',').map(str::to_owned).collect::<Vec<_>>())
                },
                id: c.id,
                name: c.name,
                email: c.email,
                relation: c.relation,
                policy: c.policy,
                digest_at: c.digest_at,
                unsubscribed: c.unsubscribed,
            })
            .collect(),
        consent: consent_lines(history, tz),
        items: consent::ITEMS.to_vec(),
        plan_slots: MedicationSlot::ALL
            .iter()
            .map(|s| {
                (
                    s.as_str(),
                    s.label_ja(),
                    care_plan.medication_slots.contains(s),
                )
            })
            .collect(),
        plan_vitals: VITALS
            .iter()
            .map(|v| (v.as_str(), v.label_ja(), care_plan.vitals.contains(v)))
            .collect(),
        reminder: care_plan.reminder_at.to_string(),
        deadline: care_plan.deadline.to_string(),
    })
}

/// Consent records as both resident pages show them.
pub(crate) fn consent_lines(
    history: Vec<consent::ConsentRecord>,
    tz: &jiff::tz::TimeZone,
) -> Vec<ConsentLine> {
    history
        .into_iter()
        .map(|r| ConsentLine {
            action: match r.action.as_str() {
                "grant" => "同意",
                "withdraw" => "撤回",
                _ => "設定",
            },
            items: shared_words(&r.items),
            shared: shared_words(&r.shared),
            agreed_on: r.agreed_on,
            note: r.note,
            recorded: format!("{}（{}）", local_time(r.recorded_at, tz), r.recorded_by),
            audience: r.audience,
        })
        .collect()
}

/// `POST /dashboard/admin/residents/{id}`: changes the particulars and the
/// care plan.
pub(crate) async fn edit(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "resident").await?;
    csrf(&me, &fields)?;
    let edit = ops::ResidentEdit {
        name: Some(required(&fields, "name", "氏名")?.to_owned()),
        kana: Some(required(&fields, "kana", "ふりがな")?.to_owned()),
        district: Some(required(&fields, "district", "地区")?.to_owned()),
        address: Some(field(&fields, "address").to_owned()),
        phone: Some(field(&fields, "phone").to_owned()),
        birth_date: day_field(&fields, "birth_date", "生年月日")?,
    };
    change(&state, &me, "admin.resident.edit", move |conn, _| {
        ops::edit_resident(conn, id, &edit)?;
        Ok(((), Some(id), "particulars".into()))
    })
    .await?;
    Ok(back(&format!("/dashboard/admin/residents/{id}"), "saved"))
}

/// `POST /dashboard/admin/residents/{id}/plan`: what the TV asks and when.
pub(crate) async fn plan(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "resident").await?;
    csrf(&me, &fields)?;
    let plan = care_plan(&fields)?;
    let now = state.clock.now();
    change(&state, &me, "admin.resident.plan", move |conn, config| {
        ops::set_care_plan(conn, config, id, &plan, now)?;
        let detail = serde_json::to_string(&plan).unwrap_or_default();
        Ok(((), Some(id), detail))
    })
    .await?;
    Ok(back(&format!("/dashboard/admin/residents/{id}"), "saved"))
}

/// `POST /dashboard/admin/residents/{id}/box`: another box, or none.
pub(crate) async fn assign_box(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "resident").await?;
    csrf(&me, &fields)?;
    let device = Some(field(&fields, "box").to_owned()).filter(|d| !d.is_empty());
    let now = state.clock.now();
    change(&state, &me, "admin.resident.box", move |conn, config| {
        ops::assign_box(conn, config, id, device.as_deref(), now)?;
        Ok(((), Some(id), device.unwrap_or_else(|| "none".into())))
    })
    .await?;
    Ok(back(&format!("/dashboard/admin/residents/{id}"), "box"))
}

/// `POST /dashboard/admin/residents/{id}/pause`: pause through a day, or
/// resume (`action=end`).
pub(crate) async fn pause(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "resident").await?;
    csrf(&me, &fields)?;
    let now = state.clock.now();
    let through = if field(&fields, "action") == "end" {
        None
    } else {
        let day = day_field(&fields, "through", "再開する前日")?
            .ok_or_else(|| PageError::BadRequest("再開する前日を入れてください。".into()))?;
        let reason: PauseReason = field(&fields, "reason")
            .parse()
            .map_err(|_| PageError::BadRequest("一時停止の理由を選んでください。".into()))?;
        if day < now.to_zoned(state.config.time_zone.clone()).date() {
            return Err(PageError::BadRequest(
                "一時停止の終わりが過去の日付です。".into(),
            ));
        }
        Some((day, reason))
    };
    let viewer = me.viewer.clone();
    let found = state
        .db
        .run(move |conn, config| {
            crate::store::dashboard::pause(conn, config, &viewer, id, through, now)
        })
        .await?;
    if !found {
        return Err(PageError::NotFound);
    }
    Ok(back(
        &format!("/dashboard/admin/residents/{id}"),
        if through.is_some() {
            "paused"
        } else {
            "resumed"
        },
    ))
}
