-- `presale_cadence_compliance`: cadence compliance over the pre-sale stages alone (potential and
-- intent, not the care of won customers), the follow-up discipline driver analysis looks at. Its
-- two parts are kept so teams can add them up.
ALTER TABLE employee_metrics ADD COLUMN presale_cadence_days DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE employee_metrics ADD COLUMN presale_cadence_days_on_time DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE employee_metrics ADD COLUMN presale_cadence_compliance DOUBLE PRECISION;
ALTER TABLE department_metrics ADD COLUMN presale_cadence_compliance DOUBLE PRECISION;

-- Existing metric tables get the new metric at the next recompute.
INSERT INTO settings (key, value) SELECT 'metrics_pending', 'all' WHERE EXISTS (SELECT 1 FROM employee_metrics)
ON CONFLICT (key) DO UPDATE SET value = 'all';
