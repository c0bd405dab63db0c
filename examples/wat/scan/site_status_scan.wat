;; site_status_scan: the example plugin of examples/README.md, written by hand as an
;; ABI v1 reactor (abi/SPEC.md), with no SDK and no WASI. For a NetBox event it
;; outputs
;;
;;   {"site_status":"active","name_len":10}
;;
;; nested under the configuration's "namespace" string when there is one.
;;
;; How it works: one input_read copies the event into memory; a small JSON
;; scanner walks the top-level object (checking that the whole input is valid
;; JSON on the way), then the members of data and of data.status. The
;; site_status token is copied byte for byte; the code points of data.name are
;; counted without decoding the string into a buffer. The configuration is
;; read on the first event only: the `{"<namespace>":` prefix it gives is kept
;; in memory for later events. The output is built after the input and set
;; with one output_set.
;;
;; Keys are compared after decoding their escapes, so "n\u0061me" is "name".
;; A key that appears twice counts with its last value, as in encoding/json
;; (and the conformance test's reference).
;;
;; Speed: the host stops a guest at its deadline by a check that wazero runs
;; on every loop iteration, and that check costs far more than the loop's own
;; work (tens of nanoseconds). So the scanner keeps iterations few: it looks
;; at 16 bytes at a time in strings and numbers (with SIMD instructions),
;; and short strings, scalars, single spaces and key comparisons mostly take
;; no loop at all.
;;
;; Build: wat2wasm site_status_scan.wat -o site_status_scan.wasm
;;
;; Memory layout (offsets in bytes):
;;   0    .. 229   constant strings (the data segments below)
;;   240  .. 250   scratch for $write_decimal
;;   1024 .. 2024  $skip_value's nesting stack: one byte, '{' or '[', per
;;                 open container
;;   2048 ..       the namespace prefix `{"<ns>":` (empty without a
;;                 namespace), then the input, then the output
;; Memory grows to fit the largest input seen; an instance serves many events
;; and reuses it. At least 16 bytes of memory follow any text being scanned,
;; so that a 16-byte load at a position before its end stays in memory.
(module
  (import "wasmhook_v1" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "wasmhook_v1" "config_read" (func $config_read (param i32 i32) (result i32)))
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (import "wasmhook_v1" "error_set" (func $error_set (param i32 i32)))

  (memory (export "memory") 1)

  (data (i32.const 0) "0123456789abcdef")   ;; 0, 16: hex digits, lowercase
  (data (i32.const 16) "true")              ;; 16, 4
  (data (i32.const 20) "false")             ;; 20, 5
  (data (i32.const 25) "null")              ;; 25, 4
  (data (i32.const 32) "data")              ;; 32, 4
  (data (i32.const 36) "status")            ;; 36, 6
  (data (i32.const 42) "value")             ;; 42, 5
  (data (i32.const 47) "name")              ;; 47, 4
  (data (i32.const 51) "namespace")         ;; 51, 9
  (data (i32.const 64) "\"site_status\":")  ;; 64, 14
  (data (i32.const 80) "\"name_len\":")     ;; 80, 11
  (data (i32.const 96) "site_status: out of memory")  ;; 96, 26
  (data (i32.const 128) "site_status: input is not a valid JSON object")  ;; 128, 45
  (data (i32.const 176) "site_status: configuration is not a valid JSON object")  ;; 176, 53

  ;; $end is the end of the text being scanned (the input, or the
  ;; configuration while it is loaded): nothing at or past it is read as text.
  (global $end (mut i32) (i32.const 0))
  ;; $find_members' results: where the values of the members it looked for
  ;; start, or 0.
  (global $found_a (mut i32) (i32.const 0))
  (global $found_b (mut i32) (i32.const 0))
  ;; $have_config is 1 once the configuration has been read and the prefix
  ;; built; until then (and after a bad configuration) every event tries again.
  (global $have_config (mut i32) (i32.const 0))
  ;; $prefix_len is the length of `{"<ns>":` at 2048, 0 without a namespace.
  (global $prefix_len (mut i32) (i32.const 0))

  (func (export "wasmhook_abi_v1"))

  ;; ---------------------------------------------------------------------
  ;; Scanner. Positions are addresses in memory. A function that scans
  ;; returns the position after what it scanned, or -1 when the text is not
  ;; valid JSON there. Text is only read through $peek, through 16-byte
  ;; windows whose lanes past $end are masked out, or at positions that an
  ;; earlier scan has checked; so no byte past the end is ever taken for
  ;; text, and as every loop moves forward, none runs forever.
  ;; ---------------------------------------------------------------------

  ;; $peek returns the byte at $p, or -1 at or past the end of the text (-1
  ;; matches no character).
  (func $peek (param $p i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $p) (global.get $end))
      (then (i32.load8_u (local.get $p)))
      (else (i32.const -1))))

  ;; $is_ws tells whether $c is JSON whitespace (space, tab, newline, CR).
  (func $is_ws (param $c i32) (result i32)
    (i32.or
      (i32.or (i32.eq (local.get $c) (i32.const 0x20)) (i32.eq (local.get $c) (i32.const 0x09)))
      (i32.or (i32.eq (local.get $c) (i32.const 0x0a)) (i32.eq (local.get $c) (i32.const 0x0d)))))

  ;; $skip_ws returns the first position at or after $p that is not JSON
  ;; whitespace. No whitespace, or a single space (NetBox's Python
  ;; serializer writes ", " and ": "), takes no loop.
  (func $skip_ws (param $p i32) (result i32)
    (if (i32.eqz (call $is_ws (call $peek (local.get $p)))) (then (return (local.get $p))))
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (if (i32.eqz (call $is_ws (call $peek (local.get $p)))) (then (return (local.get $p))))
    (loop $next
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $next (call $is_ws (call $peek (local.get $p)))))
    (local.get $p))

  ;; $is_hex tells whether $c is a hexadecimal digit (either case).
  (func $is_hex (param $c i32) (result i32)
    (i32.or
      (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10))
      ;; c | 0x20 folds 'A'..'F' onto 'a'..'f'; -1 stays -1.
      (i32.lt_u (i32.sub (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x61)) (i32.const 6))))

  ;; $is_short_escape tells whether \<c> is one of \" \\ \/ \b \f \n \r \t.
  (func $is_short_escape (param $c i32) (result i32)
    (i32.or
      (i32.or
        (i32.or (i32.eq (local.get $c) (i32.const 0x22)) (i32.eq (local.get $c) (i32.const 0x5c)))
        (i32.or (i32.eq (local.get $c) (i32.const 0x2f)) (i32.eq (local.get $c) (i32.const 0x62))))
      (i32.or
        (i32.or (i32.eq (local.get $c) (i32.const 0x66)) (i32.eq (local.get $c) (i32.const 0x6e)))
        (i32.or (i32.eq (local.get $c) (i32.const 0x72)) (i32.eq (local.get $c) (i32.const 0x74))))))

  ;; The 16-byte windows. A window is the v128 loaded at a position $p
  ;; before $end: lane k is the byte at $p + k. i8x16.bitmask turns a lane
  ;; test into an i32 with bit k set for the lanes that pass it; i32.ctz of
  ;; that finds the first one.

  ;; $tail_bits has bit k set for the lanes of the window at $p (before
  ;; $end) that are at or past $end, and bit 16 always: i32.ctz of a mask
  ;; that includes it is at most 16.
  (func $tail_bits (param $p i32) (result i32)
    (local $left i32)
    (local.set $left (i32.sub (global.get $end) (local.get $p)))
    (if (result i32) (i32.lt_u (local.get $left) (i32.const 16))
      (then (i32.shl (i32.const -1) (local.get $left)))
      (else (i32.const 0x10000))))

  ;; $special_bits marks the lanes of the window at $p that end a run of
  ;; plain string bytes: '"', '\', control characters, and the end of the
  ;; text (at or past $end, lane 0 is marked and nothing is loaded).
  (func $special_bits (param $p i32) (result i32)
    (local $v v128)
    (if (i32.ge_u (local.get $p) (global.get $end)) (then (return (i32.const 1))))
    (local.set $v (v128.load (local.get $p)))
    (i32.or
      (i8x16.bitmask (v128.or
        (v128.or (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x22)))
                 (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x5c))))
        (i8x16.lt_u (local.get $v) (i8x16.splat (i32.const 0x20)))))
      (call $tail_bits (local.get $p))))

  ;; $special_index returns how many plain string bytes start the window at
  ;; $p: 0 to 16.
  (func $special_index (param $p i32) (result i32)
    (i32.ctz (call $special_bits (local.get $p))))

  ;; $digit_run returns how many ASCII digits start the window at $p: 0 to
  ;; 16. (A byte is a digit when byte - '0', unsigned, is below 10.)
  (func $digit_run (param $p i32) (result i32)
    (if (i32.ge_u (local.get $p) (global.get $end)) (then (return (i32.const 0))))
    (i32.ctz (i32.or
      (i32.xor
        (i8x16.bitmask (i8x16.lt_u (i8x16.sub (v128.load (local.get $p)) (i8x16.splat (i32.const 0x30)))
                                   (i8x16.splat (i32.const 10))))
        (i32.const -1))
      (call $tail_bits (local.get $p)))))

  ;; $skip_string returns the position after the string token whose opening
  ;; quote is at $p. It rejects an unterminated string, raw control
  ;; characters, unknown escapes and \u escapes without four hex digits.
  ;; Bytes from 0x80 up are accepted as they are (the host checks UTF-8).
  (func $skip_string (param $p i32) (result i32)
    (local $i i32)
    (local $c i32)
    (block $bad
      ;; A string with no escape that ends in the first window takes no loop.
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $i (call $special_index (local.get $p)))
      (local.set $p (i32.add (local.get $p) (local.get $i)))
      (if (i32.and (i32.lt_u (local.get $i) (i32.const 16)) (i32.eq (call $peek (local.get $p)) (i32.const 0x22)))
        (then (return (i32.add (local.get $p) (i32.const 1)))))
      (loop $next
        ;; Jump over plain bytes, 16 at a time.
        (local.set $i (call $special_index (local.get $p)))
        (local.set $p (i32.add (local.get $p) (local.get $i)))
        (br_if $next (i32.eq (local.get $i) (i32.const 16)))
        (local.set $c (call $peek (local.get $p)))
        (if (i32.eq (local.get $c) (i32.const 0x22))
          (then (return (i32.add (local.get $p) (i32.const 1)))))
        ;; Else a control character or the end (-1), or a backslash.
        (br_if $bad (i32.ne (local.get $c) (i32.const 0x5c)))
        (local.set $c (call $peek (i32.add (local.get $p) (i32.const 1))))
        (if (i32.eq (local.get $c) (i32.const 0x75))
          (then
            (br_if $bad (i32.eqz (i32.and
              (i32.and (call $is_hex (call $peek (i32.add (local.get $p) (i32.const 2))))
                       (call $is_hex (call $peek (i32.add (local.get $p) (i32.const 3)))))
              (i32.and (call $is_hex (call $peek (i32.add (local.get $p) (i32.const 4))))
                       (call $is_hex (call $peek (i32.add (local.get $p) (i32.const 5))))))))
            (local.set $p (i32.add (local.get $p) (i32.const 6))))
          (else
            (br_if $bad (i32.eqz (call $is_short_escape (local.get $c))))
            (local.set $p (i32.add (local.get $p) (i32.const 2)))))
        (br $next)))
    (i32.const -1))

  ;; $skip_digits returns the first position at or after $p that is not an
  ;; ASCII digit. Up to 15 digits take no loop.
  (func $skip_digits (param $p i32) (result i32)
    (local $n i32)
    (local.set $n (call $digit_run (local.get $p)))
    (local.set $p (i32.add (local.get $p) (local.get $n)))
    (if (i32.eq (local.get $n) (i32.const 16))
      (then
        (loop $more
          (local.set $n (call $digit_run (local.get $p)))
          (local.set $p (i32.add (local.get $p) (local.get $n)))
          (br_if $more (i32.eq (local.get $n) (i32.const 16))))))
    (local.get $p))

  ;; $skip_number returns the position after the number at $p, following
  ;; RFC 8259: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?
  (func $skip_number (param $p i32) (result i32)
    (local $q i32)
    (block $bad
      (if (i32.eq (call $peek (local.get $p)) (i32.const 0x2d))
        (then (local.set $p (i32.add (local.get $p) (i32.const 1)))))
      ;; Integer part: a lone 0 (a digit after it is left for the caller to
      ;; reject), or one or more digits.
      (if (i32.eq (call $peek (local.get $p)) (i32.const 0x30))
        (then (local.set $p (i32.add (local.get $p) (i32.const 1))))
        (else
          (local.set $q (call $skip_digits (local.get $p)))
          (br_if $bad (i32.eq (local.get $q) (local.get $p)))
          (local.set $p (local.get $q))))
      ;; Fraction.
      (if (i32.eq (call $peek (local.get $p)) (i32.const 0x2e))
        (then
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (local.set $q (call $skip_digits (local.get $p)))
          (br_if $bad (i32.eq (local.get $q) (local.get $p)))
          (local.set $p (local.get $q))))
      ;; Exponent: 'e' or 'E' (c | 0x20 == 'e').
      (if (i32.eq (i32.or (call $peek (local.get $p)) (i32.const 0x20)) (i32.const 0x65))
        (then
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (local.set $q (call $peek (local.get $p)))
          (if (i32.or (i32.eq (local.get $q) (i32.const 0x2b)) (i32.eq (local.get $q) (i32.const 0x2d)))
            (then (local.set $p (i32.add (local.get $p) (i32.const 1)))))
          (local.set $q (call $skip_digits (local.get $p)))
          (br_if $bad (i32.eq (local.get $q) (local.get $p)))
          (local.set $p (local.get $q))))
      (return (local.get $p)))
    (i32.const -1))

  ;; $skip_literal returns the position after the literal of $len (4 or 5)
  ;; bytes at $lit (true, false or null) if the text at $p starts with it.
  ;; Its first four bytes and its last byte cover it whole.
  (func $skip_literal (param $p i32) (param $lit i32) (param $len i32) (result i32)
    (local $last i32)
    (if (i32.gt_u (i32.add (local.get $p) (local.get $len)) (global.get $end)) (then (return (i32.const -1))))
    (if (i32.ne (i32.load (local.get $p)) (i32.load (local.get $lit))) (then (return (i32.const -1))))
    (local.set $last (i32.sub (local.get $len) (i32.const 1)))
    (if (i32.ne (i32.load8_u (i32.add (local.get $p) (local.get $last)))
                (i32.load8_u (i32.add (local.get $lit) (local.get $last))))
      (then (return (i32.const -1))))
    (i32.add (local.get $p) (local.get $len)))

  ;; $skip_scalar returns the position after the string, number or literal
  ;; at $p, whose first byte is $c.
  (func $skip_scalar (param $p i32) (param $c i32) (result i32)
    (if (i32.eq (local.get $c) (i32.const 0x22)) (then (return (call $skip_string (local.get $p)))))
    (if (i32.eq (local.get $c) (i32.const 0x74))
      (then (return (call $skip_literal (local.get $p) (i32.const 16) (i32.const 4)))))
    (if (i32.eq (local.get $c) (i32.const 0x66))
      (then (return (call $skip_literal (local.get $p) (i32.const 20) (i32.const 5)))))
    (if (i32.eq (local.get $c) (i32.const 0x6e))
      (then (return (call $skip_literal (local.get $p) (i32.const 25) (i32.const 4)))))
    (call $skip_number (local.get $p)))

  ;; $skip_colon returns where a member's value starts, after the key that
  ;; ends at $p: whitespace, ':' and whitespace.
  (func $skip_colon (param $p i32) (result i32)
    (local.set $p (call $skip_ws (local.get $p)))
    (if (i32.ne (call $peek (local.get $p)) (i32.const 0x3a)) (then (return (i32.const -1))))
    (call $skip_ws (i32.add (local.get $p) (i32.const 1))))

  ;; $skip_key returns where the value of the member whose key starts at $p
  ;; starts.
  (func $skip_key (param $p i32) (result i32)
    (if (i32.ne (call $peek (local.get $p)) (i32.const 0x22)) (then (return (i32.const -1))))
    (local.set $p (call $skip_string (local.get $p)))
    (if (i32.eq (local.get $p) (i32.const -1)) (then (return (i32.const -1))))
    (call $skip_colon (local.get $p)))

  ;; $skip_value returns the position after the value at $p and the
  ;; whitespace that follows it, checking the whole value. A scalar takes no
  ;; loop; a container takes one iteration per value in it and one per
  ;; closing bracket. It does not recurse: the kind of each open container
  ;; ('{' or '[') is pushed on the byte stack at 1024, which bounds nesting
  ;; at 1000 levels (the host's own limit), so hostile nesting can exhaust
  ;; neither the stack nor memory.
  (func $skip_value (param $p i32) (result i32)
    (local $c i32)
    (local $depth i32)
    (local $open i32)
    (local $want_value i32)
    (local.set $c (call $peek (local.get $p)))
    (if (i32.and (i32.ne (local.get $c) (i32.const 0x7b)) (i32.ne (local.get $c) (i32.const 0x5b)))
      (then
        (local.set $p (call $skip_scalar (local.get $p) (local.get $c)))
        (if (i32.eq (local.get $p) (i32.const -1)) (then (return (i32.const -1))))
        (return (call $skip_ws (local.get $p)))))
    (local.set $want_value (i32.const 1))
    (block $bad
      (loop $step
        ;; With $want_value, a value starts at $p; else one has just ended.
        (if (local.get $want_value)
          (then
            (local.set $c (call $peek (local.get $p)))
            (if (i32.or (i32.eq (local.get $c) (i32.const 0x7b)) (i32.eq (local.get $c) (i32.const 0x5b)))
              (then
                (br_if $bad (i32.ge_u (local.get $depth) (i32.const 1000)))
                (local.set $p (call $skip_ws (i32.add (local.get $p) (i32.const 1))))
                ;; '{' + 2 is '}', '[' + 2 is ']'.
                (if (i32.eq (call $peek (local.get $p)) (i32.add (local.get $c) (i32.const 2)))
                  (then
                    ;; An empty container is a complete value.
                    (local.set $p (i32.add (local.get $p) (i32.const 1))))
                  (else
                    (i32.store8 (i32.add (i32.const 1024) (local.get $depth)) (local.get $c))
                    (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
                    (if (i32.eq (local.get $c) (i32.const 0x7b))
                      (then
                        (local.set $p (call $skip_key (local.get $p)))
                        (br_if $bad (i32.eq (local.get $p) (i32.const -1)))))
                    (br $step))))
              (else
                (local.set $p (call $skip_scalar (local.get $p) (local.get $c)))
                (br_if $bad (i32.eq (local.get $p) (i32.const -1)))))))
        ;; A complete value ends just before $p: a ',' and the next value,
        ;; or the innermost container's closing bracket, must follow.
        (local.set $p (call $skip_ws (local.get $p)))
        (if (i32.eqz (local.get $depth)) (then (return (local.get $p))))
        (local.set $c (call $peek (local.get $p)))
        (local.set $open (i32.load8_u (i32.add (i32.const 1023) (local.get $depth))))
        (if (i32.eq (local.get $c) (i32.const 0x2c))
          (then
            (local.set $p (call $skip_ws (i32.add (local.get $p) (i32.const 1))))
            (if (i32.eq (local.get $open) (i32.const 0x7b))
              (then
                (local.set $p (call $skip_key (local.get $p)))
                (br_if $bad (i32.eq (local.get $p) (i32.const -1)))))
            (local.set $want_value (i32.const 1))
            (br $step)))
        (br_if $bad (i32.ne (local.get $c) (i32.add (local.get $open) (i32.const 2))))
        (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $want_value (i32.const 0))
        (br $step)))
    (i32.const -1))

  ;; ---------------------------------------------------------------------
  ;; Reading strings that the scanner has checked. These functions read
  ;; straight from memory: a checked token ends with its closing quote, and
  ;; every escape in it is complete.
  ;; ---------------------------------------------------------------------

  ;; $hex_digit returns the value of the hex digit $c.
  (func $hex_digit (param $c i32) (result i32)
    (if (result i32) (i32.le_u (local.get $c) (i32.const 0x39))
      (then (i32.sub (local.get $c) (i32.const 0x30)))
      ;; 'a' - 0x57 = 10, after folding 'A'..'F' onto 'a'..'f'.
      (else (i32.sub (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x57)))))

  ;; $hex4 returns the value of the four hex digits at $p.
  (func $hex4 (param $p i32) (result i32)
    (i32.or
      (i32.or
        (i32.shl (call $hex_digit (i32.load8_u (local.get $p))) (i32.const 12))
        (i32.shl (call $hex_digit (i32.load8_u offset=1 (local.get $p))) (i32.const 8)))
      (i32.or
        (i32.shl (call $hex_digit (i32.load8_u offset=2 (local.get $p))) (i32.const 4))
        (call $hex_digit (i32.load8_u offset=3 (local.get $p))))))

  ;; $unescape returns the character a one-letter escape \<e> stands for
  ;; (e is one of " \ / b f n r t; the first three stand for themselves).
  (func $unescape (param $e i32) (result i32)
    (if (i32.eq (local.get $e) (i32.const 0x62)) (then (return (i32.const 0x08))))
    (if (i32.eq (local.get $e) (i32.const 0x66)) (then (return (i32.const 0x0c))))
    (if (i32.eq (local.get $e) (i32.const 0x6e)) (then (return (i32.const 0x0a))))
    (if (i32.eq (local.get $e) (i32.const 0x72)) (then (return (i32.const 0x0d))))
    (if (i32.eq (local.get $e) (i32.const 0x74)) (then (return (i32.const 0x09))))
    (local.get $e))

  ;; $low_surrogate_at returns the value of the escape at $p if it is a low
  ;; surrogate \uDC00-\uDFFF, else 0. $p is inside a checked string, so it
  ;; holds at least the closing quote.
  (func $low_surrogate_at (param $p i32) (result i32)
    (local $u i32)
    (if (i32.ne (i32.load8_u (local.get $p)) (i32.const 0x5c)) (then (return (i32.const 0))))
    (if (i32.ne (i32.load8_u offset=1 (local.get $p)) (i32.const 0x75)) (then (return (i32.const 0))))
    (local.set $u (call $hex4 (i32.add (local.get $p) (i32.const 2))))
    (if (i32.ne (i32.and (local.get $u) (i32.const 0xfc00)) (i32.const 0xdc00)) (then (return (i32.const 0))))
    (local.get $u))

  ;; $key_equals tells whether the checked key token from $p to $p_end, once
  ;; its escapes are decoded, is the $len ASCII bytes at $key ($len is 1 to
  ;; 16). A character from 0x80 up, raw or escaped, never equals an ASCII
  ;; byte, so only ASCII needs decoding.
  (func $key_equals (param $p i32) (param $p_end i32) (param $key i32) (param $len i32) (result i32)
    (local $raw_len i32)
    (local $low i32)
    (local $c i32)
    (local $i i32)
    ;; Decoding only shortens a key. So a key of fewer raw bytes cannot
    ;; match, and one of as many matches only if its raw bytes do (an escape
    ;; in them would be a '\', which the key has not): one window compares
    ;; them. Else only a key with escapes can match, and one whose first
    ;; byte is neither '\' nor the one wanted cannot. Most keys are settled
    ;; without a loop.
    (local.set $raw_len (i32.sub (i32.sub (local.get $p_end) (local.get $p)) (i32.const 2)))
    (if (i32.lt_u (local.get $raw_len) (local.get $len)) (then (return (i32.const 0))))
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (if (i32.eq (local.get $raw_len) (local.get $len))
      (then
        (local.set $low (i32.sub (i32.shl (i32.const 1) (local.get $len)) (i32.const 1)))
        (return (i32.eq (local.get $low) (i32.and (local.get $low)
          (i8x16.bitmask (i8x16.eq (v128.load (local.get $p)) (v128.load (local.get $key)))))))))
    (local.set $c (i32.load8_u (local.get $p)))
    (if (i32.and (i32.ne (local.get $c) (i32.const 0x5c)) (i32.ne (local.get $c) (i32.load8_u (local.get $key))))
      (then (return (i32.const 0))))
    (block $differ
      (loop $next
        (local.set $c (i32.load8_u (local.get $p)))
        (if (i32.eq (local.get $c) (i32.const 0x22))
          (then (return (i32.eq (local.get $i) (local.get $len)))))
        (if (i32.eq (local.get $c) (i32.const 0x5c))
          (then
            (local.set $c (i32.load8_u offset=1 (local.get $p)))
            (if (i32.eq (local.get $c) (i32.const 0x75))
              (then
                (local.set $c (call $hex4 (i32.add (local.get $p) (i32.const 2))))
                (local.set $p (i32.add (local.get $p) (i32.const 6))))
              (else
                (local.set $c (call $unescape (local.get $c)))
                (local.set $p (i32.add (local.get $p) (i32.const 2))))))
          (else (local.set $p (i32.add (local.get $p) (i32.const 1)))))
        (br_if $differ (i32.ge_u (local.get $i) (local.get $len)))
        (br_if $differ (i32.ne (local.get $c) (i32.load8_u (i32.add (local.get $key) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  ;; $find_members scans the object at $p (its '{') and looks for two keys
  ;; at once, the $len_a ASCII bytes at $key_a and the $len_b at $key_b (the
  ;; same key twice to look for one). It sets $found_a and $found_b to where
  ;; the value of the last member with that key starts, or 0, and returns
  ;; the position after the object's '}', or -1 when the object is not valid
  ;; JSON.
  (func $find_members (param $p i32) (param $key_a i32) (param $len_a i32)
                      (param $key_b i32) (param $len_b i32) (result i32)
    (local $k i32)
    (local $k_end i32)
    (local $c i32)
    (global.set $found_a (i32.const 0))
    (global.set $found_b (i32.const 0))
    (block $bad
      (local.set $p (call $skip_ws (i32.add (local.get $p) (i32.const 1))))
      (if (i32.ne (call $peek (local.get $p)) (i32.const 0x7d))
        (then
          (loop $member
            (br_if $bad (i32.ne (call $peek (local.get $p)) (i32.const 0x22)))
            (local.set $k (local.get $p))
            (local.set $k_end (call $skip_string (local.get $k)))
            (br_if $bad (i32.eq (local.get $k_end) (i32.const -1)))
            (local.set $p (call $skip_colon (local.get $k_end)))
            (br_if $bad (i32.eq (local.get $p) (i32.const -1)))
            (if (call $key_equals (local.get $k) (local.get $k_end) (local.get $key_a) (local.get $len_a))
              (then (global.set $found_a (local.get $p))))
            (if (call $key_equals (local.get $k) (local.get $k_end) (local.get $key_b) (local.get $len_b))
              (then (global.set $found_b (local.get $p))))
            ;; $skip_value also skips the whitespace after the value.
            (local.set $p (call $skip_value (local.get $p)))
            (br_if $bad (i32.eq (local.get $p) (i32.const -1)))
            (local.set $c (call $peek (local.get $p)))
            (if (i32.eq (local.get $c) (i32.const 0x2c))
              (then
                (local.set $p (call $skip_ws (i32.add (local.get $p) (i32.const 1))))
                (br $member)))
            (br_if $bad (i32.ne (local.get $c) (i32.const 0x7d))))))
      (return (i32.add (local.get $p) (i32.const 1))))
    (i32.const -1))

  ;; $typed returns $v, a value position from $find_members, if it is not 0
  ;; and its value starts with the byte $kind ('{' for an object, '"' for a
  ;; string); else 0.
  (func $typed (param $v i32) (param $kind i32) (result i32)
    (if (i32.eqz (local.get $v)) (then (return (i32.const 0))))
    (if (i32.ne (i32.load8_u (local.get $v)) (local.get $kind)) (then (return (i32.const 0))))
    (local.get $v))

  ;; $count_codepoints returns the number of code points of the checked
  ;; string token at $p once decoded: a raw UTF-8 character counts once (its
  ;; lead byte), every escape counts once, and a \uD800-\uDBFF escape
  ;; followed by a \uDC00-\uDFFF escape counts once for the pair. A lone
  ;; surrogate counts once, as the U+FFFD that encoding/json decodes it to.
  (func $count_codepoints (param $p i32) (result i32)
    (local $n i32)
    (local $bits i32)
    (local $i i32)
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (block $done
      (loop $next
        ;; The $i plain bytes before the first special one of the window
        ;; at $p count but for UTF-8 continuation bytes (10xxxxxx). The
        ;; bits below bit $i of a lane mask are those of these $i bytes.
        (local.set $bits (call $special_bits (local.get $p)))
        (local.set $i (i32.ctz (local.get $bits)))
        (local.set $n (i32.add (local.get $n) (i32.sub (local.get $i) (i32.popcnt (i32.and
          (i32.sub (i32.shl (i32.const 1) (local.get $i)) (i32.const 1))
          (i8x16.bitmask (i8x16.eq (v128.and (v128.load (local.get $p)) (i8x16.splat (i32.const 0xc0)))
                                   (i8x16.splat (i32.const 0x80)))))))))
        (local.set $p (i32.add (local.get $p) (local.get $i)))
        (br_if $next (i32.eq (local.get $i) (i32.const 16)))
        ;; In a checked string the special byte is '"' or '\'.
        (br_if $done (i32.eq (i32.load8_u (local.get $p)) (i32.const 0x22)))
        (if (i32.eq (i32.load8_u offset=1 (local.get $p)) (i32.const 0x75))
          (then
            (local.set $i (call $hex4 (i32.add (local.get $p) (i32.const 2))))
            (local.set $p (i32.add (local.get $p) (i32.const 6)))
            (if (i32.eq (i32.and (local.get $i) (i32.const 0xfc00)) (i32.const 0xd800))
              (then
                (if (call $low_surrogate_at (local.get $p))
                  (then (local.set $p (i32.add (local.get $p) (i32.const 6))))))))
          (else (local.set $p (i32.add (local.get $p) (i32.const 2)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))

  ;; ---------------------------------------------------------------------
  ;; Writing. Each $write_* function writes at $dst and returns the position
  ;; after what it wrote; the caller has made room.
  ;; ---------------------------------------------------------------------

  ;; $write_bytes copies $len bytes from $src.
  (func $write_bytes (param $dst i32) (param $src i32) (param $len i32) (result i32)
    (memory.copy (local.get $dst) (local.get $src) (local.get $len))
    (i32.add (local.get $dst) (local.get $len)))

  ;; $write_decimal writes $n in decimal (unsigned). The digits are made
  ;; from the last one back, in the scratch bytes before 250, then copied.
  (func $write_decimal (param $dst i32) (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (i32.const 250))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 0x30) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digit (local.get $n)))
    (call $write_bytes (local.get $dst) (local.get $p) (i32.sub (i32.const 250) (local.get $p))))

  ;; $write_codepoint writes the code point $cp as it goes inside a JSON
  ;; string in the output: " and \ escaped with a backslash, control
  ;; characters as \u00XX (lowercase hex), everything else as raw UTF-8.
  (func $write_codepoint (param $dst i32) (param $cp i32) (result i32)
    (if (i32.or (i32.eq (local.get $cp) (i32.const 0x22)) (i32.eq (local.get $cp) (i32.const 0x5c)))
      (then
        (i32.store8 (local.get $dst) (i32.const 0x5c))
        (i32.store8 offset=1 (local.get $dst) (local.get $cp))
        (return (i32.add (local.get $dst) (i32.const 2)))))
    (if (i32.lt_u (local.get $cp) (i32.const 0x20))
      (then
        ;; "\u00" (stored as one little-endian word), then two digits from
        ;; the hex table at address 0.
        (i32.store (local.get $dst) (i32.const 0x3030755c))
        (i32.store8 offset=4 (local.get $dst) (i32.load8_u (i32.shr_u (local.get $cp) (i32.const 4))))
        (i32.store8 offset=5 (local.get $dst) (i32.load8_u (i32.and (local.get $cp) (i32.const 0x0f))))
        (return (i32.add (local.get $dst) (i32.const 6)))))
    (if (i32.lt_u (local.get $cp) (i32.const 0x80))
      (then
        (i32.store8 (local.get $dst) (local.get $cp))
        (return (i32.add (local.get $dst) (i32.const 1)))))
    (if (i32.lt_u (local.get $cp) (i32.const 0x800))
      (then
        (i32.store8 (local.get $dst) (i32.or (i32.const 0xc0) (i32.shr_u (local.get $cp) (i32.const 6))))
        (i32.store8 offset=1 (local.get $dst) (i32.or (i32.const 0x80) (i32.and (local.get $cp) (i32.const 0x3f))))
        (return (i32.add (local.get $dst) (i32.const 2)))))
    (if (i32.lt_u (local.get $cp) (i32.const 0x10000))
      (then
        (i32.store8 (local.get $dst) (i32.or (i32.const 0xe0) (i32.shr_u (local.get $cp) (i32.const 12))))
        (i32.store8 offset=1 (local.get $dst)
          (i32.or (i32.const 0x80) (i32.and (i32.shr_u (local.get $cp) (i32.const 6)) (i32.const 0x3f))))
        (i32.store8 offset=2 (local.get $dst) (i32.or (i32.const 0x80) (i32.and (local.get $cp) (i32.const 0x3f))))
        (return (i32.add (local.get $dst) (i32.const 3)))))
    (i32.store8 (local.get $dst) (i32.or (i32.const 0xf0) (i32.shr_u (local.get $cp) (i32.const 18))))
    (i32.store8 offset=1 (local.get $dst)
      (i32.or (i32.const 0x80) (i32.and (i32.shr_u (local.get $cp) (i32.const 12)) (i32.const 0x3f))))
    (i32.store8 offset=2 (local.get $dst)
      (i32.or (i32.const 0x80) (i32.and (i32.shr_u (local.get $cp) (i32.const 6)) (i32.const 0x3f))))
    (i32.store8 offset=3 (local.get $dst) (i32.or (i32.const 0x80) (i32.and (local.get $cp) (i32.const 0x3f))))
    (i32.add (local.get $dst) (i32.const 4)))

  ;; $write_namespace_key writes the checked string token at $p as the key
  ;; of the output: decoded (a surrogate pair escape to one code point, a
  ;; lone surrogate to U+FFFD, as encoding/json does), then written by
  ;; $write_codepoint. Raw bytes are copied as they are: in a checked token
  ;; they are never '"', '\' or control characters, so they need no escape.
  ;; It runs once per instance, so it goes byte by byte.
  (func $write_namespace_key (param $dst i32) (param $p i32) (result i32)
    (local $c i32)
    (local $low i32)
    (i32.store8 (local.get $dst) (i32.const 0x22))
    (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (block $done
      (loop $next
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $done (i32.eq (local.get $c) (i32.const 0x22)))
        (if (i32.eq (local.get $c) (i32.const 0x5c))
          (then
            (local.set $c (i32.load8_u offset=1 (local.get $p)))
            (if (i32.eq (local.get $c) (i32.const 0x75))
              (then
                (local.set $c (call $hex4 (i32.add (local.get $p) (i32.const 2))))
                (local.set $p (i32.add (local.get $p) (i32.const 6)))
                (local.set $low (i32.const 0))
                (if (i32.eq (i32.and (local.get $c) (i32.const 0xfc00)) (i32.const 0xd800))
                  (then (local.set $low (call $low_surrogate_at (local.get $p)))))
                (if (local.get $low)
                  (then
                    (local.set $c (i32.add (i32.const 0x10000)
                      (i32.or (i32.shl (i32.sub (local.get $c) (i32.const 0xd800)) (i32.const 10))
                              (i32.sub (local.get $low) (i32.const 0xdc00)))))
                    (local.set $p (i32.add (local.get $p) (i32.const 6))))
                  (else
                    ;; Any surrogate left is a lone one.
                    (if (i32.eq (i32.and (local.get $c) (i32.const 0xf800)) (i32.const 0xd800))
                      (then (local.set $c (i32.const 0xfffd)))))))
              (else
                (local.set $c (call $unescape (local.get $c)))
                (local.set $p (i32.add (local.get $p) (i32.const 2)))))
            (local.set $dst (call $write_codepoint (local.get $dst) (local.get $c))))
          (else
            (i32.store8 (local.get $dst) (local.get $c))
            (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))))
        (br $next)))
    (i32.store8 (local.get $dst) (i32.const 0x22))
    (i32.add (local.get $dst) (i32.const 1)))

  ;; ---------------------------------------------------------------------
  ;; Entry points.
  ;; ---------------------------------------------------------------------

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

  ;; $load_config reads the configuration and builds the output prefix
  ;; `{"<ns>":` at 2048 when it has a string member "namespace". It returns
  ;; the status: 0, or 1 (with the error set) when the configuration is not a
  ;; valid JSON object or memory cannot grow.
  (func $load_config (result i32)
    (local $len i32)
    (local $p i32)
    (local $dst i32)
    (local $ns i32)
    (local.set $len (call $config_read (i32.const 0) (i32.const 0)))
    ;; The configuration is read at 2048 and the prefix built right after
    ;; it, then moved down to 2048. The prefix takes at most 3 bytes per
    ;; byte of the namespace token (\n becomes \u000a) plus '{' and ':'; 32
    ;; bytes more leave room for the 16-byte windows.
    (if (i32.eqz (call $ensure (i64.add (i64.const 2080)
                                        (i64.mul (i64.extend_i32_u (local.get $len)) (i64.const 4)))))
      (then (return (call $fail (i32.const 96) (i32.const 26)))))
    (drop (call $config_read (i32.const 2048) (local.get $len)))
    (global.set $end (i32.add (i32.const 2048) (local.get $len)))
    (block $bad
      (local.set $p (call $skip_ws (i32.const 2048)))
      (br_if $bad (i32.ne (call $peek (local.get $p)) (i32.const 0x7b)))
      (local.set $p (call $find_members (local.get $p) (i32.const 51) (i32.const 9) (i32.const 51) (i32.const 9)))
      (br_if $bad (i32.eq (local.get $p) (i32.const -1)))
      (br_if $bad (i32.ne (call $skip_ws (local.get $p)) (global.get $end)))
      (global.set $prefix_len (i32.const 0))
      (local.set $ns (call $typed (global.get $found_a) (i32.const 0x22)))
      (if (local.get $ns)
        (then
          (local.set $dst (global.get $end))
          (i32.store8 (local.get $dst) (i32.const 0x7b))
          (local.set $dst (call $write_namespace_key (i32.add (local.get $dst) (i32.const 1)) (local.get $ns)))
          (i32.store8 (local.get $dst) (i32.const 0x3a))
          (global.set $prefix_len (i32.sub (i32.add (local.get $dst) (i32.const 1)) (global.get $end)))
          (memory.copy (i32.const 2048) (global.get $end) (global.get $prefix_len))))
      (global.set $have_config (i32.const 1))
      (return (i32.const 0)))
    (call $fail (i32.const 176) (i32.const 53)))

  ;; wasmhook_on_event handles one event of $input_len bytes: it reads the
  ;; input after the prefix, finds data.status.value and data.name, and sets
  ;; the output, built after the input.
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (local $in i32)
    (local $p i32)
    (local $data i32)
    (local $value i32)
    (local $name i32)
    (local $out i32)
    (local $o i32)
    (if (i32.eqz (global.get $have_config))
      (then
        (if (call $load_config) (then (return (i32.const 1))))))
    (local.set $in (i32.add (i32.const 2048) (global.get $prefix_len)))
    ;; Room for the input, then the output: the prefix, the site_status
    ;; token (part of the input, so at most $input_len bytes) and at most
    ;; 38 bytes more.
    (if (i32.eqz (call $ensure (i64.add
          (i64.add (i64.extend_i32_u (local.get $in)) (i64.shl (i64.extend_i32_u (local.get $input_len)) (i64.const 1)))
          (i64.extend_i32_u (i32.add (global.get $prefix_len) (i32.const 64))))))
      (then (return (call $fail (i32.const 96) (i32.const 26)))))
    (drop (call $input_read (local.get $in) (local.get $input_len)))
    (global.set $end (i32.add (local.get $in) (local.get $input_len)))

    (block $bad
      ;; Find data, checking the whole input on the way.
      (local.set $p (call $skip_ws (local.get $in)))
      (br_if $bad (i32.ne (call $peek (local.get $p)) (i32.const 0x7b)))
      (local.set $p (call $find_members (local.get $p) (i32.const 32) (i32.const 4) (i32.const 32) (i32.const 4)))
      (br_if $bad (i32.eq (local.get $p) (i32.const -1)))
      (br_if $bad (i32.ne (call $skip_ws (local.get $p)) (global.get $end)))
      (local.set $data (call $typed (global.get $found_a) (i32.const 0x7b)))
      ;; data.status and data.name in one pass, then data.status.value.
      ;; These objects were checked with the input: $find_members cannot
      ;; fail on them.
      (if (local.get $data)
        (then
          (drop (call $find_members (local.get $data) (i32.const 36) (i32.const 6) (i32.const 47) (i32.const 4)))
          (local.set $name (call $typed (global.get $found_b) (i32.const 0x22)))
          (local.set $p (call $typed (global.get $found_a) (i32.const 0x7b)))
          (if (local.get $p)
            (then
              (drop (call $find_members (local.get $p) (i32.const 42) (i32.const 5) (i32.const 42) (i32.const 5)))
              (local.set $value (call $typed (global.get $found_a) (i32.const 0x22)))))))

      ;; The output: [prefix] {["site_status":<token>][,]["name_len":<n>]} [}]
      (local.set $out (global.get $end))
      (local.set $o (call $write_bytes (local.get $out) (i32.const 2048) (global.get $prefix_len)))
      (i32.store8 (local.get $o) (i32.const 0x7b))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (if (local.get $value)
        (then
          (local.set $o (call $write_bytes (local.get $o) (i32.const 64) (i32.const 14)))
          (local.set $o (call $write_bytes (local.get $o) (local.get $value)
            (i32.sub (call $skip_string (local.get $value)) (local.get $value))))))
      (if (local.get $name)
        (then
          (if (local.get $value)
            (then
              (i32.store8 (local.get $o) (i32.const 0x2c))
              (local.set $o (i32.add (local.get $o) (i32.const 1)))))
          (local.set $o (call $write_bytes (local.get $o) (i32.const 80) (i32.const 11)))
          (local.set $o (call $write_decimal (local.get $o) (call $count_codepoints (local.get $name))))))
      (i32.store8 (local.get $o) (i32.const 0x7d))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (if (global.get $prefix_len)
        (then
          (i32.store8 (local.get $o) (i32.const 0x7d))
          (local.set $o (i32.add (local.get $o) (i32.const 1)))))
      (call $output_set (local.get $out) (i32.sub (local.get $o) (local.get $out)))
      (return (i32.const 0)))
    (call $fail (i32.const 128) (i32.const 45))))
