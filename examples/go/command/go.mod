module github.com/wasmhook/wasmhook/examples/go/command

go 1.25.0
