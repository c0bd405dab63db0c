;; http_fetch: reactor that makes the HTTP request its configuration names ({"url": ..., "method": ..., "headers": {...}}, method and headers optional) and outputs {"status":N} for a refusal or failure (N the negative status), else {"status":N,"headers":{...},"body":BODY} with the response's headers and its body, which must be JSON.
(module
  (import "wasmhook_v1" "field_string" (func $field_string (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "field_read" (func $field_read (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "http_request" (func $http_request (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "http_response_read" (func $http_response_read (param i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 3)
  (data (i32.const 0) "/url")                 ;; 4
  (data (i32.const 16) "/headers")            ;; 8
  (data (i32.const 32) "/method")             ;; 7
  (data (i32.const 48) "{\"status\":")        ;; 10
  (data (i32.const 64) ",\"headers\":")       ;; 11
  (data (i32.const 80) ",\"body\":")          ;; 8
  (global $o (mut i32) (i32.const 0))         ;; the output's end; it starts at 0x10000
  (func (export "wasmhook_abi_v1"))
  (func $puts (param $p i32) (param $n i32)
    (memory.copy (global.get $o) (local.get $p) (local.get $n))
    (global.set $o (i32.add (global.get $o) (local.get $n))))
  (func $putc (param $c i32)
    (i32.store8 (global.get $o) (local.get $c))
    (global.set $o (i32.add (global.get $o) (i32.const 1))))
  ;; puti writes v in decimal, its digits made backwards below 0x3FF0
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
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (local $url i32) (local $hdr i32) (local $method i32) (local $status i32) (local $n i32)
    (global.set $o (i32.const 0x10000))
    (local.set $url (call $field_string (i32.const 1) (i32.const 0) (i32.const 4) (i32.const 0x100) (i32.const 2048)))
    (local.set $hdr (call $field_read (i32.const 1) (i32.const 16) (i32.const 8) (i32.const 0x1000) (i32.const 4096)))
    (if (i32.lt_s (local.get $hdr) (i32.const 0)) (then (local.set $hdr (i32.const 0))))
    (local.set $method (call $field_string (i32.const 1) (i32.const 32) (i32.const 7) (i32.const 0x2000) (i32.const 16)))
    (if (i32.lt_s (local.get $method) (i32.const 0)) (then (local.set $method (i32.const 0))))
    (local.set $status (call $http_request
      (i32.const 0x2000) (local.get $method)
      (i32.const 0x100) (local.get $url)
      (i32.const 0x1000) (local.get $hdr)
      (i32.const 0) (i32.const 0)))
    (call $puts (i32.const 48) (i32.const 10))
    (call $puti (local.get $status))
    (if (i32.ge_s (local.get $status) (i32.const 0))
      (then
        (local.set $n (call $http_response_read (i32.const 1) (i32.const 0x3000) (i32.const 4096)))
        (call $puts (i32.const 64) (i32.const 11))
        (call $puts (i32.const 0x3000) (local.get $n))
        (local.set $n (call $http_response_read (i32.const 0) (i32.const 0x4000) (i32.const 0xC000)))
        (call $puts (i32.const 80) (i32.const 8))
        (call $puts (i32.const 0x4000) (local.get $n))))
    (call $putc (i32.const 125))
    (call $output_set (i32.const 0x10000) (i32.sub (global.get $o) (i32.const 0x10000)))
    (i32.const 0)))
