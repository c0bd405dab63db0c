;; range_probe: reactor with 1 page that calls one wasmhook_v1 function with the (ptr, len) its configuration names: the first four numbers in the config are fn (1 input_read, 2 config_read, 3 output_set, 4 error_set, 5 log; field reads of the input, where the other range is empty: 6 field_type's path, 7 field_read's path, 8 field_read's buffer, 9 field_string's path, 10 field_string's buffer), ptr, len, and how many 1 KiB log lines to write first; then outputs {"probed":true}.
(module
  (import "wasmhook_v1" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "wasmhook_v1" "config_read" (func $config_read (param i32 i32) (result i32)))
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (import "wasmhook_v1" "error_set" (func $error_set (param i32 i32)))
  (import "wasmhook_v1" "log" (func $log (param i32 i32 i32)))
  (import "wasmhook_v1" "field_type" (func $field_type (param i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "field_read" (func $field_read (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "field_string" (func $field_string (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"probed\":true}") ;; 15 bytes
  (func (export "wasmhook_abi_v1"))
  ;; parse reads the decimal numbers in the config bytes at 1024 (len bytes)
  ;; into i64s at 2048, 2056, ...
  (func $parse (param $len i32)
    (local $i i32) (local $c i32) (local $n i32) (local $acc i64) (local $in i32)
    (memory.fill (i32.const 2048) (i32.const 0) (i32.const 64))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $c (i32.sub (i32.load8_u offset=1024 (local.get $i)) (i32.const 48)))
        (if (i32.lt_u (local.get $c) (i32.const 10))
          (then
            (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 10)) (i64.extend_i32_u (local.get $c))))
            (local.set $in (i32.const 1)))
          (else
            (if (i32.and (local.get $in) (i32.lt_u (local.get $n) (i32.const 8)))
              (then
                (i64.store offset=2048 (i32.shl (local.get $n) (i32.const 3)) (local.get $acc))
                (local.set $n (i32.add (local.get $n) (i32.const 1)))))
            (local.set $acc (i64.const 0))
            (local.set $in (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (local $fn i32) (local $ptr i32) (local $len i32) (local $k i32) (local $clen i32)
    (local.set $clen (call $config_read (i32.const 1024) (i32.const 1024)))
    (if (i32.gt_u (local.get $clen) (i32.const 1024)) (then (local.set $clen (i32.const 1024))))
    (call $parse (local.get $clen))
    (local.set $fn (i32.wrap_i64 (i64.load (i32.const 2048))))
    (local.set $ptr (i32.wrap_i64 (i64.load (i32.const 2056))))
    (local.set $len (i32.wrap_i64 (i64.load (i32.const 2064))))
    (local.set $k (i32.wrap_i64 (i64.load (i32.const 2072))))
    (memory.fill (i32.const 4096) (i32.const 120) (i32.const 1024)) ;; 1 KiB of 'x' at 4096
    (block $filled
      (loop $fill
        (br_if $filled (i32.eqz (local.get $k)))
        (call $log (i32.const 0) (i32.const 4096) (i32.const 1024))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $fill)))
    (if (i32.eq (local.get $fn) (i32.const 1)) (then (drop (call $input_read (local.get $ptr) (local.get $len)))))
    (if (i32.eq (local.get $fn) (i32.const 2)) (then (drop (call $config_read (local.get $ptr) (local.get $len)))))
    (if (i32.eq (local.get $fn) (i32.const 3))
      (then
        (call $output_set (local.get $ptr) (local.get $len))
        (return (i32.const 0))))
    (if (i32.eq (local.get $fn) (i32.const 4)) (then (call $error_set (local.get $ptr) (local.get $len))))
    (if (i32.eq (local.get $fn) (i32.const 5)) (then (call $log (i32.const 0) (local.get $ptr) (local.get $len))))
    (if (i32.eq (local.get $fn) (i32.const 6)) (then (drop (call $field_type (i32.const 0) (local.get $ptr) (local.get $len)))))
    (if (i32.eq (local.get $fn) (i32.const 7)) (then (drop (call $field_read (i32.const 0) (local.get $ptr) (local.get $len) (i32.const 0) (i32.const 0)))))
    (if (i32.eq (local.get $fn) (i32.const 8)) (then (drop (call $field_read (i32.const 0) (i32.const 0) (i32.const 0) (local.get $ptr) (local.get $len)))))
    (if (i32.eq (local.get $fn) (i32.const 9)) (then (drop (call $field_string (i32.const 0) (local.get $ptr) (local.get $len) (i32.const 0) (i32.const 0)))))
    (if (i32.eq (local.get $fn) (i32.const 10)) (then (drop (call $field_string (i32.const 0) (i32.const 0) (i32.const 0) (local.get $ptr) (local.get $len)))))
    (call $output_set (i32.const 0) (i32.const 15))
    (i32.const 0)))
