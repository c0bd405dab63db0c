package relay_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/internal/testmod"
	"github.com/wasmhook/wasmhook/relay"
)

const goodConfig = `
listen: 127.0.0.1:9999
data_dir: /tmp/q
modules: ./modules
sources:
  netbox: {secret: {env: TEST_NETBOX_SECRET}}
  lab: {unsigned: true}
destinations:
  inventory:
    url: https://inventory.example/hooks
    headers: {X-Env: prod}
    filter: {object_types: [dcim.site], events: [created, updated]}
    sign: {netbox: {value: s3cr3t}, standard: {file: SECRETFILE}}
  audit:
    url: http://127.0.0.1:9000/
    retry: [1s, 2s]
`

// TestConfig: a full configuration reads with its defaults filled in;
// secrets resolve from value, file and environment and never print.
func TestConfig(t *testing.T) {
	t.Setenv("TEST_NETBOX_SECRET", "from-env")
	secret := filepath.Join(t.TempDir(), "whsec")
	require.NoError(t, os.WriteFile(secret, []byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"), 0o600))
	c, err := relay.ParseConfig("serve.yaml", []byte(strings.Replace(goodConfig, "SECRETFILE", secret, 1)))
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9999", c.Listen)
	assert.EqualValues(t, 1<<20, c.MaxBody)
	assert.Equal(t, 5*time.Second, c.Server.ReadHeaderTimeout)
	assert.Equal(t, 256, c.Server.MaxConcurrent)
	inv := c.Destinations["inventory"]
	assert.Equal(t, 15*time.Second, inv.Timeout)
	assert.Equal(t, 4, inv.Concurrency)
	assert.Equal(t, relay.DefaultRetry(), inv.Retry)
	assert.Len(t, inv.Retry, 7, "8 attempts in all")
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second}, c.Destinations["audit"].Retry)
	v, err := c.Sources["netbox"].Secret.Resolve()
	require.NoError(t, err)
	assert.Equal(t, "from-env", v)
	v, err = inv.Sign.Standard.Resolve()
	require.NoError(t, err)
	assert.Equal(t, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", v, "a file's trailing newline dropped")
	for _, s := range []string{fmt.Sprint(inv.Sign), fmt.Sprintf("%+v", c.Destinations), fmt.Sprintf("%#v", inv.Sign.NetBox)} {
		assert.NotContains(t, s, "s3cr3t", "secrets are redacted")
		assert.NotContains(t, s, "MfKQ9r8G")
	}
}

// TestConfigErrors: what cannot run is refused with the file, the key
// and the reason.
func TestConfigErrors(t *testing.T) {
	t.Setenv("TEST_NETBOX_SECRET", "x")
	base := "data_dir: /tmp/q\nsources: {netbox: {secret: {env: TEST_NETBOX_SECRET}}}\ndestinations: {d: {url: 'http://127.0.0.1:1/'}}\n"
	cases := map[string]string{
		"sources: {netbox: {}}\ndestinations: {d: {url: 'http://h/'}}\ndata_dir: q":     "sources.netbox: no secret; set secret, or unsigned: true",
		strings.Replace(base, "env: TEST_NETBOX_SECRET", "env: TEST_UNSET_SECRET_X", 1): "sources.netbox.secret: the environment variable TEST_UNSET_SECRET_X is not set",
		strings.Replace(base, "data_dir: /tmp/q\n", "", 1):                              "data_dir: required",
		strings.Replace(base, "'http://127.0.0.1:1/'", "ftp://x", 1):                    "destinations.d.url: want an http or https URL",
		base + "listn: x\n": "listn: unknown key",
		strings.Replace(base, "url:", "retry: [0s], url:", 1):                                           "destinations.d.retry[0]: want a positive duration",
		strings.Replace(base, "url:", "sign: {standard: {value: nope}}, url:", 1):                       `destinations.d.sign.standard: want a Standard Webhooks secret`,
		strings.Replace(base, "url:", "filter: {events: [changed]}, url:", 1):                           `destinations.d.filter.events[0]: "changed" is not a NetBox event`,
		strings.Replace(base, "{secret: {env: TEST_NETBOX_SECRET}}", "{secret: {value: a, env: B}}", 1): "sources.netbox.secret: give one of value, file or env",
		base + "tls: {cert: c.pem}\n":                                                                   "tls: give both cert and key",
		base + "max_body: lots\n":                                                                       "max_body: want a size",
		base + "queue: postgres://db/q\n":                                                               "queue: want redis://HOST:PORT/DB",
		base + "redis: {password: {value: x}}\n":                                                        "redis.password: set, but queue names no Redis",
		base + "queue: redis://127.0.0.1:1/0\nredis: {password: {env: TEST_UNSET_SECRET_X}}\n":          "redis.password: the environment variable TEST_UNSET_SECRET_X is not set",
	}
	for doc, want := range cases {
		_, err := relay.ParseConfig("serve.yaml", []byte(doc))
		require.Error(t, err, doc)
		assert.ErrorContains(t, err, "config serve.yaml: "+want, doc)
	}
	_, err := relay.ReadConfig(filepath.Join(t.TempDir(), "missing.yaml"))
	assert.ErrorContains(t, err, "missing.yaml")
}

// TestReadmeConfig: the configuration README.md shows is one that
// ParseConfig takes (its secrets given here), key for key.
func TestReadmeConfig(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testmod.Root, "README.md"))
	require.NoError(t, err)
	s := string(raw)
	at := strings.Index(s, "# wasmhook-serve.yaml\n")
	require.NotEqual(t, -1, at, "README.md shows a serve configuration")
	doc := s[at : at+strings.Index(s[at:], "```")]
	whsec := filepath.Join(t.TempDir(), "whsec")
	require.NoError(t, os.WriteFile(whsec, []byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"), 0o600))
	doc = strings.Replace(doc, "/run/secrets/inventory-whsec", whsec, 1)
	t.Setenv("NETBOX_WEBHOOK_SECRET", "a")
	t.Setenv("INVENTORY_SECRET", "b")
	t.Setenv("WASMHOOK_ADMIN_TOKEN", "0123456789abcdef")
	c, err := relay.ParseConfig("README.md", []byte(doc))
	require.NoError(t, err)
	assert.True(t, c.Console.Enabled())
	assert.Equal(t, relay.DefaultRetry(), c.Destinations["inventory"].Retry, "the README's retry line is the default")
	assert.True(t, c.Sources["lab"].Unsigned)
}

// TestConfigSet: every key can be given as KEY.PATH=VALUE (serve's
// --set), over a file or with none; a secret file is read once, by the
// configuration's check.
func TestConfigSet(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "whsec")
	require.NoError(t, os.WriteFile(secret, []byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"), 0o600))
	c, err := relay.ReadConfig("",
		"data_dir=/tmp/q",
		"sources.netbox.unsigned=true",
		"destinations.crm.url=https://crm.example/hooks",
		"destinations.crm.retry=[1s, 1m]",
		"destinations.crm.headers.X-Env=prod",
		"destinations.crm.sign.standard.file="+secret,
		"server.max_concurrent=9",
	)
	require.NoError(t, err)
	crm := c.Destinations["crm"]
	assert.Equal(t, "https://crm.example/hooks", crm.URL)
	assert.Equal(t, []time.Duration{time.Second, time.Minute}, crm.Retry)
	assert.Equal(t, map[string]string{"X-Env": "prod"}, crm.Headers)
	assert.Equal(t, 9, c.Server.MaxConcurrent)
	assert.True(t, c.Sources["netbox"].Unsigned)

	require.NoError(t, os.Remove(secret))
	v, err := crm.Sign.Standard.Resolve()
	require.NoError(t, err, "resolved by the check, not read again")
	assert.Equal(t, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", v)

	t.Setenv("TEST_NETBOX_SECRET", "x")
	file := filepath.Join(t.TempDir(), "serve.yaml")
	require.NoError(t, os.WriteFile(file, []byte(strings.Replace(goodConfig, "standard: {file: SECRETFILE}", "standard: {value: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}", 1)), 0o600))
	c, err = relay.ReadConfig(file, "listen=127.0.0.1:1", "destinations.audit.retry=[3s]", "sources.lab.unsigned=false", "sources.lab.secret.env=TEST_NETBOX_SECRET")
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:1", c.Listen, "a flag overrides the file")
	assert.Equal(t, []time.Duration{3 * time.Second}, c.Destinations["audit"].Retry)
	assert.Equal(t, "https://inventory.example/hooks", c.Destinations["inventory"].URL, "the file's other keys stay")
	assert.False(t, c.Sources["lab"].Unsigned)

	for set, want := range map[string]string{
		"destinations.audit.urll=x": "config " + file + ": destinations.audit.urll: unknown key",
		"server.max_concurrent=-1":  "server.max_concurrent: want zero or more",
		"listen":                    `config --set "listen": want KEY.PATH=VALUE`,
	} {
		_, err := relay.ReadConfig(file, set)
		assert.ErrorContains(t, err, want, set)
		assert.NotContains(t, err.Error(), "(line", set)
	}
}

// TestConfigQueue: a Redis queue's URL reads, and prints without its
// password.
func TestConfigQueue(t *testing.T) {
	c, err := relay.ReadConfig("", "data_dir=/tmp/q", "sources.s.unsigned=true", "destinations.d.url=http://127.0.0.1:1/",
		"queue=redis://:hunter2@redis.internal:6379/2")
	require.NoError(t, err)
	assert.Equal(t, "redis://:xxxxx@redis.internal:6379/2", c.QueueName())
	assert.NotContains(t, fmt.Sprintf("%+v", c.Redis), "hunter2")
	c.Queue = ""
	assert.Equal(t, "embedded", c.QueueName())
}
