//! Notifications: the in-app inbox, email over SMTP, and DingTalk, WeCom and Feishu group robots
//! with their signing schemes (docs/reference/integrations.md §8). Use cases only queue
//! messages (a row each, deduplicated); [`deliver_due`] sends them in the background with
//! retries and back-off, so a request never waits on a robot or a mail server.

use std::time::Duration;

use base64::Engine;
use uplift_domain::Lang;
use uplift_store::{ChannelRow, NewNotification, NotificationRow, Store};

use crate::AppError;

/// Attempts before a message is marked failed; waits 1, 2, 4, 8 minutes in between.
pub const MAX_ATTEMPTS: i64 = 5;

/// Why an email copy was not sent when no SMTP server is set.
const NO_SMTP: &str = "no SMTP server set (uplift notify smtp)";
/// Messages sent per delivery round.
pub const BATCH: i64 = 10;

/// Base64 of HMAC-SHA256(key, message).
fn hmac_base64(key: &[u8], message: &[u8]) -> String {
    let k = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    base64::engine::general_purpose::STANDARD.encode(ring::hmac::sign(&k, message).as_ref())
}

/// Percent-encodes everything but unreserved characters (for the DingTalk `sign` parameter).
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// DingTalk custom robot: sign = urlencode(base64(HMAC-SHA256(secret, "{ms}\n{secret}"))).
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    url_encode(&hmac_base64(
        secret.as_bytes(),
        format!("{timestamp_ms}\n{secret}").as_bytes(),
    ))
}

/// Feishu custom robot: sign = base64(HMAC-SHA256(key "{s}\n{secret}", empty message)).
pub fn feishu_sign(secret: &str, timestamp_s: i64) -> String {
    hmac_base64(format!("{timestamp_s}\n{secret}").as_bytes(), b"")
}

/// The URL and JSON body a robot of `kind` expects for a text message, signed when it has a secret.
pub fn robot_request(c: &ChannelRow, text: &str, now_ms: i64) -> (String, serde_json::Value) {
    let secret = c.secret.as_deref().filter(|s| !s.is_empty());
    match c.kind.as_str() {
        "dingtalk" => {
            let url = match secret {
                Some(s) => {
                    let sep = if c.url.contains('?') { '&' } else { '?' };
                    format!("{}{sep}timestamp={now_ms}&sign={}", c.url, dingtalk_sign(s, now_ms))
                }
                None => c.url.clone(),
            };
            (url, serde_json::json!({"msgtype": "text", "text": {"content": text}}))
        }
        "feishu" => {
            let mut body = serde_json::json!({"msg_type": "text", "content": {"text": text}});
            if let Some(s) = secret {
                let ts = now_ms / 1000;
                body["timestamp"] = serde_json::json!(ts.to_string());
                body["sign"] = serde_json::json!(feishu_sign(s, ts));
            }
            (c.url.clone(), body)
        }
        // WeCom has no signature (the key is in the URL); 2048 bytes at most.
        _ => {
            let mut t = text.to_string();
            while t.len() > 2000 {
                t.pop();
            }
            (
                c.url.clone(),
                serde_json::json!({"msgtype": "text", "text": {"content": t}}),
            )
        }
    }
}

/// Whether a robot's answer means it took the message (each vendor reports errors in the body
/// with HTTP 200).
fn robot_accepted(kind: &str, status: u16, body: &serde_json::Value) -> Result<(), String> {
    if !(200..300).contains(&status) {
        return Err(format!("HTTP {status}: {body}"));
    }
    let code = if kind == "feishu" {
        body.get("code")
    } else {
        body.get("errcode")
    };
    match code.and_then(|c| c.as_i64()) {
        Some(0) => Ok(()),
        // Feishu answers {"StatusCode":0,...} on older endpoints.
        None if body.get("StatusCode").and_then(|c| c.as_i64()) == Some(0) => Ok(()),
        _ => Err(format!("rejected: {body}")),
    }
}

/// SMTP settings: `smtp.url` like `smtps://user:password@smtp.exmail.qq.com:465` or
/// `smtp://127.0.0.1:2525` (plain, for a local relay), and `smtp.from`.
pub async fn smtp_settings(store: &Store) -> Result<Option<(String, String)>, AppError> {
    let url = store.setting("smtp.url").await?;
    let from = store.setting("smtp.from").await?;
    Ok(url.zip(from).filter(|(u, f)| !u.is_empty() && !f.is_empty()))
}

async fn send_email(url: &str, from: &str, to: &str, subject: &str, body: &str) -> Result<(), String> {
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let message = Message::builder()
        .from(from.parse().map_err(|e| format!("smtp.from {from:?}: {e}"))?)
        .to(to.parse().map_err(|e| format!("address {to:?}: {e}"))?)
        .subject(subject)
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body.to_string())
        .map_err(|e| e.to_string())?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|e| format!("smtp.url: {e}"))?
        .timeout(Some(Duration::from_secs(20)))
        .build();
    transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
}

