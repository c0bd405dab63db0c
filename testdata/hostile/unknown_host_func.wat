;; unknown_host_func: a reactor importing wasmhook_v1.http_get, which the host does not provide.
(module
  (import "wasmhook_v1" "http_get" (func $http_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (i32.const 0)))
