//! The local web server of `stance label`: the page, and a small JSON API over the session.
//!
//! HTTP comes from `tiny_http`: a synchronous server with four small dependencies (ascii,
//! chunked_transfer, httpdate, log) and no async runtime, which adds about a second to a clean
//! build, against hyper/axum/actix stacks of dozens of crates and a tokio runtime. A labeling
//! page makes a request every few seconds for one person (or a few); requests are served one at
//! a time on this thread, which also owns the session, so the session needs no lock. Retraining
//! runs on a background thread with an owned copy of what it needs and hands the new model
//! back through a channel, so the page never waits for it.
//!
//! The server listens on 127.0.0.1 only and answers only requests whose Host header names
//! that address or localhost (a web page elsewhere cannot reach it through DNS rebinding).
//!
//! API (all JSON; `annotator` in the query string):
//! - `GET /` the page (HTML, styles and script inline; nothing is loaded from elsewhere)
//! - `GET /api/state?annotator=A` the article on A's screen and the session's figures
//! - `POST /api/decide?annotator=A` `{"token", "skip", "stance": {actor: label}, "sentiment",
//!   "unsure": [...]}` records a decision, answers with the next state
//! - `POST /api/undo?annotator=A` retracts A's latest decision, answers with the next state

use super::engine::{Error, Result};
use super::session::{self, Answer, Presented, Session};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::mpsc;
use std::time::Duration;

const PAGE: &str = include_str!("page.html");
const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// The page with its style and script inline.
pub fn page() -> String {
    PAGE.replace("/*STYLE*/", STYLE)
        .replace("/*SCRIPT*/", SCRIPT)
}

/// A response: status, content type, body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: &'static str,
    /// The response body.
    pub body: String,
}

fn json_reply(status: u16, v: Value) -> Reply {
    Reply {
        status,
        content_type: "application/json; charset=utf-8",
        body: v.to_string(),
    }
}

fn error_reply(status: u16, message: impl std::fmt::Display) -> Reply {
    json_reply(status, json!({ "error": message.to_string() }))
}

/// Decodes `%XX` and `+` in a query-string value.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The path and query parameters of a request URL.
pub fn split_url(url: &str) -> (String, BTreeMap<String, String>) {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let params = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    (path.to_string(), params)
}

/// An annotator name: 1 to 64 characters, no control characters, trimmed.
pub fn check_annotator(name: &str) -> std::result::Result<String, String> {
    let n = name.trim();
    if n.is_empty() {
        return Err("the annotator name is empty".into());
    }
    if n.chars().count() > 64 || n.chars().any(char::is_control) {
        return Err(format!(
            "the annotator name \"{}\" is not usable (at most 64 characters, no control characters)",
            n.escape_debug()
        ));
    }
    Ok(n.to_string())
}

/// The key a label answers to besides its number: its first letter not already taken in the
/// row and not one of the command keys (s skip, u undo).
pub fn label_keys(labels: &[String]) -> Vec<Option<char>> {
    let mut used: Vec<char> = vec!['s', 'u'];
    labels
        .iter()
        .map(|l| {
            let k = l
                .chars()
                .flat_map(char::to_lowercase)
                .filter(|c| c.is_ascii_lowercase())
                .find(|c| !used.contains(c));
            if let Some(c) = k {
                used.push(c);
            }
            k
        })
        .collect()
}

fn guess_json(g: &Option<super::engine::Guess>) -> Value {
    match g {
        None => Value::Null,
        Some(g) => {
            let (label, p) = session::top(g);
            json!({
                "label": label,
                "p": p,
                "probabilities": g.labels.iter().cloned().zip(g.probabilities.iter().copied()).collect::<BTreeMap<String, f64>>(),
            })
        }
    }
}

/// The JSON of the article on screen.
pub fn item_json(s: &Session, p: &Presented) -> Value {
    let item = s.item(p.item);
    let a = &item.record.article;
    let text = &a.text;
    let mut segments = Vec::new();
    let mut at = 0;
    for m in &item.mentions {
        if m.start < at || m.end > text.len() {
            continue;
        }
        if m.start > at {
            segments.push(json!({ "t": &text[at..m.start] }));
        }
        let row = item.rows.iter().position(|r| r == &m.actor);
        segments.push(json!({ "t": &text[m.start..m.end], "a": row }));
        at = m.end;
    }
    if at < text.len() {
        segments.push(json!({ "t": &text[at..] }));
    }
    let stance_labels = &s.settings.stance_labels;
    let stance_keys = label_keys(stance_labels);
    let mut rows: Vec<Value> = item
        .rows
        .iter()
        .enumerate()
        .map(|(i, actor)| {
            let mentions = item.mentions.iter().filter(|m| &m.actor == actor).count();
            json!({
                "question": actor,
                "kind": "stance",
                "mentions": mentions,
                "labels": stance_labels,
                "keys": stance_keys,
                "guess": guess_json(p.stance_guess.get(i).unwrap_or(&None)),
                "prior": p.prior.get(actor),
            })
        })
        .collect();
    if !s.settings.sentiment_labels.is_empty() {
        let labels = &s.settings.sentiment_labels;
        rows.push(json!({
            "question": "sentiment",
            "kind": "sentiment",
            "labels": labels,
            "keys": label_keys(labels),
            "guess": guess_json(&p.sentiment_guess),
            "prior": p.prior.get("sentiment"),
        }));
    }
    json!({
        "token": p.token,
        "id": a.id,
        "title": a.title,
        "source": a.source,
        "date": a.date,
        "url": a.url,
        "segments": segments,
        "rows": rows,
        "review": p.pick.strategy == "review",
        "pick": p.pick.pick,
        "model": p.model,
    })
}

