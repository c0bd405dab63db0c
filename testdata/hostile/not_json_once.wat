;; not_json_once: reactor that outputs {"a": (not JSON) on its instance's first call, and {"reused":true} on any later call of the same instance.
(module
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  (data (i32.const 1024) "{\"a\":")
  (data (i32.const 2048) "{\"reused\":true}") ;; 15 bytes
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (if (i32.eq (global.get $calls) (i32.const 1))
      (then (call $output_set (i32.const 1024) (i32.const 5)))
      (else (call $output_set (i32.const 2048) (i32.const 15))))
    (i32.const 0)))
