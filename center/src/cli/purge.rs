//! `admin purge`: deletes what is past its retention (`[retention]`),
//! audited; `--dry-run` counts without deleting.

use jiff::Timestamp;

use super::print_json;
use crate::config::Config;
use crate::store::{Store, purge};

pub(super) fn run(
    config: &Config,
    store: &mut Store,
    dry_run: bool,
    json: bool,
    now: Timestamp,
) -> anyhow::Result<()> {
    let cutoffs = config.retention.cutoffs(now);
    let run = |c: &rusqlite::Connection| purge::purge(c, &cutoffs, "cli", now);
    let purged = if dry_run {
        store.dry_run(run)?
    } else {
        store.transaction(run)?
    };
    if json {
        return print_json(&purged);
    }
    let r = &config.retention;
    let verb = if dry_run { "would delete" } else { "deleted" };
    for (what, n, days) in [
        ("check-ins", purged.check_ins, r.check_ins_days),
        ("heartbeats", purged.heartbeats, r.heartbeats_days),
        ("events", purged.events, r.check_ins_days),
        ("rejected events", purged.rejected_events, r.check_ins_days),
        ("resolved alerts", purged.alerts, r.alerts_days),
        ("alert history rows", purged.alert_events, r.alerts_days),
        ("mail", purged.mail, r.mail_days),
        ("audit rows", purged.audit, r.audit_days),
        ("taps", purged.taps, r.taps_days),
        ("tap events", purged.tap_events, r.taps_days),
    ] {
        println!("{verb} {n:>8} {what} (kept {days} days)");
    }
    if dry_run {
        println!("dry run: nothing was deleted");
    } else {
        println!("purge recorded in the audit log");
    }
    Ok(())
}