fn state(s: &mut Session, annotator: &str, extra: Value) -> Reply {
    let item = match s.current(annotator) {
        Ok(p) => p.map(|p| item_json(s, &p)),
        Err(e) => return error_reply(500, e),
    };
    let mut v = json!({
        "item": item,
        "stats": s.stats(annotator),
    });
    if let (Value::Object(o), Value::Object(e)) = (&mut v, extra) {
        o.extend(e);
    }
    json_reply(200, v)
}

fn parse_answer(body: &str) -> std::result::Result<(u64, Answer), String> {
    let v: Value =
        serde_json::from_str(body).map_err(|e| format!("the request is not JSON: {e}"))?;
    let token = v
        .get("token")
        .and_then(Value::as_u64)
        .ok_or("the request has no \"token\"")?;
    let mut a = Answer {
        skip: v.get("skip").and_then(Value::as_bool).unwrap_or(false),
        ..Answer::default()
    };
    if let Some(m) = v.get("stance") {
        let m = m
            .as_object()
            .ok_or("\"stance\" must be an object {actor: label}")?;
        for (k, l) in m {
            match l {
                Value::String(l) => {
                    a.stance.insert(k.clone(), l.clone());
                }
                Value::Null => {}
                _ => return Err(format!("\"stance.{k}\" must be a label string")),
            }
        }
    }
    match v.get("sentiment") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => a.sentiment = Some(s.clone()),
        Some(_) => return Err("\"sentiment\" must be a label string".into()),
    }
    if let Some(u) = v.get("unsure") {
        let u = u.as_array().ok_or("\"unsure\" must be a list")?;
        for x in u {
            a.unsure.push(
                x.as_str()
                    .ok_or("\"unsure\" must list question names")?
                    .to_string(),
            );
        }
    }
    Ok((token, a))
}

/// Answers one request (no network involved, so it can be tested directly).
pub fn handle(
    s: &mut Session,
    default_annotator: &str,
    method: &str,
    url: &str,
    body: &str,
) -> Reply {
    let (path, params) = split_url(url);
    let annotator = match params.get("annotator") {
        Some(a) => match check_annotator(a) {
            Ok(a) => a,
            Err(e) => return error_reply(400, e),
        },
        None => default_annotator.to_string(),
    };
    match (method, path.as_str()) {
        ("GET", "/") | ("GET", "/index.html") => Reply {
            status: 200,
            content_type: "text/html; charset=utf-8",
            body: page(),
        },
        ("GET", "/api/state") => state(s, &annotator, json!({})),
        ("POST", "/api/decide") => {
            let (token, answer) = match parse_answer(body) {
                Ok(x) => x,
                Err(e) => return error_reply(400, e),
            };
            match s.decide(&annotator, token, answer) {
                Ok(seq) => state(s, &annotator, json!({ "saved": seq })),
                Err(e @ Error::Io { .. }) => error_reply(500, format!("NOT SAVED: {e}")),
                Err(e) => error_reply(409, e),
            }
        }
        ("POST", "/api/undo") => match s.undo(&annotator) {
            Ok(seq) => state(s, &annotator, json!({ "undone": seq })),
            Err(e) => error_reply(500, format!("NOT SAVED: {e}")),
        },
        ("GET", "/favicon.ico") => Reply {
            status: 204,
            content_type: "text/plain",
            body: String::new(),
        },
        (_, "/") | (_, "/api/state") | (_, "/api/decide") | (_, "/api/undo") => {
            error_reply(405, format!("{method} is not allowed on {path}"))
        }
        _ => error_reply(404, format!("no such page: {path}")),
    }
}

/// Is the Host header one of this server's own names?
fn host_ok(host: Option<&str>, port: u16) -> bool {
    match host {
        None => true,
        Some(h) => {
            let h = h.trim();
            [
                format!("127.0.0.1:{port}"),
                format!("localhost:{port}"),
                "127.0.0.1".to_string(),
                "localhost".to_string(),
            ]
            .iter()
            .any(|ok| h.eq_ignore_ascii_case(ok))
        }
    }
}

