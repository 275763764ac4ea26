-- The at-once update reads one person's credit in one period: the deals they and their direct
-- reports own in the period's months (owner first, then month, so the search stops at the
-- period) and the deals they share in, found from the split owner.
DROP INDEX opportunities_owner;
CREATE INDEX opportunities_owner ON opportunities(owner_id, close_month);
CREATE INDEX opportunity_splits_owner ON opportunity_splits(owner_id);
