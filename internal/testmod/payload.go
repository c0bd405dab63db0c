package testmod

import (
	"encoding/json"
	"testing"
)

// ContextOf returns the "context" object of a webhook payload, nil when
// the payload has none; it fails the test when the payload is not JSON.
func ContextOf(t testing.TB, payload []byte) map[string]any {
	t.Helper()
	var p struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		t.Fatalf("payload is not JSON: %v\n%s", err, payload)
	}
	return p.Context
}
