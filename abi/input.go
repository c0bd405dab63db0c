package abi

import (
	"encoding/hex"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/wasmhook/wasmhook/internal/jsonraw"
)

// Request is the HTTP request that caused an event, as callbacks see it.
type Request struct {
	// ID is the request's id; the payload's request_id.
	ID uuid.UUID
	// Method is the HTTP method, e.g. "PATCH".
	Method string
	// Path is the URL path, e.g. "/api/dcim/sites/4/".
	Path string
	// User is the name of the user who made the request.
	User string
	// Header holds the request's headers. Callbacks see them without the
	// credential headers (Authorization, Cookie, Proxy-Authorization) and without any header the
	// operator marks sensitive: modules always, native Go callbacks unless
	// the enricher is told to hand them the request as given
	// (wasmhook.Options.NativeCredentials). The payload never carries
	// headers.
	Header http.Header
}

// Filtered returns r as a callback may see it: without the credential
// headers and without those pass refuses. It returns r itself when no
// header is to be dropped; else it fills buf, reusing buf.Header's map, and
// returns buf, whose header values are shared with r's.
func (r *Request) Filtered(pass HeaderFilter, buf *Request) *Request {
	drop := func(name string) bool {
		return isCredential(name) || (pass != nil && !pass(http.CanonicalHeaderKey(name)))
	}
	found := false
	for name := range r.Header {
		if drop(name) {
			found = true
			break
		}
	}
	if !found {
		return r
	}
	h := buf.Header
	if h == nil {
		h = make(http.Header, len(r.Header))
	}
	clear(h)
	for name, values := range r.Header {
		if !drop(name) {
			h[name] = values
		}
	}
	*buf = *r
	buf.Header = h
	return buf
}

// credentialHeaders are never passed to a callback, whatever the operator
// sets: Authorization, Cookie and Proxy-Authorization. Names are canonical
// (as [http.CanonicalHeaderKey] gives them). Unexported: the hot path
// reads it, and a caller must not be able to change it.
var credentialHeaders = [...]string{"Authorization", "Cookie", "Proxy-Authorization"}

// Input is what one event hands every callback.
type Input struct {
	ObjectType string
	EventType  string
	// Data is the object's serialized data: valid JSON, passed as it is.
	Data []byte
	// Request is nil when the event has no request.
	Request *Request
}

// HeaderFilter reports whether a header (canonical name) may be passed to
// callbacks. A nil HeaderFilter passes every header but the credentials.
type HeaderFilter func(canonicalName string) bool

// AppendInput appends the input JSON of the ABI (SPEC.md section 4) to dst.
// in.Data must be valid JSON; it is copied byte for byte.
func AppendInput(dst []byte, in *Input, pass HeaderFilter) []byte {
	dst, _ = AppendInputData(dst, in, pass)
	return dst
}

// AppendInputData is AppendInput, and says where in the result in.Data's
// copy starts: the value at the input's "/data" is out[dataOff:][:len(in.Data)]
// (white space around it included).
func AppendInputData(dst []byte, in *Input, pass HeaderFilter) (out []byte, dataOff int) {
	dst = append(dst, `{"object_type":`...)
	dst = jsonraw.AppendString(dst, in.ObjectType)
	dst = append(dst, `,"event_type":`...)
	dst = jsonraw.AppendString(dst, in.EventType)
	dst = append(dst, `,"data":`...)
	dataOff = len(dst)
	dst = append(dst, in.Data...)
	dst = append(dst, `,"request":`...)
	if r := in.Request; r == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, `{"id":"`...)
		dst = AppendUUID(dst, r.ID)
		dst = append(dst, `","method":`...)
		dst = jsonraw.AppendString(dst, r.Method)
		dst = append(dst, `,"path":`...)
		dst = jsonraw.AppendString(dst, r.Path)
		dst = append(dst, `,"user":`...)
		dst = jsonraw.AppendString(dst, r.User)
		dst = appendHeaders(dst, r.Header, pass)
		dst = append(dst, '}')
	}
	return append(dst, '}'), dataOff
}

// AppendUUID appends id in its canonical lowercase form without allocating.
func AppendUUID(dst []byte, id uuid.UUID) []byte {
	var buf [36]byte
	hex.Encode(buf[0:8], id[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], id[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], id[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], id[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:36], id[10:16])
	return append(dst, buf[:]...)
}

