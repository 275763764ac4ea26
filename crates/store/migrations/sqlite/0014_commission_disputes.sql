-- A rep's dispute of one statement line: raised with a reason, answered by payroll (resolved or
-- rejected, with an answer). Kept when the draft is re-run: it names the line by period, person
-- and line number, and the deal when the line has one.
CREATE TABLE commission_disputes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    period TEXT NOT NULL,
    employee_no TEXT NOT NULL,
    seq BIGINT NOT NULL,
    opportunity_id TEXT,
    reason TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'resolved', 'rejected')),
    raised_by TEXT NOT NULL,
    raised_ts BIGINT NOT NULL,
    answer TEXT,
    answered_by TEXT,
    answered_ts BIGINT
);
CREATE INDEX commission_disputes_period ON commission_disputes(period, employee_no);
