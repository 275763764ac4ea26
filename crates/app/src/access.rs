//! Accounts, sign-in, sessions, API tokens, the scope of every caller, and the audit log.
//!
//! Passwords are argon2 hashes; session ids and API tokens are 32 random bytes that are stored only
//! as SHA-256 hashes, so a copy of the database does not let anyone sign in.

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};
use uplift_domain::Lang;
use uplift_domain::access::{Role, Scope};
use uplift_store::{AuditEntry, AuditQuery, AuditRow, Store, TokenRow, UserRow};

use crate::AppError;

/// How long a session lasts without signing in again.
pub const SESSION_SECONDS: i64 = 12 * 3600;
/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 8;

/// Who is calling, with the people their reads are limited to.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    /// The user name, or `token:<id>` for an API token.
    pub actor: String,
    pub role: Role,
    /// The person this caller is, if any.
    pub employee_no: Option<String>,
    pub scope: Scope,
}

impl Principal {
    /// Whether this is the caller's own record.
    pub fn is_self(&self, employee_no: &str) -> bool {
        self.employee_no.as_deref() == Some(employee_no)
    }

    /// Fails with [`AppError::Forbidden`] unless `allowed`.
    pub fn require(&self, allowed: bool) -> Result<(), AppError> {
        if allowed { Ok(()) } else { Err(AppError::Forbidden) }
    }
}

/// The people a role bound to this employee and department may see.
pub async fn resolve_scope(
    store: &Store,
    role: Role,
    employee_no: Option<&str>,
    department_path: Option<&str>,
) -> Result<Scope, AppError> {
    Ok(match role {
        Role::Admin | Role::Hr | Role::Payroll => Scope::All,
        Role::Director => {
            let dept = match department_path {
                Some(d) => Some(d.to_string()),
                None => match employee_no {
                    Some(no) => store.employee_record(no, &Scope::All).await?.and_then(|r| r.department),
                    None => None,
                },
            };
            Scope::Departments(dept.into_iter().collect())
        }
        Role::Manager => match employee_no {
            Some(no) => {
                let mut team = store.reports_of(no).await?;
                team.push(no.to_string());
                team.sort();
                Scope::Employees(team)
            }
            None => Scope::Employees(Vec::new()),
        },
        Role::Employee => Scope::Employees(employee_no.map(|n| vec![n.to_string()]).unwrap_or_default()),
    })
}

/// The principal of a user account.
pub async fn principal_of_user(store: &Store, u: &UserRow) -> Result<Principal, AppError> {
    let role = Role::parse(&u.role).ok_or_else(|| AppError::invalid(format!("unknown role {}", u.role)))?;
    let scope = resolve_scope(store, role, u.employee_no.as_deref(), u.department_path.as_deref()).await?;
    Ok(Principal {
        actor: u.username.clone(),
        role,
        employee_no: u.employee_no.clone(),
        scope,
    })
}

/// The principal of an API token.
pub async fn principal_of_token(store: &Store, t: &TokenRow) -> Result<Principal, AppError> {
    let role = Role::parse(&t.role).ok_or_else(|| AppError::invalid(format!("unknown role {}", t.role)))?;
    let scope = resolve_scope(store, role, t.employee_no.as_deref(), t.department_path.as_deref()).await?;
    Ok(Principal {
        actor: format!("token:{}", t.id),
        role,
        employee_no: t.employee_no.clone(),
        scope,
    })
}

/// 32 random bytes, hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    hex(&b)
}

/// SHA-256 of a secret, hex: what the database keeps of session ids and API tokens.
pub fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// An argon2id hash in PHC format.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(format!("hashing password: {e}")))
}

/// Whether `password` matches a stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

fn check_password(password: &str, lang: Lang) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AppError::invalid(format!(
            "{} {MIN_PASSWORD_LEN}",
            lang.pick("密码太短，至少", "password too short; at least")
        )));
    }
    Ok(())
}

/// A new account's details.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub employee_no: Option<String>,
    pub department_path: Option<String>,
}

/// Checks that a role's binding (employee, department) exists.
async fn check_binding(
    store: &Store,
    role: Role,
    employee_no: Option<&str>,
    department_path: Option<&str>,
    lang: Lang,
) -> Result<(), AppError> {
    if role.needs_employee() && employee_no.is_none() {
        return Err(AppError::invalid(format!(
            "{} {}",
            role.as_str(),
            lang.pick(
                "角色必须绑定员工工号（--employee）",
                "role must be bound to an employee (--employee)"
            )
        )));
    }
    if let Some(no) = employee_no
        && store.employee_record(no, &Scope::All).await?.is_none()
    {
        return Err(AppError::invalid(format!(
            "{}: {no}",
            lang.pick("花名册中没有这个工号", "no employee with this number in the roster")
        )));
    }
    if role == Role::Director && employee_no.is_none() && department_path.is_none() {
        return Err(AppError::invalid(
            lang.pick(
                "总监需要绑定员工工号或部门（--employee / --department）",
                "a director needs an employee or a department (--employee / --department)",
            )
            .into(),
        ));
    }
    if let Some(d) = department_path
        && !store.departments().await?.iter().any(|x| x.path == d)
    {
        return Err(AppError::invalid(format!(
            "{}: {d}",
            lang.pick("没有这个部门", "no such department")
        )));
    }
    Ok(())
}

