//! `cargo xtask demo --walk`: the newcomer's walk through the running demo,
//! over HTTP as a browser would, each step waited for and checked:
//!
//! 1. the virtual TV has 山田 花子's data from the center; the nurse signs
//!    in to the dashboard, where 山田 花子 has no missed-check-in alert;
//! 2. her My Number card goes in from the card dock (read by the box
//!    through pcscd), her PIN is typed on the remote, OK answers every
//!    screen (よい, no symptoms, …, 記録する) and her blood pressure is
//!    typed on the digits, until 記録しました;
//! 3. her daughter's mail arrives in the mailbox, parsed back (`mail-parser`):
//!    from the center, to keiko@, about 山田 花子 with 体調：よい and
//!    血圧 128/76;
//! 4. the dashboard's resident page shows the new check-in;
//! 5. the clock moves three days on (as `--advance 3d` does);
//! 6. the dashboard's alert queue shows 山田 花子's 記録が途絶えています, and
//!    the nurse's alert mail about it arrives;
//! 7. at the school station (南部小学校, its place and roster from the
//!    center), 山田 ゆい's trial card (the page's button, handed straight to
//!    the station) is confirmed, and her mother's mail
//!    「山田 ゆいさんが 南部小学校 に … にタッチしました」 arrives;
//! 8. an incident opens (`admin incident open --name 台風10号`);
//! 9. at the shelter station (南部中学校体育館), 山田 花子's My Number card
//!    goes in from the shelter's card dock (vpcd's second reader, read
//!    through pcscd without a PIN) and is confirmed;
//! 10. the safety list `/dashboard/incidents/{id}` shows her 確認済み while
//!     山田 太郎 stays 未確認, and her daughter's mail
//!     「山田 花子さんが 南部中学校体育館 で確認されました」 arrives.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use mail_parser::MessageParser;

use super::cards::{DEMO_PIN, MY_NUMBER_CARD};
use super::http::{Client, Page};
use super::stations::{CHILD, GUARDIAN, SCHOOL, SHELTER};
use super::system::{FAMILY, RESIDENTS, Running};
use super::{DEMO_PASSWORD, NURSE_EMAIL, NURSE_LOGIN};

const MISSED: &str = "記録が途絶えています";

