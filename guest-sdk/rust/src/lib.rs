//! The wasmhook guest SDK for Rust: write a wasmhook reactor plugin (ABI v1,
//! abi/SPEC.md) as one function.
//!
//! ```ignore
//! use wasmhook::{Event, Writer};
//!
//! wasmhook::plugin!(handle);
//!
//! fn handle(event: &Event, out: &mut Writer) -> Result<(), String> {
//!     if let Some(user) = event.get("/request/user") {
//!         out.begin_object().key("seen_by").value(user).end_object();
//!     }
//!     Ok(())
//! }
//! ```
//!
//! [`plugin!`] exports the ABI marker and `wasmhook_on_event`, which calls the
//! handler with the [`Event`]: [`Event::get`] asks the host for one field by
//! its JSON Pointer and copies only that value (the input is never copied);
//! [`Event::input`] reads the whole input for the SDK's own reader ([`json`]).
//! A handler may also take the whole input as a [`Value`] directly
//! (`fn handle(event: Value, out: &mut Writer)`): the SDK then reads it
//! before the call. What the handler wrote to the [`Writer`] goes back with
//! one host call (nothing written: no result). An `Err(message)` fails the
//! call with that message. [`config`] and [`log`] reach the rest of the ABI.
//!
//! The crate has no dependencies and no build script, so that it builds with
//! a bare `rustc` (1.63 or later); see README.md.

#![deny(unsafe_op_in_unsafe_fn)]

mod host;
pub mod json;
mod lookup;
mod writer;

pub use json::{Kind, Value};
pub use lookup::{http_get, http_request, http_send, kv, LookupError, Response};
pub use writer::Writer;

use std::cell::Cell;

/// Exports the ABI v1 entry points for a handler
/// `fn(&Event, &mut Writer) -> Result<(), String>` (or
/// `fn(Value, &mut Writer) -> Result<(), String>`, which gets the whole
/// input, read before the call):
///
/// ```ignore
/// wasmhook::plugin!(handle);
/// ```
///
/// It expands to the marker `wasmhook_abi_v1` and to `wasmhook_on_event`,
/// which calls [`on_event`] with the handler. Use it once, at the top level
/// of the plugin crate.
#[macro_export]
macro_rules! plugin {
    ($handler:expr) => {
        /// Declares ABI v1; the host checks the export and never calls it.
        #[no_mangle]
        pub extern "C" fn wasmhook_abi_v1() {}

        /// The reactor entry point: one call per event.
        #[no_mangle]
        pub extern "C" fn wasmhook_on_event(input_len: i32) -> i32 {
            $crate::on_event(input_len, $handler)
        }
    };
}

/// The documents [`Event::get_in`] looks paths up in (abi/SPEC.md, "Field
/// reads").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Doc {
    /// The input: `/data/name`, `/request/user`.
    Input = 0,
    /// The plugin's configuration.
    Config = 1,
    /// The event's snapshots, the object's data before and after the change
    /// (`null` when the event has none).
    Prechange = 2,
    Postchange = 3,
    /// The body of the call's last HTTP response ([`http_send`] or
    /// [`http_request`]): `event.get_in(Doc::Response, "/group/slug")`. The
    /// host checks and indexes the body once (a cached response keeps its
    /// index): the module neither copies nor parses it. The document is
    /// there until the next request of the call; a value read from it is a
    /// copy, and lives until the handler returns like any other. No response
    /// (no request answered yet, or the last one failed) and a body that is
    /// not JSON give `None`, as a missing value does (abi/SPEC.md: statuses
    /// -6 and -7).
    Response = 4,
}

/// One event, as a handler of [`plugin!`] gets it: ask for the fields you
/// want with [`Event::get`], or for the whole input with [`Event::input`].
/// Values borrow from the event and live until the handler returns.
pub struct Event {
    len: usize,
    input: std::cell::RefCell<Option<Vec<u8>>>,
    read: Cell<bool>,
    // Chunks of field values. A chunk never grows past the capacity it was
    // made with, and none is dropped before the event, so the bytes of a
    // value handed out stay where they are.
    fields: std::cell::RefCell<Vec<Vec<u8>>>,
}

