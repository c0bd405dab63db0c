package wasmhook

import (
	"math"
	"strconv"
)

// Value is one JSON value inside a larger document: a view of its bytes,
// not a decoded copy. Looking a member up ([Value.Get]) scans only as far
// as the member, skipping other values without decoding them, and
// allocates nothing; a Go guest decoding a whole NetBox object with
// encoding/json spends a hundred microseconds or more per event instead.
//
// A Value taken from an [Input] shares the input buffer, which the next
// event overwrites: use it during the call, and copy what you keep
// (String, or append Raw to a buffer of your own).
//
// The scanner trusts the host, which validates every input, and does not
// validate what it skips. On malformed JSON it returns missing or
// meaningless values, but it never panics and its work is linear in the
// bytes it looks at, however deep the nesting: containers are skipped by
// counting brackets, without recursion.
type Value struct {
	// b starts at the value's first byte and runs to the end of the
	// document: where the value ends is found only when a method needs
	// it, so that looking up a member of a large object never scans the
	// members after it. b is empty for a missing value.
	b []byte
	// host is set on a value the host's field reads handed over: b is
	// exactly the value, and the host validated it (JSON and UTF-8), so
	// its end need not be searched for nor its bytes checked.
	host bool
}

// Kind is the type of a JSON value.
type Kind uint8

// The kinds of JSON value. KindMissing is the kind of the zero Value: a
// member that is not there, or bytes that are not a JSON value.
const (
	KindMissing Kind = iota
	KindNull
	KindBool
	KindNumber
	KindString
	KindArray
	KindObject
)

