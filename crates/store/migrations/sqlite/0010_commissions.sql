-- Commission plans (every imported version, as written), the statements of each period and their
-- lines. A period's statements are a re-runnable draft until the period is locked; a locked
-- period is never rewritten (docs/commissions.md).
-- Salesforce OpportunitySplit rows: a won deal credits each split owner amount × percentage / 100
-- (a deal's percentages add up to 100: checked on import). percentage is an exact decimal as text.
CREATE TABLE opportunity_splits (
    source_id TEXT PRIMARY KEY,
    opportunity_id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    percentage TEXT NOT NULL
);
CREATE INDEX opportunity_splits_deal ON opportunity_splits(opportunity_id);

CREATE TABLE commission_plans (
    plan_id TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    imported_ts BIGINT NOT NULL,
    imported_by TEXT NOT NULL,
    PRIMARY KEY (plan_id, effective_from)
);

CREATE TABLE commission_periods (
    period TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('draft', 'locked')),
    run_ts BIGINT NOT NULL,
    run_by TEXT NOT NULL,
    locked_ts BIGINT,
    locked_by TEXT
);

CREATE TABLE commission_statements (
    period TEXT NOT NULL,
    employee_no TEXT NOT NULL,
    plan_id TEXT NOT NULL,
    plan_effective_from TEXT NOT NULL,
    credited_fen BIGINT NOT NULL,
    target_fen BIGINT,
    attainment TEXT,
    commission_fen BIGINT NOT NULL,
    adjustments_fen BIGINT NOT NULL,
    payable_fen BIGINT NOT NULL,
    PRIMARY KEY (period, employee_no)
);

CREATE TABLE commission_lines (
    period TEXT NOT NULL,
    employee_no TEXT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    opportunity_id TEXT,
    credited_fen BIGINT NOT NULL,
    rate TEXT NOT NULL,
    multiplier TEXT NOT NULL,
    pay_fen BIGINT NOT NULL,
    -- The deal's value of the plan's rate_field, and the line's band parts
    -- (uplift_commission::BandPart::encode): enough to explain the line in either language.
    rate_value TEXT,
    parts TEXT NOT NULL,
    PRIMARY KEY (period, employee_no, seq)
);