impl Event {
    /// The value that `path`, a JSON Pointer (RFC 6901), names in the input:
    /// `event.get("/data/status/value")`, `event.get("/data/tags/0/name")`
    /// (a key holding `/` or `~` is written `~1` or `~0`). The host looks it
    /// up (its index of the event is shared by every plugin of the event)
    /// and copies only the value's bytes, with one host call (two when it
    /// does not fit in the room left), so the cost does not grow with the
    /// event. Of duplicate keys the last counts. `None` when there is no
    /// such value or `path` is not a JSON Pointer.
    pub fn get(&self, path: &str) -> Option<Value<'_>> {
        self.get_in(Doc::Input, path)
    }

    /// [`Event::get`] in another document: `event.get_in(Doc::Postchange,
    /// "/status/value")`, or in the answer to a lookup:
    /// `event.get_in(Doc::Response, "/name")` after [`http_send`].
    pub fn get_in(&self, doc: Doc, path: &str) -> Option<Value<'_>> {
        // Never borrowed elsewhere while this runs; try_borrow_mut keeps a
        // panic location (a source line) out of the module.
        let mut chunks = self.fields.try_borrow_mut().ok()?;
        let (ptr, room) = match chunks.last_mut() {
            // SAFETY: `len <= capacity`: the pointer is in (or just past)
            // the chunk's allocation.
            Some(c) => (unsafe { c.as_mut_ptr().add(c.len()) }, c.capacity() - c.len()),
            None => (std::ptr::null_mut(), 0),
        };
        // SAFETY: the host writes at most `room` bytes at `ptr`, the spare
        // capacity of the last chunk.
        let n = unsafe { host::field_read(doc as i32, path.as_ptr(), path.len(), ptr, room) };
        let n = usize::try_from(n).ok()?;
        if n > room {
            let cap = n.max(4096).max(chunks.last().map_or(0, |c| 2 * c.capacity()));
            let mut c = Vec::new();
            c.try_reserve_exact(cap).ok()?;
            // SAFETY: as above, in the new chunk's capacity.
            unsafe { host::field_read(doc as i32, path.as_ptr(), path.len(), c.as_mut_ptr(), c.capacity()) };
            chunks.push(c);
        }
        let c = chunks.last_mut()?;
        let start = c.len();
        // SAFETY: the host wrote the `n` bytes after `len`, within capacity.
        unsafe { c.set_len(start + n) };
        // SAFETY: the bytes stay put until the event is dropped (see
        // `fields`), and `&self` borrows the event.
        let bytes = unsafe { std::slice::from_raw_parts(c.as_ptr().add(start), n) };
        Some(Value::trusted(bytes))
    }

    /// The whole input JSON, read with one host call the first time it is
    /// asked for in the event (the host checked it: abi/SPEC.md, section 4).
    pub fn input(&self) -> Result<Value<'_>, String> {
        if !self.read.get() {
            let mut guard = self
                .input
                .try_borrow_mut()
                .map_err(|_| "wasmhook: the input is being read".to_string())?;
            let buf = guard.get_or_insert_with(Vec::new);
            let len = i32::try_from(self.len).map_err(|_| "wasmhook: input too large".to_string())?;
            read_input(buf, len)?;
            self.read.set(true);
        }
        let guard = self.input.borrow();
        let buf = guard.as_ref().map_or(&[][..], |b| &b[..]);
        // SAFETY: once read, the buffer is not touched until the event is
        // dropped, and `&self` borrows the event.
        let bytes = unsafe { std::slice::from_raw_parts(buf.as_ptr(), buf.len()) };
        Ok(Value::trusted(bytes))
    }

    /// The input's length in bytes.
    pub fn input_len(&self) -> usize {
        self.len
    }
}

/// What [`plugin!`] accepts as a handler: a function of the [`Event`], or of
/// the whole input as a [`Value`]. `M` tells the two apart; you never name
/// it.
pub trait Handler<M> {
    #[doc(hidden)]
    fn run(self, input_len: i32, out: &mut Writer) -> Result<(), String>;
}

#[doc(hidden)]
pub struct OfEvent;
#[doc(hidden)]
pub struct OfValue;

impl<F> Handler<OfEvent> for F
where
    F: for<'a> FnOnce(&'a Event, &mut Writer) -> Result<(), String>,
{
    fn run(self, input_len: i32, out: &mut Writer) -> Result<(), String> {
        let len = usize::try_from(input_len)
            .map_err(|_| format!("wasmhook: invalid input length {}", input_len))?;
        let mut fields = FIELDS.with(Cell::take);
        // Keep the largest chunk for the next event.
        if let Some(mut last) = fields.pop() {
            fields.clear();
            last.clear();
            fields.push(last);
        }
        let event = Event {
            len,
            input: std::cell::RefCell::new(Some(INPUT.with(Cell::take))),
            read: Cell::new(false),
            fields: std::cell::RefCell::new(fields),
        };
        let result = self(&event, out);
        if let Some(input) = event.input.into_inner() {
            INPUT.with(|c| c.set(input));
        }
        FIELDS.with(|c| c.set(event.fields.into_inner()));
        result
    }
}

