;; grow_at_start: reactor whose memory declares a 2048-page (128 MiB) minimum, above the 64 MiB default limit; fails at load.
(module
  (memory (export "memory") 2048)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (i32.const 0)))
