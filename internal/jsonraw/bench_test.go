package jsonraw

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"unicode/utf8"
)

// siteJSON is a NetBox dcim.site object as a webhook carries it in its
// "data" field (about 1.7 KiB).
const siteJSON = `{
  "id": 42,
  "url": "https://netbox.example.com/api/dcim/sites/42/",
  "display": "Berlin DC1",
  "name": "Berlin DC1",
  "slug": "berlin-dc1",
  "status": {"value": "active", "label": "Active"},
  "region": {"id": 3, "url": "https://netbox.example.com/api/dcim/regions/3/", "display": "Germany", "name": "Germany", "slug": "de", "description": "", "site_count": 0, "_depth": 1},
  "group": {"id": 7, "url": "https://netbox.example.com/api/dcim/site-groups/7/", "display": "Colocation", "name": "Colocation", "slug": "colo", "description": "", "site_count": 0, "_depth": 0},
  "tenant": {"id": 1, "url": "https://netbox.example.com/api/tenancy/tenants/1/", "display": "Z\u00fcrich Networks AG", "name": "Z\u00fcrich Networks AG", "slug": "zurich-networks", "description": ""},
  "facility": "Equinix FR5, Cage 12",
  "time_zone": "Europe/Berlin",
  "description": "Primary data centre \u2013 rack rows A to F",
  "physical_address": "Kleyerstra\u00dfe 90\n60326 Frankfurt am Main",
  "shipping_address": "",
  "latitude": 50.099674,
  "longitude": 8.634214,
  "comments": "Access via loading dock \"B\"; badge required.",
  "asns": [{"id": 2, "url": "https://netbox.example.com/api/ipam/asns/2/", "display": "AS64512", "asn": 64512, "description": ""}],
  "tags": [
    {"id": 5, "url": "https://netbox.example.com/api/extras/tags/5/", "display": "production", "name": "production", "slug": "production", "color": "f44336"}
  ],
  "custom_fields": {"cost_center": 1234, "on_call": null, "power_kw": 120.5},
  "created": "2024-03-01T09:12:44.120374Z",
  "last_updated": "2025-01-17T16:03:09.552108Z",
  "circuit_count": 4,
  "device_count": 118,
  "prefix_count": 23,
  "rack_count": 12,
  "vlan_count": 40
}`

func BenchmarkValidate(b *testing.B) {
	data := []byte(siteJSON)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Validate(data); err != nil {
			b.Fatal(err)
		}
	}
}

// w1Values returns the data, prechange and postchange values of the W1
// workload's NetBox event (../../testdata/w1/event.json), the JSON
// Validate sees for every event.
func w1Values(b *testing.B) [][]byte {
	raw, err := os.ReadFile("../../testdata/w1/event.json")
	if err != nil {
		b.Fatal(err)
	}
	var ev struct {
		Data      json.RawMessage
		Snapshots struct{ Prechange, Postchange json.RawMessage }
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		b.Fatal(err)
	}
	vals := [][]byte{ev.Data, ev.Snapshots.Prechange, ev.Snapshots.Postchange}
	for _, v := range vals {
		if len(v) == 0 {
			b.Fatal("W1 event lacks data or a snapshot")
		}
	}
	return vals
}