impl<F> Handler<OfValue> for F
where
    F: for<'a> FnOnce(Value<'a>, &mut Writer) -> Result<(), String>,
{
    fn run(self, input_len: i32, out: &mut Writer) -> Result<(), String> {
        let mut input = INPUT.with(Cell::take);
        let result = read_input(&mut input, input_len).and_then(|event| self(event, out));
        INPUT.with(|c| c.set(input));
        result
    }
}

thread_local! {
    // An instance serves many events: the input buffer, the field values
    // and the writer are taken out for a call and put back after it,
    // keeping their capacity.
    static INPUT: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    static FIELDS: Cell<Vec<Vec<u8>>> = const { Cell::new(Vec::new()) };
    static OUTPUT: Cell<Writer> = const { Cell::new(Writer::new()) };
    // The configuration, read and checked at its first use.
    static CONFIG: Cell<Option<Result<Value<'static>, json::Error>>> = const { Cell::new(None) };
}

/// Runs one event through `handler` and returns the status for
/// `wasmhook_on_event`: 0 on success, 1 on failure with the message passed
/// to the host's `error_set`. [`plugin!`] calls it; call it yourself only to
/// write the export by hand.
pub fn on_event<M, F: Handler<M>>(input_len: i32, handler: F) -> i32 {
    let mut out = OUTPUT.with(Cell::take);
    out.clear();
    let result = handler.run(input_len, &mut out);
    let status = match result {
        Ok(()) => {
            if !out.is_empty() {
                let b = out.as_bytes();
                // SAFETY: the host reads the `b.len()` bytes at `b`.
                unsafe { host::output_set(b.as_ptr(), b.len()) };
            }
            0
        }
        Err(msg) => {
            // SAFETY: as above.
            unsafe { host::error_set(msg.as_ptr(), msg.len()) };
            1
        }
    };
    OUTPUT.with(|c| c.set(out));
    status
}

/// Reads the event into `buf` with one host call. The host checked it
/// (abi/SPEC.md, section 4): it is not checked again.
fn read_input(buf: &mut Vec<u8>, input_len: i32) -> Result<Value<'_>, String> {
    let n = usize::try_from(input_len)
        .map_err(|_| format!("wasmhook: invalid input length {}", input_len))?;
    // Grow only past what earlier events needed; resizing down or to the
    // same length writes nothing.
    buf.try_reserve(n.saturating_sub(buf.len()))
        .map_err(|_| format!("wasmhook: no memory for an input of {} bytes", n))?;
    buf.resize(n, 0);
    // SAFETY: `buf` holds `n` writable bytes.
    let whole = unsafe { host::input_read(buf.as_mut_ptr(), n) };
    buf.truncate(whole);
    Ok(Value::trusted(buf))
}

/// The plugin's configuration: the JSON the operator gave for it, `{}` when
/// none. It is read with one host call at the first use and kept for the
/// instance's lifetime, so calling this on every event costs nothing.
pub fn config() -> Result<Value<'static>, String> {
    let cached = CONFIG.with(|c| match c.get() {
        Some(r) => r,
        None => {
            let r = read_config();
            c.set(Some(r));
            r
        }
    });
    cached.map_err(|e| format!("wasmhook: configuration is not JSON: {}", e))
}

fn read_config() -> Result<Value<'static>, json::Error> {
    // SAFETY: a zero-length read writes nothing.
    let n = unsafe { host::config_read(std::ptr::null_mut(), 0) };
    let mut buf = vec![0u8; n];
    // SAFETY: `buf` holds `n` writable bytes.
    let whole = unsafe { host::config_read(buf.as_mut_ptr(), n) };
    buf.truncate(whole);
    // Read once per instance and needed until it ends: leaking is what
    // gives the configuration its 'static lifetime.
    Value::parse(Box::leak(buf.into_boxed_slice()))
}

/// A log level, with the values of Go's log/slog that the host uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Debug = -4,
    Info = 0,
    Warn = 4,
    Error = 8,
}

