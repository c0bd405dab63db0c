;; poll_sleep: reactor that sleeps with poll_oneoff (1 s clock subscriptions) until clock_time_get says 10 s passed; the time limit must stop it.
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "{\"slept\":true}")
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (local $start i64)
    ;; subscription (48 bytes) at 64: userdata u64 @+0 = 0, tag u8 @+8 = 0 (clock),
    ;; clock id u32 @+16 = 1 (monotonic), timeout u64 @+24 = 1e9 ns (relative), precision u64 @+32 = 0, flags u16 @+40 = 0
    (memory.fill (i32.const 64) (i32.const 0) (i32.const 48))
    (i32.store (i32.const 80) (i32.const 1))
    (i64.store (i32.const 88) (i64.const 1000000000))
    ;; event out (32 bytes) at 128, nevents at 160, timestamps at 0 (start) and 8 (now)
    (drop (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 0)))
    (local.set $start (i64.load (i32.const 0)))
    (loop $sleep
      (drop (call $poll_oneoff (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 160)))
      (drop (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 8)))
      (br_if $sleep (i64.lt_u (i64.sub (i64.load (i32.const 8)) (local.get $start)) (i64.const 10000000000))))
    (call $output_set (i32.const 1024) (i32.const 14))
    (i32.const 0)))
