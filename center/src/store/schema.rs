//! The database schema, as numbered migrations.
//!
//! `PRAGMA user_version` holds the number of migrations applied. A migration
//! is never edited once released; a change is a new migration appended here.
//! Instants are stored as Unix milliseconds (INTEGER), calendar days as
//! `YYYY-MM-DD` text.

/// Migrations, in order. Index + 1 is the schema version after applying one.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE boxes (
    id               INTEGER PRIMARY KEY,
    device_id        TEXT NOT NULL UNIQUE,
    token_hash       BLOB NOT NULL UNIQUE,
    label            TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    revoked_at       INTEGER,
    last_contact_at  INTEGER,
    clock_skew_ms    INTEGER,
    software_version TEXT,
    residents_rev    INTEGER NOT NULL DEFAULT 0,
    checkups_rev     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE residents (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL,
    kana             TEXT NOT NULL,
    district         TEXT NOT NULL,
    address          TEXT NOT NULL DEFAULT '',
    phone            TEXT NOT NULL DEFAULT '',
    birth_date       TEXT,
    box_id           INTEGER REFERENCES boxes(id),
    box_assigned_at  INTEGER,
    care_plan        TEXT NOT NULL,
    overrides        TEXT NOT NULL DEFAULT '{}',
    paused_through   TEXT,
    pause_reason     TEXT,
    watched_since    INTEGER NOT NULL,
    last_check_in_at INTEGER,
    last_check_in_on TEXT,
    streak_days      INTEGER NOT NULL DEFAULT 0,
    points           INTEGER NOT NULL DEFAULT 0,
    next_due         INTEGER,
    created_at       INTEGER NOT NULL
);
CREATE INDEX residents_due ON residents(next_due) WHERE next_due IS NOT NULL;
CREATE INDEX residents_box ON residents(box_id);
CREATE INDEX residents_kana ON residents(kana);

CREATE TABLE cards (
    id          INTEGER PRIMARY KEY,
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    kind        TEXT NOT NULL CHECK (kind IN ('jpki', 'card_uid')),
    fingerprint BLOB UNIQUE,
    certificate BLOB,
    public_key  BLOB,
    not_before  INTEGER,
    not_after   INTEGER,
    uid         BLOB UNIQUE,
    created_at  INTEGER NOT NULL,
    CHECK ((kind = 'jpki') = (fingerprint IS NOT NULL)),
    CHECK ((kind = 'card_uid') = (uid IS NOT NULL))
);
CREATE INDEX cards_resident ON cards(resident_id);

