-- Accounts, sessions, API tokens and the audit log. Secrets are stored only as SHA-256 hashes
-- (session ids, API tokens) or argon2 hashes (passwords).
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'hr', 'payroll', 'director', 'manager', 'employee')),
    -- The person this account is (scope of manager/employee, and director's department by default).
    employee_no TEXT,
    -- A director's departments when not the department of their employee record.
    department_path TEXT,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_ts BIGINT NOT NULL
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_ts BIGINT NOT NULL,
    expires_ts BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'hr', 'payroll', 'director', 'manager', 'employee')),
    employee_no TEXT,
    department_path TEXT,
    created_ts BIGINT NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts BIGINT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT,
    ip TEXT
);
CREATE INDEX audit_ts ON audit_log(ts);
CREATE INDEX audit_actor ON audit_log(actor, ts);

CREATE INDEX employees_manager ON employees(manager_no);
CREATE INDEX employee_metrics_employee ON employee_metrics(employee_id, month);
