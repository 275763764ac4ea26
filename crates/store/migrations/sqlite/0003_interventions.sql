-- Interventions whose effect is evaluated (difference-in-differences), saved so their running
-- results can be listed. Groups are kept as written: department paths or employee numbers.
CREATE TABLE interventions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    treated TEXT NOT NULL,
    control TEXT,
    start_date TEXT NOT NULL,
    metric TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_ts BIGINT NOT NULL
);
