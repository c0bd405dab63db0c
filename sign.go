package wasmhook

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
)

// SignatureHeader is the header NetBox puts a webhook body's signature in.
const SignatureHeader = "X-Hook-Signature"

// Sign returns the signature NetBox sends in X-Hook-Signature: the
// lowercase hex HMAC-SHA512 of the exact body bytes, keyed with the
// secret's UTF-8 bytes. NetBox adds the header only when the secret is not
// empty; so should callers.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha512.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether signature is body's signature under secret, in
// constant time. Case is ignored in the hex.
func Verify(secret string, body []byte, signature string) bool {
	want, err := hex.DecodeString(signature)
	if err != nil {
		return false
	}
	mac := hmac.New(sha512.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), want)
}
