;; field_probe: reads the path at "/path" (a string) and the document number at "/doc" (an integer) of its configuration with field reads, GETs the URL at "/url" first when there is one (no headers, no body; for document 4, the response's body), then looks that path up in that document with field_type, field_read and field_string, and outputs {"type":T,"read":N,"string":M,"value":<the raw value, or null>,"text":"<the decoded string>"} (text only when field_string found a string; it is written between quotes as it is, so tests use strings without quotes, backslashes or control characters in it).
(module
  (import "wasmhook_v1" "field_type" (func $field_type (param i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "field_read" (func $field_read (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "field_string" (func $field_string (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (import "wasmhook_v1" "http_request" (func $http_request (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "/path")            ;; 0, 5
  (data (i32.const 8) "/doc")             ;; 8, 4
  (data (i32.const 16) "{\"type\":")      ;; 16, 8
  (data (i32.const 32) ",\"read\":")      ;; 32, 8
  (data (i32.const 48) ",\"string\":")    ;; 48, 10
  (data (i32.const 64) ",\"value\":")     ;; 64, 9
  (data (i32.const 80) ",\"text\":\"")    ;; 80, 9
  (data (i32.const 96) "null")            ;; 96, 4
  (data (i32.const 104) "/url")           ;; 104, 4
  ;; Buffers: the path at 1024 (1 KiB), the document number's text at 2048,
  ;; the raw value at 4096 (16 KiB), the decoded string at 20480 (16 KiB),
  ;; the output at 40960, the URL at 57344 (8 KiB).
  (func (export "wasmhook_abi_v1"))

  ;; $copy copies $n bytes from $src to $dst and returns $dst + $n.
  (func $copy (param $dst i32) (param $src i32) (param $n i32) (result i32)
    (memory.copy (local.get $dst) (local.get $src) (local.get $n))
    (i32.add (local.get $dst) (local.get $n)))

  ;; $write_int writes $v in decimal at $dst and returns the end.
  (func $write_int (param $dst i32) (param $v i32) (result i32)
    (local $u i32) (local $len i32) (local $t i32) (local $i i32)
    (if (i32.lt_s (local.get $v) (i32.const 0))
      (then
        (i32.store8 (local.get $dst) (i32.const 45))
        (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
        (local.set $u (i32.sub (i32.const 0) (local.get $v))))
      (else (local.set $u (local.get $v))))
    ;; count the digits
    (local.set $t (local.get $u))
    (local.set $len (i32.const 1))
    (block $done
      (loop $count
        (br_if $done (i32.lt_u (local.get $t) (i32.const 10)))
        (local.set $t (i32.div_u (local.get $t) (i32.const 10)))
        (local.set $len (i32.add (local.get $len) (i32.const 1)))
        (br $count)))
    (local.set $i (local.get $len))
    (loop $digit
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (local.get $dst) (local.get $i))
        (i32.add (i32.const 48) (i32.rem_u (local.get $u) (i32.const 10))))
      (local.set $u (i32.div_u (local.get $u) (i32.const 10)))
      (br_if $digit (local.get $i)))
    (i32.add (local.get $dst) (local.get $len)))

  ;; $parse_int reads an optional '-' and decimal digits at $p ($n bytes).
  (func $parse_int (param $p i32) (param $n i32) (result i32)
    (local $v i32) (local $neg i32) (local $end i32) (local $c i32)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (if (i32.and (i32.gt_s (local.get $n) (i32.const 0)) (i32.eq (i32.load8_u (local.get $p)) (i32.const 45)))
      (then
        (local.set $neg (i32.const 1))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)))
        (br_if $done (i32.ge_u (local.get $c) (i32.const 10)))
        (local.set $v (i32.add (i32.mul (local.get $v) (i32.const 10)) (local.get $c)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (if (result i32) (local.get $neg)
      (then (i32.sub (i32.const 0) (local.get $v)))
      (else (local.get $v))))

  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (local $plen i32) (local $doc i32) (local $t i32) (local $n i32) (local $m i32) (local $o i32)
    (local.set $plen (call $field_string (i32.const 1) (i32.const 0) (i32.const 5) (i32.const 1024) (i32.const 1024)))
    (if (i32.lt_s (local.get $plen) (i32.const 0)) (then (local.set $plen (i32.const 0))))
    (local.set $n (call $field_read (i32.const 1) (i32.const 8) (i32.const 4) (i32.const 2048) (i32.const 16)))
    (if (i32.gt_s (local.get $n) (i32.const 0))
      (then (local.set $doc (call $parse_int (i32.const 2048) (local.get $n)))))
    (local.set $t (call $field_string (i32.const 1) (i32.const 104) (i32.const 4) (i32.const 57344) (i32.const 8192)))
    (if (i32.gt_s (local.get $t) (i32.const 0))
      (then (drop (call $http_request (i32.const 0) (i32.const 0) (i32.const 57344) (local.get $t)
        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))))
    (local.set $t (call $field_type (local.get $doc) (i32.const 1024) (local.get $plen)))
    (local.set $n (call $field_read (local.get $doc) (i32.const 1024) (local.get $plen) (i32.const 4096) (i32.const 16384)))
    (local.set $m (call $field_string (local.get $doc) (i32.const 1024) (local.get $plen) (i32.const 20480) (i32.const 16384)))
    (local.set $o (call $copy (i32.const 40960) (i32.const 16) (i32.const 8)))
    (local.set $o (call $write_int (local.get $o) (local.get $t)))
    (local.set $o (call $copy (local.get $o) (i32.const 32) (i32.const 8)))
    (local.set $o (call $write_int (local.get $o) (local.get $n)))
    (local.set $o (call $copy (local.get $o) (i32.const 48) (i32.const 10)))
    (local.set $o (call $write_int (local.get $o) (local.get $m)))
    (local.set $o (call $copy (local.get $o) (i32.const 64) (i32.const 9)))
    (if (i32.ge_s (local.get $n) (i32.const 0))
      (then (local.set $o (call $copy (local.get $o) (i32.const 4096) (local.get $n))))
      (else (local.set $o (call $copy (local.get $o) (i32.const 96) (i32.const 4)))))
    (if (i32.ge_s (local.get $m) (i32.const 0))
      (then
        (local.set $o (call $copy (local.get $o) (i32.const 80) (i32.const 9)))
        (local.set $o (call $copy (local.get $o) (i32.const 20480) (local.get $m)))
        (i32.store8 (local.get $o) (i32.const 34))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))))
    (i32.store8 (local.get $o) (i32.const 125))
    (local.set $o (i32.add (local.get $o) (i32.const 1)))
    (call $output_set (i32.const 40960) (i32.sub (local.get $o) (i32.const 40960)))
    (i32.const 0)))
