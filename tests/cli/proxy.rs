//! A fault-injecting HTTP proxy on 127.0.0.1, between the binary and the local ECR API.
//!
//! Per ECR operation (the `X-Amz-Target` suffix) it can answer ThrottlingException or a 5xx,
//! hold an answer past the client's timeout, drop the connection, or make BatchDeleteImage
//! report partial `failures[]` (those images are taken out of the request, so they really
//! stay). Faults fire on the next N calls or at a rate (seeded, so runs repeat). It counts the
//! calls it passes on, per operation.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub(crate) enum Fault {
    /// 400 ThrottlingException.
    Throttle,
    /// A server error with this status and no ECR body.
    Status(u16),
    /// Forward, but hold the answer this long first.
    Delay(Duration),
    /// Close the connection without answering (after forwarding when `after_forward`).
    Drop { after_forward: bool },
    /// BatchDeleteImage: keep the first N image ids out of the call and report them failed.
    PartialFailure { ids: usize, code: &'static str },
    /// Permanent 400 with this ECR error code.
    Error(&'static str),
}

#[derive(Debug, Clone)]
struct Rule {
    operation: &'static str,
    fault: Fault,
    /// Calls left to affect (`None`: every matching call, subject to `rate`).
    remaining: Option<usize>,
    /// Chance per call, in thousandths.
    per_mille: u32,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    /// Calls forwarded upstream, by operation.
    forwarded: BTreeMap<String, usize>,
    /// Calls answered with a fault instead, by operation.
    faulted: BTreeMap<String, usize>,
    rng: u64,
}

pub(crate) struct Proxy {
    pub url: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    addr: String,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream` (`http://127.0.0.1:PORT`).
    pub(crate) fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().expect("local address").to_string();
        let upstream = upstream.trim_start_matches("http://").to_string();
        assert!(upstream.starts_with("127.0.0.1:"), "loopback only");
        let state = Arc::new(Mutex::new(State {
            rng: 0x2545_F491_4F6C_DD1D,
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (st, up) = (st.clone(), upstream.clone());
                std::thread::spawn(move || serve(conn, &up, &st));
            }
        });
        Proxy {
            url: format!("http://{addr}"),
            state,
            stop,
            addr,
        }
    }

    /// Affects the next `count` calls of `operation`.
    pub(crate) fn next(&self, operation: &'static str, count: usize, fault: Fault) {
        self.lock().rules.push(Rule {
            operation,
            fault,
            remaining: Some(count),
            per_mille: 1000,
        });
    }

    /// Affects each call of `operation` with probability `per_mille`/1000, for as long as it stays.
    pub(crate) fn rate(&self, operation: &'static str, per_mille: u32, fault: Fault) {
        self.lock().rules.push(Rule {
            operation,
            fault,
            remaining: None,
            per_mille,
        });
    }

    pub(crate) fn clear(&self) {
        self.lock().rules.clear();
    }

    /// Calls passed on to the ECR API, by operation.
    pub(crate) fn forwarded(&self, operation: &str) -> usize {
        self.lock().forwarded.get(operation).copied().unwrap_or(0)
    }

    pub(crate) fn faulted(&self, operation: &str) -> usize {
        self.lock().faulted.get(operation).copied().unwrap_or(0)
    }

    pub(crate) fn reset_counts(&self) {
        let mut s = self.lock();
        s.forwarded.clear();
        s.faulted.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(&self.addr);
    }
}

struct Request {
    head: Vec<String>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.iter().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn operation(&self) -> String {
        self.header("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("")
            .to_string()
    }

    /// The request as bytes, with a new body and `Connection: close`.
    fn bytes(&self, body: &[u8]) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.head[0]);
        for l in &self.head[1..] {
            let lower = l.to_ascii_lowercase();
            if lower.starts_with("content-length:") || lower.starts_with("connection:") {
                continue;
            }
            out.push_str(l);
            out.push_str("\r\n");
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        bytes
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        if line.is_empty() {
            break;
        }
        head.push(line);
    }
    let mut req = Request {
        head,
        body: Vec::new(),
    };
    let len: usize = req
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    req.body = vec![0; len];
    reader.read_exact(&mut req.body).ok()?;
    Some(req)
}

