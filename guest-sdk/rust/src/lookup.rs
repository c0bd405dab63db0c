//! Lookups (abi/SPEC.md, "Lookups"): HTTP requests under the module's
//! grants, and a small key-value store of the module's own.
//!
//! The operator decides what a module may reach, in the settings file
//! (`http: grants:`); nothing is allowed without a grant. The host holds the
//! credentials a grant injects (an `Authorization: Token ...` header): the
//! module asks for a URL and never sees the token.

use crate::host;
use crate::json::Value;
use crate::writer::Writer;
use std::fmt;

/// Why a lookup failed: the host's negative status (a failure is always a
/// status, never a trap).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookupError {
    /// No grant covers the URL (or a redirect's), or the call made its
    /// `max_requests` (-1).
    NotAllowed,
    /// No answer within the request's timeout or the call's limit (-2).
    Timeout,
    /// A response over `max_response`; a key or value over its bound (-3).
    TooLarge,
    /// The request or the store failed on the way: refused, reset, bad
    /// certificate, too many redirects (-4).
    Upstream,
    /// A method, headers, key or TTL the host refuses (-5).
    BadRequest,
    /// A response read before any request answered (-6).
    NoResponse,
    /// The module's store is full (-8).
    Full,
    /// A status this SDK does not know.
    Unknown(i32),
}

impl LookupError {
    /// The error of a negative status.
    pub fn from_status(status: i32) -> LookupError {
        match status {
            -1 => LookupError::NotAllowed,
            -2 => LookupError::Timeout,
            -3 => LookupError::TooLarge,
            -4 => LookupError::Upstream,
            -5 => LookupError::BadRequest,
            -6 => LookupError::NoResponse,
            -8 => LookupError::Full,
            s => LookupError::Unknown(s),
        }
    }

    /// The host's status for the error.
    pub fn status(&self) -> i32 {
        match *self {
            LookupError::NotAllowed => -1,
            LookupError::Timeout => -2,
            LookupError::TooLarge => -3,
            LookupError::Upstream => -4,
            LookupError::BadRequest => -5,
            LookupError::NoResponse => -6,
            LookupError::Full => -8,
            LookupError::Unknown(s) => s,
        }
    }
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self {
            LookupError::NotAllowed => "not allowed",
            LookupError::Timeout => "timeout",
            LookupError::TooLarge => "too large",
            LookupError::Upstream => "upstream error",
            LookupError::BadRequest => "bad request",
            LookupError::NoResponse => "no response",
            LookupError::Full => "key-value store full",
            LookupError::Unknown(_) => "unknown status",
        };
        write!(f, "wasmhook: {} (status {})", what, self.status())
    }
}

impl std::error::Error for LookupError {}

impl From<LookupError> for String {
    fn from(e: LookupError) -> String {
        e.to_string()
    }
}

/// kv_get's status for a key that is not there.
const NOT_FOUND: i32 = -7;

/// What [`http_request`] got: a status like any other (a 404 is a
/// response, not an error), the headers and the body, copied.
/// ([`http_send`] copies nothing: the handler reads the body's fields with
/// [`Doc::Response`](crate::Doc::Response).)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// The headers as a JSON object: lowercase names, sorted, each a string
    /// of its values joined with ", ". Read it with [`Response::headers`].
    pub headers: Vec<u8>,
    /// The body, decoded from its transfer and content encodings.
    pub body: Vec<u8>,
}

impl Response {
    /// The body as JSON, checked: an error when it is not JSON.
    pub fn json(&self) -> Result<Value<'_>, crate::json::Error> {
        Value::parse(&self.body)
    }

    /// The headers as a JSON object (the host builds it).
    pub fn headers(&self) -> Value<'_> {
        Value::trusted(&self.headers)
    }

    /// One header's value, by its lowercase name.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers().get(name)?.as_str().map(|s| s.into_owned())
    }
}

/// Asks the host for one HTTP request: `method` (`""` is GET), an absolute
/// `url`, `headers` as name-value pairs (a grant's headers replace the
/// module's of the same name), and `body` (empty: none). A non-2xx status is
/// an `Ok` response. The time waited counts against the call's time limit.
pub fn http_request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Response, LookupError> {
    let status = http_send(method, url, headers, body)?;
    let headers = read_sized(1024, |p, n| unsafe { host::http_response_read(1, p, n) })?;
    let body = read_sized(4096, |p, n| unsafe { host::http_response_read(0, p, n) })?;
    Ok(Response { status, headers, body })
}

