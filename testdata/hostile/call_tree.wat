;; call_tree: on_event makes a tree of calls with no loop at all: $f calls
;; itself twice per level, 48 levels deep (2^48 calls). A runtime that checks
;; deadlines only at loop back-edges never stops it; the host must: ErrTimeout.
(module
  (memory (export "memory") 1)
  (func $f (param $depth i32)
    (if (i32.eqz (local.get $depth)) (then (return)))
    (call $f (i32.sub (local.get $depth) (i32.const 1)))
    (call $f (i32.sub (local.get $depth) (i32.const 1))))
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (call $f (i32.const 48))
    (i32.const 0)))
