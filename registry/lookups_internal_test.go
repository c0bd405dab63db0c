package registry

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHTTPSettingsResolve: a settings file's http and kv blocks, strict
// like the rest, with header values from the environment and from a file
// resolved at load; what cannot be resolved is an error naming the
// module and the key, never a value.
func TestHTTPSettingsResolve(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(secret, []byte("from-a-file\n"), 0o600))
	env := map[string]string{"NETBOX_TOKEN": "from-the-env"}
	lookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	t.Cleanup(func() { lookupEnv = os.LookupEnv })

	yaml := `
modules:
  tenant:
    http:
      grants:
        - prefix: https://netbox.example.com/api/
          headers: {Authorization: "Token ${NETBOX_TOKEN}", X-Other: "${file:` + secret + `}"}
          networks: [10.0.0.0/8, 192.168.1.7]
          cache_ttl: 1m
      timeout: 2s
      max_response: 256KiB
      max_requests: 3
    kv: {max_bytes: 64KiB}
`
	s, err := ParseSettings("wasmhook.yaml", []byte(yaml))
	require.NoError(t, err)
	ms := s.Modules["tenant"]
	assert.EqualValues(t, 64<<10, ms.KV.MaxBytes)
	p, err := ms.HTTP.policy("tenant")
	require.NoError(t, err)
	assert.Equal(t, 2*time.Second, p.Timeout)
	assert.EqualValues(t, 256<<10, p.MaxResponse)
	assert.Equal(t, 3, p.MaxRequests)
	require.Len(t, p.Grants, 1)
	g := p.Grants[0]
	assert.Equal(t, map[string]string{"Authorization": "Token from-the-env", "X-Other": "from-a-file"}, g.Headers)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32")}, g.Networks)
	assert.Equal(t, time.Minute, g.CacheTTL)

	_, err = ParseSettings("wasmhook.yaml", []byte("modules: {m: {http: {grant: []}}}"))
	assert.ErrorContains(t, err, "modules.m.http.grant: unknown key")
	_, err = ParseSettings("wasmhook.yaml", []byte("modules: {m: {http: {grants: [{prefix: https://h/, header: {}}]}}}"))
	assert.ErrorContains(t, err, "modules.m.http.grants[0].header: unknown key")

	for value, want := range map[string]string{
		"${UNSET}":              "modules.m.http.grants[0].headers.X: ${UNSET}: the environment variable is not set",
		"${file:/no/such/file}": "modules.m.http.grants[0].headers.X: ${file:/no/such/file}:",
	} {
		h := &HTTPSettings{Grants: []Grant{{Prefix: "https://h/", Headers: map[string]string{"X": value}}}}
		_, err := h.policy("m")
		assert.ErrorContains(t, err, want)
	}
	h := &HTTPSettings{Grants: []Grant{{Prefix: "https://h/", Networks: []string{"ten"}}}}
	_, err = h.policy("m")
	assert.ErrorContains(t, err, `modules.m.http.grants[0].networks: "ten" is not a CIDR or an address`)
	p, err = (*HTTPSettings)(nil).policy("m")
	assert.NoError(t, err)
	assert.Nil(t, p, "no http block: nothing granted")
}
