;; grow_then_status: reactor that asks for 1 GiB more memory, is refused, reports "out of memory" with error_set and returns status 1; the failure is the memory limit's (ErrMemoryLimit), whatever the guest says.
(module
  (import "wasmhook_v1" "error_set" (func $error_set (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "out of memory")
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (if (i32.eq (memory.grow (i32.const 16384)) (i32.const -1))
      (then
        (call $error_set (i32.const 0) (i32.const 13))
        (return (i32.const 1))))
    (i32.const 0)))
