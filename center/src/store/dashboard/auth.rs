//! Staff sign-in: credentials, failed attempts and lockout, sessions,
//! the TOTP secret.

use jiff::{SignedDuration, Timestamp};
use rand::RngCore as _;
use rusqlite::{Connection, OptionalExtension as _, params};
use sha2::{Digest as _, Sha256};

use super::super::{Result, StoreError, from_ms, ms};
use crate::store::people::Role;

/// What signing in needs to know about a login name.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The staff member's id.
    pub staff_id: i64,
    /// Their PHC password hash (Argon2id); `None`: no password set yet.
    pub password_hash: Option<String>,
    /// Their TOTP secret, once enrolled.
    pub totp_secret: Option<Vec<u8>>,
    /// Their role.
    pub role: Role,
}

/// A staff member's credentials by login name (`None`: no such login).
pub fn credentials(conn: &Connection, login: &str) -> Result<Option<Credentials>> {
    Ok(conn
        .query_row(
            "SELECT id, password_hash, totp_secret, role FROM staff
              WHERE login = ?1 AND disabled_at IS NULL",
            [login],
            |row| {
                Ok(Credentials {
                    staff_id: row.get(0)?,
                    password_hash: row.get(1)?,
                    totp_secret: row.get(2)?,
                    role: role_of(&row.get::<_, String>(3)?),
                })
            },
        )
        .optional()?)
}

fn role_of(text: &str) -> Role {
    if text == "admin" {
        Role::Admin
    } else {
        Role::Nurse
    }
}

/// Sets a staff member's password hash; their sessions end.
pub fn set_password(conn: &Connection, login: &str, hash: &str) -> Result<()> {
    let id: i64 = conn
        .query_row("SELECT id FROM staff WHERE login = ?1", [login], |row| {
            row.get(0)
        })
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("no staff login {login}")))?;
    conn.execute(
        "UPDATE staff SET password_hash = ?1 WHERE id = ?2",
        params![hash, id],
    )?;
    conn.execute("DELETE FROM sessions WHERE staff_id = ?1", [id])?;
    conn.execute("DELETE FROM login_failures WHERE login = ?1", [login])?;
    Ok(())
}

/// Forgets a staff member's TOTP secret (a lost phone): they enrol again at
/// their next sign-in. Their sessions end.
pub fn reset_totp(conn: &Connection, login: &str) -> Result<()> {
    let changed = conn.execute(
        "UPDATE staff SET totp_secret = NULL, totp_last_step = NULL WHERE login = ?1",
        [login],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound(format!("no staff login {login}")));
    }
    conn.execute(
        "DELETE FROM sessions WHERE staff_id = (SELECT id FROM staff WHERE login = ?1)",
        [login],
    )?;
    Ok(())
}

/// How many failures lock what, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures of one login name within `window` that lock it.
    pub max_failures: u32,
    /// Failures from one address within `window` that throttle it.
    pub max_failures_per_address: u32,
    /// The window failures are counted in, and how long a lock lasts after
    /// the last failure.
    pub window: SignedDuration,
}

/// Until when signing in is refused, for the login name or the address.
pub fn locked_until(
    conn: &Connection,
    policy: &LockoutPolicy,
    login: &str,
    ip: &str,
    now: Timestamp,
) -> Result<Option<Timestamp>> {
    let since = ms(now - policy.window);
    let mut until = None;
    for (sql, key, max) in [
        (
            "SELECT COUNT(*), MAX(at) FROM login_failures WHERE login = ?1 AND at > ?2",
            login,
            policy.max_failures,
        ),
        (
            "SELECT COUNT(*), MAX(at) FROM login_failures WHERE ip = ?1 AND at > ?2",
            ip,
            policy.max_failures_per_address,
        ),
    ] {
        let (count, last): (u32, Option<i64>) = conn
            .prepare_cached(sql)?
            .query_row(params![key, since], |row| Ok((row.get(0)?, row.get(1)?)))?;
        if count >= max {
            if let Some(last) = last {
                let end = from_ms(last) + policy.window;
                until = Some(until.map_or(end, |u: Timestamp| u.max(end)));
            }
        }
    }
    Ok(until)
}

/// Records a failed sign-in (a wrong password or code, an unknown login).
pub fn record_failure(conn: &Connection, login: &str, ip: &str, now: Timestamp) -> Result<()> {
    conn.execute(
        "INSERT INTO login_failures (login, ip, at) VALUES (?1, ?2, ?3)",
        params![login, ip, ms(now)],
    )?;
    Ok(())
}

/// Clears a login's failures after it signed in.
pub fn clear_failures(conn: &Connection, login: &str) -> Result<()> {
    conn.execute("DELETE FROM login_failures WHERE login = ?1", [login])?;
    Ok(())
}

/// How far a session has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Password right; the TOTP code is next.
    Totp,
    /// Password right; TOTP is required and must be enrolled first.
    Enrol,
    /// Signed in.
    Full,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::Totp => "totp",
            Stage::Enrol => "enrol",
            Stage::Full => "full",
        }
    }

    fn parse(text: &str) -> Stage {
        match text {
            "full" => Stage::Full,
            "enrol" => Stage::Enrol,
            _ => Stage::Totp,
        }
    }
}

