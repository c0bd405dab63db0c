package wasmhook_test

import (
	"fmt"

	wasmhook "github.com/wasmhook/wasmhook/guest-sdk/go"
)

func ExampleValue_Get() {
	data := wasmhook.ParseValue([]byte(`{"name":"Z\u00fcrich","status":{"value":"active"},"tags":[{"name":"x"}]}`))

	status := data.Get("status", "value")
	fmt.Println(status.Kind(), string(status.Raw()))

	name, _ := data.Get("name").String()
	n, _ := data.Get("name").RuneCount()
	fmt.Println(name, n)

	// Only top-level members count: the tag's name is not data's.
	fmt.Println(data.Get("tags", "name").Exists())
	// Output:
	// string "active"
	// Zürich 6
	// false
}

func ExampleObject() {
	var out wasmhook.Object
	out.Nested("geo").Raw("site_status", []byte(`"active"`)).Int("name_len", 10)
	fmt.Println(string(out.Bytes()))
	// Output: {"geo":{"site_status":"active","name_len":10}}
}