/// Decides the fault for one call, if any.
fn choose(state: &Mutex<State>, op: &str) -> Option<Fault> {
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let mut rng = s.rng;
    let dice: Vec<u32> = (0..s.rules.len())
        .map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % 1000) as u32
        })
        .collect();
    s.rng = rng;
    let pick = s.rules.iter().enumerate().position(|(i, r)| {
        (r.operation == op || r.operation == "*") && r.remaining != Some(0) && dice[i] < r.per_mille
    })?;
    let rule = &mut s.rules[pick];
    if let Some(n) = rule.remaining.as_mut() {
        *n -= 1;
    }
    Some(rule.fault.clone())
}

fn count(state: &Mutex<State>, op: &str, forwarded: bool) {
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let map = if forwarded {
        &mut s.forwarded
    } else {
        &mut s.faulted
    };
    *map.entry(op.to_string()).or_default() += 1;
}

fn respond(conn: &mut TcpStream, status: u16, body: &str, error_type: Option<&str>) {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n",
        if status < 300 { "OK" } else { "Error" },
        body.len()
    );
    if let Some(t) = error_type {
        head.push_str(&format!("x-amzn-ErrorType: {t}\r\n"));
    }
    let _ = conn.write_all(format!("{head}\r\n{body}").as_bytes());
}

fn forward(upstream: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).ok()?;
    up.set_read_timeout(Some(Duration::from_secs(120))).ok()?;
    up.write_all(bytes).ok()?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).ok()?;
    Some(answer)
}

/// Splits an HTTP answer into status line, headers and a decoded body.
fn parse_answer(raw: &[u8]) -> Option<(String, Vec<String>, Vec<u8>)> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.split("\r\n").map(str::to_string);
    let status = lines.next()?;
    let headers: Vec<String> = lines.collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|h| {
        h.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    }) {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(nl) = rest.windows(2).position(|w| w == b"\r\n") {
            let n = usize::from_str_radix(String::from_utf8_lossy(&rest[..nl]).trim(), 16).ok()?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(rest.get(nl + 2..nl + 2 + n)?);
            rest = rest.get(nl + 4 + n..).unwrap_or(&[]);
        }
        body = out;
    }
    Some((status, headers, body))
}

fn serve(conn: TcpStream, upstream: &str, state: &Mutex<State>) {
    let Ok(read_half) = conn.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut conn = conn;
    let Some(req) = read_request(&mut reader) else {
        return;
    };
    let op = req.operation();
    match choose(state, &op) {
        None => {
            count(state, &op, true);
            if let Some(answer) = forward(upstream, &req.bytes(&req.body)) {
                let _ = conn.write_all(&answer);
            }
        }
        Some(Fault::Throttle) => {
            count(state, &op, false);
            respond(
                &mut conn,
                400,
                r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
                Some("ThrottlingException"),
            );
        }
        Some(Fault::Error(code)) => {
            count(state, &op, false);
            let body = json!({"__type": code, "message": format!("injected {code}")}).to_string();
            respond(&mut conn, 400, &body, Some(code));
        }
        Some(Fault::Status(s)) => {
            count(state, &op, false);
            respond(&mut conn, s, "", None);
        }
        Some(Fault::Delay(d)) => {
            count(state, &op, true);
            let answer = forward(upstream, &req.bytes(&req.body));
            std::thread::sleep(d);
            if let Some(answer) = answer {
                let _ = conn.write_all(&answer);
            }
        }
        Some(Fault::Drop { after_forward }) => {
            if after_forward {
                count(state, &op, true);
                let _ = forward(upstream, &req.bytes(&req.body));
            } else {
                count(state, &op, false);
            }
        }
        Some(Fault::PartialFailure { ids, code }) => {
            count(state, &op, true);
            let mut body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            let all = body["imageIds"].as_array().cloned().unwrap_or_default();
            let (held, rest) = all.split_at(ids.min(all.len()));
            body["imageIds"] = Value::Array(rest.to_vec());
            let answer = if rest.is_empty() {
                Some(json!({"imageIds": [], "failures": []}))
            } else {
                forward(upstream, &req.bytes(body.to_string().as_bytes()))
                    .and_then(|a| parse_answer(&a))
                    .and_then(|(_, _, b)| serde_json::from_slice::<Value>(&b).ok())
            };
            let Some(mut answer) = answer else { return };
            let failures = answer["failures"]
                .as_array_mut()
                .map(std::mem::take)
                .unwrap_or_default();
            let mut failures = failures;
            for id in held {
                failures.push(json!({"imageId": id, "failureCode": code, "failureReason": "injected partial failure"}));
            }
            answer["failures"] = Value::Array(failures);
            respond(&mut conn, 200, &answer.to_string(), None);
        }
    }
    let _ = conn.shutdown(Shutdown::Both);
}
