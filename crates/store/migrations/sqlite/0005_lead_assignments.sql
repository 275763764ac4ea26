-- Leads routed by Uplift (`uplift leads assign`, online routing): who got each lead, why, and
-- what the model expected. One row per lead: re-running an assignment keeps the first decision.
CREATE TABLE lead_assignments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    lead_id TEXT NOT NULL UNIQUE,
    employee_id BIGINT NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
    assigned_ts BIGINT NOT NULL,
    month BIGINT NOT NULL,
    strategy TEXT NOT NULL,
    origin TEXT NOT NULL,
    expected_conversion DOUBLE PRECISION NOT NULL,
    expected_value DOUBLE PRECISION NOT NULL,
    reason TEXT NOT NULL,
    previous_owner TEXT,
    assigned_by TEXT NOT NULL
);
CREATE INDEX lead_assignments_month ON lead_assignments(month, employee_id);
