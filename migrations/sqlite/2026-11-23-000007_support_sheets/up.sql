-- 生活サポートシート: one sheet per client, every saved version kept (sections as JSON
-- text: the domain checks their shape), which version is published (what others see),
-- and the concerns landlords report against the sheet with the contact they reached.

CREATE TABLE support_sheets (
    id TEXT NOT NULL PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE REFERENCES clients (id),
    office_org_id TEXT NOT NULL REFERENCES organizations (id),
    latest_version INTEGER NOT NULL,
    published_version INTEGER,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX support_sheets_office_idx ON support_sheets (office_org_id, updated_at);

CREATE TABLE support_sheet_versions (
    sheet_id TEXT NOT NULL REFERENCES support_sheets (id),
    version INTEGER NOT NULL,
    sections TEXT NOT NULL,
    note TEXT,
    author_user_id TEXT NOT NULL,
    author_org_id TEXT NOT NULL REFERENCES organizations (id),
    created_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    published_by_user_id TEXT,
    PRIMARY KEY (sheet_id, version)
);

CREATE TABLE support_sheet_concerns (
    id TEXT NOT NULL PRIMARY KEY,
    sheet_id TEXT NOT NULL REFERENCES support_sheets (id),
    sheet_version INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('rent_late', 'noise_complaint', 'no_answer', 'other')),
    note TEXT,
    observed_on DATE NOT NULL,
    reported_by_org_id TEXT NOT NULL REFERENCES organizations (id),
    reported_by_user_id TEXT,
    reported_at TIMESTAMP NOT NULL,
    routed_to TEXT NOT NULL,
    acknowledged_at TIMESTAMP,
    acknowledged_by_user_id TEXT
);
CREATE INDEX support_sheet_concerns_sheet_idx ON support_sheet_concerns (sheet_id, reported_at);