/// Creates an account.
pub async fn add_user(store: &Store, u: &NewUser, by: &str, lang: Lang) -> Result<i64, AppError> {
    let name = u.username.trim();
    if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::invalid(
            lang.pick(
                "用户名不能为空、不能含空格，最长 64 字符",
                "user name must be 1–64 characters without spaces",
            )
            .into(),
        ));
    }
    check_password(&u.password, lang)?;
    check_binding(
        store,
        u.role,
        u.employee_no.as_deref(),
        u.department_path.as_deref(),
        lang,
    )
    .await?;
    let hash = hash_password(&u.password)?;
    let now = chrono::Utc::now().timestamp();
    let id = store
        .insert_user(
            name,
            &hash,
            u.role.as_str(),
            u.employee_no.as_deref(),
            u.department_path.as_deref(),
            now,
        )
        .await?
        .ok_or_else(|| {
            AppError::conflict(
                Some("username"),
                format!("{}: {name}", lang.pick("用户名已存在", "user name taken")),
            )
        })?;
    audit(
        store,
        by,
        None,
        "user.add",
        Some(name),
        Some(&format!("role={}", u.role.as_str())),
        None,
    )
    .await?;
    Ok(id)
}

/// Sets a new password and ends the user's sessions.
pub async fn set_password(store: &Store, username: &str, password: &str, by: &str, lang: Lang) -> Result<(), AppError> {
    check_password(password, lang)?;
    let hash = hash_password(password)?;
    if !store.set_password_hash(username, &hash).await? {
        return Err(AppError::NotFound(username.to_string()));
    }
    store.delete_sessions_of(username).await?;
    audit(store, by, None, "user.passwd", Some(username), None, None).await
}

/// Disables (or re-enables) an account; disabling ends its sessions.
pub async fn set_disabled(store: &Store, username: &str, disabled: bool, by: &str) -> Result<(), AppError> {
    if !store.set_user_disabled(username, disabled).await? {
        return Err(AppError::NotFound(username.to_string()));
    }
    let action = if disabled { "user.disable" } else { "user.enable" };
    audit(store, by, None, action, Some(username), None, None).await
}

/// A hash to verify against when the user does not exist, so a wrong user name takes as long
/// as a wrong password and sign-in does not reveal which accounts exist.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("not a real password").unwrap_or_default())
}

fn verify_slots() -> &'static tokio::sync::Semaphore {
    static S: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    S.get_or_init(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)))
}

/// A started session: the cookie value (secret) and the CSRF token of its forms.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub session_id: String,
    pub csrf_token: String,
    pub user: UserRow,
}

/// Checks a user name and password and starts a session. `None` for a wrong name or password or
/// a disabled account (one answer for all, so accounts cannot be probed).
pub async fn sign_in(
    store: &Store,
    username: &str,
    password: &str,
    ip: Option<&str>,
) -> Result<Option<NewSession>, AppError> {
    let user = store.user_by_name(username.trim()).await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let pw = password.to_string();
    // argon2 takes tens of milliseconds of CPU and ~19 MiB: off the async workers, and only as
    // many at once as there are cores, so a burst of sign-ins cannot exhaust memory.
    let _permit = verify_slots().acquire().await.ok();
    let ok = tokio::task::spawn_blocking(move || verify_password(&pw, hash.as_deref().unwrap_or(dummy_hash())))
        .await
        .unwrap_or(false);
    let user = match user {
        Some(u) if ok && !u.disabled => u,
        _ => {
            audit(store, username.trim(), None, "signin.failed", None, None, ip).await?;
            return Ok(None);
        }
    };
    let session_id = random_token();
    let csrf_token = random_token();
    let now = chrono::Utc::now().timestamp();
    store
        .insert_session(
            &secret_hash(&session_id),
            user.id,
            &csrf_token,
            now,
            now + SESSION_SECONDS,
        )
        .await?;
    audit(store, &user.username, Some(&user.role), "signin", None, None, ip).await?;
    Ok(Some(NewSession {
        session_id,
        csrf_token,
        user,
    }))
}

/// The account and CSRF token of a live session.
pub async fn session(store: &Store, session_id: &str) -> Result<Option<(UserRow, String)>, AppError> {
    let now = chrono::Utc::now().timestamp();
    Ok(store
        .session(&secret_hash(session_id), now)
        .await?
        .map(|s| (s.user, s.csrf_token)))
}

pub async fn sign_out(store: &Store, session_id: &str, actor: &str, ip: Option<&str>) -> Result<(), AppError> {
    store.delete_session(&secret_hash(session_id)).await?;
    audit(store, actor, None, "signout", None, None, ip).await
}

