-- 論点６: an office's set-up for the 居住支援 add-ons, the months it has closed, its
-- information-sharing meetings (情報連携の場) with their minutes and amendments, joint
-- guidance sessions with a 居住支援法人, and written reports to a council. Lists of
-- names (services, issue categories, attendees, amended fields) are JSON as TEXT.

CREATE TABLE office_setups (
    office_org_id TEXT NOT NULL PRIMARY KEY REFERENCES organizations (id),
    partner_org_id TEXT NOT NULL REFERENCES organizations (id),
    partnership_since DATE NOT NULL,
    published_on DATE,
    notified_on DATE,
    services TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by_user_id TEXT
);

-- A month the office closed itself; from the 11th of the next month it is closed anyway.
CREATE TABLE month_closures (
    id TEXT NOT NULL PRIMARY KEY,
    office_org_id TEXT NOT NULL REFERENCES organizations (id),
    month TEXT NOT NULL,
    closed_at TIMESTAMP NOT NULL,
    closed_by_user_id TEXT
);
CREATE UNIQUE INDEX month_closures_office_month_idx ON month_closures (office_org_id, month);

CREATE TABLE meetings (
    id TEXT NOT NULL PRIMARY KEY,
    office_org_id TEXT NOT NULL REFERENCES organizations (id),
    held_at TIMESTAMP NOT NULL,
    -- The Tokyo day of held_at: months are judged by it.
    held_on DATE NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('in_person', 'online', 'phone')),
    attendees TEXT NOT NULL,
    agenda TEXT,
    issue_categories TEXT NOT NULL,
    issues_note TEXT,
    minutes_version INTEGER NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by_user_id TEXT,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX meetings_office_idx ON meetings (office_org_id, held_on);

CREATE TABLE meeting_partners (
    id TEXT NOT NULL PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    partner_org_id TEXT NOT NULL REFERENCES organizations (id)
);
CREATE UNIQUE INDEX meeting_partners_meeting_idx ON meeting_partners (meeting_id, partner_org_id);
CREATE INDEX meeting_partners_partner_idx ON meeting_partners (partner_org_id);

-- The clients whose information was shared, each under the consent that allowed it.
CREATE TABLE meeting_clients (
    id TEXT NOT NULL PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    client_id TEXT NOT NULL REFERENCES clients (id),
    consent_id TEXT NOT NULL REFERENCES consents (id)
);
CREATE UNIQUE INDEX meeting_clients_meeting_idx ON meeting_clients (meeting_id, client_id);
CREATE INDEX meeting_clients_client_idx ON meeting_clients (client_id);

-- Every version of the minutes; the newest is the meeting's.
CREATE TABLE meeting_minutes (
    id TEXT NOT NULL PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    version INTEGER NOT NULL,
    text TEXT NOT NULL,
    written_at TIMESTAMP NOT NULL,
    written_by_user_id TEXT
);
CREATE UNIQUE INDEX meeting_minutes_version_idx ON meeting_minutes (meeting_id, version);

-- Corrections of a meeting of a closed month: added, never edited.
CREATE TABLE meeting_amendments (
    id TEXT NOT NULL PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    fields TEXT NOT NULL,
    change TEXT NOT NULL,
    reason TEXT NOT NULL,
    made_at TIMESTAMP NOT NULL,
    made_by_user_id TEXT
);
CREATE INDEX meeting_amendments_meeting_idx ON meeting_amendments (meeting_id, made_at);

CREATE TABLE guidance_sessions (
    id TEXT NOT NULL PRIMARY KEY,
    office_org_id TEXT NOT NULL REFERENCES organizations (id),
    corp_org_id TEXT NOT NULL REFERENCES organizations (id),
    client_id TEXT NOT NULL REFERENCES clients (id),
    consent_id TEXT NOT NULL REFERENCES consents (id),
    held_on DATE NOT NULL,
    explained TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by_user_id TEXT
);
CREATE INDEX guidance_sessions_office_idx ON guidance_sessions (office_org_id, held_on);
CREATE INDEX guidance_sessions_corp_idx ON guidance_sessions (corp_org_id, held_on);
CREATE INDEX guidance_sessions_client_idx ON guidance_sessions (client_id);

CREATE TABLE council_reports (
    id TEXT NOT NULL PRIMARY KEY,
    office_org_id TEXT NOT NULL REFERENCES organizations (id),
    council_org_id TEXT NOT NULL REFERENCES organizations (id),
    title TEXT NOT NULL,
    issue_categories TEXT NOT NULL,
    issues_text TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted')),
    submitted_on DATE,
    submitted_at TIMESTAMP,
    submitted_by_user_id TEXT,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by_user_id TEXT,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX council_reports_office_idx ON council_reports (office_org_id, created_at);
CREATE INDEX council_reports_council_idx ON council_reports (council_org_id, status);

-- The meetings and sessions a report comes from: one of the two per row.
CREATE TABLE council_report_sources (
    id TEXT NOT NULL PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES council_reports (id),
    meeting_id TEXT REFERENCES meetings (id),
    guidance_session_id TEXT REFERENCES guidance_sessions (id),
    CHECK ((meeting_id IS NULL) <> (guidance_session_id IS NULL))
);
CREATE INDEX council_report_sources_report_idx ON council_report_sources (report_id);
