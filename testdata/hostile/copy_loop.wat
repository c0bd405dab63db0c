;; copy_loop: reactor that copies 8 MiB within its memory with memory.copy in an endless loop; the host must stop it by its time limit.
(module
  (memory (export "memory") 256)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (loop $l
      (memory.copy (i32.const 8388608) (i32.const 0) (i32.const 8388608))
      (br $l))
    (i32.const 0)))