/// Writes one line through the host's logger, which tags it with the
/// plugin's name. The host caps the bytes one call may log.
pub fn log(level: Level, msg: &str) {
    // SAFETY: the host reads the `msg.len()` bytes at `msg`.
    unsafe { host::log(level as i32, msg.as_ptr(), msg.len()) }
}

/// Runs a plugin natively, for unit tests (`rustc --test`): an in-memory
/// host stands in for wasmhook's.
#[cfg(not(target_arch = "wasm32"))]
pub mod testing {
    use crate::host::{Call, CALL, FETCH, KV, RESPONSE};

    /// Makes [`crate::http_request`] call `fetch` on this thread with the
    /// method (`"GET"` for an empty one), URL, headers JSON and body; it
    /// returns the status, the response's headers JSON and its body, or a
    /// negative status. Without it every request is refused
    /// ([`crate::LookupError::NotAllowed`]), as a host without grants does.
    pub fn set_fetch(
        fetch: impl Fn(&str, &str, &[u8], &[u8]) -> Result<(u16, Vec<u8>, Vec<u8>), i32> + 'static,
    ) {
        FETCH.with(|f| *f.borrow_mut() = Some(Box::new(fetch)));
    }

    /// Removes the function of [`set_fetch`] and the last response, and
    /// empties the in-memory key-value store.
    pub fn reset_lookups() {
        FETCH.with(|f| *f.borrow_mut() = None);
        RESPONSE.with(|r| *r.borrow_mut() = None);
        KV.with(|kv| kv.borrow_mut().clear());
    }

