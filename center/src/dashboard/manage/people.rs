//! A resident's cards, family contacts and consent records, from the
//! resident's administration page.

use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use mimamori_protocol::TimeOfDay;

use super::{Fields, admin, back, change, csrf, day_field, field, required, ticked, upload};
use crate::dashboard::{ClientAddr, DashboardState, PageError};
use crate::store::consent::{self, Audience, ConsentAction, NewConsent};
use crate::store::outbox::StoredConsent;
use crate::store::people::{self, FamilyChanges, FamilyPolicy};
use crate::store::{admin as ops, manage};

fn resident_page(id: i64) -> String {
    format!("/dashboard/admin/residents/{id}")
}

/// `POST /dashboard/admin/residents/{id}/cards` (multipart): binds a trial
/// card's UID or a JPKI certificate file (DER or PEM).
pub(crate) async fn bind_card(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "cards").await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = upload::boundary(content_type).ok_or_else(|| {
        PageError::BadRequest("カードの登録は画面のフォームから送ってください。".into())
    })?;
    let form = upload::parse(&body, &boundary)
        .map_err(|e| PageError::BadRequest(format!("送信された内容を読めません（{e}）。")))?;
    csrf(&me, &form.fields)?;
    let now = state.clock.now();
    let uid = field(&form.fields, "uid").to_owned();
    let file = form.files.get("cert").filter(|f| !f.is_empty()).cloned();
    match (uid.is_empty(), file) {
        (false, None) => {
            let uid: mimamori_protocol::CardUid = uid.parse().map_err(|e| {
                PageError::BadRequest(format!("カードのUIDは16進数で入れてください（{e}）。"))
            })?;
            change(&state, &me, "admin.card.bind", move |conn, _| {
                ops::bind_uid(conn, id, &uid, now)?;
                Ok(((), Some(id), format!("uid {uid}")))
            })
            .await?;
        }
        (true, Some(bytes)) => {
            let cert = crate::jpki::parse_certificate(&bytes).map_err(|e| {
                PageError::BadRequest(format!(
                    "利用者証明用証明書として読めません（{e}）。DER か PEM のファイルを選んでください。"
                ))
            })?;
            change(&state, &me, "admin.card.bind", move |conn, _| {
                let fp = ops::bind_certificate(conn, id, &cert, now)?;
                Ok(((), Some(id), format!("jpki {fp}")))
            })
            .await?;
        }
        _ => {
            return Err(PageError::BadRequest(
                "カードのUIDか、証明書のファイルのどちらか一方を指定してください。".into(),
            ));
        }
    }
    Ok(back(&resident_page(id), "bound"))
}

/// `POST /dashboard/admin/cards/{id}/unbind`.
pub(crate) async fn unbind_card(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(card): Path<i64>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "cards").await?;
    csrf(&me, &fields)?;
    let resident = change(&state, &me, "admin.card.unbind", move |conn, _| {
        let resident = manage::unbind_card(conn, card)?;
        Ok((resident, Some(resident), format!("card {card}")))
    })
    .await?;
    Ok(back(&resident_page(resident), "unbound"))
}

fn policy(fields: &Fields) -> Result<FamilyPolicy, PageError> {
    field(fields, "policy")
        .parse()
        .map_err(|_| PageError::BadRequest("メールの送り方を選んでください。".into()))
}

fn digest_at(fields: &Fields) -> Result<Option<TimeOfDay>, PageError> {
    match field(fields, "digest_at") {
        "" => Ok(None),
        text => text.parse().map(Some).map_err(|_| {
            PageError::BadRequest("まとめて送る時刻は 19:00 の形で入れてください。".into())
        }),
    }
}

/// `POST /dashboard/admin/residents/{id}/family`: adds a contact. What
/// they may see starts as everything, recorded as such; record the
/// resident's actual consent right after.
pub(crate) async fn add_family(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "family").await?;
    csrf(&me, &fields)?;
    let name = required(&fields, "name", "お名前")?.to_owned();
    let email = required(&fields, "email", "メールアドレス")?.to_owned();
    let relation = field(&fields, "relation").to_owned();
    let policy = policy(&fields)?;
    let changes = FamilyChanges {
        digest_at: digest_at(&fields)?,
        ..FamilyChanges::default()
    };
    let now = state.clock.now();
    change(&state, &me, "admin.family.add", move |conn, config| {
        let contact = people::add_family(conn, id, &name, &email, &relation, policy, now)?;
        people::edit_family(conn, config, contact, &changes, now)?;
        Ok(((), Some(id), format!("contact {contact}: {name} <{email}>")))
    })
    .await?;
    Ok(back(&resident_page(id), "family"))
}

