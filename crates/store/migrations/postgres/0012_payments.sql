-- Payments received on deals (回款记录, import kind `payment`): the credit of collected-basis
-- commission plans, by payment month. amount_fen is negative for a refund.
CREATE TABLE payments (
    source_id TEXT PRIMARY KEY,
    opportunity_id TEXT NOT NULL,
    payment_date TEXT NOT NULL,
    payment_month INTEGER NOT NULL,
    amount_fen BIGINT NOT NULL
);
CREATE INDEX payments_month ON payments(payment_month);
CREATE INDEX payments_deal ON payments(opportunity_id);