    /// Calls a plugin's `wasmhook_on_event` (the function [`crate::plugin!`]
    /// generates) once with `input` and `config` (`"{}"` for none), as a
    /// freshly started instance: the configuration is read anew, and no
    /// response of an earlier call is left. Returns the output (`""` for
    /// none) on status 0, else the error message.
    pub fn call(
        on_event: extern "C" fn(i32) -> i32,
        input: &str,
        config: &str,
    ) -> Result<String, String> {
        CALL.with(|c| {
            *c.borrow_mut() = Call {
                input: input.as_bytes().to_vec(),
                config: config.as_bytes().to_vec(),
                ..Call::default()
            }
        });
        crate::CONFIG.with(|c| c.set(None));
        RESPONSE.with(|r| *r.borrow_mut() = None);
        let len = i32::try_from(input.len()).map_err(|_| "input too large".to_string())?;
        let status = on_event(len);
        CALL.with(|c| {
            let c = c.borrow();
            if status == 0 {
                Ok(String::from_utf8_lossy(&c.output).into_owned())
            } else {
                Err(match &c.error {
                    Some(e) => String::from_utf8_lossy(e).into_owned(),
                    None => format!("status {}", status),
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// site_status from examples/README.md, as examples/rust/site_status.rs
    /// writes it.
    fn site_status(event: Value, out: &mut Writer) -> Result<(), String> {
        let namespace = config()?.get("namespace").and_then(|ns| ns.as_str());
        if let Some(ns) = &namespace {
            out.begin_object().key(ns);
        }
        out.begin_object();
        let data = event.get("data");
        if let Some(status) = data
            .and_then(|d| d.path(&["status", "value"]))
            .filter(|v| v.kind() == Kind::String)
        {
            out.key("site_status").value(status);
        }
        if let Some(n) = data
            .and_then(|d| d.get("name"))
            .and_then(|n| n.char_count())
        {
            out.key("name_len").uint(n as u64);
        }
        out.end_object();
        if namespace.is_some() {
            out.end_object();
        }
        Ok(())
    }

    plugin!(site_status);

    fn run(input: &str, config: &str) -> Result<String, String> {
        testing::call(wasmhook_on_event, input, config)
    }

    /// The fixtures of examples/testdata/events, with the outputs their
    /// rules give.
    const FIXTURES: &[(&str, &str)] = &[
        (
            r#"{"object_type": "core.job", "event_type": "job_completed", "username": "scheduler",
 "data": {"id": 31, "name": "Nightly sync", "status": {"value": "completed", "label": "Completed"}, "data": {"log": []}}}"#,
            r#"{"site_status":"completed","name_len":12}"#,
        ),
        (
            r#"{"object_type": "core.job", "event_type": "job_failed",
 "data": {"name": "", "status": {"value": "failed", "label": "Failed"}, "error": "Traceback ..."}}"#,
            r#"{"site_status":"failed","name_len":0}"#,
        ),
        (
            r#"{"object_type": "dcim.site", "event_type": "object_created", "username": "jstretch",
 "data": {"id": 7, "name": "Berlin DC 1", "slug": "berlin-dc-1", "status": {"value": "planned", "label": "Planned"}, "tags": [{"name": "x", "status": {"value": "wrong"}}], "custom_fields": {"name": "not this one"}}}"#,
            r#"{"site_status":"planned","name_len":11}"#,
        ),
        (
            r#"{"object_type": "dcim.site", "event_type": "object_deleted", "username": "admin", "request": null,
 "data": {"id": 9, "name": "Tōkyō 東京 🗼", "status": {"label": "Retired", "value": "retired"}}}"#,
            r#"{"site_status":"retired","name_len":10}"#,
        ),
        (
            r#"{"object_type": "dcim.site", "event_type": "object_updated",
 "data": {"status": {"value": "act\"ive\\"}, "name": "\ud83d\ude00 caf\u00e9 \"q\" \\ \n\t"}}"#,
            r#"{"site_status":"act\"ive\\","name_len":15}"#,
        ),
        (
            r#"{"object_type": "dcim.site", "event_type": "object_updated",
 "data": {"id": 12, "slug": "no-name", "status": "active"}}"#,
            "{}",
        ),
        (
            r#"{"object_type": "dcim.site", "event_type": "object_updated",
 "data": {"id": 4, "display": "Z\u00fcrich <1>", "name": "Z\u00fcrich <1>", "status": {"value": "active", "label": "Active"}, "region": null},
 "snapshots": {"prechange": {"name": "Site 1", "status": "planned"}}}"#,
            r#"{"site_status":"active","name_len":10}"#,
        ),
        (
            r#"{"object_type": "dcim.site", "event_type": "object_updated",
 "data": {  "name"  :   "Ünïcödé  spaces" ,
   "status" : { "label" : "Active" , "value" :  "active"  } } }"#,
            r#"{"site_status":"active","name_len":15}"#,
        ),
    ];

    #[test]
    fn fixtures_without_namespace() {
        for (input, want) in FIXTURES {
            assert_eq!(run(input, "{}").as_deref(), Ok(*want), "{}", input);
        }
    }

    #[test]
    fn fixtures_with_namespaces() {
        for (config, prefix) in [
            (r#"{"namespace": "geo"}"#, r#"{"geo":"#),
            (
                r#"{"namespace": "Z\u00fcrich \"ns\" \\ \t"}"#,
                r#"{"Zürich \"ns\" \\ \u0009":"#,
            ),
            (r#"{"namespace": ""}"#, r#"{"":"#),
        ] {
            for (input, want) in FIXTURES {
                assert_eq!(
                    run(input, config),
                    Ok(format!("{}{}}}", prefix, want)),
                    "{} {}",
                    config,
                    input
                );
            }
        }
        for config in [
            "{}",
            r#"{"namespace": 42, "other": true}"#,
            r#"{"namespace": null}"#,
        ] {
            assert_eq!(run(FIXTURES[5].0, config).as_deref(), Ok("{}"));
        }
    }

    #[test]
    fn data_that_is_not_an_object() {
        for data in [
            "null",
            "[]",
            "\"x\"",
            "3",
            r#"{"status": null, "name": 5}"#,
            r#"{"status": {"value": 1}}"#,
        ] {
            let input = format!(r#"{{"data": {}}}"#, data);
            assert_eq!(run(&input, "{}").as_deref(), Ok("{}"), "{}", data);
        }
        assert_eq!(run(r#"{"event_type": "x"}"#, "{}").as_deref(), Ok("{}"));
    }

    #[test]
    fn buffers_are_reused_across_events_of_different_sizes() {
        let long = format!(r#"{{"data": {{"name": "{}"}}}}"#, "x".repeat(5000));
        for _ in 0..3 {
            assert_eq!(run(&long, "{}").as_deref(), Ok(r#"{"name_len":5000}"#));
            assert_eq!(run(FIXTURES[0].0, "{}").as_deref(), Ok(FIXTURES[0].1));
        }
    }

    #[test]
    fn malformed_input_is_read_without_panicking() {
        // The host never sends such input; the SDK does not check it again.
        assert_eq!(
            run(r#"{"data": {"name": "x"}"#, "{}").as_deref(),
            Ok(r#"{"name_len":1}"#)
        );
        assert_eq!(run(r#"{"data": {"name": "x"#, "{}").as_deref(), Ok("{}"));
        assert_eq!(run("", "{}").as_deref(), Ok("{}"));
    }

    #[test]
    fn malformed_config_fails_the_call() {
        assert_eq!(
            run(FIXTURES[0].0, "{"),
            Err("wasmhook: configuration is not JSON: offset 1: unexpected end of input".into())
        );
    }

    // Entry points written by hand: plugin! may be used once per crate.
    extern "C" fn failing(input_len: i32) -> i32 {
        on_event(input_len, |_: &Event, out: &mut Writer| {
            out.begin_object().end_object();
            Err("no site here".into())
        })
    }

    extern "C" fn silent(input_len: i32) -> i32 {
        on_event(input_len, |_: Value, _: &mut Writer| Ok(()))
    }

    #[test]
    fn errors_and_empty_results() {
        assert_eq!(
            testing::call(failing, "{}", "{}"),
            Err("no site here".into())
        );
        assert_eq!(testing::call(silent, "{}", "{}").as_deref(), Ok(""));
    }

    // site_status with field reads: the host (here the native stand-in)
    // looks each path up; the input is never read.
    extern "C" fn site_status_fields(input_len: i32) -> i32 {
        on_event(input_len, |event: &Event, out: &mut Writer| {
            let status = event.get("/data/status/value");
            let name = event.get("/data/name");
            out.begin_object();
            if let Some(v) = status.filter(|v| v.kind() == Kind::String) {
                out.key("site_status").value(v);
            }
            if let Some(n) = name.and_then(|n| n.char_count()) {
                out.key("name_len").uint(n as u64);
            }
            out.end_object();
            Ok(())
        })
    }

    #[test]
    fn field_reads_give_what_the_reader_gives() {
        for (input, want) in FIXTURES {
            assert_eq!(testing::call(site_status_fields, input, "{}").as_deref(), Ok(*want), "{}", input);
        }
        let long = format!(r#"{{"data": {{"name": "{}", "status": {{"value": "x"}}}}}}"#, "y".repeat(9000));
        for _ in 0..3 {
            assert_eq!(
                testing::call(site_status_fields, &long, "{}").as_deref(),
                Ok(r#"{"site_status":"x","name_len":9000}"#)
            );
        }
    }

    extern "C" fn paths(input_len: i32) -> i32 {
        on_event(input_len, |event: &Event, out: &mut Writer| {
            out.begin_array();
            for path in ["/a~1b", "/m~0n", "/dup", "/arr/1", "/arr/01", "/arr/-", "", "x", "/~2", "/nope"] {
                match event.get(path) {
                    Some(v) => out.value(v),
                    None => out.null(),
                };
            }
            match event.get_in(Doc::Config, "/k") {
                Some(v) => out.value(v),
                None => out.null(),
            };
            match event.get_in(Doc::Postchange, "") {
                Some(v) => out.value(v),
                None => out.null(),
            };
            let whole = event.input()?;
            out.uint(whole.raw().len() as u64);
            out.end_array();
            Ok(())
        })
    }

    #[test]
    fn pointers() {
        let input = r#"{"a/b": 1, "m~n": 2, "dup": 3, "dup": 4, "arr": [5, 6]}"#;
        assert_eq!(
            testing::call(paths, input, r#"{"k": "v"}"#).as_deref(),
            Ok(r#"[1,2,4,6,null,null,{"a/b": 1, "m~n": 2, "dup": 3, "dup": 4, "arr": [5, 6]},null,null,null,"v",null,55]"#)
        );
    }

    #[test]
    fn negative_input_length() {
        let status = on_event(-1, |_: Value, _: &mut Writer| Ok(()));
        assert_eq!(status, 1);
        let status = on_event(-1, |_: &Event, _: &mut Writer| Ok(()));
        assert_eq!(status, 1);
    }

    #[test]
    fn config_is_read_once() {
        testing::call(wasmhook_on_event, "{}", r#"{"namespace":"a"}"#).unwrap();
        // A later call of the same instance keeps the first configuration.
        host::CALL.with(|c| c.borrow_mut().config = br#"{"namespace":"b"}"#.to_vec());
        assert_eq!(
            config()
                .unwrap()
                .get("namespace")
                .and_then(|v| v.as_str())
                .as_deref(),
            Some("a")
        );
    }

    #[test]
    fn log_goes_to_the_host() {
        log(Level::Warn, "hello");
        assert_eq!(
            [Level::Debug, Level::Info, Level::Warn, Level::Error].map(|l| l as i32),
            [-4, 0, 4, 8]
        );
    }
}
