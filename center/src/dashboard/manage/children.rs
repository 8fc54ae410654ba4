//! Children who tap cards at stations, for administrators: the list with
//! a search, the form to add one, the CSV upload of a children list
//! (児童名簿, [`crate::import::parse_children`]), and a child's page with
//! their cards and guardians.

use askama::Template;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse as _, Response};
use mimamori_protocol::CardUid;

use super::{
    Fields, ListQuery, admin, back, change, csrf, day_field, done_message, field, required, upload,
};
use crate::dashboard::{Chrome, ClientAddr, DashboardState, PageError, local_time, render};
use crate::mail::GuardianPolicy;
use crate::store::StoreError;
use crate::store::children::{self, ChildCard, NewChild, NewGuardian};
use crate::store::dashboard::audit;

const LIST: &str = "/dashboard/admin/children";
/// Children on one page of the list.
const PAGE_SIZE: usize = 50;

fn child_page(id: i64) -> String {
    format!("/dashboard/admin/children/{id}")
}

/// The policies as the forms offer them.
const POLICIES: [(&str, &str); 3] = [
    ("first_of_day", "その日最初のタッチだけ"),
    ("every_tap", "毎回"),
    ("none", "送らない"),
];

fn policy_label(policy: &str) -> &'static str {
    POLICIES
        .iter()
        .find(|(key, _)| *key == policy)
        .map_or("", |(_, label)| label)
}

struct ChildLine {
    id: i64,
    name: String,
    kana: String,
    district: String,
    school: String,
    cards: i64,
    guardians: i64,
}

#[derive(Template)]
#[template(path = "dashboard/admin_children.html")]
struct ListPage {
    chrome: Chrome,
    done: &'static str,
    q: String,
    page: u32,
    more: bool,
    rows: Vec<ChildLine>,
    problems: Vec<String>,
}

/// Whether a child matches the search: its words all found in the name,
/// the reading (written in hiragana or katakana), the district or the
/// school.
fn matches(child: &children::ChildSummary, q: &str) -> bool {
    let kana = hiragana(&child.kana);
    q.split_whitespace().all(|word| {
        child.name.contains(word)
            || kana.contains(&hiragana(word))
            || child.district.contains(word)
            || child.school.contains(word)
    })
}

/// Katakana as hiragana: ヤマダ and やまだ are one reading.
fn hiragana(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'ァ'..='ヶ' => char::from_u32(u32::from(c) - 0x60).unwrap_or(c),
            c => c,
        })
        .collect()
}

async fn list_page(
    state: &DashboardState,
    me: &crate::dashboard::SignedIn,
    q: String,
    page: u32,
    done: &'static str,
    problems: Vec<String>,
) -> Result<ListPage, PageError> {
    let all = state
        .db
        .run(|conn, _| children::list_children(conn))
        .await?;
    let mut rows: Vec<ChildLine> = all
        .into_iter()
        .filter(|c| matches(c, q.trim()))
        .skip(page as usize * PAGE_SIZE)
        .take(PAGE_SIZE + 1)
        .map(|c| ChildLine {
            id: c.id,
            name: c.name,
            kana: c.kana,
            district: c.district,
            school: c.school,
            cards: c.cards,
            guardians: c.guardians,
        })
        .collect();
    let more = rows.len() > PAGE_SIZE;
    rows.truncate(PAGE_SIZE);
    Ok(ListPage {
        chrome: me.chrome("児童の管理"),
        done,
        rows,
        q,
        page,
        more,
        problems,
    })
}

/// `GET /dashboard/admin/children?q=&page=`: 50 a page.
pub(crate) async fn list(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "children").await?;
    let page = list_page(
        &state,
        &me,
        query.q,
        query.page,
        done_message(&query.done),
        vec![],
    )
    .await?;
    render(&page)
}

/// `POST /dashboard/admin/children`: registers a child.
pub(crate) async fn add(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "children").await?;
    csrf(&me, &fields)?;
    let new = NewChild {
        name: required(&fields, "name", "氏名")?.to_owned(),
        kana: required(&fields, "kana", "ふりがな")?.to_owned(),
        district: required(&fields, "district", "地区")?.to_owned(),
        school: field(&fields, "school").to_owned(),
        birth_date: day_field(&fields, "birth_date", "生年月日")?,
    };
    let now = state.clock.now();
    let who = me.viewer.login.clone();
    let id = change(&state, &me, "admin.child.add", move |conn, _| {
        let id = children::add_child(conn, &new, &who, now)?;
        Ok((id, None, format!("child {id} ({})", new.district)))
    })
    .await?;
    Ok(back(&child_page(id), "added"))
}

