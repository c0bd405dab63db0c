;; command_stderr_tail: WASI command that writes 20 KiB of 'x' lines to stderr (more than the 16 KiB log limit), then "fatal: the real reason" on a last line, then proc_exit(3).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 512) "fatal: the real reason\n") ;; 23 bytes
  ;; iovecs {ptr, len}: filler {1024, 1024} at 16, last line {512, 23} at 24; nwritten at 32
  (data (i32.const 16) "\00\04\00\00\00\04\00\00" "\00\02\00\00\17\00\00\00")
  (func (export "wasmhook_abi_v1"))
  (func (export "_start")
    (local $i i32)
    (memory.fill (i32.const 1024) (i32.const 120) (i32.const 1023)) ;; 1023 'x' and a newline
    (i32.store8 (i32.const 2047) (i32.const 10))
    (loop $filler
      (drop (call $fd_write (i32.const 2) (i32.const 16) (i32.const 1) (i32.const 32)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $filler (i32.lt_u (local.get $i) (i32.const 20))))
    (drop (call $fd_write (i32.const 2) (i32.const 24) (i32.const 1) (i32.const 32)))
    (call $proc_exit (i32.const 3))))
