;; command_echo: WASI command that reads all of stdin into memory (growing it) and writes it to stdout.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "wasmhook_abi_v1"))
  ;; layout: iovec at 0 (ptr, len), byte count at 16, data from 1024 up to $end
  (func (export "_start")
    (local $end i32) (local $p i32) (local $left i32)
    (local.set $end (i32.const 1024))
    (block $eof
      (loop $read
        ;; keep at least 4096 free bytes after $end
        (if (i32.gt_u (i32.add (local.get $end) (i32.const 4096))
                      (i32.shl (memory.size) (i32.const 16)))
          (then (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1))
            (then (call $proc_exit (i32.const 1))))))
        (i32.store (i32.const 0) (local.get $end))
        (i32.store (i32.const 4) (i32.const 4096))
        (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16))
          (then (call $proc_exit (i32.const 1))))
        (br_if $eof (i32.eqz (i32.load (i32.const 16))))
        (local.set $end (i32.add (local.get $end) (i32.load (i32.const 16))))
        (br $read)))
    ;; write [1024, $end) to stdout, looping on short writes
    (local.set $p (i32.const 1024))
    (local.set $left (i32.sub (local.get $end) (i32.const 1024)))
    (block $done
      (loop $write
        (br_if $done (i32.eqz (local.get $left)))
        (i32.store (i32.const 0) (local.get $p))
        (i32.store (i32.const 4) (local.get $left))
        (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16))
          (then (call $proc_exit (i32.const 1))))
        (local.set $p (i32.add (local.get $p) (i32.load (i32.const 16))))
        (local.set $left (i32.sub (local.get $left) (i32.load (i32.const 16))))
        (br $write)))))
