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

    thread_local! {
        pub static CALL: RefCell<Call> = RefCell::new(Call::default());
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

    pub unsafe fn log(level: i32, ptr: *const u8, len: usize) {
        let b = unsafe { bytes(ptr, len) };
        eprintln!(
            "wasmhook log level {}: {}",
            level,
            String::from_utf8_lossy(&b)
        );
    }
}
