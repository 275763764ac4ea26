//! Local stand-ins for third-party services we cannot reach from tests: group robots (DingTalk,
//! WeCom, Feishu) that check signatures the way the vendors do and answer in their formats, and an
//! SMTP sink that keeps what it receives. Both speak the real protocols over real sockets.

use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One request a fake robot received.
#[derive(Debug, Clone)]
pub struct RobotHit {
    pub path: String,
    pub query: String,
    pub body: serde_json::Value,
    /// Whether the signature checked out (true when the robot has no secret).
    pub signed_ok: bool,
}

/// A fake group-robot server: `/dingtalk`, `/wecom`, `/feishu`.
pub struct FakeRobot {
    pub base: String,
    pub hits: Arc<Mutex<Vec<RobotHit>>>,
    /// Requests to fail with HTTP 500 before answering normally (to test retries).
    pub fail_first: Arc<Mutex<usize>>,
}

fn hmac_b64(key: &[u8], msg: &[u8]) -> String {
    let k = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    base64::engine::general_purpose::STANDARD.encode(ring::hmac::sign(&k, msg).as_ref())
}

fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(url_decode))
}

impl FakeRobot {
    /// Starts the server; `secret` is what DingTalk and Feishu robots sign with.
    pub async fn start(secret: &'static str) -> FakeRobot {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let hits: Arc<Mutex<Vec<RobotHit>>> = Arc::default();
        let fail_first: Arc<Mutex<usize>> = Arc::default();
        let (h, f) = (hits.clone(), fail_first.clone());
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else { return };
                let (h, f) = (h.clone(), f.clone());
                tokio::spawn(async move {
                    let (r, mut w) = sock.into_split();
                    let mut r = BufReader::new(r);
                    let mut line = String::new();
                    if r.read_line(&mut line).await.is_err() {
                        return;
                    }
                    let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let mut len = 0usize;
                    loop {
                        let mut l = String::new();
                        if r.read_line(&mut l).await.unwrap_or(0) == 0 || l == "\r\n" {
                            break;
                        }
                        if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0u8; len];
                    let _ = r.read_exact(&mut body).await;
                    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
                    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                    let signed_ok = match path {
                        "/dingtalk" => match (param(query, "timestamp"), param(query, "sign")) {
                            (Some(t), Some(s)) => hmac_b64(secret.as_bytes(), format!("{t}\n{secret}").as_bytes()) == s,
                            _ => false,
                        },
                        "/feishu" => match (json["timestamp"].as_str(), json["sign"].as_str()) {
                            (Some(t), Some(s)) => hmac_b64(format!("{t}\n{secret}").as_bytes(), b"") == s,
                            _ => false,
                        },
                        _ => true,
                    };
                    let failing = {
                        let mut n = f.lock().unwrap();
                        if *n > 0 {
                            *n -= 1;
                            true
                        } else {
                            false
                        }
                    };
                    h.lock().unwrap().push(RobotHit {
                        path: path.to_string(),
                        query: query.to_string(),
                        body: json,
                        signed_ok,
                    });
                    let (status, answer) = if failing {
                        ("500 Internal Server Error", "{}".to_string())
                    } else {
                        let ok = if path == "/feishu" {
                            if signed_ok {
                                r#"{"code":0,"msg":"success","data":{}}"#
                            } else {
                                r#"{"code":19021,"msg":"sign match fail"}"#
                            }
                        } else if signed_ok {
                            r#"{"errcode":0,"errmsg":"ok"}"#
                        } else {
                            r#"{"errcode":310000,"errmsg":"sign not match"}"#
                        };
                        ("200 OK", ok.to_string())
                    };
                    let resp = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                        answer.len()
                    );
                    let _ = w.write_all(resp.as_bytes()).await;
                });
            }
        });
        FakeRobot { base, hits, fail_first }
    }

    pub fn hits(&self) -> Vec<RobotHit> {
        self.hits.lock().unwrap().clone()
    }
}

/// One message an SMTP sink received.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

/// An SMTP server that accepts every message and keeps it.
pub struct SmtpSink {
    pub url: String,
    pub mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("smtp://{}", listener.local_addr().expect("addr"));
        let mails: Arc<Mutex<Vec<Mail>>> = Arc::default();
        let m = mails.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else { return };
                let m = m.clone();
                tokio::spawn(async move {
                    let (r, mut w) = sock.into_split();
                    let mut r = BufReader::new(r);
                    let _ = w.write_all(b"220 sink ESMTP\r\n").await;
                    let (mut from, mut to) = (String::new(), Vec::new());
                    loop {
                        let mut line = String::new();
                        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") {
                            b"250-sink\r\n250 8BITMIME\r\n"
                        } else if upper.starts_with("HELO") || upper.starts_with("RSET") || upper.starts_with("NOOP") {
                            b"250 OK\r\n"
                        } else if upper.starts_with("MAIL FROM:") {
                            from = line[10..].trim().to_string();
                            b"250 OK\r\n"
                        } else if upper.starts_with("RCPT TO:") {
                            to.push(line[8..].trim().to_string());
                            b"250 OK\r\n"
                        } else if upper.starts_with("DATA") {
                            let _ = w.write_all(b"354 go ahead\r\n").await;
                            let mut data = String::new();
                            loop {
                                let mut l = String::new();
                                if r.read_line(&mut l).await.unwrap_or(0) == 0 || l == ".\r\n" {
                                    break;
                                }
                                data.push_str(&l);
                            }
                            m.lock().unwrap().push(Mail {
                                from: from.clone(),
                                to: std::mem::take(&mut to),
                                data,
                            });
                            b"250 queued\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            b"502 not implemented\r\n"
                        };
                        let _ = w.write_all(reply).await;
                    }
                });
            }
        });
        SmtpSink { url, mails }
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}
