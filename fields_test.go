package wasmhook_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/internal/jsonraw"
	"github.com/wasmhook/wasmhook/internal/testmod"
)

// TestFieldReadsThroughEnrich: modules look fields up in the event's
// input (data, request), in their own configuration and in the snapshots,
// one after another and on parallel goroutines (under -race: the callbacks
// of an event share its indexes, built by whichever asks first).
func TestFieldReadsThroughEnrich(t *testing.T) {
	probes := map[string]string{ // name: configuration
		"10-status":  `{"doc": 0, "path": "/data/status/value"}`,
		"11-name":    `{"doc": 0, "path": "/data/name"}`,
		"12-user":    `{"doc": 0, "path": "/request/user"}`,
		"13-agent":   `{"doc": 0, "path": "/request/headers/user-agent"}`,
		"14-auth":    `{"doc": 0, "path": "/request/headers/authorization"}`,
		"15-config":  `{"doc": 1, "path": "/ns", "ns": "geo"}`,
		"16-pre":     `{"doc": 2, "path": "/status/value"}`,
		"17-post":    `{"doc": 3, "path": "/name"}`,
		"18-tag":     `{"doc": 0, "path": "/data/tags/1/name"}`,
		"19-missing": `{"doc": 0, "path": "/data/tags/2/name"}`,
	}
	want := map[string]string{
		"10-status":  `{"type":5,"read":8,"string":6,"value":"active","text":"active"}`,
		"11-name":    `{"type":5,"read":13,"string":7,"value":"Z\u00fcrich","text":"Zürich"}`,
		"12-user":    `{"type":5,"read":10,"string":8,"value":"jstretch","text":"jstretch"}`,
		"13-agent":   `{"type":5,"read":12,"string":10,"value":"netbox/4.6","text":"netbox/4.6"}`,
		"14-auth":    `{"type":-1,"read":-1,"string":-1,"value":null}`, // never passed to modules
		"15-config":  `{"type":5,"read":5,"string":3,"value":"geo","text":"geo"}`,
		"16-pre":     `{"type":5,"read":9,"string":7,"value":"planned","text":"planned"}`,
		"17-post":    `{"type":5,"read":5,"string":3,"value":"New","text":"New"}`,
		"18-tag":     `{"type":5,"read":3,"string":1,"value":"b","text":"b"}`,
		"19-missing": `{"type":-1,"read":-1,"string":-1,"value":null}`,
	}
	mods := map[string]string{"50-slow": "sleep_config"}
	settings := map[string]wasmhook.ModuleSettings{
		// Slow enough that the enricher runs the callbacks in parallel
		// from the second event on.
		"50-slow": {Config: []byte(`{"slow":20}`)},
	}
	for name, cfg := range probes {
		mods[name] = "field_probe"
		settings[name] = wasmhook.ModuleSettings{Config: []byte(cfg), Nest: wasmhook.NestByName}
	}
	e := newEnricher(t, wasmhook.Options{Dir: modulesDir(t, mods), Modules: settings, Parallelism: 4, Limits: wasmhook.Limits{PoolSize: 2}})
	ev := siteEvent
	ev.Data = json.RawMessage(`{"id": 4, "name": "Z\u00fcrich", "status": {"value": "active"}, "tags": [{"name": "a"}, {"name": "b"}]}`)
	ev.Request = &wasmhook.Request{ID: uuid.MustParse("17af32f0-852a-46ca-a7d4-33ecd0c13de6"), Method: "PATCH", Path: "/api/dcim/sites/4/", User: "jstretch",
		Header: map[string][]string{"User-Agent": {"netbox/4.6"}, "Authorization": {"Token secret"}}}
	ev.Snapshots = &wasmhook.Snapshots{Prechange: json.RawMessage(`{"status": {"value": "planned"}}`), Postchange: json.RawMessage(`{"name": "New"}`)}
	for round := range 4 {
		res, err := e.Enrich(context.Background(), &ev)
		require.NoError(t, err)
		require.Empty(t, res.Failed(), "round %d", round)
		got := testmod.ContextOf(t, res.Payload)
		for name, w := range want {
			var wv any
			require.NoError(t, json.Unmarshal([]byte(w), &wv))
			assert.Equal(t, wv, got[name], "round %d: %s", round, name)
		}
	}
	// Without snapshots, they read as null.
	ev.Snapshots = nil
	res, err := e.Enrich(context.Background(), &ev)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"type": -1.0, "read": -1.0, "string": -1.0, "value": nil}, testmod.ContextOf(t, res.Payload)["17-post"])
}

// TestFieldReadsInDataNestedAtTheLimit: data nested as deep as the
// validator accepts (1000 levels; the input around it is one more) is
// indexed, and paths into it are followed.
func TestFieldReadsInDataNestedAtTheLimit(t *testing.T) {
	data := strings.Repeat(`{"k":`, jsonraw.MaxDepth-1) + `{"leaf":"deep"}` + strings.Repeat("}", jsonraw.MaxDepth-1)
	// field_probe takes paths of up to 1 KiB: 500 levels down.
	deep := "/data" + strings.Repeat("/k", 500)
	probes := map[string]string{"10-top": "/object_type", "20-deep": deep, "30-past": deep + "/leaf"}
	mods := map[string]string{}
	settings := map[string]wasmhook.ModuleSettings{}
	for name, p := range probes {
		mods[name] = "field_probe"
		settings[name] = wasmhook.ModuleSettings{Config: []byte(`{"doc": 0, "path": "` + p + `"}`), Nest: wasmhook.NestByName}
	}
	e := newEnricher(t, wasmhook.Options{Dir: modulesDir(t, mods), Modules: settings})
	ev := siteEvent
	ev.Data = json.RawMessage(data)
	res, err := e.Enrich(context.Background(), &ev)
	require.NoError(t, err)
	require.Empty(t, res.Failed())
	got := testmod.ContextOf(t, res.Payload)
	assert.Equal(t, map[string]any{"type": 5.0, "read": 11.0, "string": 9.0, "value": "dcim.site", "text": "dcim.site"}, got["10-top"])
	at := got["20-deep"].(map[string]any)
	assert.Equal(t, 7.0, at["type"]) // an object, 499 levels of it left
	assert.Equal(t, float64(len(data)-500*len(`{"k":`)-500), at["read"])
	assert.Equal(t, -2.0, at["string"])
	assert.Equal(t, map[string]any{"type": -1.0, "read": -1.0, "string": -1.0, "value": nil}, got["30-past"])
}
