;; rust_panic: reactor that writes a Rust 1.63 panic message to stderr, as Rust's std does, then traps with unreachable (Rust's abort).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "thread '<unnamed>' panicked at 'index out of bounds: the len is 3 but the index is 5', src/lib.rs:6:37\0anote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\0a")
  (data (i32.const 0) "\00\04\00\00\b5\00\00\00") ;; iovec {1024, 181}; nwritten at 32
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param i32) (result i32)
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 32)))
    unreachable))