var kindNames = [...]string{"missing", "null", "bool", "number", "string", "array", "object"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseValue returns the JSON value at the start of b, after any
// whitespace; what follows it is ignored. It costs nothing until the
// value is used: nothing is scanned or validated up front. The Value
// shares b's memory.
func ParseValue(b []byte) Value {
	return Value{b: b[skipSpace(b, 0):]}
}

// Raw returns the value's bytes exactly as they appear in the document
// (a string keeps its quotes and escapes), or nil when it is missing or
// does not end. Its capacity is trimmed to its length, so appending to it
// cannot overwrite the document. For an object or array, Raw scans to its
// end.
func (v Value) Raw() []byte {
	if v.host {
		return v.b
	}
	end := skipValue(v.b, 0)
	if end < 0 {
		return nil
	}
	return v.b[:end:end]
}

// Exists reports whether there is a value (a JSON null is one): false for
// a member that is not there.
func (v Value) Exists() bool { return v.Kind() != KindMissing }

// Kind returns the value's type, from its first byte.
func (v Value) Kind() Kind {
	if len(v.b) == 0 {
		return KindMissing
	}
	switch c := v.b[0]; c {
	case '"':
		return KindString
	case '{':
		return KindObject
	case '[':
		return KindArray
	case 't', 'f':
		return KindBool
	case 'n':
		return KindNull
	default:
		if c == '-' || c >= '0' && c <= '9' {
			return KindNumber
		}
		return KindMissing
	}
}

// Get follows path through nested objects: v.Get("status", "value") is
// v's member "status", then that object's member "value". Each step looks
// only at the top-level members of the object it is in (a "value" deeper
// inside is never found), and takes the last member of that name, as the
// host's field reads, the merge and NetBox's Python do. The
// result is missing when a step is not an object or has no such member.
// Keys are compared after decoding the document's escapes, so "n\u0061me"
// matches "name". Get with no path returns v.
func (v Value) Get(path ...string) Value {
	for _, key := range path {
		v = v.member(key)
		if len(v.b) == 0 {
			break
		}
	}
	return v
}

// member returns the last top-level member named key of the object v
// (missing when the object ends badly).
func (v Value) member(key string) Value {
	b := v.b
	if len(b) == 0 || b[0] != '{' {
		return Value{}
	}
	var found Value
	for i := skipSpace(b, 1); i < len(b) && b[i] == '"'; {
		keyEnd, plain := skipString(b, i)
		if keyEnd < 0 {
			return Value{}
		}
		match := keyEquals(b[i+1:keyEnd-1], plain, key)
		i = skipSpace(b, keyEnd)
		if i >= len(b) || b[i] != ':' {
			return Value{}
		}
		i = skipSpace(b, i+1)
		if match {
			found = Value{b: b[i:]}
		}
		end := skipValue(b, i)
		if end < 0 {
			return Value{}
		}
		i = skipSpace(b, end)
		if i < len(b) && b[i] == '}' {
			return found
		}
		if i >= len(b) || b[i] != ',' {
			return Value{}
		}
		i = skipSpace(b, i+1)
	}
	return Value{}
}

// Each calls fn for every element of an array or member of an object, in
// order, until fn returns false. For an object, key is the member's name
// (a string Value: use its String or Equals methods); for an array, key
// is missing. Each does nothing for other kinds.
func (v Value) Each(fn func(key, value Value) bool) {
	b := v.b
	if len(b) == 0 || (b[0] != '{' && b[0] != '[') {
		return
	}
	object := b[0] == '{'
	i := skipSpace(b, 1)
	for i < len(b) && b[i] != '}' && b[i] != ']' {
		var key Value
		if object {
			if b[i] != '"' {
				return
			}
			keyEnd, _ := skipString(b, i)
			if keyEnd < 0 {
				return
			}
			key = Value{b: b[i:keyEnd:keyEnd]}
			i = skipSpace(b, keyEnd)
			if i >= len(b) || b[i] != ':' {
				return
			}
			i = skipSpace(b, i+1)
		}
		end := skipValue(b, i)
		if end < 0 || !fn(key, Value{b: b[i:end:end]}) {
			return
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ',' {
			return
		}
		i = skipSpace(b, i+1)
	}
}

// String returns the decoded string (escapes resolved, a surrogate pair
// as one character, lone surrogates and invalid UTF-8 bytes as U+FFFD,
// as encoding/json decodes them). ok is false when v is not a valid JSON
// string. It allocates the result; AppendString, Equals and RuneCount do
// not.
func (v Value) String() (s string, ok bool) {
	content, plain, ok := v.stringContent()
	if !ok {
		return "", false
	}
	if plain {
		return string(content), true
	}
	var tmp [128]byte
	d, ok := appendDecoded(tmp[:0], content)
	if !ok {
		return "", false
	}
	return string(d), true
}

// AppendString appends the decoded string to dst, like String. When v is
// not a valid JSON string it returns dst unchanged and false.
func (v Value) AppendString(dst []byte) ([]byte, bool) {
	content, plain, ok := v.stringContent()
	if !ok {
		return dst, false
	}
	if plain {
		return append(dst, content...), true
	}
	n := len(dst)
	dst, ok = appendDecoded(dst, content)
	if !ok {
		return dst[:n], false
	}
	return dst, true
}

// Equals reports whether v is a valid JSON string whose decoded value is
// s, without allocating.
func (v Value) Equals(s string) bool {
	content, plain, ok := v.stringContent()
	return ok && keyEquals(content, plain, s)
}

// RuneCount returns the number of Unicode code points of the decoded
// string (what utf8.RuneCountInString gives for String's result) without
// decoding it into memory. ok is false when v is not a valid JSON string.
func (v Value) RuneCount() (n int, ok bool) {
	if v.host {
		if v.b[0] != '"' {
			return 0, false
		}
		return runeCountValid(v.b[1 : len(v.b)-1]), true
	}
	content, plain, ok := v.stringContent()
	if !ok {
		return 0, false
	}
	if plain {
		return len(content), true
	}
	return runeCount(content)
}

// Int returns the value of an integer number that fits in an int64. ok is
// false for anything else (a fraction, an exponent, an overflow, not a
// number).
func (v Value) Int() (n int64, ok bool) {
	b := v.Raw()
	if !validNumber(b) {
		return 0, false
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if u > (math.MaxUint64-9)/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	switch {
	case !neg && u <= math.MaxInt64:
		return int64(u), true
	case neg && u <= 1<<63:
		return -int64(u), true
	}
	return 0, false
}

// Float returns the value of a number as the nearest float64. ok is false
// when v is not a JSON number or is out of float64's range.
func (v Value) Float() (f float64, ok bool) {
	b := v.Raw()
	if !validNumber(b) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil
}

// Bool returns the value of true or false; ok is false for anything else.
func (v Value) Bool() (value, ok bool) {
	switch string(v.Raw()) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// IsNull reports whether v is the JSON null.
func (v Value) IsNull() bool { return string(v.Raw()) == "null" }

// stringContent returns the bytes between the quotes of a string value,
// and whether they are plain (the same once decoded).
func (v Value) stringContent() (content []byte, plain, ok bool) {
	if len(v.b) == 0 || v.b[0] != '"' {
		return nil, false, false
	}
	end, plain := skipString(v.b, 0)
	if end < 0 {
		return nil, false, false
	}
	return v.b[1 : end-1], plain, true
}

// keyEquals reports whether the string contents tok decode to key.
func keyEquals(tok []byte, plain bool, key string) bool {
	if plain {
		return string(tok) == key
	}
	return decodedEquals(tok, key)
}