/// [`http_request`] without the copies: it returns the status alone and
/// leaves the response at the host, whose fields the handler reads with
/// [`Event::get_in`](crate::Event::get_in) and
/// [`Doc::Response`](crate::Doc::Response):
///
/// ```ignore
/// if wasmhook::http_send("", &url, &[("Accept", "application/json")], &[])? == 200 {
///     let name = event.get_in(Doc::Response, "/name");
/// }
/// ```
///
/// The host checks and indexes the body once (a cached response keeps its
/// index), so a field costs the same in a large answer as in a small one and
/// the module neither copies nor parses the body. The response stays there
/// until the next request of the call.
pub fn http_send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<u16, LookupError> {
    let mut h = Writer::new();
    if !headers.is_empty() {
        h.begin_object();
        for (k, v) in headers {
            h.key(k).string(v);
        }
        h.end_object();
    }
    let hb = h.as_bytes();
    // SAFETY: the host reads each of the ranges given.
    let status = unsafe {
        host::http_request(
            method.as_ptr(),
            method.len(),
            url.as_ptr(),
            url.len(),
            hb.as_ptr(),
            hb.len(),
            body.as_ptr(),
            body.len(),
        )
    };
    if status < 0 {
        return Err(LookupError::from_status(status));
    }
    Ok(status as u16)
}

/// [`http_request`] with GET and no body.
pub fn http_get(url: &str, headers: &[(&str, &str)]) -> Result<Response, LookupError> {
    http_request("", url, headers, &[])
}

/// Reads a size-first host result: one call into a buffer of `guess` bytes,
/// a second when the value is larger.
fn read_sized(guess: usize, read: impl Fn(*mut u8, usize) -> i32) -> Result<Vec<u8>, LookupError> {
    let mut b: Vec<u8> = Vec::with_capacity(guess);
    let n = read(b.as_mut_ptr(), b.capacity());
    let mut n = usize::try_from(n).map_err(|_| LookupError::from_status(n))?;
    if n > b.capacity() {
        b.reserve_exact(n);
        let m = read(b.as_mut_ptr(), b.capacity());
        n = usize::try_from(m).map_err(|_| LookupError::from_status(m))?;
    }
    // SAFETY: the host wrote `min(n, capacity)` bytes, and the buffer holds
    // at least `n` since the second read.
    unsafe { b.set_len(n.min(b.capacity())) };
    Ok(b)
}

/// The module's key-value store: its keys are its own, kept by the host
/// between events (in memory, or in a Redis that several hosts share). A
/// value may change between two events and need not survive a restart.
pub mod kv {
    use super::{read_sized, LookupError, NOT_FOUND};
    use crate::host;
    use std::time::Duration;

