;; table_fill_loop: reactor that grows a table as far as the host lets it, then fills it with table.fill in an endless loop; the host must stop it by its time limit.
(module
  (memory (export "memory") 1)
  (table $t 0 funcref)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (local $n i32)
    (loop $grow
      (if (i32.ne (table.grow $t (ref.null func) (i32.const 65536)) (i32.const -1))
        (then (br $grow))))
    (local.set $n (table.size $t))
    (loop $l
      (table.fill $t (i32.const 0) (ref.null func) (local.get $n))
      (br $l))
    (i32.const 0)))
