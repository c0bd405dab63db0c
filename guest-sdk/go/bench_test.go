package wasmhook_test

import (
	"encoding/json"
	"os"
	"testing"

	wasmhook "github.com/wasmhook/wasmhook/guest-sdk/go"
)

// The benchmarks read what site_status needs, data.status.value and
// data.name, from a realistic NetBox site (testdata/site.json, 1.6 KiB), with
// the scanner and with encoding/json. README.md records the results.

func loadSite(b *testing.B) []byte {
	site, err := os.ReadFile("testdata/site.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(site)))
	b.ReportAllocs()
	return site
}

var sinkInt int
var sinkRaw []byte

// BenchmarkTwoFields is the SDK's fast path.
func BenchmarkTwoFields(b *testing.B) {
	site := loadSite(b)
	for b.Loop() {
		data := wasmhook.ParseValue(site)
		sinkRaw = data.Get("status", "value").Raw()
		sinkInt, _ = data.Get("name").RuneCount()
	}
}

// BenchmarkLastField looks up the last member: the scanner's worst case on
// this object, skipping every other member.
func BenchmarkLastField(b *testing.B) {
	site := loadSite(b)
	for b.Loop() {
		n, _ := wasmhook.ParseValue(site).Get("vlan_count").Int()
		sinkInt = int(n)
	}
}

// BenchmarkEncodingJSONStruct decodes into a struct of the two fields, the
// cheapest encoding/json can do: it still scans and validates everything.
func BenchmarkEncodingJSONStruct(b *testing.B) {
	site := loadSite(b)
	for b.Loop() {
		var d struct {
			Name   *string `json:"name"`
			Status struct {
				Value json.RawMessage `json:"value"`
			} `json:"status"`
		}
		if err := json.Unmarshal(site, &d); err != nil {
			b.Fatal(err)
		}
		sinkRaw = d.Status.Value
		sinkInt = len(*d.Name)
	}
}

// BenchmarkEncodingJSONMap decodes the whole object into a map.
func BenchmarkEncodingJSONMap(b *testing.B) {
	site := loadSite(b)
	for b.Loop() {
		var d map[string]any
		if err := json.Unmarshal(site, &d); err != nil {
			b.Fatal(err)
		}
		sinkInt = len(d["name"].(string))
	}
}
