module github.com/wasmhook/wasmhook/examples/go/netbox_tenant

go 1.25.0

require github.com/wasmhook/wasmhook/guest-sdk/go v0.0.0

replace github.com/wasmhook/wasmhook/guest-sdk/go => ../../../guest-sdk/go