fn http_client() -> Result<reqwest::Client, String> {
    crate::install_crypto();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| e.to_string())
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Delivered {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Sends the messages that are due; failures wait 1, 2, 4, 8 minutes and give up after
/// [`MAX_ATTEMPTS`], with the error kept for the outbox page and `uplift notify status`.
pub async fn deliver_due(store: &Store, now: i64) -> Result<Delivered, AppError> {
    // Leased for longer than a batch can take (10 × a 20 s timeout), so no other process resends.
    let due = store.claim_deliveries(now, BATCH, 600).await?;
    let mut out = Delivered::default();
    if due.is_empty() {
        return Ok(out);
    }
    let channels = store.channels().await?;
    let smtp = smtp_settings(store).await?;
    let client = http_client().map_err(AppError::internal)?;
    let mut unconfigured = 0usize;
    for n in due {
        // Email with no SMTP server set cannot succeed by waiting: failed at once, not retried,
        // and said once per round rather than once per message (the settings and the outbox
        // show it).
        if n.channel == "email" && smtp.is_none() {
            unconfigured += 1;
            out.failed += 1;
            store.delivery_result(n.id, now, Err((NO_SMTP, None))).await?;
            continue;
        }
        let result = deliver_one(store, &client, &channels, smtp.as_ref(), &n, now).await;
        let outcome = match &result {
            Ok(()) => Ok(()),
            Err(e) => {
                let next = (n.attempts + 1 < MAX_ATTEMPTS).then(|| now + 60 * (1 << n.attempts.clamp(0, 10)));
                Err((e.as_str(), next))
            }
        };
        match &outcome {
            Ok(()) => out.sent += 1,
            Err((_, Some(_))) => out.retrying += 1,
            Err((_, None)) => out.failed += 1,
        }
        if let Err((e, _)) = &outcome {
            tracing::warn!(id = n.id, channel = %n.channel, attempt = n.attempts + 1, error = %e, "notification not delivered");
        }
        store.delivery_result(n.id, now, outcome).await?;
    }
    if unconfigured > 0 {
        tracing::info!(
            count = unconfigured,
            "email copies not sent: no SMTP server set (uplift notify smtp)"
        );
    }
    Ok(out)
}

async fn deliver_one(
    store: &Store,
    client: &reqwest::Client,
    channels: &[ChannelRow],
    smtp: Option<&(String, String)>,
    n: &NotificationRow,
    now: i64,
) -> Result<(), String> {
    match n.channel.as_str() {
        "email" => {
            let (url, from) = smtp.ok_or(NO_SMTP)?;
            let to = store
                .email_of(&n.recipient)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("{} has no email address", n.recipient))?;
            let body = match &n.link {
                Some(l) => format!("{}\n\n{l}", n.body),
                None => n.body.clone(),
            };
            send_email(url, from, &to, &n.title, &body).await
        }
        "dingtalk" | "wecom" | "feishu" => {
            let c = channels
                .iter()
                .find(|c| c.name == n.recipient && c.enabled)
                .ok_or_else(|| format!("robot {} is gone or disabled", n.recipient))?;
            let text = format!("{}\n{}", n.title, n.body);
            let (url, body) = robot_request(c, &text, now * 1000);
            let r = client.post(&url).json(&body).send().await.map_err(|e| e.to_string())?;
            let status = r.status().as_u16();
            let answer: serde_json::Value = r.json().await.unwrap_or(serde_json::Value::Null);
            robot_accepted(&c.kind, status, &answer)
        }
        other => Err(format!("unknown channel {other}")),
    }
}

/// Who takes email copies, loaded once per job run: two queries, not two per message.
#[derive(Debug, Clone, Default)]
pub struct Mailbook {
    /// Recipients' choices (email copies on, digest only); absent: on, not digest only.
    prefs: std::collections::HashMap<String, (bool, bool)>,
    /// Recipients (employee numbers, `user:` names) with an email address.
    with_email: std::collections::HashSet<String>,
}

impl Mailbook {
    pub async fn load(store: &Store) -> Result<Mailbook, AppError> {
        Ok(Mailbook {
            prefs: store
                .all_notification_prefs()
                .await?
                .into_iter()
                .map(|(u, e, d)| (u, (e, d)))
                .collect(),
            with_email: store.recipients_with_email().await?.into_iter().collect(),
        })
    }

    fn prefs(&self, recipient: &str) -> (bool, bool) {
        self.prefs.get(recipient).copied().unwrap_or((true, false))
    }

    /// Whether the daily digest also goes by email (it does unless email is off).
    pub fn takes_digest_email(&self, recipient: &str) -> bool {
        self.prefs(recipient).0 && self.with_email.contains(recipient)
    }

