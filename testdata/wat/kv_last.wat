;; kv_last: reactor that remembers the last event's data.name under the key "last": it reads the key (kv_get), then deletes it when the event's data.delete is true, else sets it to data.name's JSON text with a time to live of the config's "ttl" (a string of milliseconds; none: no expiry), and outputs {"get":N,"prev":VALUE,"op":M}: N the value's size or kv_get's negative status, VALUE the value read (null when none), M the status of kv_set or kv_delete.
(module
  (import "wasmhook_v1" "field_read" (func $field_read (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "field_string" (func $field_string (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "field_type" (func $field_type (param i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "kv_set" (func $kv_set (param i32 i32 i32 i32 i64) (result i32)))
  (import "wasmhook_v1" "kv_delete" (func $kv_delete (param i32 i32) (result i32)))
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "last")                 ;; 4
  (data (i32.const 16) "/data/name")          ;; 10
  (data (i32.const 32) "/data/delete")        ;; 12
  (data (i32.const 48) "/ttl")                ;; 4
  (data (i32.const 64) "{\"get\":")           ;; 7
  (data (i32.const 80) ",\"prev\":")          ;; 8
  (data (i32.const 96) ",\"op\":")            ;; 6
  (data (i32.const 112) "null")               ;; 4
  (global $o (mut i32) (i32.const 0))
  (func (export "wasmhook_abi_v1"))
  (func $puts (param $p i32) (param $n i32)
    (memory.copy (global.get $o) (local.get $p) (local.get $n))
    (global.set $o (i32.add (global.get $o) (local.get $n))))
  (func $putc (param $c i32)
    (i32.store8 (global.get $o) (local.get $c))
    (global.set $o (i32.add (global.get $o) (i32.const 1))))
  (func $puti (param $v i32) (local $p i32)
    (if (i32.lt_s (local.get $v) (i32.const 0))
      (then
        (call $putc (i32.const 45))
        (local.set $v (i32.sub (i32.const 0) (local.get $v)))))
    (local.set $p (i32.const 0x3FF0))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $digit (local.get $v)))
    (call $puts (local.get $p) (i32.sub (i32.const 0x3FF0) (local.get $p))))
  ;; ttl: the config's "ttl" digits at 0x300 as a number, 0 when none
  (func $ttl (result i64) (local $n i32) (local $i i32) (local $acc i64)
    (local.set $n (call $field_string (i32.const 1) (i32.const 48) (i32.const 4) (i32.const 0x300) (i32.const 20)))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i64.const 0))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 10))
          (i64.extend_i32_u (i32.sub (i32.load8_u offset=0x300 (local.get $i)) (i32.const 48)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (local $got i32) (local $op i32) (local $n i32)
    (global.set $o (i32.const 0x8000))
    (local.set $got (call $kv_get (i32.const 0) (i32.const 4) (i32.const 0x1000) (i32.const 0x1000)))
    (if (i32.eq (call $field_type (i32.const 0) (i32.const 32) (i32.const 12)) (i32.const 3))
      (then (local.set $op (call $kv_delete (i32.const 0) (i32.const 4))))
      (else
        (local.set $n (call $field_read (i32.const 0) (i32.const 16) (i32.const 10) (i32.const 0x2000) (i32.const 0x1000)))
        (local.set $op (call $kv_set (i32.const 0) (i32.const 4) (i32.const 0x2000) (local.get $n) (call $ttl)))))
    (call $puts (i32.const 64) (i32.const 7))
    (call $puti (local.get $got))
    (call $puts (i32.const 80) (i32.const 8))
    (if (i32.ge_s (local.get $got) (i32.const 0))
      (then (call $puts (i32.const 0x1000) (local.get $got)))
      (else (call $puts (i32.const 112) (i32.const 4))))
    (call $puts (i32.const 96) (i32.const 6))
    (call $puti (local.get $op))
    (call $putc (i32.const 125))
    (call $output_set (i32.const 0x8000) (i32.sub (global.get $o) (i32.const 0x8000)))
    (i32.const 0)))
