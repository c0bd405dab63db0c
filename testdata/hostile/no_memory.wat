;; no_memory: a reactor whose memory is not exported.
(module
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory 1)
  (data (i32.const 1024) "{\"foo\":123}")
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (call $output_set (i32.const 1024) (i32.const 11))
    (i32.const 0)))
