;; sleep_config: reactor that sleeps for the milliseconds its configuration's first number gives (poll_oneoff on the monotonic clock), then outputs the configuration verbatim.
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "config_read" (func $config_read (param i32 i32) (result i32)))
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (local $len i32) (local $i i32) (local $c i32) (local $ms i64) (local $seen i32)
    (local $start i64) (local $left i64)
    ;; the configuration at 1024 (at most 60 KiB)
    (local.set $len (call $config_read (i32.const 0) (i32.const 0)))
    (if (i32.gt_u (local.get $len) (i32.const 61440)) (then unreachable))
    (drop (call $config_read (i32.const 1024) (local.get $len)))
    ;; its first run of decimal digits, as milliseconds
    (block $done
      (loop $scan
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $c (i32.load8_u (i32.add (i32.const 1024) (local.get $i))))
        (if (i32.and (i32.ge_u (local.get $c) (i32.const 48)) (i32.le_u (local.get $c) (i32.const 57)))
          (then
            (local.set $seen (i32.const 1))
            (local.set $ms (i64.add (i64.mul (local.get $ms) (i64.const 10))
              (i64.extend_i32_u (i32.sub (local.get $c) (i32.const 48))))))
          (else (br_if $done (local.get $seen))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    ;; subscription (48 bytes) at 64: userdata 0, tag 0 (clock), clock id 1
    ;; (monotonic) at +16, relative timeout at +24; event at 128, count at 160;
    ;; clock readings at 0 (start) and 8 (now). Sleep until the clock says
    ;; the time has passed (a sleep may end early).
    (drop (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 0)))
    (local.set $start (i64.load (i32.const 0)))
    (local.set $left (i64.mul (local.get $ms) (i64.const 1000000)))
    (block $slept
      (loop $sleep
        (br_if $slept (i64.le_s (local.get $left) (i64.const 0)))
        (memory.fill (i32.const 64) (i32.const 0) (i32.const 48))
        (i32.store (i32.const 80) (i32.const 1))
        (i64.store (i32.const 88) (local.get $left))
        (drop (call $poll_oneoff (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 160)))
        (drop (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 8)))
        (local.set $left (i64.sub (i64.mul (local.get $ms) (i64.const 1000000))
          (i64.sub (i64.load (i32.const 8)) (local.get $start))))
        (br $sleep)))
    (call $output_set (i32.const 1024) (local.get $len))
    (i32.const 0)))
