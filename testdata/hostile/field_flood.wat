;; field_flood: reactor that grows its memory to 12 MiB, fills it with one JSON Pointer of 12 MiB ("/" and "x" alternating, a "~0" at the very end, so that the host reads every byte of it), and looks it up with field_type forever (time limit: each host call does work in proportion to its path, and the guest is stopped after the call that passes its deadline).
(module
  (import "wasmhook_v1" "field_type" (func $field_type (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (local $size i32) (local $i i32)
    (drop (memory.grow (i32.const 191)))
    (local.set $size (i32.mul (memory.size) (i32.const 65536)))
    ;; "/x" repeated: 0x782f little-endian
    (block $done
      (loop $fill
        (br_if $done (i32.ge_u (local.get $i) (local.get $size)))
        (i32.store16 (local.get $i) (i32.const 0x782f))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $fill)))
    (i32.store16 (i32.sub (local.get $size) (i32.const 2)) (i32.const 0x307e)) ;; "~0"
    (loop $forever
      (drop (call $field_type (i32.const 0) (i32.const 0) (local.get $size)))
      (br $forever))
    (i32.const 0)))
