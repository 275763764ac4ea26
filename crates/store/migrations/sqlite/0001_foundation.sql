-- Foundation schema. Dates are ISO text (YYYY-MM-DD), instants are Unix seconds (UTC),
-- months are yyyymm integers in the company time zone, money is integer fen.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE departments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    parent_id BIGINT REFERENCES departments(id)
);

CREATE TABLE employees (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    employee_no TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    department_id BIGINT REFERENCES departments(id),
    position TEXT,
    role_family TEXT,
    hire_date TEXT NOT NULL,
    leave_date TEXT,
    manager_no TEXT,
    email TEXT,
    mobile TEXT,
    city TEXT,
    crm_user_id TEXT,
    industry_experience TEXT,
    birth_date TEXT,
    gender TEXT,
    attributes TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX employees_email ON employees(email);

CREATE TABLE crm_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT,
    is_active BOOLEAN NOT NULL,
    role_id TEXT,
    manager_id TEXT,
    employee_id BIGINT REFERENCES employees(id) ON DELETE SET NULL,
    match_method TEXT
);
CREATE INDEX crm_users_employee ON crm_users(employee_id);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    industry TEXT,
    owner_id TEXT,
    created_ts BIGINT
);

CREATE TABLE leads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT NOT NULL UNIQUE,
    owner_id TEXT NOT NULL,
    created_ts BIGINT NOT NULL,
    created_month BIGINT NOT NULL,
    lead_source TEXT,
    industry TEXT,
    status TEXT,
    rating TEXT,
    is_converted BOOLEAN NOT NULL,
    converted_date TEXT,
    converted_opportunity_id TEXT,
    converted_account_id TEXT,
    company TEXT,
    name TEXT,
    city TEXT,
    annual_revenue_fen BIGINT,
    number_of_employees BIGINT
);
CREATE INDEX leads_month_owner ON leads(created_month, owner_id);
CREATE INDEX leads_owner ON leads(owner_id);

CREATE TABLE opportunities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT NOT NULL UNIQUE,
    owner_id TEXT NOT NULL,
    close_date TEXT NOT NULL,
    close_month BIGINT NOT NULL,
    stage_name TEXT NOT NULL,
    amount_fen BIGINT,
    currency TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'won', 'lost')),
    probability DOUBLE PRECISION,
    account_id TEXT,
    created_ts BIGINT,
    created_month BIGINT,
    lead_source TEXT,
    opportunity_type TEXT,
    name TEXT
);
CREATE INDEX opportunities_close ON opportunities(close_month, state);
CREATE INDEX opportunities_owner ON opportunities(owner_id);

CREATE TABLE activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('task', 'event')),
    owner_id TEXT NOT NULL,
    who_id TEXT,
    what_id TEXT,
    subject TEXT,
    subtype TEXT,
    status TEXT,
    ts BIGINT NOT NULL,
    month BIGINT NOT NULL,
    is_followup BOOLEAN NOT NULL,
    call_seconds BIGINT
);
CREATE INDEX activities_month_owner ON activities(month, is_followup, owner_id);
CREATE INDEX activities_who ON activities(who_id, is_followup, ts);

CREATE TABLE targets (
    employee_id BIGINT NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
    month BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    PRIMARY KEY (employee_id, month)
);

CREATE TABLE courses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    skills TEXT NOT NULL DEFAULT '',
    format TEXT,
    hours DOUBLE PRECISION
);

CREATE TABLE enrollments (
    employee_id BIGINT NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
    course_id TEXT NOT NULL REFERENCES courses(course_id),
    assigned_date TEXT NOT NULL,
    completed_date TEXT,
    score DOUBLE PRECISION,
    PRIMARY KEY (employee_id, course_id, assigned_date)
);

CREATE TABLE appraisals (
    employee_id BIGINT NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    period_end TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    grade TEXT,
    reviewer_no TEXT,
    PRIMARY KEY (employee_id, period)
);

CREATE TABLE capacities (
    employee_id BIGINT PRIMARY KEY REFERENCES employees(id) ON DELETE CASCADE,
    max_leads_per_month BIGINT NOT NULL
);

CREATE TABLE imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    started_ts BIGINT NOT NULL,
    finished_ts BIGINT,
    status TEXT NOT NULL,
    rows_read BIGINT NOT NULL DEFAULT 0,
    inserted BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    report TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE employee_metrics (
    employee_id BIGINT NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
    month BIGINT NOT NULL,
    days_employed BIGINT NOT NULL,
    fte DOUBLE PRECISION NOT NULL,
    contribution_fen BIGINT NOT NULL,
    orders_won BIGINT NOT NULL,
    per_capita_contribution DOUBLE PRECISION,
    avg_deal_size DOUBLE PRECISION,
    target_fen BIGINT,
    quota_attainment DOUBLE PRECISION,
    pipeline_fen BIGINT NOT NULL,
    leads_received BIGINT NOT NULL,
    leads_converted BIGINT NOT NULL,
    lead_conversion_rate DOUBLE PRECISION,
    deals_lost BIGINT NOT NULL,
    win_rate DOUBLE PRECISION,
    followups BIGINT NOT NULL,
    followups_per_week DOUBLE PRECISION,
    first_response_hours DOUBLE PRECISION,
    leads_contacted_24h BIGINT NOT NULL,
    contacted_within_24h_rate DOUBLE PRECISION,
    tenure_months BIGINT,
    trainings_assigned_to_date BIGINT NOT NULL,
    trainings_done_to_date BIGINT NOT NULL,
    training_completion_rate DOUBLE PRECISION,
    trainings_completed BIGINT NOT NULL,
    appraisal_score DOUBLE PRECISION,
    PRIMARY KEY (month, employee_id)
);

-- department_id 0 is the whole company.
CREATE TABLE department_metrics (
    department_id BIGINT NOT NULL,
    month BIGINT NOT NULL,
    headcount_avg DOUBLE PRECISION NOT NULL,
    members BIGINT NOT NULL,
    contribution_fen BIGINT NOT NULL,
    orders_won BIGINT NOT NULL,
    per_capita_contribution DOUBLE PRECISION,
    avg_deal_size DOUBLE PRECISION,
    target_fen BIGINT,
    quota_attainment DOUBLE PRECISION,
    pipeline_fen BIGINT NOT NULL,
    leads_received BIGINT NOT NULL,
    lead_conversion_rate DOUBLE PRECISION,
    win_rate DOUBLE PRECISION,
    followups BIGINT NOT NULL,
    followups_per_week DOUBLE PRECISION,
    first_response_hours DOUBLE PRECISION,
    contacted_within_24h_rate DOUBLE PRECISION,
    tenure_months DOUBLE PRECISION,
    training_completion_rate DOUBLE PRECISION,
    trainings_completed BIGINT NOT NULL,
    appraisal_score DOUBLE PRECISION,
    PRIMARY KEY (month, department_id)
);
