;; site_status: the example plugin of examples/README.md, written by hand as an
;; ABI v1 reactor (abi/SPEC.md) on field reads, with no SDK and no WASI. For a
;; NetBox event it outputs
;;
;;   {"site_status":"active","name_len":10}
;;
;; nested under the configuration's "namespace" string when there is one.
;;
;; How it works: the host looks each path up (field_read, field_string) and
;; hands over one value; the input is never copied into the module. The
;; site_status token is read straight into the output; data.name is read
;; decoded (escapes resolved) and its code points are counted on the UTF-8
;; bytes. The namespace is read decoded from the configuration on the first
;; event, and the `{"<namespace>":` prefix it gives is kept for later events.
;; Paths start at the top of the input, so /data/name is data's own member,
;; never one inside data.tags[0] or data.custom_fields; the host compares keys
;; after decoding their escapes and takes the last of duplicate keys.
;;
;; site_status_scan.wat is the same plugin reading the whole input with
;; input_read and scanning it.
;;
;; Build: wat2wasm site_status.wat -o site_status.wasm
;;
;; Memory layout (offsets in bytes):
;;   0    .. 127   constant strings (the data segments below)
;;   1024 ..       the output: it starts with the namespace prefix `{"<ns>":`
;;                 (empty without a namespace), built once; then data.name
;;                 decoded, after the output
;; Memory grows to fit what an event needs; an instance reuses it.
(module
  (import "wasmhook_v1" "field_read" (func $field_read (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "field_string" (func $field_string (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (import "wasmhook_v1" "error_set" (func $error_set (param i32 i32)))

  (memory (export "memory") 1)

  (data (i32.const 0) "0123456789abcdef")      ;; 0, 16: hex digits, lowercase
  (data (i32.const 16) "/data/status/value")   ;; 16, 18
  (data (i32.const 48) "/data/name")           ;; 48, 10
  (data (i32.const 64) "/namespace")           ;; 64, 10
  (data (i32.const 80) "\"site_status\":")     ;; 80, 14
  (data (i32.const 96) "\"name_len\":")        ;; 96, 11
  (data (i32.const 112) "site_status: out of memory")  ;; 112, 26

  ;; The documents of the field reads.
  (global $doc_input i32 (i32.const 0))
  (global $doc_config i32 (i32.const 1))
  ;; $configured is 1 once the prefix is built.
  (global $configured (mut i32) (i32.const 0))
  ;; $prefix_len is the length of `{"<ns>":` at 1024, 0 without a namespace.
  (global $prefix_len (mut i32) (i32.const 0))

  (func (export "wasmhook_abi_v1"))

  ;; $fail sets the call's error message to the $len bytes at $msg and
  ;; returns the failure status 1.
  (func $fail (param $msg i32) (param $len i32) (result i32)
    (call $error_set (local.get $msg) (local.get $len))
    (i32.const 1))

  ;; $ensure grows memory so that addresses below $end exist, and tells
  ;; whether it could (the host refuses growth past the module's memory
  ;; limit). $end is an i64 so that sizes near 4 GiB cannot wrap around.
  (func $ensure (param $end i64) (result i32)
    (local $pages i32)
    (if (i64.gt_u (local.get $end) (i64.const 0x100000000)) (then (return (i32.const 0))))
    (local.set $pages (i32.wrap_i64 (i64.shr_u (i64.add (local.get $end) (i64.const 0xffff)) (i64.const 16))))
    (if (i32.le_u (local.get $pages) (memory.size)) (then (return (i32.const 1))))
    (i32.ne (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1)))

  ;; $room returns the bytes of memory from $p to its end.
  (func $room (param $p i32) (result i32)
    (i32.sub (i32.shl (memory.size) (i32.const 16)) (local.get $p)))

  ;; $read looks the $path_len-byte path at $path up in document $doc and
  ;; copies the value to $dst with $fn (0: field_read, its JSON text; 1:
  ;; field_string, decoded), growing memory when the value does not fit in
  ;; what is left of it. It returns the value's size, a negative status (no
  ;; such value, not a string), or -100 when memory cannot grow.
  (func $read (param $fn i32) (param $doc i32) (param $path i32) (param $path_len i32) (param $dst i32) (result i32)
    (local $n i32)
    (local.set $n (call $read_once (local.get $fn) (local.get $doc) (local.get $path) (local.get $path_len) (local.get $dst)))
    (if (i32.gt_s (local.get $n) (call $room (local.get $dst)))
      (then
        (if (i32.eqz (call $ensure (i64.add (i64.extend_i32_u (local.get $dst)) (i64.extend_i32_u (local.get $n)))))
          (then (return (i32.const -100))))
        (local.set $n (call $read_once (local.get $fn) (local.get $doc) (local.get $path) (local.get $path_len) (local.get $dst)))))
    (local.get $n))

  (func $read_once (param $fn i32) (param $doc i32) (param $path i32) (param $path_len i32) (param $dst i32) (result i32)
    (if (result i32) (local.get $fn)
      (then (call $field_string (local.get $doc) (local.get $path) (local.get $path_len) (local.get $dst) (call $room (local.get $dst))))
      (else (call $field_read (local.get $doc) (local.get $path) (local.get $path_len) (local.get $dst) (call $room (local.get $dst))))))

  ;; $configure builds the prefix `{"<ns>":` at 1024 when the configuration
  ;; has a string member "namespace": the namespace is read decoded, after
  ;; the room the prefix may take (6 bytes per byte, for \u00XX), and
  ;; written again as a JSON string: " and \ with a backslash, control
  ;; characters as \u00XX (lowercase hex), everything else as raw UTF-8.
  ;; It returns the status: 0, or 1 when memory cannot grow.
  (func $configure (result i32)
    (local $n i32) (local $src i32) (local $end i32) (local $o i32) (local $c i32)
    (local.set $n (call $field_string (global.get $doc_config) (i32.const 64) (i32.const 10) (i32.const 0) (i32.const 0)))
    (if (i32.ge_s (local.get $n) (i32.const 0))
      (then
        (local.set $src (i32.add (i32.const 1028) (i32.mul (local.get $n) (i32.const 6))))
        (if (i32.eqz (call $ensure (i64.add (i64.extend_i32_u (local.get $src)) (i64.extend_i32_u (local.get $n)))))
          (then (return (call $fail (i32.const 112) (i32.const 26)))))
        (drop (call $field_string (global.get $doc_config) (i32.const 64) (i32.const 10) (local.get $src) (local.get $n)))
        (local.set $end (i32.add (local.get $src) (local.get $n)))
        (i32.store16 (i32.const 1024) (i32.const 0x227b)) ;; {"
        (local.set $o (i32.const 1026))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
            (local.set $c (i32.load8_u (local.get $src)))
            (if (i32.or (i32.eq (local.get $c) (i32.const 0x22)) (i32.eq (local.get $c) (i32.const 0x5c)))
              (then
                (i32.store8 (local.get $o) (i32.const 0x5c))
                (local.set $o (i32.add (local.get $o) (i32.const 1)))))
            (if (i32.lt_u (local.get $c) (i32.const 0x20))
              (then
                ;; "\u00" (stored as one little-endian word), then two
                ;; digits from the hex table at address 0.
                (i32.store (local.get $o) (i32.const 0x3030755c))
                (i32.store8 offset=4 (local.get $o) (i32.load8_u (i32.shr_u (local.get $c) (i32.const 4))))
                (i32.store8 offset=5 (local.get $o) (i32.load8_u (i32.and (local.get $c) (i32.const 0x0f))))
                (local.set $o (i32.add (local.get $o) (i32.const 6))))
              (else
                (i32.store8 (local.get $o) (local.get $c))
                (local.set $o (i32.add (local.get $o) (i32.const 1)))))
            (local.set $src (i32.add (local.get $src) (i32.const 1)))
            (br $next)))
        (i32.store16 (local.get $o) (i32.const 0x3a22)) ;; ":
        (global.set $prefix_len (i32.sub (i32.add (local.get $o) (i32.const 2)) (i32.const 1024)))))
    (global.set $configured (i32.const 1))
    (i32.const 0))

  ;; $write_decimal writes $v in decimal at $dst and returns the end.
  (func $write_decimal (param $dst i32) (param $v i32) (result i32)
    (local $len i32) (local $t i32)
    (local.set $t (local.get $v))
    (local.set $len (i32.const 1))
    (block $counted
      (loop $count
        (br_if $counted (i32.lt_u (local.get $t) (i32.const 10)))
        (local.set $t (i32.div_u (local.get $t) (i32.const 10)))
        (local.set $len (i32.add (local.get $len) (i32.const 1)))
        (br $count)))
    (local.set $t (i32.add (local.get $dst) (local.get $len)))
    (loop $digit
      (local.set $t (i32.sub (local.get $t) (i32.const 1)))
      (i32.store8 (local.get $t) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $digit (i32.gt_u (local.get $t) (local.get $dst))))
    (i32.add (local.get $dst) (local.get $len)))

  ;; $count_codepoints counts the code points of the $n bytes of UTF-8 at
  ;; $p: every byte that is not a continuation byte (10xxxxxx).
  (func $count_codepoints (param $p i32) (param $n i32) (result i32)
    (local $end i32) (local $count i32)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $count (i32.add (local.get $count)
          (i32.ne (i32.and (i32.load8_u (local.get $p)) (i32.const 0xc0)) (i32.const 0x80))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (local.get $count))

  ;; wasmhook_on_event: [prefix] {["site_status":<token>][,]["name_len":<n>]} [}]
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (local $o i32) (local $n i32) (local $status i32) (local $name i32)
    (if (i32.eqz (global.get $configured))
      (then (if (call $configure) (then (return (i32.const 1))))))
    ;; The output: the prefix (in place at 1024), '{', then the status
    ;; token read after its key, where it stays if it is a string.
    (local.set $o (i32.add (i32.const 1024) (global.get $prefix_len)))
    (if (i32.eqz (call $ensure (i64.extend_i32_u (i32.add (local.get $o) (i32.const 64)))))
      (then (return (call $fail (i32.const 112) (i32.const 26)))))
    (i32.store8 (local.get $o) (i32.const 0x7b))
    (local.set $o (i32.add (local.get $o) (i32.const 1)))
    (local.set $n (call $read (i32.const 0) (global.get $doc_input) (i32.const 16) (i32.const 18) (i32.add (local.get $o) (i32.const 14))))
    (if (i32.eq (local.get $n) (i32.const -100)) (then (return (call $fail (i32.const 112) (i32.const 26)))))
    (if (i32.gt_s (local.get $n) (i32.const 0))
      (then
        (if (i32.eq (i32.load8_u offset=14 (local.get $o)) (i32.const 0x22))
          (then
            (memory.copy (local.get $o) (i32.const 80) (i32.const 14))
            (local.set $o (i32.add (local.get $o) (i32.add (i32.const 14) (local.get $n))))
            (local.set $status (i32.const 1))))))
    ;; data.name, decoded after room for `,"name_len":` and ten digits.
    (local.set $name (i32.add (local.get $o) (i32.const 32)))
    (if (i32.eqz (call $ensure (i64.extend_i32_u (local.get $name))))
      (then (return (call $fail (i32.const 112) (i32.const 26)))))
    (local.set $n (call $read (i32.const 1) (global.get $doc_input) (i32.const 48) (i32.const 10) (local.get $name)))
    (if (i32.eq (local.get $n) (i32.const -100)) (then (return (call $fail (i32.const 112) (i32.const 26)))))
    (if (i32.ge_s (local.get $n) (i32.const 0))
      (then
        (if (local.get $status)
          (then
            (i32.store8 (local.get $o) (i32.const 0x2c))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))))
        (memory.copy (local.get $o) (i32.const 96) (i32.const 11))
        (local.set $o (call $write_decimal (i32.add (local.get $o) (i32.const 11))
          (call $count_codepoints (local.get $name) (local.get $n))))))
    (i32.store8 (local.get $o) (i32.const 0x7d))
    (local.set $o (i32.add (local.get $o) (i32.const 1)))
    (if (global.get $prefix_len)
      (then
        (i32.store8 (local.get $o) (i32.const 0x7d))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))))
    (call $output_set (i32.const 1024) (i32.sub (local.get $o) (i32.const 1024)))
    (i32.const 0)))