/// Starts the server on 127.0.0.1:`port` (0: a free port), calls `ready` with the URL, then
/// serves until the process ends (or until `stop` returns true, checked between requests).
pub fn serve(
    mut session: Session,
    default_annotator: String,
    port: u16,
    ready: impl FnOnce(&str),
    stop: impl Fn() -> bool,
) -> Result<()> {
    let server = tiny_http::Server::http(("127.0.0.1", port)).map_err(|e| {
        Error::Config(format!(
            "cannot listen on 127.0.0.1:{port}: {e}{}",
            if port != 0 {
                " (is another program using it? --port 0 picks a free port)"
            } else {
                ""
            }
        ))
    })?;
    let real_port = server
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .unwrap_or(port);
    let url = format!("http://127.0.0.1:{real_port}/");
    ready(&url);
    let (tx, rx) = mpsc::channel::<(Result<session::Round>, usize)>();
    loop {
        while let Ok((result, labels)) = rx.try_recv() {
            session.finish(result, labels);
        }
        if let Some(job) = session.due(true) {
            let tx = tx.clone();
            let labels = job.labeled.len();
            std::thread::spawn(move || {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    session::retrain(job)
                }))
                .unwrap_or_else(|_| Err(Error::Training("the trainer panicked".into())));
                let _ = tx.send((result, labels));
            });
        }
        if stop() {
            return Ok(());
        }
        let mut req = match server.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(e) => return Err(Error::io(std::path::Path::new(&url), e)),
        };
        let host = req
            .headers()
            .iter()
            .find(|h| h.field.equiv("Host"))
            .map(|h| h.value.as_str().to_string());
        let reply = if !host_ok(host.as_deref(), real_port) {
            error_reply(403, "this server answers only on 127.0.0.1 and localhost")
        } else {
            let mut body = String::new();
            let read = req
                .as_reader()
                .take(1 << 20)
                .read_to_string(&mut body)
                .map_err(|e| e.to_string());
            match read {
                Ok(_) => handle(
                    &mut session,
                    &default_annotator,
                    req.method().as_str(),
                    req.url(),
                    &body,
                ),
                Err(e) => error_reply(400, format!("unreadable request body: {e}")),
            }
        };
        let response = tiny_http::Response::from_string(reply.body)
            .with_status_code(reply.status)
            .with_header(
                tiny_http::Header::from_bytes("Content-Type", reply.content_type)
                    .expect("a valid header"),
            )
            .with_header(
                tiny_http::Header::from_bytes("Cache-Control", "no-store").expect("a valid header"),
            );
        // A client that went away is no reason to stop.
        let _ = req.respond(response);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_avoid_clashes_and_commands() {
        let l = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            label_keys(&l(&["against", "favor", "neutral"])),
            vec![Some('a'), Some('f'), Some('n')]
        );
        assert_eq!(
            label_keys(&l(&["negative", "neutral", "positive"])),
            vec![Some('n'), Some('e'), Some('p')]
        );
        assert_eq!(
            label_keys(&l(&["support", "oppose"])),
            vec![Some('p'), Some('o')]
        );
    }

    #[test]
    fn urls_and_names() {
        let (p, q) = split_url("/api/state?annotator=Ana%20Lima&x=1+2&bad=%zz");
        assert_eq!(p, "/api/state");
        assert_eq!(q["annotator"], "Ana Lima");
        assert_eq!(q["x"], "1 2");
        assert_eq!(q["bad"], "%zz");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert!(check_annotator("  ").is_err());
        assert!(check_annotator("a\u{7}b").is_err());
        assert_eq!(check_annotator(" bo ").unwrap(), "bo");
        assert!(host_ok(Some("127.0.0.1:8080"), 8080));
        assert!(host_ok(Some("localhost:8080"), 8080));
        assert!(!host_ok(Some("evil.example:8080"), 8080));
    }

    #[test]
    fn answers_are_parsed_strictly() {
        let (t, a) = parse_answer(
            r#"{"token":3,"stance":{"Iran":"against","Iraq":null},"sentiment":"negative","unsure":["Hamas"]}"#,
        )
        .unwrap();
        assert_eq!(t, 3);
        assert_eq!(a.stance.len(), 1);
        assert_eq!(a.sentiment.as_deref(), Some("negative"));
        assert_eq!(a.unsure, vec!["Hamas".to_string()]);
        assert!(parse_answer("{").is_err());
        assert!(parse_answer(r#"{"stance":{}}"#).is_err());
        assert!(parse_answer(r#"{"token":1,"stance":{"Iran":3}}"#).is_err());
        assert!(parse_answer(r#"{"token":1,"unsure":"x"}"#).is_err());
    }
}
