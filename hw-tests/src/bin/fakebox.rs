//! `fakebox`: a stand-in for a set-top box, so that the center can be
//! exercised (and demonstrated) before and beside the real daemon.
//!
//! It syncs like a box: events with ids chosen here, the box's clock, a boot
//! id and a sequence number, in batches of at most 500. `history` makes
//! weeks of check-ins for residents following simple patterns and sends
//! them; `check-in` sends one.
//!
//! ```text
//! fakebox --center http://127.0.0.1:8080 --token mmb_… --device demo-0001 \
//!     history --days 30 --resident 1:04A1B2C3:steady --resident 2:04A1B2C4:declining
//! ```

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use jiff::{Timestamp, ToSpan as _};
use mimamori_protocol::*;

#[derive(Debug, Parser)]
#[command(
    name = "fakebox",
    about = "A stand-in set-top box that syncs with a center"
)]
struct Cli {
    /// The center's base URL.
    #[arg(long)]
    center: String,
    /// The box's token.
    #[arg(long)]
    token: String,
    /// The box's device id.
    #[arg(long)]
    device: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sends weeks of check-ins, ending now.
    History {
        /// How many days back to start.
        #[arg(long, default_value_t = 30)]
        days: i64,
        /// RESIDENT_ID:CARD_UID:PATTERN, where PATTERN is steady,
        /// declining (わるい the last two days), silent:N (nothing for the
        /// last N days) or call (asks for a call today).
        #[arg(long = "resident", required = true)]
        residents: Vec<String>,
    },
    /// Sends one check-in now.
    CheckIn {
        /// The resident's id.
        #[arg(long)]
        resident: u64,
        /// The trial card's UID.
        #[arg(long)]
        uid: String,
        /// good, fair or poor.
        #[arg(long, default_value = "good")]
        condition: String,
        /// Ask for a call.
        #[arg(long)]
        call: bool,
    },
}

struct Plan {
    resident: u64,
    uid: CardUid,
    pattern: Pattern,
}

enum Pattern {
    Steady,
    Declining,
    Silent(i64),
    Call,
}

fn parse_plan(text: &str) -> anyhow::Result<Plan> {
    let parts: Vec<&str> = text.splitn(3, ':').collect();
    let [resident, uid, pattern] = parts.as_slice() else {
        bail!("`{text}`: expected RESIDENT_ID:CARD_UID:PATTERN");
    };
    let pattern = match *pattern {
        "steady" => Pattern::Steady,
        "declining" => Pattern::Declining,
        "call" => Pattern::Call,
        p if p.starts_with("silent:") => Pattern::Silent(p[7..].parse().context("silent:N")?),
        p => bail!("`{p}` is not a pattern (steady, declining, silent:N, call)"),
    };
    Ok(Plan {
        resident: resident.parse().context("resident id")?,
        uid: uid.parse().map_err(anyhow::Error::msg)?,
        pattern,
    })
}

/// The stand-in box: who it is and its event numbering.
struct FakeBox {
    client: reqwest::Client,
    center: String,
    token: String,
    device: DeviceId,
    boot: BootId,
    seq: u64,
}

fn wire(at: Timestamp) -> anyhow::Result<mimamori_protocol::Timestamp> {
    let offset = jiff::tz::TimeZone::get("Asia/Tokyo")?
        .to_offset(at)
        .seconds();
    mimamori_protocol::Timestamp::from_unix_nanos(at.as_nanosecond(), offset)
        .with_context(|| format!("{at} cannot be written as RFC 3339"))
}

impl FakeBox {
    fn event(&mut self, at: Timestamp, body: EventBody) -> anyhow::Result<Event> {
        self.seq += 1;
        Ok(Event {
            id: EventId::generate(),
            recorded_at: wire(at)?,
            boot_id: self.boot,
            seq: self.seq,
            body,
        })
    }