CREATE TABLE events (
    id           BLOB PRIMARY KEY,
    box_id       INTEGER NOT NULL REFERENCES boxes(id),
    resident_id  INTEGER,
    kind         TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    boot_id      BLOB NOT NULL,
    seq          INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    corrected_at INTEGER NOT NULL,
    body         TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX events_box_seq ON events(box_id, seq);

CREATE TABLE check_ins (
    event_id       BLOB PRIMARY KEY REFERENCES events(id),
    resident_id    INTEGER NOT NULL REFERENCES residents(id),
    at             INTEGER NOT NULL,
    local_date     TEXT NOT NULL,
    condition      TEXT NOT NULL,
    call_requested INTEGER NOT NULL,
    systolic       INTEGER,
    diastolic      INTEGER,
    pulse          INTEGER,
    temperature    INTEGER,
    weight         INTEGER,
    steps          INTEGER,
    weak_auth      INTEGER NOT NULL
) WITHOUT ROWID;
-- Covering the event rules' look-back (no row lookups), and the day test.
CREATE INDEX check_ins_resident_at ON check_ins(resident_id, at, condition, weight);
CREATE INDEX check_ins_resident_day ON check_ins(resident_id, local_date);

CREATE TABLE heartbeats (
    event_id         BLOB PRIMARY KEY REFERENCES events(id),
    box_id           INTEGER NOT NULL REFERENCES boxes(id),
    at               INTEGER NOT NULL,
    uptime_s         INTEGER NOT NULL,
    room_temperature INTEGER,
    room_humidity    INTEGER,
    tv_power         TEXT,
    software_version TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX heartbeats_box_at ON heartbeats(box_id, at);

CREATE TABLE rejected_events (
    event_id    BLOB PRIMARY KEY,
    box_id      INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    message     TEXT NOT NULL,
    body        TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY,
    resident_id     INTEGER NOT NULL REFERENCES residents(id),
    kind            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    reason          TEXT NOT NULL,
    opened_at       INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT,
    escalated_at    INTEGER,
    resolved_at     INTEGER,
    resolved_by     TEXT,
    visit_at        INTEGER,
    visit_outcome   TEXT,
    visit_note      TEXT
);
CREATE UNIQUE INDEX alerts_one_open ON alerts(resident_id, kind) WHERE state != 'resolved';
CREATE INDEX alerts_state ON alerts(state, opened_at);
CREATE INDEX alerts_resident ON alerts(resident_id, state, kind);

CREATE TABLE alert_events (
    id       INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts(id),
    at       INTEGER NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    note     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alert_events_alert ON alert_events(alert_id);

CREATE TABLE notices (
    id           INTEGER PRIMARY KEY,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    published_on TEXT NOT NULL,
    expires_on   TEXT,
    important    INTEGER NOT NULL DEFAULT 0,
    withdrawn_at INTEGER,
    created_at   INTEGER NOT NULL
);

CREATE TABLE checkups (
    id          INTEGER PRIMARY KEY,
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    examined_on TEXT NOT NULL,
    title       TEXT NOT NULL,
    items       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (resident_id, examined_on, title)
);

CREATE TABLE points_ledger (
    id          INTEGER PRIMARY KEY,
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    at          INTEGER NOT NULL,
    points      INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    event_id    BLOB
);
CREATE INDEX points_ledger_resident ON points_ledger(resident_id, at);

CREATE TABLE family_contacts (
    id          INTEGER PRIMARY KEY,
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    name        TEXT NOT NULL,
    email       TEXT NOT NULL,
    relation    TEXT NOT NULL,
    policy      TEXT NOT NULL CHECK (policy IN ('every_check_in', 'daily_digest', 'concerns_only')),
    created_at  INTEGER NOT NULL
);
CREATE INDEX family_contacts_resident ON family_contacts(resident_id);

CREATE TABLE staff (
    id         INTEGER PRIMARY KEY,
    login      TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('nurse', 'admin')),
    districts  TEXT NOT NULL DEFAULT '[]',
    email      TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
"#,
    // 2: the mail outbox; per family contact what they may see and how to
    // unsubscribe.
    r#"
ALTER TABLE family_contacts ADD COLUMN consent TEXT NOT NULL DEFAULT '{}';
ALTER TABLE family_contacts ADD COLUMN unsubscribe_token TEXT;
ALTER TABLE family_contacts ADD COLUMN unsubscribed_at INTEGER;
-- Daily digest: the local time it goes out, and the next instant it is due
-- (NULL until the first sweep after the contact was added).
ALTER TABLE family_contacts ADD COLUMN digest_at TEXT NOT NULL DEFAULT '19:00';
ALTER TABLE family_contacts ADD COLUMN next_digest_at INTEGER;
CREATE INDEX family_contacts_digest ON family_contacts(policy, next_digest_at);
UPDATE family_contacts SET unsubscribe_token = lower(hex(randomblob(16)));
CREATE UNIQUE INDEX family_contacts_token ON family_contacts(unsubscribe_token);

-- One row per message. `payload` holds the facts the message is composed
-- from (JSON); composing it with the row id and `created_at` gives the same
-- bytes at every attempt, so a resend carries the same Message-ID.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('family_checkin', 'family_digest', 'family_concern', 'nurse_alert', 'nurse_escalation')),
    recipient       TEXT NOT NULL,
    contact_id      INTEGER REFERENCES family_contacts(id),
    staff_id        INTEGER REFERENCES staff(id),
    resident_id     INTEGER REFERENCES residents(id),
    payload         TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    sent_at         INTEGER
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_state ON outbox(state, id);
CREATE INDEX outbox_contact ON outbox(contact_id, state) WHERE contact_id IS NOT NULL;
"#,
    // 3: indexes no query reads any more, which every check-in paid for
    // with a page written at a random place: the day test of a check-in
    // reads the resident's recent check-ins (check_ins_resident_at), and
    // events are looked up by id only.
    r#"
DROP INDEX IF EXISTS check_ins_resident_day;
DROP INDEX IF EXISTS events_box_seq;
"#,
    // 4: the nurses' dashboard: staff sign-in (Argon2id password hash, TOTP
    // secret, failed attempts), sessions, alert assignment, and the
    // append-only audit log.
    r#"
ALTER TABLE staff ADD COLUMN password_hash TEXT;
ALTER TABLE staff ADD COLUMN totp_secret BLOB;
ALTER TABLE staff ADD COLUMN totp_last_step INTEGER;
ALTER TABLE staff ADD COLUMN disabled_at INTEGER;

-- Failed sign-ins, per login name and per address: throttling and the
-- temporary lockout count the recent rows.
CREATE TABLE login_failures (
    id    INTEGER PRIMARY KEY,
    login TEXT NOT NULL,
    ip    TEXT NOT NULL,
    at    INTEGER NOT NULL
);
CREATE INDEX login_failures_login ON login_failures(login, at);
CREATE INDEX login_failures_ip ON login_failures(ip, at);

-- A session is known by the SHA-256 of its cookie. `stage`: `totp` waits
-- for the second factor, `enrol` for a TOTP enrolment, `full` is signed in.
CREATE TABLE sessions (
    token_hash     BLOB PRIMARY KEY,
    staff_id       INTEGER NOT NULL REFERENCES staff(id),
    csrf           TEXT NOT NULL,
    stage          TEXT NOT NULL CHECK (stage IN ('totp', 'enrol', 'full')),
    pending_secret BLOB,
    ip             TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_staff ON sessions(staff_id);

ALTER TABLE alerts ADD COLUMN assigned_to INTEGER REFERENCES staff(id);
-- The residents list and the district choices.
CREATE INDEX residents_district ON residents(district, kana);

-- Who looked at or changed what, from where. Rows are never changed or
-- removed: the triggers refuse it.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    staff_id    INTEGER,
    login       TEXT NOT NULL,
    action      TEXT NOT NULL,
    resident_id INTEGER,
    detail      TEXT NOT NULL DEFAULT '',
    ip          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_resident ON audit_log(resident_id, at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#,
    // 5: the nurses' morning summary (a new outbox kind), the topic of a
    // family concern (never the same one twice within its repeat
    // interval), and the instants of center-wide mail schedules.
    r#"
CREATE TABLE outbox_v3 (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('family_checkin', 'family_digest', 'family_concern', 'nurse_alert', 'nurse_escalation', 'nurse_summary')),
    recipient       TEXT NOT NULL,
    contact_id      INTEGER REFERENCES family_contacts(id),
    staff_id        INTEGER REFERENCES staff(id),
    resident_id     INTEGER REFERENCES residents(id),
    payload         TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    sent_at         INTEGER,
    topic           TEXT
);
INSERT INTO outbox_v3 (id, kind, recipient, contact_id, staff_id, resident_id, payload, created_at,
                       next_attempt_at, attempts, last_error, state, sent_at, topic)
SELECT id, kind, recipient, contact_id, staff_id, resident_id, payload, created_at,
       next_attempt_at, attempts, last_error, state, sent_at,
       CASE kind WHEN 'family_concern' THEN json_extract(payload, '$.kind') END
  FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v3 RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_state ON outbox(state, id);
CREATE INDEX outbox_contact ON outbox(contact_id, state) WHERE contact_id IS NOT NULL;
CREATE INDEX outbox_topic ON outbox(contact_id, topic, created_at) WHERE topic IS NOT NULL;
CREATE INDEX outbox_staff ON outbox(staff_id, kind, state) WHERE staff_id IS NOT NULL;

-- Center-wide schedules: the next instant each is due (e.g. the nurses'
-- morning summary). No row: scheduled by the next sweep, without mail.
CREATE TABLE mail_schedule (
    name    TEXT PRIMARY KEY,
    next_at INTEGER NOT NULL
);
"#,
    // Card login: challenges handed to boxes, each answerable once, for a
    // minute (store/login.rs).
    r#"
CREATE TABLE login_challenges (
    challenge  BLOB PRIMARY KEY,
    box_id     INTEGER NOT NULL REFERENCES boxes(id),
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX login_challenges_expiry ON login_challenges(expires_at);
"#,
    // Administration from the dashboard: consent records (append-only;
    // `family_contacts.consent` becomes what the latest record of each
    // contact says), family contacts removed without losing their mail
    // history, and the retention purge of the audit log (the delete
    // trigger lets through only rows older than a cutoff the purge sets
    // inside its own transaction).
    r#"
ALTER TABLE family_contacts ADD COLUMN removed_at INTEGER;

-- What a resident agreed to share, with whom, from when, recorded by whom.
-- `contact_id` NULL: the nurses. `action`: grant (items added), withdraw
-- (items taken back), set (the whole list, as the command line writes it).
-- `items`: the items the row names (JSON list); `shared`: what is shared
-- with that audience after it (JSON, as family_contacts.consent).
CREATE TABLE consent_records (
    id          INTEGER PRIMARY KEY,
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    contact_id  INTEGER REFERENCES family_contacts(id),
    action      TEXT NOT NULL CHECK (action IN ('grant', 'withdraw', 'set')),
    items       TEXT NOT NULL,
    shared      TEXT NOT NULL,
    agreed_on   TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    recorded_at INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    staff_id    INTEGER REFERENCES staff(id)
);
CREATE INDEX consent_records_resident ON consent_records(resident_id, id);
CREATE INDEX consent_records_contact ON consent_records(contact_id, id);
CREATE TRIGGER consent_records_no_update BEFORE UPDATE ON consent_records
BEGIN SELECT RAISE(ABORT, 'consent records are append-only'); END;
CREATE TRIGGER consent_records_no_delete BEFORE DELETE ON consent_records
BEGIN SELECT RAISE(ABORT, 'consent records are append-only'); END;

-- What each contact sees today, as the first record of its history.
INSERT INTO consent_records (resident_id, contact_id, action, items, shared, agreed_on, note,
                             recorded_at, recorded_by)
SELECT resident_id, id, 'set', '[]',
       json_object(
         'condition', json(CASE WHEN coalesce(json_extract(consent, '$.condition'), 1) THEN 'true' ELSE 'false' END),
         'symptoms', json(CASE WHEN coalesce(json_extract(consent, '$.symptoms'), 1) THEN 'true' ELSE 'false' END),
         'medication', json(CASE WHEN coalesce(json_extract(consent, '$.medication'), 1) THEN 'true' ELSE 'false' END),
         'vitals', json(CASE WHEN coalesce(json_extract(consent, '$.vitals'), 1) THEN 'true' ELSE 'false' END),
         'call_request', json(CASE WHEN coalesce(json_extract(consent, '$.call_request'), 1) THEN 'true' ELSE 'false' END)),
       strftime('%Y-%m-%d', created_at / 1000, 'unixepoch'),
       '同意の記録を始める前の設定', created_at, 'migration'
  FROM family_contacts;

-- The retention purge sets one row here, deletes, and removes it again,
-- all in one transaction; no other delete of the audit log gets through.
CREATE TABLE audit_purge (
    cutoff INTEGER NOT NULL
);
DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.at >= coalesce((SELECT max(cutoff) FROM audit_purge), -9223372036854775807)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#,
    // 8: tap stations and the children's watch-over (protocol 1.1). A
    // station is a device with a token like a box (its `boxes` row) and a
    // place; children are people who are not watch-over residents, known
    // by their cards, with guardians who hear of their taps by mail. Taps
    // are kept for a short time (`retention.taps_days`) and purged.
    r#"
CREATE TABLE stations (
    box_id     INTEGER PRIMARY KEY REFERENCES boxes(id),
    place      TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('school', 'library', 'community_center', 'shelter')),
    district   TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE children (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    kana       TEXT NOT NULL,
    district   TEXT NOT NULL,
    school     TEXT NOT NULL DEFAULT '',
    birth_date TEXT,
    note       TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    removed_at INTEGER
);
CREATE INDEX children_kana ON children(kana);

-- A card identifies one person: the store refuses a card here that is a
-- resident's in `cards`, and the other way round.
CREATE TABLE child_cards (
    id          INTEGER PRIMARY KEY,
    child_id    INTEGER NOT NULL REFERENCES children(id),
    kind        TEXT NOT NULL CHECK (kind IN ('jpki', 'card_uid')),
    fingerprint BLOB UNIQUE,
    uid         BLOB UNIQUE,
    created_at  INTEGER NOT NULL,
    CHECK ((kind = 'jpki') = (fingerprint IS NOT NULL)),
    CHECK ((kind = 'card_uid') = (uid IS NOT NULL))
);
CREATE INDEX child_cards_child ON child_cards(child_id);

-- `policy`: every_tap, first_of_day (the first tap of the day at each
-- place), none. Mail goes only to a guardian with consent recorded, not
-- unsubscribed and not removed.
CREATE TABLE guardians (
    id                INTEGER PRIMARY KEY,
    child_id          INTEGER NOT NULL REFERENCES children(id),
    name              TEXT NOT NULL,
    email             TEXT NOT NULL,
    relation          TEXT NOT NULL,
    policy            TEXT NOT NULL CHECK (policy IN ('every_tap', 'first_of_day', 'none')),
    consent_on        TEXT,
    consent_by        TEXT,
    unsubscribe_token TEXT NOT NULL UNIQUE,
    unsubscribed_at   INTEGER,
    created_at        INTEGER NOT NULL,
    removed_at        INTEGER
);
CREATE INDEX guardians_child ON guardians(child_id);

-- One row per tap that was stored (its event is in `events`). Exactly one
-- of child_id and resident_id names who tapped.
CREATE TABLE taps (
    event_id    BLOB PRIMARY KEY REFERENCES events(id),
    station_id  INTEGER NOT NULL REFERENCES boxes(id),
    child_id    INTEGER REFERENCES children(id),
    resident_id INTEGER REFERENCES residents(id),
    at          INTEGER NOT NULL,
    local_date  TEXT NOT NULL,
    CHECK ((child_id IS NULL) != (resident_id IS NULL))
) WITHOUT ROWID;
CREATE INDEX taps_child ON taps(child_id, at) WHERE child_id IS NOT NULL;
CREATE INDEX taps_resident ON taps(resident_id, at) WHERE resident_id IS NOT NULL;
CREATE INDEX taps_station ON taps(station_id, at);
CREATE INDEX taps_at ON taps(at);

-- The roster stations get: any change to children, their cards, or
-- residents' cards and names moves this revision.
INSERT OR IGNORE INTO counters (name, value) VALUES ('people_rev', 1);

-- Incidents (台風10号): while one is open, taps at shelter stations are
-- arrivals, and the safety list of watch-over residents counts signs of
-- life from its opening. Nurses record what they confirmed by phone or
-- visit, with who and when.
CREATE TABLE incidents (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    opened_at  INTEGER NOT NULL,
    opened_by  TEXT NOT NULL,
    closed_at  INTEGER,
    closed_by  TEXT
);
CREATE TABLE safety_checks (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    outcome     TEXT NOT NULL CHECK (outcome IN ('phone_safe', 'visit_safe', 'absent')),
    note        TEXT NOT NULL DEFAULT '',
    at          INTEGER NOT NULL,
    staff_id    INTEGER REFERENCES staff(id),
    login       TEXT NOT NULL
);
CREATE INDEX safety_checks_incident ON safety_checks(incident_id, resident_id, at);

-- The last remote key press a box reported (its heartbeats' last_key_at,
-- corrected for its clock): a sign of life on the safety list.
ALTER TABLE heartbeats ADD COLUMN last_key_at INTEGER;
ALTER TABLE boxes ADD COLUMN last_key_at INTEGER;
-- The safety list's order among the silent: the oldest first, then by
-- reading (columns a check-in never changes, so ingest pays nothing).
CREATE INDEX residents_age ON residents(birth_date, kana, id);

-- Guardian mail (children's taps) and shelter arrivals (guardians and
-- family contacts) in the outbox.
CREATE TABLE outbox_v8 (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('family_checkin', 'family_digest', 'family_concern', 'nurse_alert', 'nurse_escalation', 'nurse_summary', 'guardian_tap', 'shelter_arrival')),
    recipient       TEXT NOT NULL,
    contact_id      INTEGER REFERENCES family_contacts(id),
    staff_id        INTEGER REFERENCES staff(id),
    resident_id     INTEGER REFERENCES residents(id),
    payload         TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    sent_at         INTEGER,
    topic           TEXT,
    guardian_id     INTEGER REFERENCES guardians(id)
);
INSERT INTO outbox_v8 (id, kind, recipient, contact_id, staff_id, resident_id, payload, created_at,
                       next_attempt_at, attempts, last_error, state, sent_at, topic)
SELECT id, kind, recipient, contact_id, staff_id, resident_id, payload, created_at,
       next_attempt_at, attempts, last_error, state, sent_at, topic
  FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v8 RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_state ON outbox(state, id);
CREATE INDEX outbox_contact ON outbox(contact_id, state) WHERE contact_id IS NOT NULL;
CREATE INDEX outbox_topic ON outbox(contact_id, topic, created_at) WHERE topic IS NOT NULL;
CREATE INDEX outbox_staff ON outbox(staff_id, kind, state) WHERE staff_id IS NOT NULL;
CREATE INDEX outbox_guardian ON outbox(guardian_id, state) WHERE guardian_id IS NOT NULL;
"#,
];
