-- The close (payment) date a line was credited with: the clawback window is judged from it, not
-- from a close date the CRM may have moved since (e.g. to the day the deal was lost).
ALTER TABLE commission_lines ADD COLUMN close_date TEXT;
