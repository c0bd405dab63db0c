package wasmhook

import (
	"strconv"
	"strings"
)

// pointer returns the value a JSON Pointer (RFC 6901) names below v, as
// the host's field reads find it with the SDK's scanner: "" is v itself,
// "~1" and "~0" in a segment stand for "/" and "~", the last of duplicate
// keys wins. A path that is not a JSON Pointer names nothing.
func pointer(v Value, path string) Value {
	if path == "" {
		return v
	}
	if path[0] != '/' {
		return Value{}
	}
	for _, seg := range strings.Split(path[1:], "/") {
		for i := 0; i < len(seg); i++ {
			if seg[i] == '~' && (i+1 >= len(seg) || (seg[i+1] != '0' && seg[i+1] != '1')) {
				return Value{}
			}
		}
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		v = child(v, seg)
	}
	return v
}

// child returns the member of an object named key (the last one), or the
// element of an array at index key (a canonical decimal index).
func child(v Value, key string) Value {
	var found Value
	switch v.Kind() {
	case KindObject:
		v.Each(func(k, m Value) bool {
			if k.Equals(key) {
				found = m
			}
			return true
		})
	case KindArray:
		i, err := strconv.ParseUint(key, 10, 32)
		if err != nil || (len(key) > 1 && key[0] == '0') || key[0] == '+' {
			return Value{}
		}
		v.Each(func(_, e Value) bool {
			if i == 0 {
				found = e
				return false
			}
			i--
			return true
		})
	}
	return found
}