    async fn send(&self, events: Vec<Event>, now: Timestamp) -> anyhow::Result<SyncResponse> {
        let request = SyncRequest {
            protocol: PROTOCOL_VERSION,
            device_id: self.device.clone(),
            sent_at: wire(now)?,
            events,
            known: Known::default(),
        };
        request.validate()?;
        let response = self
            .client
            .post(format!("{}/api/v1/sync", self.center))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(encode(&request))
            .send()
            .await
            .context("connecting to the center")?;
        let status = response.status();
        let body = response.bytes().await?;
        if !status.is_success() {
            bail!(
                "the center answered {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        Ok(decode(&body)?)
    }
}

fn check_in(
    resident: u64,
    uid: &CardUid,
    condition: Condition,
    vitals: Vitals,
    call: bool,
) -> EventBody {
    EventBody::CheckIn(CheckIn {
        resident: ResidentId(resident),
        condition,
        symptoms: if condition == Condition::Poor {
            vec![Symptom::Dizziness]
        } else {
            vec![]
        },
        symptom_note: None,
        medication: vec![MedicationEntry {
            slot: MedicationSlot::Morning,
            status: MedicationStatus::Taken,
        }],
        vitals,
        call_requested: call,
        auth: Authentication::CardUid(UidProof { uid: uid.clone() }),
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let Cli {
        center,
        token,
        device,
        command,
    } = Cli::parse();
    #[allow(clippy::disallowed_methods)] // a stand-in box: its clock is the system's
    let now = Timestamp::now();
    let mut fake = FakeBox {
        client: reqwest::Client::new(),
        center,
        token,
        device: device.parse().map_err(anyhow::Error::msg)?,
        boot: BootId(uuid::Uuid::new_v4()),
        seq: 0,
    };
    match command {
        Command::History { days, residents } => {
            let plans = residents
                .iter()
                .map(|r| parse_plan(r))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let tokyo = jiff::tz::TimeZone::get("Asia/Tokyo")?;
            let today = now.to_zoned(tokyo.clone()).date();
            let mut events = Vec::new();
            // Mornings between 7:30 and 9:30, varying by day and person.
            let time_of = |back: i64, i: usize| -> anyhow::Result<Timestamp> {
                let day = today.checked_sub(back.days())?;
                let minute = 30 + (back * 37 + i as i64 * 53) % 120;
                Ok(day
                    .at(7, 0, 0, 0)
                    .to_zoned(tokyo.clone())?
                    .checked_add(minute.minutes())?
                    .timestamp())
            };
            for back in (0..days).rev() {
                for (i, plan) in plans.iter().enumerate() {
                    let at = time_of(back, i)?;
                    if at > now {
                        continue;
                    }
                    // The most recent day on which this resident's check-in time has come.
                    let latest = if time_of(0, i)? > now { 1 } else { 0 };
                    let (condition, call) = match plan.pattern {
                        Pattern::Silent(n) if back < n => continue,
                        Pattern::Declining if back < latest + 2 => (Condition::Poor, false),
                        Pattern::Call if back == latest => (Condition::Fair, true),
                        _ => (
                            if (back + i as i64) % 5 == 0 {
                                Condition::Fair
                            } else {
                                Condition::Good
                            },
                            false,
                        ),
                    };
                    let systolic = 122 + u16::try_from((back * 7 + i as i64 * 3) % 17).unwrap_or(0);
                    let vitals = Vitals {
                        blood_pressure: Some(BloodPressure {
                            systolic_mmhg: systolic,
                            diastolic_mmhg: 78,
                        }),
                        pulse_bpm: Some(68),
                        ..Vitals::default()
                    };
                    let body = check_in(plan.resident, &plan.uid, condition, vitals, call);
                    events.push(fake.event(at, body)?);
                }
            }
            let total = events.len();
            let mut stored = 0;
            let mut rejected = 0;
            while !events.is_empty() {
                let rest = events.split_off(events.len().min(MAX_EVENTS_PER_SYNC));
                let response = fake.send(std::mem::replace(&mut events, rest), now).await?;
                stored += response.acked.len();
                rejected += response.rejected.len();
                for r in &response.rejected {
                    eprintln!("fakebox: rejected {}: {}", r.id, r.message);
                }
            }
            println!(
                "fakebox: sent {total} check-ins over {days} days: {stored} stored, {rejected} rejected"
            );
        }
        Command::CheckIn {
            resident,
            uid,
            condition,
            call,
        } => {
            let condition = match condition.as_str() {
                "good" => Condition::Good,
                "fair" => Condition::Fair,
                "poor" => Condition::Poor,
                other => bail!("`{other}` is not good, fair or poor"),
            };
            let uid: CardUid = uid.parse().map_err(anyhow::Error::msg)?;
            let event = fake.event(
                now,
                check_in(resident, &uid, condition, Vitals::default(), call),
            )?;
            let response = fake.send(vec![event], now).await?;
            println!(
                "fakebox: {} stored, {} rejected",
                response.acked.len(),
                response.rejected.len()
            );
        }
    }
    Ok(())
}
