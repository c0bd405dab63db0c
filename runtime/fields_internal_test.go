package runtime

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/jsonindex"
	"github.com/wasmhook/wasmhook/internal/jsonraw"
)

// inputAnswer is what a field read of path in the input answers (the
// lookup host function's steps, without a guest): the value, or nil and a
// status.
func inputAnswer(ev *Event, path []byte) ([]byte, jsonindex.Status) {
	if len(path) == 0 {
		if v := ev.whole(); v != nil {
			return v, jsonindex.Found
		}
	}
	d, ix, p := ev.inputIndex(path)
	if ix == nil {
		var err error
		if ix, err = d.get(); err != nil {
			return nil, jsonindex.Status(abi.FieldTooLarge)
		}
	}
	return ix.Lookup(p, nil)
}

// FuzzResetData: for any data and path, an event made with ResetData (data
// indexed alone, the rest of the input apart, "" without an index)
// answers a field read of the input as the whole input's index does; and
// it refuses exactly the data jsonraw.Validate refuses.
func FuzzResetData(f *testing.F) {
	for _, c := range []struct{ data, path string }{
		{`{"status": {"value": "active"}, "name": "x"}`, "/data/status/value"},
		{`{"a": 1}`, "/request/user"},
		{`{"a": 1}`, ""},
		{` [1, {"b": null}] `, "/data/1/b"},
		{`"x"`, "/data"},
		{`{"data": 1}`, "/datax"},
		{`{"a/b": 1}`, "/data/a~1b"},
		{`{"a": 1}`, "/data~1x"},
		{`{"a": 1}`, "/dat"},
		{`{"a": tru}`, "/data/a"},
		{`1,"request":null`, "/request"},
	} {
		f.Add(c.data, c.path)
	}
	in := abi.Input{ObjectType: "dcim.site", EventType: "object_updated",
		Request: &abi.Request{Method: "PATCH", Path: "/api/dcim/sites/4/", User: "jstretch"}}
	f.Fuzz(func(t *testing.T, data, path string) {
		if len(data) == 0 {
			return // the enricher refuses a missing data before
		}
		in.Data = []byte(data)
		input, off := abi.AppendInputData(nil, &in, nil)
		var split Event
		err := split.ResetData(input, off, len(data), nil, nil)
		if verr := jsonraw.Validate([]byte(data)); verr != nil {
			require.Error(t, err, "data %q", data)
			require.Equal(t, verr.Error(), err.Error(), "data %q", data)
			return
		}
		require.NoError(t, err, "data %q", data)
		var whole Event
		whole.Reset(input, nil, nil)
		want, wantSt := inputAnswer(&whole, []byte(path))
		got, gotSt := inputAnswer(&split, []byte(path))
		require.Equal(t, wantSt, gotSt, "data %q, path %q", data, path)
		require.Equal(t, string(want), string(got), "data %q, path %q", data, path)
	})
}