    /// The value of `key`; `None` when there is none (never set, deleted or
    /// expired).
    pub fn get(key: &str) -> Result<Option<Vec<u8>>, LookupError> {
        // SAFETY: the host reads the key and writes at most `n` bytes at `p`.
        match read_sized(256, |p, n| unsafe { host::kv_get(key.as_ptr(), key.len(), p, n) }) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.status() == NOT_FOUND => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sets `key` to `value` until `ttl` has passed (`Duration::ZERO`: no
    /// expiry; counted in whole milliseconds).
    pub fn set(key: &str, value: &[u8], ttl: Duration) -> Result<(), LookupError> {
        let ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        // SAFETY: the host reads the two ranges.
        let status = unsafe { host::kv_set(key.as_ptr(), key.len(), value.as_ptr(), value.len(), ms) };
        if status < 0 {
            return Err(LookupError::from_status(status));
        }
        Ok(())
    }

    /// Deletes `key`; deleting a key that is not there is no error.
    pub fn delete(key: &str) -> Result<(), LookupError> {
        // SAFETY: the host reads the key.
        let status = unsafe { host::kv_delete(key.as_ptr(), key.len()) };
        if status < 0 {
            return Err(LookupError::from_status(status));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{reset_lookups, set_fetch};
    use crate::{Doc, Event};
    use std::time::Duration;

    #[test]
    fn get_sends_the_headers_as_json_and_reads_the_response() {
        reset_lookups();
        let big = "x".repeat(10000); // past the first read's buffer
        let body = format!(r#"{{"name":"Acme","pad":"{}"}}"#, big);
        let want = body.clone();
        set_fetch(move |method, url, headers, body_in| {
            assert_eq!(method, "GET");
            assert_eq!(url, "https://netbox.example.com/api/tenancy/tenants/7/");
            assert_eq!(headers, br#"{"Accept":"application/json","X-Q":"a\"b"}"#);
            assert!(body_in.is_empty());
            Ok((200, br#"{"content-type":"application/json"}"#.to_vec(), want.clone().into_bytes()))
        });
        let resp = http_get(
            "https://netbox.example.com/api/tenancy/tenants/7/",
            &[("Accept", "application/json"), ("X-Q", "a\"b")],
        )
        .unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.body, body.as_bytes());
        assert_eq!(resp.header("content-type").as_deref(), Some("application/json"));
        assert_eq!(resp.json().unwrap().get("name").and_then(|n| n.as_str()).as_deref(), Some("Acme"));
    }

    #[test]
    fn a_404_is_a_response_and_a_refusal_an_error() {
        reset_lookups();
        assert_eq!(http_get("https://h/", &[]), Err(LookupError::NotAllowed));
        set_fetch(|method, _, headers, body| {
            assert_eq!(method, "POST");
            assert!(headers.is_empty());
            assert_eq!(body, b"{}");
            Ok((404, b"{}".to_vec(), br#"{"detail":"No Tenant matches the given query."}"#.to_vec()))
        });
        let resp = http_request("POST", "https://h/", &[], b"{}").unwrap();
        assert_eq!(resp.status, 404);
        for (status, want) in [
            (-1, LookupError::NotAllowed),
            (-2, LookupError::Timeout),
            (-3, LookupError::TooLarge),
            (-4, LookupError::Upstream),
            (-5, LookupError::BadRequest),
            (-6, LookupError::NoResponse),
            (-8, LookupError::Full),
            (-99, LookupError::Unknown(-99)),
        ] {
            set_fetch(move |_, _, _, _| Err(status));
            let err = http_get("https://h/", &[]).unwrap_err();
            assert_eq!(err, want);
            assert_eq!(err.status(), status);
        }
        assert_eq!(LookupError::Timeout.to_string(), "wasmhook: timeout (status -2)");
        let s: String = LookupError::NotAllowed.into();
        assert_eq!(s, "wasmhook: not allowed (status -1)");
        reset_lookups();
    }

    // Reads the fields of each response with Doc::Response, as the host
    // (here the native stand-in) gives them.
    extern "C" fn response_fields(input_len: i32) -> i32 {
        crate::on_event(input_len, |event: &Event, out: &mut Writer| {
            let field = |path: &str| event.get_in(Doc::Response, path);
            let put = |out: &mut Writer, v: Option<Value>| {
                match v {
                    Some(v) => out.value(v),
                    None => out.null(),
                };
            };
            out.begin_array();
            put(out, field("")); // no request yet
            out.uint(u64::from(http_send("", "https://h/tenant", &[], &[])?));
            for path in ["/name", "/dup", "/group/slug", "/tags/1", "/tags/01", "/group/slug/x", "/nope", "x"] {
                put(out, field(path));
            }
            let name = field("/name");
            // The copy API leaves the response at the host too.
            let resp = http_get("https://h/tenant", &[])?;
            out.uint(u64::from(resp.status));
            put(out, field("/group/name"));
            out.uint(u64::from(http_send("", "https://h/html", &[], &[])?));
            put(out, field("")); // not JSON
            out.int(i64::from(http_send("", "https://h/refused", &[], &[]).unwrap_err().status()));
            put(out, field("")); // the last request failed
            put(out, name); // a copy: still there
            out.end_array();
            Ok(())
        })
    }

    #[test]
    fn fields_of_the_response() {
        reset_lookups();
        set_fetch(|_, url, _, _| match url {
            "https://h/tenant" => Ok((
                200,
                b"{}".to_vec(),
                br#" {"name": "Acme \"A\"", "dup": 1, "dup": 2, "group": {"name": "G", "slug": "g"}, "tags": [3, [4]]} "#
                    .to_vec(),
            )),
            "https://h/html" => Ok((200, b"{}".to_vec(), b"<html>{}</html>".to_vec())),
            _ => Err(-1),
        });
        let want = r#"[null,200,"Acme \"A\"",2,"g",[4],null,null,null,null,200,"G",200,null,-1,null,"Acme \"A\""]"#;
        for _ in 0..2 {
            // A call starts without the response of the one before.
            assert_eq!(crate::testing::call(response_fields, "{}", "{}").as_deref(), Ok(want));
        }
        // The statuses behind the None: -6 no response, -7 not JSON.
        let status = || unsafe { host::field_read(Doc::Response as i32, "/name".as_ptr(), 5, std::ptr::null_mut(), 0) };
        assert_eq!(status(), -6);
        http_send("", "https://h/html", &[], &[]).unwrap();
        assert_eq!(status(), -7);
        http_send("", "https://h/tenant", &[], &[]).unwrap();
        assert_eq!(status(), r#""Acme \"A\"""#.len() as i32);
        assert_eq!(http_send("", "https://h/refused", &[], &[]), Err(LookupError::NotAllowed));
        assert_eq!(status(), -6);
        reset_lookups();
    }

    #[test]
    fn kv_get_set_delete() {
        reset_lookups();
        assert_eq!(kv::get("last"), Ok(None));
        kv::set("last", b"7", Duration::ZERO).unwrap();
        assert_eq!(kv::get("last"), Ok(Some(b"7".to_vec())));
        let long = vec![b'v'; 5000];
        kv::set("long", &long, Duration::from_secs(60)).unwrap();
        assert_eq!(kv::get("long"), Ok(Some(long)));
        kv::set("short", b"x", Duration::from_millis(1)).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(kv::get("short"), Ok(None), "expired");
        kv::delete("last").unwrap();
        kv::delete("last").unwrap();
        assert_eq!(kv::get("last"), Ok(None));
        assert_eq!(kv::get(""), Err(LookupError::BadRequest));
        assert_eq!(kv::set("", b"", Duration::ZERO), Err(LookupError::BadRequest));
        assert_eq!(kv::delete(""), Err(LookupError::BadRequest));
    }
}
