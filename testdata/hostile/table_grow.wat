;; table_grow: reactor that grows a table by 10M elements at a time until table.grow fails, then outputs {"table": "refused"} (or "grew" if it never fails); the host must bound every table within the module's memory budget.
(module
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 1)
  (table $t 0 funcref)
  (data (i32.const 0) "{\"table\": \"refused\"}{\"table\": \"grew\"}")
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (local $i i32)
    (drop (table.grow $t (ref.null func) (i32.const 0xF0000000)))
    (block $refused
      (loop $grow
        (br_if $refused (i32.eq (table.grow $t (ref.null func) (i32.const 10000000)) (i32.const -1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $grow (i32.lt_u (local.get $i) (i32.const 1000))))
      (call $output_set (i32.const 20) (i32.const 17))
      (return (i32.const 0)))
    (call $output_set (i32.const 0) (i32.const 20))
    (i32.const 0)))
