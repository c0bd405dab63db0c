package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook"
)

func TestEmbedSignsAndTheReceiverVerifies(t *testing.T) {
	events, err := filepath.Glob("../testdata/events/*.json")
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), "../wat", "s3cr3t", events, &out))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, len(events))
	assert.Contains(t, out.String(), `site-updated.json          2 callbacks, 0 failed -> signature ok, updated: {"active_branch": null, "site_status": "active", "name_len": 10}`)
	assert.Contains(t, out.String(), `job-completed.json         2 callbacks, 0 failed -> signature ok, job_ended:`)
}

func TestReceiverRefusesABadSignature(t *testing.T) {
	recv, err := startReceiver("s3cr3t")
	require.NoError(t, err)
	defer recv.Close()
	body := []byte(`{"event": "created"}`)
	for sig, want := range map[string]int{
		wasmhook.Sign("s3cr3t", body): http.StatusOK,
		wasmhook.Sign("other", body):  http.StatusForbidden,
		"":                            http.StatusForbidden,
	} {
		req, _ := http.NewRequest(http.MethodPost, recv.URL, bytes.NewReader(body))
		req.Header.Set(wasmhook.SignatureHeader, sig)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode)
	}
}
