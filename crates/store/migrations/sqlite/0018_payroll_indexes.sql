-- A run reads one month's pay inputs and the year's openings: indexes led by the month, so a
-- 100,000-person company's history is not scanned.
CREATE INDEX pay_inputs_month ON pay_inputs(month);
CREATE INDEX iit_openings_month ON iit_openings(as_of_month);
