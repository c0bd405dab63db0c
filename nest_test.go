package wasmhook_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/internal/testmod"
)

// contextJSON returns the payload's context as written, for key order.
func contextJSON(t *testing.T, payload []byte) string {
	t.Helper()
	var p struct{ Context json.RawMessage }
	require.NoError(t, json.Unmarshal(payload, &p))
	return string(p.Context)
}

// TestNestedOutputs: a module or a native callback with a nest setting
// has its output placed under one context key (its name, or the key
// given), whatever keys it returns; falsy outputs add nothing, outputs
// that are not objects fail as without nesting, and settings in the file
// and in code agree.
func TestNestedOutputs(t *testing.T) {
	dir := modulesDir(t, map[string]string{
		"10-fixed":  "fixed",         // {"foo": 123}
		"20-branch": "active_branch", // {"active_branch": null}
		"30-null":   "null_output",   // null
		"40-empty":  "falsy_array",   // []
		"50-array":  "not_object",    // [1,2]
	})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wasmhook.yaml"), []byte(
		"modules:\n  20-branch: {nest: geo}\n  30-null: {nest: true}\n  40-empty: {nest: true}\n  50-array: {nest: true}\n"), 0o644))
	e := newEnricher(t, wasmhook.Options{Dir: dir, Modules: map[string]wasmhook.ModuleSettings{
		"10-fixed": {Nest: wasmhook.NestByName},
	}})
	require.NoError(t, e.Register("native", returns(map[string]int{"n": 1}), wasmhook.NestUnder(wasmhook.NestByName)))
	require.NoError(t, e.Register("plain", returns(map[string]int{"p": 2})))
	res, err := e.Enrich(context.Background(), &siteEvent)
	require.NoError(t, err)
	assert.Equal(t, `{"10-fixed": {"foo":123}, "geo": {"active_branch":null}, "native": {"n":1}, "p": 2}`, contextJSON(t, res.Payload))
	nests := map[string]string{}
	for _, rep := range res.Reports {
		nests[rep.Callback] = rep.Nest
	}
	assert.Equal(t, map[string]string{"10-fixed": "10-fixed", "20-branch": "geo", "30-null": "30-null", "40-empty": "40-empty", "50-array": "50-array", "native": "native", "plain": ""}, nests)
	require.Len(t, res.Failed(), 1)
	assert.Equal(t, "50-array", res.Failed()[0].Callback)
	assert.ErrorIs(t, res.Failed()[0].Err, wasmhook.ErrOutputNotObject, "nesting does not make a non-object output valid")

	// nest: false in the file, or nothing, merges the keys.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wasmhook.yaml"), []byte("modules:\n  20-branch: {nest: false}\n  50-array: {disabled: true}\n"), 0o644))
	_, err = e.Reload(context.Background())
	require.NoError(t, err)
	res, err = e.Enrich(context.Background(), &siteEvent)
	require.NoError(t, err)
	assert.Equal(t, `{"10-fixed": {"foo":123}, "active_branch": null, "native": {"n":1}, "p": 2}`, contextJSON(t, res.Payload))
}

// TestNestedKeyOrder: a nested key takes the position a NetBox dict would
// give it, the place where a key of that name was first set, whoever set
// it and whatever value wins.
func TestNestedKeyOrder(t *testing.T) {
	e := newEnricher(t, wasmhook.Options{})
	require.NoError(t, e.Register("a", returns(json.RawMessage(`{"a": 1}`))))
	require.NoError(t, e.Register("b", returns(json.RawMessage(` {"x": true} `)), wasmhook.NestUnder("b")))
	require.NoError(t, e.Register("c", returns(json.RawMessage(`{"c": 3, "b": 5}`))))
	res, err := e.Enrich(context.Background(), &siteEvent)
	require.NoError(t, err)
	// Python: d = {}; d.update({"a": 1}); d.update({"b": {"x": True}}); d.update({"c": 3, "b": 5})
	assert.Equal(t, `{"a": 1, "b": 5, "c": 3}`, contextJSON(t, res.Payload))
	assert.Equal(t, []wasmhook.Overwrite{{Key: "b", Callback: "b"}}, res.Reports[2].Overwrote)
}

