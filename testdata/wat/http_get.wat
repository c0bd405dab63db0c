;; http_get: reactor that GETs the URL its configuration names ({"url": ...}) with no headers and no body, reads the response's body, and outputs {"status":N,"bytes":M} (M the body's size; {"status":N} alone when N < 0): a lookup's cost, with nothing of the guest's own.
(module
  (import "wasmhook_v1" "field_string" (func $field_string (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "http_request" (func $http_request (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "http_response_read" (func $http_response_read (param i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "/url")                 ;; 4
  (data (i32.const 16) "{\"status\":")        ;; 10
  (data (i32.const 32) ",\"bytes\":")         ;; 9
  (global $o (mut i32) (i32.const 0))         ;; the output's end; it starts at 0x800
  (func (export "wasmhook_abi_v1"))
  (func $puts (param $p i32) (param $n i32)
    (memory.copy (global.get $o) (local.get $p) (local.get $n))
    (global.set $o (i32.add (global.get $o) (local.get $n))))
  (func $putc (param $c i32)
    (i32.store8 (global.get $o) (local.get $c))
    (global.set $o (i32.add (global.get $o) (i32.const 1))))
  ;; puti writes v in decimal, its digits made backwards below 0x7F0
  (func $puti (param $v i32) (local $p i32)
    (if (i32.lt_s (local.get $v) (i32.const 0))
      (then
        (call $putc (i32.const 45))
        (local.set $v (i32.sub (i32.const 0) (local.get $v)))))
    (local.set $p (i32.const 0x7F0))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $digit (local.get $v)))
    (call $puts (local.get $p) (i32.sub (i32.const 0x7F0) (local.get $p))))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (local $url i32) (local $status i32)
    (global.set $o (i32.const 0x800))
    (local.set $url (call $field_string (i32.const 1) (i32.const 0) (i32.const 4) (i32.const 0x100) (i32.const 1536)))
    (local.set $status (call $http_request
      (i32.const 0) (i32.const 0)
      (i32.const 0x100) (local.get $url)
      (i32.const 0) (i32.const 0)
      (i32.const 0) (i32.const 0)))
    (call $puts (i32.const 16) (i32.const 10))
    (call $puti (local.get $status))
    (if (i32.ge_s (local.get $status) (i32.const 0))
      (then
        (call $puts (i32.const 32) (i32.const 9))
        (call $puti (call $http_response_read (i32.const 0) (i32.const 0x1000) (i32.const 0xF000)))))
    (call $putc (i32.const 125))
    (call $output_set (i32.const 0x800) (i32.sub (global.get $o) (i32.const 0x800)))
    (i32.const 0)))
