package jsonraw

import (
	"encoding/json"
	"testing"
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
	s := "Primary data centre – rack rows A to F, Kleyerstraße 90\n60326 Frankfurt am Main"
	dst := make([]byte, 0, 256)
	b.Run("Compact", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dst = AppendString(dst[:0], s)
		}
	})
	b.Run("ASCII", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dst = AppendASCIIString(dst[:0], s)
		}
	})
}
