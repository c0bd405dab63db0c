;; log_flood: reactor that logs a 1 KiB message 10240 times (10 MiB), then outputs {"flood":"done"}; must succeed (excess logs dropped).
(module
  (import "wasmhook_v1" "log" (func $log (param i32 i32 i32)))
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"flood\":\"done\"}")
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (local $i i32)
    (memory.fill (i32.const 1024) (i32.const 120) (i32.const 1024)) ;; 1 KiB of 'x' at 1024
    (loop $flood
      (call $log (i32.const 0) (i32.const 1024) (i32.const 1024))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $flood (i32.lt_u (local.get $i) (i32.const 10240))))
    (call $output_set (i32.const 0) (i32.const 16))
    (i32.const 0)))
