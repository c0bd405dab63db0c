// Command site_status_command is the site_status example plugin
// (examples/README.md) as a WASI command in plain Go, without the SDK: it
// reads the event input on stdin, decodes it with encoding/json and writes
// its result on stdout. The host starts a fresh instance for every event,
// which costs milliseconds; the reactor in ../site_status answers in about
// a microsecond. A command is the quick way to port an existing program.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -o site_status_command.wasm .
package main

import (
	"encoding/json"
	"io"
	"os"
	"strconv"
	"unicode/utf8"
)

func main() {
	input, err := io.ReadAll(os.Stdin)
	if err == nil {
		var out []byte
		if out, err = siteStatus(input, readConfig()); err == nil {
			_, err = os.Stdout.Write(out)
		}
	}
	if err != nil {
		// The host reports the end of stderr as the failure's message.
		os.Stderr.WriteString("site_status: " + err.Error() + "\n")
		os.Exit(1)
	}
}

// object holds an object's members as their raw JSON. A map matches keys
// exactly (a struct field would also take "Name" for "name").
type object map[string]json.RawMessage

// members decodes raw when it is an object; anything else has none.
func members(raw json.RawMessage) object {
	var o object
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &o) != nil {
		return nil
	}
	return o
}

// siteStatus returns {"site_status":…,"name_len":…} for one input,
// nested under the configuration's namespace when it has one.
func siteStatus(input, config []byte) ([]byte, error) {
	var event object
	if err := json.Unmarshal(input, &event); err != nil {
		return nil, err
	}
	var cfg object
	if err := json.Unmarshal(config, &cfg); err != nil {
		return nil, err
	}
	// The output is written by hand: encoding/json would change the
	// copied token (it escapes <, > and &) and escapes a namespace by
	// other rules than examples/README.md's.
	out := []byte{'{'}
	ns, nested := decodeString(cfg["namespace"])
	if nested {
		out = appendQuoted(out, ns)
		out = append(out, ':', '{')
	}
	data := members(event["data"])
	sep := ""
	if value := members(data["status"])["value"]; isString(value) {
		// The string token byte for byte, escapes as they are.
		out = append(append(out, `"site_status":`...), value...)
		sep = ","
	}
	if name, ok := decodeString(data["name"]); ok {
		out = append(out, sep+`"name_len":`...)
		out = strconv.AppendInt(out, int64(utf8.RuneCountInString(name)), 10)
	}
	out = append(out, '}')
	if nested {
		out = append(out, '}')
	}
	return out, nil
}

func isString(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '"' }

// decodeString decodes raw when it is a JSON string.
func decodeString(raw json.RawMessage) (string, bool) {
	var s string
	if !isString(raw) || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// appendQuoted writes s as a JSON string by examples/README.md's rule: `"`
// and `\` escaped by a backslash, control characters as \u00XX (lowercase
// hex), everything else as raw UTF-8. s comes from encoding/json, which
// has made it valid UTF-8.
func appendQuoted(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
