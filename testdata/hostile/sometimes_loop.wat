;; sometimes_loop: a reactor that loops forever on every 50th call of an
;; instance and returns nothing otherwise: timeouts mixed into normal
;; traffic, for the soak test. Host must report ErrTimeout on those calls.
(module
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (if (i32.eqz (i32.rem_u (global.get $calls) (i32.const 50)))
      (then (loop $forever (br $forever))))
    (i32.const 0)))