// isCredential reports whether a header named name (in any case) is one of
// credentialHeaders: exactly the names [http.CanonicalHeaderKey] would
// turn into one of them, since it changes only the case of ASCII letters
// (so the length stays) and leaves a name with bytes a header name may not
// have as it is, which then matches none.
func isCredential(name string) bool {
	for _, c := range credentialHeaders {
		if len(name) == len(c) && strings.EqualFold(name, c) {
			return true
		}
	}
	return false
}

// header is one header passed to callbacks.
type header struct {
	name   string
	values []string
}

// appendHeaders appends `,"headers":{...}` with the headers callbacks may
// see, lowercase and sorted, or nothing when none are left. Names that
// differ only in letter case (an http.Header filled without canonical keys
// can hold several) are one header: their values are joined, those of the
// canonical spelling first, then the others' in byte order of their names.
// It allocates nothing for up to 16 headers without such names. The
// credential check needs no canonical name; pass, if any, gets one.
func appendHeaders(dst []byte, h http.Header, pass HeaderFilter) []byte {
	if len(h) == 0 {
		return dst
	}
	var buf [16]header
	hs := buf[:0]
	for name, values := range h {
		if isCredential(name) || (pass != nil && !pass(http.CanonicalHeaderKey(name))) {
			continue
		}
		hs = append(hs, header{name, values})
	}
	if len(hs) == 0 {
		return dst
	}
	// Names equal but for case compare equal only to each other; any
	// comparison sort compares the names that end up side by side, so
	// dup is set when there are any.
	dup := false
	if len(hs) <= len(buf) {
		// A few names: insertion sort, without the calls a generic sort
		// makes per comparison.
		for i := 1; i < len(hs); i++ {
			for j := i; j > 0; j-- {
				c := compareFold(hs[j].name, hs[j-1].name)
				if c == 0 {
					dup = true
					c = compareSpelling(hs[j].name, hs[j-1].name)
				}
				if c >= 0 {
					break
				}
				hs[j], hs[j-1] = hs[j-1], hs[j]
			}
		}
	} else {
		slices.SortFunc(hs, func(a, b header) int {
			if c := compareFold(a.name, b.name); c != 0 {
				return c
			}
			dup = true
			return compareSpelling(a.name, b.name)
		})
	}
	dst = append(dst, `,"headers":{`...)
	for i := 0; i < len(hs); {
		hd := hs[i]
		n := 1
		if dup {
			for i+n < len(hs) && compareFold(hs[i+n].name, hd.name) == 0 {
				n++
			}
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendLower(dst, hd.name)
		dst = append(dst, ':')
		switch {
		case n > 1:
			var values []string
			for _, same := range hs[i : i+n] {
				values = append(values, same.values...)
			}
			dst = jsonraw.AppendString(dst, strings.Join(values, ", "))
		case len(hd.values) == 1:
			dst = jsonraw.AppendString(dst, hd.values[0])
		default:
			dst = jsonraw.AppendString(dst, strings.Join(hd.values, ", "))
		}
		i += n
	}
	return append(dst, '}')
}

// compareSpelling orders names equal but for case: the canonical spelling
// first, then byte order.
func compareSpelling(a, b string) int {
	ca, cb := http.CanonicalHeaderKey(a) == a, http.CanonicalHeaderKey(b) == b
	switch {
	case ca && !cb:
		return -1
	case cb && !ca:
		return 1
	}
	return strings.Compare(a, b)
}

// compareFold orders header names by their lowercase form, byte by byte.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := lower(a[i]), lower(b[i])
		if ca != cb {
			return int(ca) - int(cb)
		}
	}
	return len(a) - len(b)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// appendLower appends name as a JSON string in lowercase. Header names are
// tokens (no quotes, backslashes or controls) when they come from net/http;
// anything else is escaped.
func appendLower(dst []byte, name string) []byte {
	start := len(dst)
	dst = append(dst, '"')
	dst = append(dst, name...)
	for i := start + 1; i < len(dst); i++ {
		c := dst[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return jsonraw.AppendString(dst[:start], strings.ToLower(name))
		}
		dst[i] = lower(c)
	}
	return append(dst, '"')
}
