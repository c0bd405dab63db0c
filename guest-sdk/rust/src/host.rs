//! The host functions of ABI v1 (abi/SPEC.md, section 3).
//!
//! On wasm32 they are imports from `wasmhook_v1`; pointers and `usize` are
//! the ABI's `i32`. Elsewhere (unit tests, documentation builds) an
//! in-memory host with the same signatures stands in, driven by
//! [`crate::testing`].

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "wasmhook_v1")]
extern "C" {
    pub fn input_read(ptr: *mut u8, len: usize) -> usize;
    pub fn config_read(ptr: *mut u8, len: usize) -> usize;
    pub fn output_set(ptr: *const u8, len: usize);
    pub fn error_set(ptr: *const u8, len: usize);
    pub fn log(level: i32, ptr: *const u8, len: usize);
    pub fn field_read(doc: i32, path: *const u8, path_len: usize, ptr: *mut u8, len: usize) -> i32;
    #[allow(clippy::too_many_arguments)]
    pub fn http_request(
        method: *const u8,
        method_len: usize,
        url: *const u8,
        url_len: usize,
        headers: *const u8,
        headers_len: usize,
        body: *const u8,
        body_len: usize,
    ) -> i32;
    pub fn http_response_read(part: i32, ptr: *mut u8, len: usize) -> i32;
    pub fn kv_get(key: *const u8, key_len: usize, ptr: *mut u8, len: usize) -> i32;
    pub fn kv_set(key: *const u8, key_len: usize, value: *const u8, value_len: usize, ttl_ms: i64) -> i32;
    pub fn kv_delete(key: *const u8, key_len: usize) -> i32;
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::*;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::cell::RefCell;

    /// One simulated call: what the guest reads and what it sets.
    #[derive(Default)]
    pub struct Call {
        pub input: Vec<u8>,
        pub config: Vec<u8>,
        pub output: Vec<u8>,
        pub error: Option<Vec<u8>>,
    }

    /// What the stand-in for http_request answers: the request (method,
    /// URL, headers JSON, body) to a status and the response's headers JSON
    /// and body, or a negative status.
    pub type Fetch = Box<dyn Fn(&str, &str, &[u8], &[u8]) -> Result<(u16, Vec<u8>, Vec<u8>), i32>>;

    thread_local! {
        pub static CALL: RefCell<Call> = RefCell::new(Call::default());
        pub static FETCH: RefCell<Option<Fetch>> = RefCell::new(None);
        /// The call's last response (body, headers JSON); `None` before a
        /// request answered, after one failed and after the call.
        pub static RESPONSE: RefCell<Option<(Vec<u8>, Vec<u8>)>> = RefCell::new(None);
        pub static KV: RefCell<std::collections::HashMap<Vec<u8>, (Vec<u8>, Option<std::time::Instant>)>> =
            RefCell::new(std::collections::HashMap::new());
    }

    fn text(b: &[u8]) -> String {
        String::from_utf8_lossy(b).into_owned()
    }

    /// Answers with the function of [`crate::testing::set_fetch`]; without
    /// one every request is refused (-1), as a host without grants does.
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn http_request(
        method: *const u8,
        method_len: usize,
        url: *const u8,
        url_len: usize,
        headers: *const u8,
        headers_len: usize,
        body: *const u8,
        body_len: usize,
    ) -> i32 {
        let (m, u, h, b) = unsafe {
            (
                text(&bytes(method, method_len)),
                text(&bytes(url, url_len)),
                bytes(headers, headers_len),
                bytes(body, body_len),
            )
        };
        let m = if m.is_empty() { "GET".to_string() } else { m };
        let answer = FETCH.with(|f| match &*f.borrow() {
            Some(f) => f(&m, &u, &h, &b),
            None => Err(-1),
        });
        match answer {
            Ok((status, headers, body)) => {
                RESPONSE.with(|r| *r.borrow_mut() = Some((body, headers)));
                i32::from(status)
            }
            Err(status) => {
                RESPONSE.with(|r| *r.borrow_mut() = None);
                status
            }
        }
    }

    pub unsafe fn http_response_read(part: i32, ptr: *mut u8, len: usize) -> i32 {
        RESPONSE.with(|r| match (&*r.borrow(), part) {
            (None, _) => -6,
            (Some((body, _)), 0) => unsafe { read(body, ptr, len) as i32 },
            (Some((_, headers)), 1) => unsafe { read(headers, ptr, len) as i32 },
            _ => -5,
        })
    }

    pub unsafe fn kv_get(key: *const u8, key_len: usize, ptr: *mut u8, len: usize) -> i32 {
        let k = unsafe { bytes(key, key_len) };
        if k.is_empty() {
            return -5;
        }
        KV.with(|kv| {
            let mut kv = kv.borrow_mut();
            match kv.get(&k) {
                Some((v, until)) if until.map_or(true, |t| std::time::Instant::now() < t) => unsafe {
                    read(v, ptr, len) as i32
                },
                Some(_) => {
                    kv.remove(&k);
                    -7
                }
                None => -7,
            }
        })
    }

    pub unsafe fn kv_set(key: *const u8, key_len: usize, value: *const u8, value_len: usize, ttl_ms: i64) -> i32 {
        let (k, v) = unsafe { (bytes(key, key_len), bytes(value, value_len)) };
        if k.is_empty() || ttl_ms < 0 {
            return -5;
        }
        let until = if ttl_ms > 0 {
            Some(std::time::Instant::now() + std::time::Duration::from_millis(ttl_ms as u64))
        } else {
            None
        };
        KV.with(|kv| kv.borrow_mut().insert(k, (v, until)));
        0
    }

    pub unsafe fn kv_delete(key: *const u8, key_len: usize) -> i32 {
        let k = unsafe { bytes(key, key_len) };
        if k.is_empty() {
            return -5;
        }
        KV.with(|kv| kv.borrow_mut().remove(&k));
        0
    }

    /// Copies `min(len, src.len())` bytes to `ptr` and returns `src.len()`,
    /// as the host does.
    unsafe fn read(src: &[u8], ptr: *mut u8, len: usize) -> usize {
        let n = src.len().min(len);
        if n > 0 {
            // SAFETY: the caller passes a buffer of at least `len` bytes.
            unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), ptr, n) };
        }
        src.len()
    }

    /// The `len` bytes at `ptr`, copied.
    unsafe fn bytes(ptr: *const u8, len: usize) -> Vec<u8> {
        if len == 0 {
            return Vec::new();
        }
        // SAFETY: the caller passes `len` readable bytes at `ptr`.
        unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec()
    }

    pub unsafe fn input_read(ptr: *mut u8, len: usize) -> usize {
        CALL.with(|c| unsafe { read(&c.borrow().input, ptr, len) })
    }

    pub unsafe fn config_read(ptr: *mut u8, len: usize) -> usize {
        CALL.with(|c| unsafe { read(&c.borrow().config, ptr, len) })
    }

    pub unsafe fn output_set(ptr: *const u8, len: usize) {
        let b = unsafe { bytes(ptr, len) };
        CALL.with(|c| c.borrow_mut().output = b);
    }

    pub unsafe fn error_set(ptr: *const u8, len: usize) {
        let b = unsafe { bytes(ptr, len) };
        CALL.with(|c| c.borrow_mut().error = Some(b));
    }

    /// Looks a JSON Pointer up as the host does (the last of duplicate
    /// keys wins), in the input, the configuration (the snapshots are null)
    /// or the last response's body (-6 without one, -7 when it is not JSON),
    /// with the SDK's reader.
    pub unsafe fn field_read(doc: i32, path: *const u8, path_len: usize, ptr: *mut u8, len: usize) -> i32 {
        let path = unsafe { bytes(path, path_len) };
        let found = |v: crate::json::Value<'_>| match pointer(v, &path) {
            Ok(v) => unsafe { read(v.raw(), ptr, len) as i32 },
            Err(status) => status,
        };
        if doc == 4 {
            return RESPONSE.with(|r| match &*r.borrow() {
                None => -6,
                Some((body, _)) => match crate::json::Value::parse(body) {
                    Ok(v) => found(v),
                    Err(_) => -7,
                },
            });
        }
        CALL.with(|c| {
            let c = c.borrow();
            let text: &[u8] = match doc {
                0 => &c.input,
                1 => &c.config,
                2 | 3 => b"null",
                _ => return -4,
            };
            found(crate::json::Value::trusted(text))
        })
    }

    /// Follows a JSON Pointer (RFC 6901) from `v`: the value, or -1 (none)
    /// or -3 (not a pointer).
    fn pointer<'a>(mut v: crate::json::Value<'a>, path: &[u8]) -> Result<crate::json::Value<'a>, i32> {
        let path = std::str::from_utf8(path).map_err(|_| -1)?;
        if path.is_empty() {
            return Ok(v);
        }
        if !path.starts_with('/') {
            return Err(-3);
        }
        let segs: Vec<&str> = path[1..].split('/').collect();
        for seg in &segs {
            let b = seg.as_bytes();
            for i in 0..b.len() {
                if b[i] == b'~' && !matches!(b.get(i + 1), Some(b'0') | Some(b'1')) {
                    return Err(-3);
                }
            }
        }
        for seg in segs {
            let key = seg.replace("~1", "/").replace("~0", "~");
            v = match v.kind() {
                crate::json::Kind::Object => v.get(&key).ok_or(-1)?,
                crate::json::Kind::Array => {
                    let canonical = !key.is_empty()
                        && key.bytes().all(|c| c.is_ascii_digit())
                        && (key == "0" || !key.starts_with('0'));
                    let n: usize = if canonical { key.parse().map_err(|_| -1)? } else { return Err(-1) };
                    v.index(n).ok_or(-1)?
                }
                _ => return Err(-1),
            };
        }
        Ok(v)
    }

    pub unsafe fn log(level: i32, ptr: *const u8, len: usize) {
        let b = unsafe { bytes(ptr, len) };
        eprintln!(
            "wasmhook log level {}: {}",
            level,
            String::from_utf8_lossy(&b)
        );
    }
}
