package main_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/internal/testmod"
)

// TestRunShowsNestingAndCollisions: run -v and --json say where a nested
// output went and which keys a later module overwrote; --nest and
// --fail-on-collision set what the settings file would.
func TestRunShowsNestingAndCollisions(t *testing.T) {
	fixed, echo, branch := testmod.Path("fixed"), testmod.Path("echo_config"), testmod.Path("active_branch")
	cfg := `echo_config={"foo":"from config"}`

	r := wasmhook(t, "", "run", fixed, echo, branch, "--config", cfg, "--nest", "active_branch=geo", "-v")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, map[string]any{"foo": "from config", "geo": map[string]any{"active_branch": nil}}, testmod.ContextOf(t, []byte(r.stdout)))
	assert.Regexp(t, `echo_config\s+reactor.*ok, overwrote "foo" of fixed`, r.stderr)
	assert.Regexp(t, `active_branch\s+reactor.*ok, nested under "geo"`, r.stderr)

	r = wasmhook(t, "", "run", fixed, echo, "--config", cfg, "--nest", "fixed", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var rep struct {
		Callbacks []struct {
			Name      string
			Nest      string
			Overwrote []struct{ Key, Callback string }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	require.Len(t, rep.Callbacks, 2)
	assert.Equal(t, "fixed", rep.Callbacks[0].Nest, "--nest NAME nests under the callback's name")
	assert.Empty(t, rep.Callbacks[1].Overwrote, "nested, fixed's foo is under fixed: no collision")

	r = wasmhook(t, "", "run", fixed, echo, "--config", cfg, "--json", "--fail-on-collision")
	require.Equal(t, 0, r.code, r.stderr)
	var failed struct {
		Payload   json.RawMessage
		Callbacks []struct {
			Name       string
			ErrorClass string `json:"error_class"`
			Overwrote  []struct{ Key, Callback string }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &failed), r.stdout)
	assert.Equal(t, "collision", failed.Callbacks[1].ErrorClass)
	assert.Equal(t, []struct{ Key, Callback string }{{"foo", "fixed"}}, failed.Callbacks[1].Overwrote)
	assert.Equal(t, map[string]any{"foo": 123.0}, testmod.ContextOf(t, failed.Payload), "the colliding output is dropped")
}
