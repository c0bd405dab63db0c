;; fill_loop: reactor that fills 16 MiB of memory with memory.fill in an endless loop; each iteration is one instruction doing milliseconds of work, and the host must stop it by its time limit.
(module
  (memory (export "memory") 256)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (loop $l
      (memory.fill (i32.const 0) (i32.const 0) (i32.const 16777216))
      (br $l))
    (i32.const 0)))