/// Creates an API token and returns it (shown once; only its hash is kept).
pub async fn create_token(
    store: &Store,
    label: &str,
    role: Role,
    employee_no: Option<&str>,
    department_path: Option<&str>,
    by: &str,
    lang: Lang,
) -> Result<(i64, String), AppError> {
    check_binding(store, role, employee_no, department_path, lang).await?;
    let token = format!("upl_{}", random_token());
    let now = chrono::Utc::now().timestamp();
    let id = store
        .insert_token(
            &secret_hash(&token),
            label,
            role.as_str(),
            employee_no,
            department_path,
            now,
        )
        .await?;
    audit(
        store,
        by,
        None,
        "token.create",
        Some(&format!("token:{id}")),
        Some(&format!("role={} label={label}", role.as_str())),
        None,
    )
    .await?;
    Ok((id, token))
}

/// The principal of a bearer token, if it is valid.
pub async fn token_principal(store: &Store, token: &str) -> Result<Option<Principal>, AppError> {
    match store.token(&secret_hash(token.trim())).await? {
        Some(t) => Ok(Some(principal_of_token(store, &t).await?)),
        None => Ok(None),
    }
}

pub async fn revoke_token(store: &Store, id: i64, by: &str) -> Result<(), AppError> {
    if !store.revoke_token(id).await? {
        return Err(AppError::NotFound(format!("token:{id}")));
    }
    audit(
        store,
        by,
        None,
        "token.revoke",
        Some(&format!("token:{id}")),
        None,
        None,
    )
    .await
}

/// Records who did or read what. Reads (`read.*`, `export.*`) are queued and written in batches
/// so that a read never waits on the database's write lock; changes are written before returning.
pub async fn audit(
    store: &Store,
    actor: &str,
    role: Option<&str>,
    action: &str,
    target: Option<&str>,
    detail: Option<&str>,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let now = chrono::Utc::now().timestamp();
    if is_read(action) {
        let entry = AuditEntry {
            ts: now,
            actor: actor.to_string(),
            role: role.map(str::to_string),
            action: action.to_string(),
            target: target.map(str::to_string),
            detail: detail.map(str::to_string),
            ip: ip.map(str::to_string),
        };
        store.queue_audit(entry).await?;
    } else {
        store.insert_audit(now, actor, role, action, target, detail, ip).await?;
    }
    Ok(())
}

/// Whether an audited action only read data (so its entry may be written a moment later).
fn is_read(action: &str) -> bool {
    action.starts_with("read.") || action.starts_with("export.")
}

/// Records an action of a principal.
pub async fn audit_by(
    store: &Store,
    p: &Principal,
    action: &str,
    target: Option<&str>,
    detail: Option<&str>,
    ip: Option<&str>,
) -> Result<(), AppError> {
    audit(store, &p.actor, Some(p.role.as_str()), action, target, detail, ip).await
}

/// Refuses a department filter outside the caller's scope ([`AppError::Forbidden`]), the same on
/// every list, page and analysis: the company scope may name any department; a director's scope
/// the departments inside theirs; a scope of people (a manager's team, a rep) a department where
/// at least one of those people works, in it or below it.
pub async fn require_department(store: &Store, p: &Principal, department: &str) -> Result<(), AppError> {
    let allowed = match &p.scope {
        Scope::All => true,
        Scope::Departments(_) => p.scope.covers_department(department),
        Scope::Employees(_) => {
            let (_, members_there) = store
                .employee_records(&p.scope, Some(department), None, None, 1, 0)
                .await?;
            members_there > 0
        }
    };
    p.require(allowed)
}

/// Refuses an owner filter naming an employee outside the caller's scope ([`AppError::Forbidden`]).
/// A number that names nobody filters to nothing (an empty list), as a search would.
pub async fn require_employee(store: &Store, p: &Principal, employee_no: &str) -> Result<(), AppError> {
    let allowed = match &p.scope {
        Scope::All => true,
        Scope::Employees(_) => p.scope.contains(employee_no, None),
        Scope::Departments(_) => {
            store.employee_record(employee_no, &p.scope).await?.is_some()
                || store.employee_record(employee_no, &Scope::All).await?.is_none()
        }
    };
    p.require(allowed)
}

/// Every account, by user name (admins only).
pub async fn users(store: &Store, p: &Principal) -> Result<Vec<UserRow>, AppError> {
    p.require(p.role.is_admin())?;
    Ok(store.users().await?)
}

/// Searches the audit log (admin and HR only).
pub async fn search_audit(store: &Store, p: &Principal, q: &AuditQuery) -> Result<Vec<AuditRow>, AppError> {
    p.require(p.role.may_read_audit())?;
    Ok(store.audit(q).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hashes_verify_and_differ_per_salt() {
        let a = hash_password("correct horse").unwrap();
        let b = hash_password("correct horse").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &a));
        assert!(!verify_password("correct hors", &a));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let t = random_token();
        assert_eq!(t.len(), 64);
        assert_ne!(t, random_token());
        assert_eq!(
            secret_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
