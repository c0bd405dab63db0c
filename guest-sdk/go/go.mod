module github.com/wasmhook/wasmhook/guest-sdk/go

go 1.25.0
