-- Follow-up cadence (issue #5): the `cadence_compliance` metric beside the contract's metrics
-- (required and met follow-ups are kept so teams can add them up), and an index to find the
-- follow-ups logged on an opportunity or account (WhatId) as fast as those on a lead (WhoId).
ALTER TABLE employee_metrics ADD COLUMN cadence_required DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE employee_metrics ADD COLUMN cadence_met DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE employee_metrics ADD COLUMN cadence_compliance DOUBLE PRECISION;
ALTER TABLE department_metrics ADD COLUMN cadence_compliance DOUBLE PRECISION;
CREATE INDEX activities_what ON activities(what_id, is_followup, ts);

-- Existing metric tables get the new metric at the next recompute.
INSERT INTO settings (key, value) SELECT 'metrics_pending', 'all' WHERE EXISTS (SELECT 1 FROM employee_metrics)
ON CONFLICT (key) DO UPDATE SET value = 'all';
