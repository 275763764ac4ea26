-- cadence_compliance is the share of customer-days under a cadence when no follow-up was overdue
-- (not a count of follow-ups): the two stored parts are named for what they hold.
ALTER TABLE employee_metrics RENAME COLUMN cadence_required TO cadence_days;
ALTER TABLE employee_metrics RENAME COLUMN cadence_met TO cadence_days_on_time;

-- Every month's compliance is recomputed under the new definition.
INSERT INTO settings (key, value) SELECT 'metrics_pending', 'all' WHERE EXISTS (SELECT 1 FROM employee_metrics)
ON CONFLICT (key) DO UPDATE SET value = 'all';
