;; calls: reactor that counts its on_event calls in a global and outputs {"calls":N} (N in decimal).
(module
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 0))
  (data (i32.const 1024) "{\"calls\":") ;; 9 bytes; digits start at 1033
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (local $v i32) (local $d i32) (local $p i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    ;; count the digits of n
    (local.set $v (global.get $n))
    (loop $count
      (local.set $d (i32.add (local.get $d) (i32.const 1)))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $count (local.get $v)))
    ;; write '}' after the digits, then the digits backwards
    (i32.store8 (i32.add (i32.const 1033) (local.get $d)) (i32.const 125))
    (local.set $p (i32.add (i32.const 1033) (local.get $d)))
    (local.set $v (global.get $n))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $digits (local.get $v)))
    (call $output_set (i32.const 1024) (i32.add (i32.const 10) (local.get $d)))
    (i32.const 0)))
