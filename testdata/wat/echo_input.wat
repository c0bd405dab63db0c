;; echo_input: reactor that reads its whole input to offset 1024 (growing memory) and outputs it verbatim.
(module
  (import "wasmhook_v1" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "wasmhook_abi_v1"))
  ;; grow memory so that bytes [0, end) exist; trap if the host refuses.
  (func $ensure (param $end i32)
    (local $need i32)
    (local.set $need (i32.wrap_i64 (i64.shr_u
      (i64.add (i64.extend_i32_u (local.get $end)) (i64.const 65535)) (i64.const 16))))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $need) (memory.size))) (i32.const -1))
          (then unreachable)))))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (call $ensure (i32.add (i32.const 1024) (local.get $input_len)))
    (drop (call $input_read (i32.const 1024) (local.get $input_len)))
    (call $output_set (i32.const 1024) (local.get $input_len))
    (i32.const 0)))
