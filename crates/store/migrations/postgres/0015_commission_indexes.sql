-- Each run sums the corrections already carried for a locked period; each statement page reads a
-- person's periods.
CREATE INDEX commission_lines_adjusts ON commission_lines(adjusts_period);
CREATE INDEX commission_statements_person ON commission_statements(employee_no);