/// `POST /dashboard/admin/family/{id}`: changes a contact's name, address,
/// relation, policy, digest time; restarts mail they stopped, at their
/// request (`resubscribe`).
pub(crate) async fn edit_family(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(contact): Path<i64>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "family").await?;
    csrf(&me, &fields)?;
    let changes = FamilyChanges {
        name: Some(required(&fields, "name", "お名前")?.to_owned()),
        email: Some(required(&fields, "email", "メールアドレス")?.to_owned()),
        relation: Some(field(&fields, "relation").to_owned()),
        policy: Some(policy(&fields)?),
        digest_at: digest_at(&fields)?,
        consent: None,
        resubscribe: ticked(&fields, "resubscribe"),
        recorded_by: me.viewer.login.clone(),
    };
    let now = state.clock.now();
    let resident = change(&state, &me, "admin.family.edit", move |conn, config| {
        let resident = manage::family_owner(conn, contact)?.ok_or_else(|| {
            crate::store::StoreError::NotFound(format!("family contact {contact}"))
        })?;
        people::edit_family(conn, config, contact, &changes, now)?;
        Ok((resident, Some(resident), format!("contact {contact}")))
    })
    .await?;
    Ok(back(&resident_page(resident), "family"))
}

/// `POST /dashboard/admin/family/{id}/remove`.
pub(crate) async fn remove_family(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(contact): Path<i64>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "family").await?;
    csrf(&me, &fields)?;
    let now = state.clock.now();
    let resident = change(&state, &me, "admin.family.remove", move |conn, _| {
        let resident = manage::remove_family(conn, contact, now)?;
        Ok((resident, Some(resident), format!("contact {contact}")))
    })
    .await?;
    Ok(back(&resident_page(resident), "removed"))
}

/// `POST /dashboard/admin/residents/{id}/consent`: records a consent or its
/// withdrawal — which items, with whom (`audience` = a contact's id or
/// `nurses`), the day the resident said so, a note.
pub(crate) async fn consent(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "consent").await?;
    csrf(&me, &fields)?;
    let audience = match field(&fields, "audience") {
        "nurses" => Audience::Nurses,
        text => Audience::Family(
            text.parse()
                .map_err(|_| PageError::BadRequest("だれとの共有かを選んでください。".into()))?,
        ),
    };
    let action = match field(&fields, "action") {
        "grant" => ConsentAction::Grant,
        "withdraw" => ConsentAction::Withdraw,
        _ => {
            return Err(PageError::BadRequest(
                "同意か撤回かを選んでください。".into(),
            ));
        }
    };
    let items = StoredConsent {
        condition: ticked(&fields, "item_condition"),
        symptoms: ticked(&fields, "item_symptoms"),
        medication: ticked(&fields, "item_medication"),
        vitals: ticked(&fields, "item_vitals"),
        call_request: ticked(&fields, "item_call_request"),
    };
    if items.describe() == "none" {
        return Err(PageError::BadRequest(
            "共有する（または撤回する）項目を一つ以上選んでください。".into(),
        ));
    }
    let tz = state.config.time_zone.clone();
    let now = state.clock.now();
    let agreed_on = day_field(&fields, "agreed_on", "ご本人が同意（撤回）した日")?
        .unwrap_or_else(|| now.to_zoned(tz.clone()).date());
    let new = NewConsent {
        resident: id,
        audience,
        action,
        items,
        agreed_on,
        note: field(&fields, "note").to_owned(),
        recorded_by: me.viewer.login.clone(),
        staff_id: Some(me.viewer.staff_id),
    };
    let action_name = if action == ConsentAction::Grant {
        "admin.consent.grant"
    } else {
        "admin.consent.withdraw"
    };
    change(&state, &me, action_name, move |conn, _| {
        let record = consent::record(conn, &tz, &new, now)?;
        Ok((
            (),
            Some(id),
            format!(
                "record {record}: {} with {}",
                new.items.describe(),
                match new.audience {
                    Audience::Nurses => "nurses".to_owned(),
                    Audience::Family(c) => format!("contact {c}"),
                }
            ),
        ))
    })
    .await?;
    Ok(back(&resident_page(id), "consent"))
}
