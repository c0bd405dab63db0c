;; grow_with_input: reactor that reads its input at 64 KiB, growing its memory first when the input does not fit, and outputs {"read": true}; an instance that once had a large event keeps the memory it grew (memory never shrinks), and the host retires it.
(module
  (import "wasmhook_v1" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "{\"read\": true}")
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (local $pages i32)
    ;; pages needed: 1 (data) + ceil(input_len / 64 KiB)
    (local.set $pages (i32.add (i32.const 1) (i32.shr_u (i32.add (local.get $input_len) (i32.const 65535)) (i32.const 16))))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
          (then (return (i32.const 1))))))
    (drop (call $input_read (i32.const 65536) (local.get $input_len)))
    (call $output_set (i32.const 0) (i32.const 14))
    (i32.const 0)))
