-- 补差: a policy corrected after months were locked (a city publishing its bounds late) is applied
-- by `uplift payroll rerun-from`: the locked months are recomputed, never rewritten; what each
-- person owes or is owed goes into the open month, with the cumulative 专项扣除 it implies.
CREATE TABLE payroll_corrections (
    month INTEGER NOT NULL,
    employee_id BIGINT NOT NULL REFERENCES employees(id),
    from_month INTEGER NOT NULL,
    si_employee_fen BIGINT NOT NULL,
    si_employer_fen BIGINT NOT NULL,
    cum_special_fen BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_ts BIGINT NOT NULL,
    PRIMARY KEY (month, employee_id)
);
ALTER TABLE payslips ADD COLUMN si_backpay BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payslips ADD COLUMN si_backpay_employer BIGINT NOT NULL DEFAULT 0;