    /// A message for a person (an employee number, or `user:<name>` for accounts without one):
    /// the inbox always, email too unless they opted out or take the daily digest only.
    pub fn to_person(
        &self,
        recipient: &str,
        kind: &str,
        title: &str,
        body: &str,
        link: Option<&str>,
        dedupe: &str,
    ) -> Vec<NewNotification> {
        let mut out = vec![NewNotification {
            recipient: recipient.to_string(),
            channel: "inbox".into(),
            kind: kind.into(),
            title: title.into(),
            body: body.into(),
            link: link.map(str::to_string),
            dedupe_key: format!("inbox:{dedupe}"),
        }];
        let (email, digest_only) = self.prefs(recipient);
        if email && !digest_only && self.with_email.contains(recipient) {
            out.push(NewNotification {
                channel: "email".into(),
                dedupe_key: format!("email:{dedupe}"),
                ..out[0].clone()
            });
        }
        out
    }
}

/// A message to the group robots that cover `department` (those with no department cover all).
pub fn to_robots(
    channels: &[ChannelRow],
    department: Option<&str>,
    kind: &str,
    title: &str,
    body: &str,
    dedupe: &str,
) -> Vec<NewNotification> {
    channels
        .iter()
        .filter(|c| c.enabled)
        .filter(|c| match (&c.department_path, department) {
            (None, _) => true,
            (Some(p), Some(d)) => uplift_domain::access::path_within(d, p),
            (Some(_), None) => false,
        })
        .map(|c| NewNotification {
            recipient: c.name.clone(),
            channel: c.kind.clone(),
            kind: kind.into(),
            title: title.into(),
            body: body.into(),
            link: None,
            dedupe_key: format!("{}:{dedupe}", c.name),
        })
        .collect()
}

/// Adds or replaces a group robot (admin), audited.
pub async fn save_channel(store: &Store, c: &ChannelRow, by: &str, lang: Lang) -> Result<(), AppError> {
    if !matches!(c.kind.as_str(), "dingtalk" | "wecom" | "feishu") {
        return Err(AppError::invalid(format!(
            "{}: {}",
            c.kind,
            lang.pick(
                "机器人类型应为 dingtalk、wecom 或 feishu",
                "robot kind must be dingtalk, wecom or feishu"
            )
        )));
    }
    if !(c.url.starts_with("https://") || c.url.starts_with("http://")) {
        return Err(AppError::invalid(format!(
            "{}: {}",
            c.url,
            lang.pick(
                "应为机器人的 Webhook 地址（https://…）",
                "expected the robot's webhook URL (https://…)"
            )
        )));
    }
    store.save_channel(c).await?;
    crate::access::audit(store, by, None, "notify.channel", Some(&c.name), Some(&c.kind), None).await
}

/// Queues a test message to one robot.
pub async fn test_channel(store: &Store, name: &str, lang: Lang) -> Result<(), AppError> {
    let channels = store.channels().await?;
    let c = channels
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| AppError::NotFound(name.to_string()))?;
    let now = chrono::Utc::now().timestamp();
    let note = NewNotification {
        recipient: c.name.clone(),
        channel: c.kind.clone(),
        kind: "test".into(),
        title: lang.pick("Uplift 测试消息", "Uplift test message").into(),
        body: lang.pick("机器人已接通。", "The robot is connected.").into(),
        link: None,
        dedupe_key: format!("test:{name}:{now}"),
    };
    store.enqueue_notifications(&[note], now).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_vendors_recipes() {
        // Recomputed independently: HMAC-SHA256 with key "SEC" over "1700000000000\nSEC".
        let d = dingtalk_sign("SEC", 1_700_000_000_000);
        let raw = hmac_base64(b"SEC", b"1700000000000\nSEC");
        assert_eq!(d, url_encode(&raw));
        assert!(!d.contains('+') && !d.contains('/') && !d.contains('='));
        // Feishu signs an empty message with the key "timestamp\nsecret".
        assert_eq!(feishu_sign("SEC", 1_700_000_000), hmac_base64(b"1700000000\nSEC", b""));
        // RFC 4231 test case 2: key "Jefe", "what do ya want for nothing?".
        assert_eq!(
            hmac_base64(b"Jefe", b"what do ya want for nothing?"),
            base64::engine::general_purpose::STANDARD.encode([
                0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a,
                0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43
            ])
        );
    }

    #[test]
    fn robot_answers_are_read_per_vendor() {
        assert!(robot_accepted("dingtalk", 200, &serde_json::json!({"errcode": 0, "errmsg": "ok"})).is_ok());
        assert!(robot_accepted("dingtalk", 200, &serde_json::json!({"errcode": 310000})).is_err());
        assert!(robot_accepted("feishu", 200, &serde_json::json!({"code": 0, "msg": "success"})).is_ok());
        assert!(robot_accepted("feishu", 200, &serde_json::json!({"code": 19021})).is_err());
        assert!(robot_accepted("wecom", 500, &serde_json::json!({"errcode": 0})).is_err());
    }
}
