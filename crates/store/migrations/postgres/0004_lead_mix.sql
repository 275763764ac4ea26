-- The mix of leads each person received each month, kept beside the metric table (recomputed with
-- it) for the feature table of driver analysis: one row per person-month, lines of
-- "kind<TAB>value<TAB>leads" with kind s (lead source), i (industry) or o (own industry of experience).
CREATE TABLE employee_lead_mix (
    employee_id BIGINT NOT NULL,
    month BIGINT NOT NULL,
    mix TEXT NOT NULL,
    PRIMARY KEY (employee_id, month)
);