/// Waits up to `limit` for `check` to give `Some`, naming `what` on failure
/// with the last thing seen.
fn wait_for<T>(
    what: &str,
    limit: Duration,
    mut check: impl FnMut() -> anyhow::Result<Result<T, String>>,
) -> anyhow::Result<T> {
    let deadline = Instant::now() + limit;
    loop {
        let last = match check() {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(seen)) => seen,
            Err(e) => format!("{e:#}"),
        };
        if Instant::now() >= deadline {
            bail!(
                "{what}: not within {} s (last seen: {last})",
                limit.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn step(n: u32, text: &str) {
    println!("walk {n}: {text}");
}

/// The virtual TV's `/state`.
fn tv_state(tv: u16) -> anyhow::Result<serde_json::Value> {
    let page = Client::new(tv).get("/state")?;
    serde_json::from_slice(&page.body).context("the virtual TV's /state is not JSON")
}

fn post_ok(client: &mut Client, path: &str) -> anyhow::Result<()> {
    let page = client.post(path, &[])?;
    if page.status >= 400 {
        bail!("POST {path}: {} {}", page.status, page.text());
    }
    Ok(())
}

fn sign_in(center: u16) -> anyhow::Result<Client> {
    let mut web = Client::new(center);
    let form = web.get("/dashboard/login")?;
    let page = web.post(
        "/dashboard/login",
        &[
            ("csrf", &form.csrf()?),
            ("login", NURSE_LOGIN),
            ("password", DEMO_PASSWORD),
        ],
    )?;
    if page.status != 303 || page.header("location") != Some("/dashboard/") {
        bail!(
            "signing in as {NURSE_LOGIN} failed: {} {}",
            page.status,
            page.text()
        );
    }
    Ok(web)
}

fn get_ok(web: &mut Client, path: &str) -> anyhow::Result<Page> {
    let page = web.get(path)?;
    if page.status != 200 {
        bail!("GET {path}: {} (signed out?)", page.status);
    }
    Ok(page)
}

/// The resident page's 最後の記録.
fn last_check_in(web: &mut Client, resident: u32) -> anyhow::Result<String> {
    let text = get_ok(web, &format!("/dashboard/residents/{resident}"))?.text();
    let marker = "<dt>最後の記録</dt><dd>";
    let at = text
        .find(marker)
        .context("no 最後の記録 on the resident's page")?;
    let rest = &text[at + marker.len()..];
    Ok(rest[..rest.find("</dd>").unwrap_or(rest.len())].to_owned())
}

/// Whether a row of the alert queue names `name` with the missed alert.
fn has_missed_alert(queue: &str, name: &str) -> bool {
    queue
        .split("<tr")
        .any(|row| row.contains(name) && row.contains(MISSED))
}

/// The highest message number in the mailbox (0 when empty).
fn last_mail(mailbox: u16) -> anyhow::Result<u64> {
    Ok(mail_list(mailbox)?
        .iter()
        .filter_map(|m| m["id"].as_u64())
        .max()
        .unwrap_or(0))
}

fn mail_list(mailbox: u16) -> anyhow::Result<Vec<serde_json::Value>> {
    let page = Client::new(mailbox).get("/messages.json")?;
    serde_json::from_slice(&page.body).context("the mailbox's /messages.json is not JSON")
}

/// A message newer than `after` to `to`, as received, parsed back: its
/// subject and text when `accept` takes them.
fn wait_for_mail(
    mailbox: u16,
    what: &str,
    after: u64,
    to: &str,
    accept: impl Fn(&str, &str) -> bool,
) -> anyhow::Result<(u64, String)> {
    wait_for(what, Duration::from_secs(60), || {
        let mut seen = Vec::new();
        for m in mail_list(mailbox)? {
            let id = m["id"].as_u64().unwrap_or(0);
            let for_them = m["to"]
                .as_array()
                .is_some_and(|t| t.iter().any(|a| a.as_str().is_some_and(|a| a.contains(to))));
            if id <= after || !for_them {
                continue;
            }
            let raw = Client::new(mailbox).get(&format!("/m/{id}/raw"))?.body;
            let message = MessageParser::default()
                .parse(&raw)
                .with_context(|| format!("message {id} does not parse"))?;
            let subject = message.subject().unwrap_or_default().to_owned();
            let text = message.body_text(0).unwrap_or_default().into_owned();
            let from = message
                .from()
                .and_then(|f| f.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_owned();
            if from == "mimamori@center.example.jp" && accept(&subject, &text) {
                return Ok(Ok((id, subject)));
            }
            seen.push(format!("#{id} {subject}"));
        }
        Ok(Err(format!("messages to {to}: {seen:?}")))
    })
}

/// What she types on a vitals screen, by its title.
fn vital_for(title: &str) -> &'static str {
    if title.contains("上") {
        "128"
    } else if title.contains("下") {
        "76"
    } else if title.contains("体温") {
        "365"
    } else {
        "68"
    }
}

/// Walks through the running demo; fails at the first step that does not
/// happen.
pub(crate) fn run(demo: &Running) -> anyhow::Result<()> {
    let started = Instant::now();
    let p = demo.ports;
    let (name, _, _, _, uid) = RESIDENTS[0];
    let (_, _, family_email, _, _) = FAMILY[0];
    println!("\n== The walk (as a newcomer would, over HTTP)");

    step(
        1,
        "the virtual TV has 山田 花子's data from the center; the nurse signs in",
    );
    wait_for(
        "the card buttons on the virtual TV",
        Duration::from_secs(30),
        || {
            let state = tv_state(p.tv)?;
            let offered = state["cards"]
                .as_array()
                .is_some_and(|c| c.iter().any(|card| card[1] == uid));
            Ok(if offered {
                Ok(())
            } else {
                Err(state.to_string())
            })
        },
    )?;
    let mut web = sign_in(p.center)?;
    let before = last_check_in(&mut web, 1)?;
    if has_missed_alert(&get_ok(&mut web, "/dashboard/")?.text(), name) {
        bail!("{name} has a missed-check-in alert before the walk skipped any day");
    }
    let mail_before = last_mail(p.mailbox)?;

    step(
        2,
        "her My Number card goes in, her PIN; OK on every screen, her blood pressure typed, then 記録しました",
    );
    let mut tv = Client::new(p.tv);
    post_ok(&mut tv, &format!("/dock/insert/{MY_NUMBER_CARD}"))?;
    wait_for(
        "the PIN screen after her My Number card went in",
        Duration::from_secs(15),
        || {
            let state = tv_state(p.tv)?;
            Ok(if state["screen"] == "Pin" {
                Ok(())
            } else {
                Err(state.to_string())
            })
        },
    )?;
    for digit in DEMO_PIN.chars() {
        post_ok(&mut tv, &format!("/key/{digit}"))?;
    }
    post_ok(&mut tv, "/key/ok")?;
    wait_for(
        "the greeting after the card's PIN",
        Duration::from_secs(15),
        || {
            let state = tv_state(p.tv)?;
            Ok(if state["screen"] == "Greeting" {
                Ok(())
            } else {
                Err(state.to_string())
            })
        },
    )?;
    for _ in 0..25 {
        let state = tv_state(p.tv)?;
        if state["screen"] == "Done" {
            break;
        }
        if state["screen"] == "Vitals" {
            // Her blood pressure, typed on the remote's digits.
            let title = state["title"].as_str().unwrap_or_default();
            for digit in vital_for(title).chars() {
                post_ok(&mut tv, &format!("/key/{digit}"))?;
            }
        }
        post_ok(&mut tv, "/key/ok")?;
        let version = state["version"].as_u64();
        wait_for("the next screen", Duration::from_secs(5), || {
            let now = tv_state(p.tv)?;
            Ok(if now["version"].as_u64() == version {
                Err(now.to_string())
            } else {
                Ok(())
            })
        })?;
    }
    wait_for(
        "記録しました (the Done screen)",
        Duration::from_secs(10),
        || {
            let state = tv_state(p.tv)?;
            Ok(if state["screen"] == "Done" {
                Ok(())
            } else {
                Err(state.to_string())
            })
        },
    )?;
    post_ok(&mut tv, "/dock/remove")?;

    step(3, "her daughter's mail arrives in the mailbox");
    let (id, subject) = wait_for_mail(
        p.mailbox,
        "the family's check-in mail",
        mail_before,
        family_email,
        |subject, text| {
            subject.contains("山田 花子さん")
                && text.contains("体調：よい")
                && text.contains("128/76")
        },
    )?;
    println!("  mail #{id} to {family_email}: {subject}");

    step(4, "the dashboard shows the new check-in");
    let after = wait_for(
        "the check-in on the resident's page",
        Duration::from_secs(30),
        || {
            let now = last_check_in(&mut web, 1)?;
            Ok(if now == before { Err(now) } else { Ok(now) })
        },
    )?;
    println!("  最後の記録: {before} → {after}");

    step(5, "three days pass (cargo xtask demo --advance 3d)");
    let mail_before = last_mail(p.mailbox)?;
    super::clock::move_forward(&demo.data, 3 * 86_400)?;

    step(
        6,
        "the missed check-in opens an alert on the dashboard, and its mail",
    );
    // Three days on, the dashboard session has ended: sign in again.
    let limit = Duration::from_secs(u64::from(demo.sweep_interval_s) * 5 + 20);
    wait_for(
        "the missed-check-in alert in the dashboard's queue",
        limit,
        || {
            let mut web = sign_in(p.center)?;
            let queue = get_ok(&mut web, "/dashboard/")?.text();
            Ok(if has_missed_alert(&queue, name) {
                Ok(())
            } else {
                Err(demo.center(&["admin", "alerts", "list"])?)
            })
        },
    )?;
    let (id, subject) = wait_for_mail(
        p.mailbox,
        "the nurse's alert mail",
        mail_before,
        NURSE_EMAIL,
        |_, text| text.contains(name) && text.contains(MISSED),
    )?;
    println!("  mail #{id} to {NURSE_EMAIL}: {subject}");
    stations(demo)?;
    println!(
        "walk: every step happened ({} s)",
        started.elapsed().as_secs()
    );
    Ok(())
}

/// Waits for a station's page to show `screen` with `text` in its title
/// or lines.
fn wait_for_station(port: u16, what: &str, screen: &str, text: &str) -> anyhow::Result<()> {
    wait_for(what, Duration::from_secs(20), || {
        let state = tv_state(port)?;
        let shows = state["title"].as_str().is_some_and(|t| t.contains(text))
            || state["text"].as_array().is_some_and(|lines| {
                lines
                    .iter()
                    .any(|l| l.as_str().is_some_and(|l| l.contains(text)))
            });
        Ok(if state["screen"] == screen && shows {
            Ok(())
        } else {
            Err(state.to_string())
        })
    })
}

/// The safety list's row of `name`: its status (確認済み, 未確認, …).
fn safety_status(page: &str, name: &str) -> Option<String> {
    let table = &page[page.find("id=\"safety\"")?..];
    let row = table
        .split("<tr")
        .find(|row| row.contains(&format!("<strong>{name}</strong>")))?;
    let at = row.find("<strong>")? + "<strong>".len();
    let rest = &row[at..];
    Some(rest[..rest.find("</strong>")?].to_owned())
}

/// Steps 7 to 10: the school station, an incident, the shelter station
/// and the safety list.
fn stations(demo: &Running) -> anyhow::Result<()> {
    let p = demo.ports;
    let (child, _, child_uid) = CHILD;
    let (_, guardian_email, _) = GUARDIAN;
    let (name, ..) = RESIDENTS[0];
    let (other, ..) = RESIDENTS[1];
    let (_, _, family_email, _, _) = FAMILY[0];

    step(
        7,
        "at the school station, 山田 ゆい's trial card is confirmed; her mother's mail arrives",
    );
    wait_for_station(
        p.school,
        "the school station's idle screen with its place from the center",
        "StationIdle",
        SCHOOL.1,
    )?;
    wait_for(
        "her card among the school page's buttons (the roster)",
        Duration::from_secs(20),
        || {
            let state = tv_state(p.school)?;
            let offered = state["cards"]
                .as_array()
                .is_some_and(|c| c.iter().any(|card| card[1] == child_uid));
            Ok(if offered {
                Ok(())
            } else {
                Err(state.to_string())
            })
        },
    )?;
    let mail_before = last_mail(p.mailbox)?;
    let mut school = Client::new(p.school);
    post_ok(&mut school, &format!("/card/insert/{child_uid}"))?;
    wait_for_station(
        p.school,
        "her confirmation at the school",
        "StationConfirmed",
        &format!("{child}さん"),
    )?;
    post_ok(&mut school, "/card/remove")?;
    let (id, subject) = wait_for_mail(
        p.mailbox,
        "the guardian's tap mail",
        mail_before,
        guardian_email,
        |subject, text| {
            let said = format!("{child}さんが {} に ", SCHOOL.1);
            (subject.contains(&said) || text.contains(&said))
                && (subject.contains("にタッチしました") || text.contains("にタッチしました"))
        },
    )?;
    println!("  mail #{id} to {guardian_email}: {subject}");

    step(8, "an incident opens (admin incident open --name 台風10号)");
    let opened = demo.center(&["admin", "incident", "open", "--name", "台風10号"])?;
    let incident: u64 = opened
        .split_whitespace()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no incident number in `{}`", opened.trim()))?;
    println!("  {}", opened.trim());

    step(
        9,
        "at the shelter station, 山田 花子's My Number card is confirmed (read through pcscd, no PIN)",
    );
    wait_for_station(
        p.shelter,
        "the shelter station's idle screen with its place",
        "StationIdle",
        SHELTER.1,
    )?;
    let mail_before = last_mail(p.mailbox)?;
    let mut shelter = Client::new(p.shelter);
    post_ok(&mut shelter, &format!("/dock/insert/{MY_NUMBER_CARD}"))?;
    wait_for_station(
        p.shelter,
        "her confirmation at the shelter",
        "StationConfirmed",
        &format!("{name}さん"),
    )?;
    post_ok(&mut shelter, "/dock/remove")?;

    step(
        10,
        "the safety list shows her 確認済み, 山田 太郎 未確認; her daughter's mail arrives",
    );
    let path = format!("/dashboard/incidents/{incident}");
    wait_for(
        "her 確認済み on the safety list",
        Duration::from_secs(30),
        || {
            let mut web = sign_in(p.center)?;
            let page = get_ok(&mut web, &path)?.text();
            let (hers, his) = (safety_status(&page, name), safety_status(&page, other));
            Ok(
                if hers.as_deref() == Some("確認済み")
                    && his.as_deref().is_some_and(|s| s.starts_with("未確認"))
                {
                    Ok(())
                } else {
                    Err(format!("{name}: {hers:?}, {other}: {his:?}"))
                },
            )
        },
    )?;
    println!("  {path}: {name} 確認済み, {other} 未確認");
    let (id, subject) = wait_for_mail(
        p.mailbox,
        "the family's arrival mail",
        mail_before,
        family_email,
        |subject, text| {
            let said = format!("{name}さんが {} で確認されました", SHELTER.1);
            subject.contains(&said) || text.contains(&said)
        },
    )?;
    println!("  mail #{id} to {family_email}: {subject}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{has_missed_alert, safety_status};

    #[test]
    fn the_safety_list_gives_each_resident_a_status() {
        let page = "<h2>x</h2><table id=\"safety\"><tr><td><strong>未確認</strong></td><td><strong>山田 太郎</strong></td></tr><tr class=\"ok\"><td><strong>確認済み</strong></td><td><strong>山田 花子</strong><br></td></tr></table>";
        assert_eq!(
            safety_status(page, "山田 花子").as_deref(),
            Some("確認済み")
        );
        assert_eq!(safety_status(page, "山田 太郎").as_deref(), Some("未確認"));
        assert_eq!(safety_status(page, "佐藤 トメ"), None);
    }

    #[test]
    fn a_queue_row_names_the_resident_and_the_alert() {
        let queue = "<table><tr><td>山田 太郎</td><td>記録が途絶えています</td></tr><tr><td>山田 花子</td><td>体調の悪化</td></tr></table>";
        assert!(has_missed_alert(queue, "山田 太郎"));
        assert!(!has_missed_alert(queue, "山田 花子"));
    }
}
