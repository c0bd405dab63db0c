package relay_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/internal/testmod"
	"github.com/wasmhook/wasmhook/relay"
)

// TestStandardSignatureMatchesTheSpecVector: the signature of the
// Standard Webhooks specification's published vector
// (testdata/standard-webhooks).
func TestStandardSignatureMatchesTheSpecVector(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testmod.Root, "testdata/standard-webhooks/vector.txt"))
	require.NoError(t, err)
	v := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		k, val, ok := strings.Cut(line, ": ")
		require.True(t, ok, line)
		v[k] = val
	}
	key, err := relay.StandardKey(v["secret"])
	require.NoError(t, err)
	ts, err := strconv.ParseInt(v["webhook-timestamp"], 10, 64)
	require.NoError(t, err)
	assert.Equal(t, v["webhook-signature"], relay.StandardSignature(key, v["webhook-id"], ts, []byte(v["body"])))
	assert.NotEqual(t, v["webhook-signature"], relay.StandardSignature(key, v["webhook-id"], ts+1, []byte(v["body"])))

	for _, bad := range []string{"", "whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!"} {
		_, err := relay.StandardKey(bad)
		assert.ErrorIs(t, err, relay.ErrSecret, bad)
	}
}
