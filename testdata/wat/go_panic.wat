;; go_panic: WASI command that writes a Go panic and a goroutine trace longer than 512 bytes to stderr, as Go's runtime does, then calls proc_exit(2).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "panic: runtime error: index out of range [5] with length 3\0a\0agoroutine 1 [running]:\0amain.level0(...)\0a\09/home/dev/plugin/main.go:40 +0x4\0amain.level1(...)\0a\09/home/dev/plugin/main.go:41 +0x14\0amain.level2(...)\0a\09/home/dev/plugin/main.go:42 +0x24\0amain.level3(...)\0a\09/home/dev/plugin/main.go:43 +0x34\0amain.level4(...)\0a\09/home/dev/plugin/main.go:44 +0x44\0amain.level5(...)\0a\09/home/dev/plugin/main.go:45 +0x54\0amain.level6(...)\0a\09/home/dev/plugin/main.go:46 +0x64\0amain.level7(...)\0a\09/home/dev/plugin/main.go:47 +0x74\0amain.level8(...)\0a\09/home/dev/plugin/main.go:48 +0x84\0amain.level9(...)\0a\09/home/dev/plugin/main.go:49 +0x94\0amain.level10(...)\0a\09/home/dev/plugin/main.go:50 +0xa4\0amain.level11(...)\0a\09/home/dev/plugin/main.go:51 +0xb4\0amain.main()\0a\09/home/dev/plugin/main.go:12 +0x4\0a")
  (data (i32.const 0) "\00\04\00\00\f2\02\00\00") ;; iovec {1024, 754}; nwritten at 32
  (func (export "wasmhook_abi_v1"))
  (func (export "_start")
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 32)))
    (call $proc_exit (i32.const 2))))
