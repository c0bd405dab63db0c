// Package relay is wasmhook serve's engine: it accepts webhooks over
// HTTP, enriches them with the root package's Enricher, keeps them in a
// durable queue (relay/queue) and delivers them, signed, with retries.
package relay

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// StandardSecretPrefix starts a Standard Webhooks secret: "whsec_" and
// the base64 of the key.
const StandardSecretPrefix = "whsec_"

// ErrSecret: a Standard Webhooks secret that is not "whsec_" and base64.
var ErrSecret = errors.New(`want a Standard Webhooks secret: "whsec_" and the base64 of the key`)

// StandardKey decodes a Standard Webhooks secret into its key.
func StandardKey(secret string) ([]byte, error) {
	enc, ok := strings.CutPrefix(secret, StandardSecretPrefix)
	if !ok || enc == "" {
		return nil, ErrSecret
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, ErrSecret
	}
	return key, nil
}

// StandardSignature is the webhook-signature header of a Standard
// Webhooks delivery: "v1," and the base64 of the HMAC-SHA256, under key,
// of "id.timestamp.body". id is the webhook-id (the same for every
// attempt: the receiver's idempotency key) and timestamp the
// webhook-timestamp, in Unix seconds.
func StandardSignature(key []byte, id string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write(strconv.AppendInt(nil, timestamp, 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
