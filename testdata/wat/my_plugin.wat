;; my_plugin: returns {"my_plugin":{"foo":123,"bar":456}} without reading its
;; input (callback cb3 of the W1 benchmark workload).
(module
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "{\"my_plugin\":{\"foo\":123,\"bar\":456}}")
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (call $output_set (i32.const 1024) (i32.const 35))
    (i32.const 0)))
