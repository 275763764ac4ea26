-- An adjustment line ("2026-08 更正") names the locked period it corrects and the deals whose
-- credit changed there.
ALTER TABLE commission_lines ADD COLUMN adjusts_period TEXT;
ALTER TABLE commission_lines ADD COLUMN detail TEXT;