func BenchmarkValidateW1(b *testing.B) {
	vals := w1Values(b)
	n := 0
	for _, v := range vals {
		n += len(v)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for _, v := range vals {
			if err := Validate(v); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// rawUTF8 returns s with its \uXXXX escapes of non-surrogates replaced
// by the characters as raw UTF-8, the form json.dumps(ensure_ascii=False)
// writes.
func rawUTF8(s string) string {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+5 < len(s) && s[i+1] == 'u' {
			if r, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil && !(r >= 0xd800 && r < 0xe000) {
				out = utf8.AppendRune(out, rune(r))
				i += 5
				continue
			}
		}
		if s[i] == '\\' && i+1 < len(s) {
			out = append(out, s[i], s[i+1])
			i++
			continue
		}
		out = append(out, s[i])
	}
	return string(out)
}

// BenchmarkValidateRawUTF8 is BenchmarkValidate with the non-ASCII
// characters written as raw UTF-8 instead of \u escapes.
func BenchmarkValidateRawUTF8(b *testing.B) {
	data := []byte(rawUTF8(siteJSON))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Validate(data); err != nil {
			b.Fatal(err)
		}
	}
}

// siteVariants returns n copies of siteJSON whose string values (not
// keys) are replaced by random text of random length, with some \u
// escapes and raw UTF-8: the same shape with different contents, as a
// stream of events of one model is. Validating them in turn keeps the
// branch predictor from learning one document by heart, which
// BenchmarkValidate allows.
func siteVariants(n int) [][]byte {
	rng := rand.New(rand.NewPCG(7, 8))
	src := []byte(siteJSON)
	docs := make([][]byte, n)
	for d := range docs {
		var out []byte
		for i := 0; i < len(src); i++ {
			out = append(out, src[i])
			if src[i] != '"' {
				continue
			}
			end := i + 1 // Just past the closing quote.
			for src[end] != '"' {
				if src[end] == '\\' {
					end++
				}
				end++
			}
			end++
			if k := skipSpace(src, end); src[k] == ':' {
				out = append(out, src[i+1:end]...) // A key: keep it.
				i = end - 1
				continue
			}
			for range rng.IntN(rng.IntN(48) + 1) {
				switch r := rng.IntN(100); {
				case r < 2:
					out = append(out, `\u00fc`...)
				case r < 3:
					out = append(out, "é"...)
				case r < 4:
					out = append(out, `\n`...)
				case r < 16:
					out = append(out, ' ')
				default:
					out = append(out, byte('a'+rng.IntN(26)))
				}
			}
			out = append(out, '"')
			i = end - 1
		}
		if err := Validate(out); err != nil {
			panic(err)
		}
		docs[d] = out
	}
	return docs
}

// BenchmarkValidateVaried validates 256 different site objects in turn;
// see siteVariants.
func BenchmarkValidateVaried(b *testing.B) {
	docs := siteVariants(256)
	n := 0
	for _, d := range docs {
		n += len(d)
	}
	b.SetBytes(int64(n / len(docs)))
	b.ReportAllocs()
	k := 0
	for b.Loop() {
		if err := Validate(docs[k%len(docs)]); err != nil {
			b.Fatal(err)
		}
		k++
	}
}

// BenchmarkValidateAndUTF8Valid is Validate followed by utf8.Valid, what
// callers did before Validate checked UTF-8 itself; it is kept to
// compare that two-pass cost with Validate's single pass.
func BenchmarkValidateAndUTF8Valid(b *testing.B) {
	site := [][]byte{[]byte(siteJSON)}
	for _, bc := range []struct {
		name string
		vals [][]byte
	}{
		{"Site", site},
		{"W1", w1Values(b)},
		{"RawUTF8", [][]byte{[]byte(rawUTF8(siteJSON))}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			n := 0
			for _, v := range bc.vals {
				n += len(v)
			}
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				for _, v := range bc.vals {
					if err := Validate(v); err != nil || !utf8.Valid(v) {
						b.Fatal("invalid", err)
					}
				}
			}
		})
	}
}

// BenchmarkValidateStdlib is encoding/json.Valid on the same input, for
// comparison.
func BenchmarkValidateStdlib(b *testing.B) {
	data := []byte(siteJSON)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if !json.Valid(data) {
			b.Fatal("invalid")
		}
	}
}

func BenchmarkClassify(b *testing.B) {
	data := []byte(siteJSON)
	b.ReportAllocs()
	for b.Loop() {
		if Classify(data) != Object {
			b.Fatal("not an object")
		}
	}
}

func BenchmarkMembers(b *testing.B) {
	data := []byte(siteJSON)
	n := 0
	fn := func(string, []byte) error { n++; return nil }
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Members(data, fn); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMerge(b *testing.B) {
	objs := [][]byte{
		[]byte(`{"event": "created", "model": "dcim.site", "username": "admin"}`),
		[]byte(`{"plugin": "geo", "lat": 50.099674, "lon": 8.634214, "city": "Frankfurt"}`),
		[]byte(`{"plugin": "owner", "team": "netops", "event": "enriched", "pager": null}`),
	}
	for _, style := range []Style{Compact, Python} {
		b.Run(style.String(), func(b *testing.B) {
			var m Merge
			dst := make([]byte, 0, 512)
			b.ReportAllocs()
			for b.Loop() {
				m.Reset()
				for _, o := range objs {
					if err := m.Add(o); err != nil {
						b.Fatal(err)
					}
				}
				dst = m.AppendObject(dst[:0], style)
			}
		})
	}
	b.Run("Cold", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m Merge
			for _, o := range objs {
				if err := m.Add(o); err != nil {
					b.Fatal(err)
				}
			}
			_ = m.AppendObject(nil, Compact)
		}
	})
}

func BenchmarkAppendString(b *testing.B) {
	dst := make([]byte, 0, 256)
	for _, c := range []struct{ name, s string }{
		{"text", "Primary data centre – rack rows A to F, Kleyerstraße 90\n60326 Frankfurt am Main"},
		// What an event's input and payload hold most: short ASCII.
		{"path", "/api/dcim/sites/24/"},
		{"agent", "pynetbox/7.4.1"},
	} {
		b.Run("Compact/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				dst = AppendString(dst[:0], c.s)
			}
		})
		b.Run("ASCII/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				dst = AppendASCIIString(dst[:0], c.s)
			}
		})
	}
}
