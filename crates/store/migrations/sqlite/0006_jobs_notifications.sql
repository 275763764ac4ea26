-- Background work. A job row is one run of a recurring task for one time slot (kind, slot is
-- unique, so several server processes scheduling the same slot make one row); a process claims
-- a due row by setting status and a lease, with SKIP LOCKED on PostgreSQL.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    slot TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    locked_by TEXT,
    locked_until BIGINT,
    started_ts BIGINT,
    finished_ts BIGINT,
    result TEXT,
    last_error TEXT,
    UNIQUE (kind, slot)
);
CREATE INDEX jobs_due ON jobs(status, run_at);

-- Messages to people: the in-app inbox, email, and group robots (DingTalk, WeCom, Feishu).
-- Sending happens in the background with retries; dedupe_key makes every reminder once-only.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('inbox', 'email', 'dingtalk', 'wecom', 'feishu')),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT,
    dedupe_key TEXT NOT NULL UNIQUE,
    created_ts BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('unread', 'read', 'pending', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_ts BIGINT,
    last_error TEXT,
    sent_ts BIGINT
);
CREATE INDEX notifications_recipient ON notifications(recipient, channel, status);
CREATE INDEX notifications_due ON notifications(status, next_attempt_ts);

-- Group robots: messages about a department (and below), or about everyone when no department.
CREATE TABLE notification_channels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('dingtalk', 'wecom', 'feishu')),
    url TEXT NOT NULL,
    secret TEXT,
    department_path TEXT,
    enabled BOOLEAN NOT NULL DEFAULT TRUE
);

-- Per-user choices: email copies of reminders, and whether to get them only in the daily digest.
CREATE TABLE notification_prefs (
    username TEXT PRIMARY KEY,
    email BOOLEAN NOT NULL,
    digest_only BOOLEAN NOT NULL
);

-- The SLA check reads the last days' leads.
CREATE INDEX leads_created ON leads(created_ts);

-- Leave periods (import kind `leave`, 请假记录): routing gives no leads to someone away today.
CREATE TABLE employee_leaves (
    employee_id BIGINT NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    leave_type TEXT,
    PRIMARY KEY (employee_id, start_date)
);
