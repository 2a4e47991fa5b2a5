-- One warning per office and month that was about to end without its meeting
-- (event compliance.month_ending): the scan runs on every replica, and the primary key
-- makes sure only one of them sends it.
CREATE TABLE compliance_warnings (
    office_org_id TEXT NOT NULL REFERENCES organizations (id),
    month TEXT NOT NULL,
    days_left INTEGER NOT NULL,
    warned_at TIMESTAMP NOT NULL,
    PRIMARY KEY (office_org_id, month)
);