/// `POST /dashboard/admin/children/import` (multipart): registers every
/// child of a children list, or none; the problems are listed by line.
pub(crate) async fn import(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "children").await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = upload::boundary(content_type).ok_or_else(|| {
        PageError::BadRequest("名簿の取り込みは画面のフォームから送ってください。".into())
    })?;
    let form = upload::parse(&body, &boundary)
        .map_err(|e| PageError::BadRequest(format!("送信された内容を読めません（{e}）。")))?;
    csrf(&me, &form.fields)?;
    let bytes = form
        .files
        .get("file")
        .filter(|f| !f.is_empty())
        .ok_or_else(|| PageError::BadRequest("CSVファイルを選んでください。".into()))?;
    let problems = match crate::import::parse_children(bytes) {
        Err(errors) => errors.messages(),
        Ok(rows) => {
            let now = state.clock.now();
            let viewer = me.viewer.clone();
            let stored = state
                .db
                .run(move |conn, _| {
                    let ids =
                        crate::store::import::import_children(conn, &rows, &viewer.login, now)?;
                    let guardians: usize = rows.iter().map(|r| r.guardians.len()).sum();
                    audit::record(
                        conn,
                        &viewer,
                        "admin.child.import",
                        None,
                        &format!("{} children, {guardians} guardians", ids.len()),
                        now,
                    )?;
                    Ok(ids.len())
                })
                .await;
            match stored {
                Ok(_) => return Ok(back(LIST, "imported")),
                Err(StoreError::Invalid(message)) => message.lines().map(str::to_owned).collect(),
                Err(other) => return Err(other.into()),
            }
        }
    };
    let page = list_page(&state, &me, String::new(), 0, "", problems).await?;
    Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response())
}

struct CardLine {
    id: i64,
    kind: &'static str,
    key: String,
    added: String,
}

struct GuardianLine {
    id: i64,
    name: String,
    email: String,
    relation: String,
    policy: &'static str,
    consent_on: String,
    unsubscribed: bool,
}

#[derive(Template)]
#[template(path = "dashboard/admin_child.html")]
struct ChildPage {
    chrome: Chrome,
    done: &'static str,
    id: i64,
    name: String,
    kana: String,
    district: String,
    school: String,
    birth_date: String,
    today: String,
    cards: Vec<CardLine>,
    guardians: Vec<GuardianLine>,
    policies: Vec<(&'static str, &'static str)>,
}

/// `GET /dashboard/admin/children/{id}`.
pub(crate) async fn page(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "child").await?;
    let now = state.clock.now();
    let viewer = me.viewer.clone();
    let found = state
        .db
        .run(move |conn, _| {
            let Some(child) = children::child(conn, id)? else {
                return Ok(None);
            };
            audit::record(
                conn,
                &viewer,
                "admin.child.view",
                None,
                &format!("child {id}"),
                now,
            )?;
            Ok(Some((
                child,
                children::list_child_cards(conn, id)?,
                children::list_guardians(conn, id)?,
            )))
        })
        .await?;
    let Some((child, cards, guardians)) = found else {
        return Err(PageError::NotFound);
    };
    let tz = &state.config.time_zone;
    render(&ChildPage {
        chrome: me.chrome(&format!("{} さんの管理", child.name)),
        done: done_message(&query.done),
        id,
        name: child.name,
        kana: child.kana,
        district: child.district,
        school: child.school,
        birth_date: child.birth_date.unwrap_or_default(),
        today: now.to_zoned(tz.clone()).date().to_string(),
        cards: cards
            .into_iter()
            .map(|c| CardLine {
                id: c.id,
                kind: if c.kind == "jpki" {
                    "マイナンバーカード（利用者証明用証明書）"
                } else {
                    "カード（UID）"
                },
                key: c.key,
                added: local_time(c.created_at, tz),
            })
            .collect(),
        guardians: guardians
            .into_iter()
            .map(|g| GuardianLine {
                policy: policy_label(&g.policy),
                id: g.id,
                name: g.name,
                email: g.email,
                relation: g.relation,
                consent_on: g.consent_on.unwrap_or_default(),
                unsubscribed: g.unsubscribed,
            })
            .collect(),
        policies: POLICIES.to_vec(),
    })
}

/// `POST /dashboard/admin/children/{id}/cards`: binds a card's UID,
/// refusing one that is already a resident's or a child's.
pub(crate) async fn bind_card(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "child cards").await?;
    csrf(&me, &fields)?;
    let uid: CardUid = required(&fields, "uid", "カードのUID")?
        .parse()
        .map_err(|_| {
            PageError::BadRequest(
                "カードのUIDは16進数（8〜20桁）で入れてください（例: 04A1B2C3D4E5F6）。".into(),
            )
        })?;
    let now = state.clock.now();
    let who = me.viewer.login.clone();
    change(&state, &me, "admin.child.card", move |conn, _| {
        if let Some(holder) = children::card_holder_ja(conn, &uid)? {
            return Err(StoreError::Conflict(format!(
                "カード {uid} は既に{holder}に登録されています"
            )));
        }
        children::bind_child_card(conn, id, ChildCard::Uid(&uid), &who, now)?;
        Ok(((), None, format!("child {id}: card {uid}")))
    })
    .await?;
    Ok(back(&child_page(id), "bound"))
}