/// The hash a session is stored under.
pub fn session_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    hex::encode(buffer)
}

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// At most this long after signing in.
    pub lifetime: SignedDuration,
    /// Ended after this long without a request.
    pub idle: SignedDuration,
}

/// Starts a session; returns its cookie value (stored only as a hash).
pub fn start_session(
    conn: &Connection,
    policy: &SessionPolicy,
    staff: i64,
    stage: Stage,
    ip: &str,
    now: Timestamp,
) -> Result<String> {
    let token = random_hex(32);
    conn.execute(
        "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?2",
        params![ms(now), ms(now - policy.idle)],
    )?;
    conn.execute(
        "INSERT INTO sessions (token_hash, staff_id, csrf, stage, ip, created_at, last_seen_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
        params![
            &session_hash(&token)[..],
            staff,
            random_hex(24),
            stage.as_str(),
            ip,
            ms(now),
            ms(now + policy.lifetime)
        ],
    )?;
    Ok(token)
}

/// A live session and who holds it.
#[derive(Debug, Clone)]
pub struct Session {
    /// The staff member.
    pub staff_id: i64,
    /// Their login name.
    pub login: String,
    /// Their full name.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// The districts a nurse sees.
    pub districts: Vec<String>,
    /// Every form of this session carries this token.
    pub csrf: String,
    /// How far signing in has come.
    pub stage: Stage,
    /// A TOTP secret being enrolled.
    pub pending_secret: Option<Vec<u8>>,
    /// Whether the staff member has a TOTP secret.
    pub has_totp: bool,
    /// When the session ends at the latest.
    pub expires_at: Timestamp,
}

/// The session of a cookie, if it is alive at `now`; marks it as used.
pub fn session(
    conn: &Connection,
    policy: &SessionPolicy,
    hash: &[u8; 32],
    now: Timestamp,
) -> Result<Option<Session>> {
    let found = conn
        .prepare_cached(
            "SELECT s.staff_id, t.login, t.name, t.role, t.districts, s.csrf, s.stage, s.pending_secret,
                    t.totp_secret IS NOT NULL, s.expires_at, s.last_seen_at, t.disabled_at
               FROM sessions s JOIN staff t ON t.id = s.staff_id WHERE s.token_hash = ?1",
        )?
        .query_row([&hash[..]], |row| {
            Ok((
                Session {
                    staff_id: row.get(0)?,
                    login: row.get(1)?,
                    name: row.get(2)?,
                    role: role_of(&row.get::<_, String>(3)?),
                    districts: serde_json::from_str(&row.get::<_, String>(4)?).unwrap_or_default(),
                    csrf: row.get(5)?,
                    stage: Stage::parse(&row.get::<_, String>(6)?),
                    pending_secret: row.get(7)?,
                    has_totp: row.get(8)?,
                    expires_at: from_ms(row.get(9)?),
                },
                from_ms(row.get(10)?),
                row.get::<_, Option<i64>>(11)?,
            ))
        })
        .optional()?;
    let Some((session, last_seen, disabled)) = found else {
        return Ok(None);
    };
    if session.expires_at <= now || last_seen + policy.idle <= now || disabled.is_some() {
        conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [&hash[..]])?;
        return Ok(None);
    }
    conn.prepare_cached("UPDATE sessions SET last_seen_at = ?1 WHERE token_hash = ?2")?
        .execute(params![ms(now), &hash[..]])?;
    Ok(Some(session))
}

/// Moves a session to `stage`.
pub fn set_stage(conn: &Connection, hash: &[u8; 32], stage: Stage) -> Result<()> {
    conn.execute(
        "UPDATE sessions SET stage = ?1, pending_secret = NULL WHERE token_hash = ?2",
        params![stage.as_str(), &hash[..]],
    )?;
    Ok(())
}

/// Keeps a TOTP secret being enrolled with the session.
pub fn set_pending_secret(conn: &Connection, hash: &[u8; 32], secret: &[u8]) -> Result<()> {
    conn.execute(
        "UPDATE sessions SET pending_secret = ?1 WHERE token_hash = ?2",
        params![secret, &hash[..]],
    )?;
    Ok(())
}

/// Ends a session.
pub fn end_session(conn: &Connection, hash: &[u8; 32]) -> Result<()> {
    conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [&hash[..]])?;
    Ok(())
}

/// Takes a TOTP time step as used, if no later or equal step was used
/// before (a code works once). Returns whether it was accepted.
pub fn use_totp_step(conn: &Connection, staff: i64, step: u64) -> Result<bool> {
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    let changed = conn.execute(
        "UPDATE staff SET totp_last_step = ?1
          WHERE id = ?2 AND (totp_last_step IS NULL OR totp_last_step < ?1)",
        params![step, staff],
    )?;
    Ok(changed == 1)
}

/// Stores an enrolled TOTP secret, with the step its confirming code used.
pub fn enrol_totp(conn: &Connection, staff: i64, secret: &[u8], step: u64) -> Result<()> {
    conn.execute(
        "UPDATE staff SET totp_secret = ?1, totp_last_step = ?2 WHERE id = ?3",
        params![secret, i64::try_from(step).unwrap_or(i64::MAX), staff],
    )?;
    Ok(())
}
