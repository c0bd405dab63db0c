//go:build !wasip1

package main

import (
	"testing"

	wasmhook "github.com/wasmhook/wasmhook/guest-sdk/go"
)

// The plugin run natively through wasmhook.Run. The wasm module itself is
// checked through the host by ../go_guest_test.go.
func TestSiteStatus(t *testing.T) {
	tests := []struct {
		data, config, want string
	}{
		{`{"name": "Z\u00fcrich <1>", "status": {"value": "active", "label": "Active"}}`, `{}`, `{"site_status":"active","name_len":10}`},
		{`{"status": {"value": "act\"ive\\"}, "name": "\ud83d\ude00 caf\u00e9 \"q\" \\ \n\t"}`, `{}`, `{"site_status":"act\"ive\\","name_len":15}`},
		{`{"status": {"value": "a<b&c"}}`, `{}`, `{"site_status":"a<b&c"}`},
		{"{  \"name\"  :   \"Ünïcödé  spaces\" ,\n   \"status\" : { \"label\" : \"Active\" , \"value\" :  \"active\"  } } ", `{}`, `{"site_status":"active","name_len":15}`},
		{`{"name": "", "tags": [{"name": "x", "status": {"value": "wrong"}}]}`, `{}`, `{"name_len":0}`},
		{`{"id": 12, "slug": "no-name", "status": "active"}`, `{}`, `{}`},
		{`{"status": {"value": 1}, "name": null, "Name": "x"}`, `{}`, `{}`},
		{`[1]`, `{}`, `{}`},
		{`{"name": "x"}`, `{"namespace":"geo"}`, `{"geo":{"name_len":1}}`},
		{`{}`, `{"namespace":"geo"}`, `{"geo":{}}`},
		{`{}`, `{"namespace":"a\"b\\c\u0001\t\u00e9/"}`, `{"a\"b\\c\u0001\u0009é/":{}}`},
		{`{}`, `{"namespace":1}`, `{}`},
	}
	for _, tt := range tests {
		input := `{"object_type":"dcim.site","event_type":"object_updated","data":` + tt.data + `,"request":null}`
		got, err := wasmhook.Run([]byte(input), []byte(tt.config))
		if err != nil || string(got) != tt.want {
			t.Errorf("data %s, config %s:\ngot  %s (%v)\nwant %s", tt.data, tt.config, got, err, tt.want)
		}
	}
}