/// `POST /dashboard/admin/children/{id}/cards/{card}/unbind`.
pub(crate) async fn unbind_card(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path((id, card)): Path<(i64, i64)>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "child cards").await?;
    csrf(&me, &fields)?;
    let now = state.clock.now();
    let who = me.viewer.login.clone();
    change(&state, &me, "admin.child.card.unbind", move |conn, _| {
        children::unbind_child_card(conn, id, card, &who, now)?;
        Ok(((), None, format!("child {id}: card {card}")))
    })
    .await?;
    Ok(back(&child_page(id), "unbound"))
}

/// `POST /dashboard/admin/children/{id}/guardians`: adds a guardian.
pub(crate) async fn add_guardian(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "guardians").await?;
    csrf(&me, &fields)?;
    let policy: GuardianPolicy = required(&fields, "policy", "通知")?
        .parse()
        .map_err(|_| PageError::BadRequest("通知の設定を選んでください。".into()))?;
    let email = required(&fields, "email", "メールアドレス")?.to_owned();
    crate::store::people::check_email(&email).map_err(|_| {
        PageError::BadRequest(format!(
            "「{email}」はメールアドレスとして読めません（例: hanako@example.jp）。"
        ))
    })?;
    let new = NewGuardian {
        child: id,
        name: required(&fields, "name", "保護者の氏名")?.to_owned(),
        email,
        relation: field(&fields, "relation").to_owned(),
        policy,
        consent_on: day_field(&fields, "consent_on", "同意日")?,
    };
    let now = state.clock.now();
    let who = me.viewer.login.clone();
    change(&state, &me, "admin.guardian.add", move |conn, _| {
        let guardian = children::add_guardian(conn, &new, &who, now)?;
        Ok((
            (),
            None,
            format!("guardian {guardian} of child {id} ({})", policy.as_str()),
        ))
    })
    .await?;
    Ok(back(&child_page(id), "guardian"))
}

/// `POST /dashboard/admin/children/{id}/guardians/{guardian}/remove`.
pub(crate) async fn remove_guardian(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path((id, guardian)): Path<(i64, i64)>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "guardians").await?;
    csrf(&me, &fields)?;
    let now = state.clock.now();
    let who = me.viewer.login.clone();
    change(&state, &me, "admin.guardian.remove", move |conn, _| {
        if children::guardian_child(conn, guardian)? != Some(id) {
            return Err(StoreError::NotFound(format!("guardian {guardian}")));
        }
        children::remove_guardian(conn, guardian, &who, now)?;
        Ok(((), None, format!("guardian {guardian} of child {id}")))
    })
    .await?;
    Ok(back(&child_page(id), "guardian_removed"))
}

/// `POST /dashboard/admin/children/{id}/guardians/{guardian}/consent`:
/// the day a guardian consented, given after they were registered.
pub(crate) async fn guardian_consent(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path((id, guardian)): Path<(i64, i64)>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "guardians").await?;
    csrf(&me, &fields)?;
    let day = day_field(&fields, "consent_on", "同意日")?
        .ok_or_else(|| PageError::BadRequest("同意日を入れてください。".into()))?;
    let now = state.clock.now();
    let who = me.viewer.login.clone();
    change(&state, &me, "admin.guardian.consent", move |conn, _| {
        if children::guardian_child(conn, guardian)? != Some(id) {
            return Err(StoreError::NotFound(format!("guardian {guardian}")));
        }
        children::record_guardian_consent(conn, guardian, day, &who, now)?;
        Ok((
            (),
            None,
            format!("guardian {guardian} of child {id}: {day}"),
        ))
    })
    .await?;
    Ok(back(&child_page(id), "consent"))
}

/// `POST /dashboard/admin/children/{id}/remove`: cards unbound, guardians'
/// mail stopped.
pub(crate) async fn remove(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "children").await?;
    csrf(&me, &fields)?;
    let now = state.clock.now();
    let who = me.viewer.login.clone();
    change(&state, &me, "admin.child.remove", move |conn, _| {
        children::remove_child(conn, id, &who, now)?;
        Ok(((), None, format!("child {id}")))
    })
    .await?;
    Ok(back(LIST, "child_removed"))
}
