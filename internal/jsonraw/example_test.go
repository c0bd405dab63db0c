package jsonraw_test

import (
	"fmt"
	"unicode/utf8"

	"github.com/wasmhook/wasmhook/internal/jsonraw"
)

// A plugin's return value is checked, classified and merged into the
// callback data without decoding any values.
func Example() {
	callbackData := []byte(`{"event": "created", "model": "dcim.site"}`)
	pluginOutputs := [][]byte{
		[]byte(`{"model": "dcim.site", "owner": {"team": "netops"}}`),
		[]byte(`null`), // falsy: nothing to merge
		[]byte(`{"event": "enriched", "Zürich": "Zürich"}`),
	}

	var m jsonraw.Merge
	if err := m.Add(callbackData); err != nil {
		panic(err)
	}
	for _, out := range pluginOutputs {
		if err := jsonraw.Validate(out); err != nil || !utf8.Valid(out) {
			fmt.Println("rejected:", err)
			continue
		}
		switch jsonraw.Classify(out) {
		case jsonraw.Object:
			if err := m.Add(out); err != nil {
				panic(err)
			}
		case jsonraw.Empty, jsonraw.Falsy:
			// Nothing to merge.
		default:
			fmt.Println("not an object")
		}
	}
	// Keys are re-escaped to suit the style; values are copied byte for
	// byte, so the nested object and the value "Zürich" keep their
	// original spelling in both styles.
	fmt.Println(string(m.AppendObject(nil, jsonraw.Python)))
	fmt.Println(string(m.AppendObject(nil, jsonraw.Compact)))
	// Output:
	// {"event": "enriched", "model": "dcim.site", "owner": {"team": "netops"}, "Z\u00fcrich": "Zürich"}
	// {"event":"enriched","model":"dcim.site","owner":{"team": "netops"},"Zürich":"Zürich"}
}

func ExampleValidate() {
	fmt.Println(jsonraw.Validate([]byte(`{"a": [1, 2.5e3, "x"]}`)))
	fmt.Println(jsonraw.Validate([]byte(`{"a": 01}`)))
	fmt.Println(jsonraw.Validate([]byte(`{"a": `)))
	// Output:
	// <nil>
	// offset 7: invalid character '1' after object member, want ',' or '}'
	// offset 6: unexpected end of input
}

func ExampleMembers() {
	obj := []byte(`{"name": "DC1", "tags": [ "a", "b" ], "\u00fc": null}`)
	err := jsonraw.Members(obj, func(key string, value []byte) error {
		fmt.Printf("%s = %s\n", key, value)
		return nil
	})
	fmt.Println(err)
	// Output:
	// name = "DC1"
	// tags = [ "a", "b" ]
	// ü = null
	// <nil>
}

func ExampleAppendASCIIString() {
	fmt.Println(string(jsonraw.AppendASCIIString(nil, "Zürich <1> 😀")))
	fmt.Println(string(jsonraw.AppendString(nil, "Zürich <1> 😀")))
	// Output:
	// "Z\u00fcrich <1> \ud83d\ude00"
	// "Zürich <1> 😀"
}
