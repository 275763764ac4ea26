-- The mix of leads each person received each month, kept beside the metric table (recomputed with
-- it) for the feature table of driver analysis: one row per person-month, lines of
-- "kind<TAB>value<TAB>leads" with kind s (lead source), i (industry) or o (own industry of experience).
CREATE TABLE employee_lead_mix (
    employee_id BIGINT NOT NULL,
    month BIGINT NOT NULL,
    mix TEXT NOT NULL,
    PRIMARY KEY (employee_id, month)
);

-- Databases that already have a metric table get their lead mix at the next recompute: every
-- month is marked pending (a fresh database has no months, so nothing is done there).
INSERT INTO settings (key, value) SELECT 'metrics_pending', 'all' WHERE EXISTS (SELECT 1 FROM employee_metrics)
ON CONFLICT (key) DO UPDATE SET value = 'all';