// TestCollisionsAreReported: three callbacks set the same key; each later
// one overwrites the one before, and the report, the counters and the
// log say so: the report per event, the counter per pair of callbacks,
// the warning once per pair however many events.
func TestCollisionsAreReported(t *testing.T) {
	var logs testmod.LogBuffer
	e := newEnricher(t, wasmhook.Options{Logger: testmod.Logger(&logs)})
	require.NoError(t, e.Register("first", returns(json.RawMessage(`{"owner": "a", "x": 1}`))))
	require.NoError(t, e.Register("second", returns(json.RawMessage(`{"owner": "b", "y": 2}`))))
	require.NoError(t, e.Register("third", returns(json.RawMessage(`{"owner": "c", "x": 3, "y": 4}`))))
	for range 3 {
		res, err := e.Enrich(context.Background(), &siteEvent)
		require.NoError(t, err)
		assert.Equal(t, `{"owner": "c", "x": 3, "y": 4}`, contextJSON(t, res.Payload), "later wins, as in NetBox")
		assert.Empty(t, res.Failed())
		assert.Empty(t, res.Reports[0].Overwrote)
		assert.Equal(t, []wasmhook.Overwrite{{Key: "owner", Callback: "first"}}, res.Reports[1].Overwrote)
		assert.Equal(t, []wasmhook.Overwrite{{Key: "owner", Callback: "second"}, {Key: "x", Callback: "first"}, {Key: "y", Callback: "second"}}, res.Reports[2].Overwrote)
	}
	stats := map[string]map[string]int64{}
	for _, st := range e.Stats() {
		stats[st.Name] = st.Overwrote
	}
	assert.Equal(t, map[string]map[string]int64{"first": nil, "second": {"first": 3}, "third": {"second": 3, "first": 3}}, stats,
		"counted once per event and pair, however many keys (third overwrites two of second's)")
	assert.Equal(t, 3, strings.Count(logs.String(), "overwrote a context key"), "one warning per pair of callbacks: %s", logs.String())
	assert.Contains(t, logs.String(), "callback=third overwrote=first key=x")
}

// TestFailOnCollision: with the option, a callback that sets a key an
// earlier callback set fails instead, and nothing of its output is
// merged; its failure policy applies.
func TestFailOnCollision(t *testing.T) {
	e := newEnricher(t, wasmhook.Options{FailOnCollision: true})
	require.NoError(t, e.Register("first", returns(json.RawMessage(`{"owner": "a"}`))))
	require.NoError(t, e.Register("second", returns(json.RawMessage(`{"y": 2, "owner": "b"}`))))
	require.NoError(t, e.Register("nested", returns(json.RawMessage(`{"z": 1}`)), wasmhook.NestUnder("owner")))
	require.NoError(t, e.Register("third", returns(json.RawMessage(`{"x": 3}`))))
	res, err := e.Enrich(context.Background(), &siteEvent)
	require.NoError(t, err)
	assert.Equal(t, `{"owner": "a", "x": 3}`, contextJSON(t, res.Payload), "the colliding outputs are dropped whole")
	require.Len(t, res.Failed(), 2)
	for i, name := range []string{"second", "nested"} {
		rep := res.Failed()[i]
		assert.Equal(t, name, rep.Callback)
		assert.ErrorIs(t, rep.Err, wasmhook.ErrCollision)
		assert.ErrorContains(t, rep.Err, `context key "owner", which first set before it`)
		assert.Equal(t, []wasmhook.Overwrite{{Key: "owner", Callback: "first"}}, rep.Overwrote)
	}
	stats := e.Stats()
	assert.Equal(t, map[string]int64{"first": 1}, stats[1].Overwrote)
	assert.Equal(t, map[string]int64{"first": 1}, stats[2].Overwrote)
}

// TestReportKeys: with Options.ReportKeys each report lists the context
// keys its callback set (a module's and a native callback's, a nested
// output's key, nothing for a falsy output or a failure), overwritten
// ones included; without it, none.
func TestReportKeys(t *testing.T) {
	dir := modulesDir(t, map[string]string{
		"10-fixed":  "fixed",         // {"foo": 123}
		"20-branch": "active_branch", // {"active_branch": null}
		"30-null":   "null_output",   // null
		"40-array":  "not_object",    // [1,2]: fails
	})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wasmhook.yaml"), []byte("modules:\n  20-branch: {nest: geo}\n"), 0o644))
	for _, on := range []bool{true, false} {
		e := newEnricher(t, wasmhook.Options{Dir: dir, ReportKeys: on})
		require.NoError(t, e.Register("native", returns(json.RawMessage(`{"foo": 1, "bar": 2, "foo": 3}`))))
		res, err := e.Enrich(context.Background(), &siteEvent)
		require.NoError(t, err)
		keys := map[string][]string{}
		for _, rep := range res.Reports {
			keys[rep.Callback] = rep.Keys
		}
		if !on {
			assert.Equal(t, map[string][]string{"10-fixed": nil, "20-branch": nil, "30-null": nil, "40-array": nil, "native": nil}, keys)
			continue
		}
		assert.Equal(t, map[string][]string{"10-fixed": {"foo"}, "20-branch": {"geo"}, "30-null": nil, "40-array": nil, "native": {"foo", "bar"}}, keys)
		assert.Equal(t, []wasmhook.Overwrite{{Key: "foo", Callback: "10-fixed"}}, res.Reports[4].Overwrote, "the last callback listing a key is its owner")
	}
}
