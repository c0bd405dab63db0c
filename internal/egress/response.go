package egress

import (
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/wasmhook/wasmhook/internal/jsonindex"
	"github.com/wasmhook/wasmhook/internal/jsonraw"
)

// Response is what a request gets: nothing of it is an injected
// credential. A response may be shared (by the cache, by concurrent
// identical requests): read it, never change it.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Cached says the response came from the cache.
	Cached bool

	made *made // what is made from it on first use; nil: made per use
}

// made is what readers of a response make from it once and share: a
// cached response's is counted in its cache entry's size (grow).
type made struct {
	indexOnce sync.Once
	index     jsonindex.Index
	indexErr  error

	headersOnce sync.Once
	headers     []byte

	grow func(n int64) // nil: not in a cache
}

// JSON returns the body indexed as one JSON document, validated as the
// host validates events (jsonindex.Index.BuildValidate), for field reads
// (abi/SPEC.md, document 4). It is made on the first call and kept with
// the response: every call a cached response answers reads the same
// index, which any number of goroutines may look up at once. The error is
// the validator's when the body is not JSON.
func (r *Response) JSON() (*jsonindex.Index, error) {
	m := r.made
	if m == nil {
		m = new(made) // a response not made by a Client: nothing to share
	}
	m.indexOnce.Do(func() {
		if m.indexErr = m.index.BuildValidate(r.Body); m.indexErr == nil {
			// Every call the cache answers with r asks it the same paths.
			m.index.Memoize()
			if m.grow != nil {
				m.grow(int64(m.index.Size()))
			}
		}
	})
	return &m.index, m.indexErr
}

// HeaderJSON returns the headers as one JSON object, as
// http_response_read's part 1 hands them over (abi/SPEC.md): lowercase
// names, sorted, each once, its values joined with ", ". Like JSON, it is
// made once per response. The bytes are shared: never change them.
func (r *Response) HeaderJSON() []byte {
	m := r.made
	if m == nil {
		return appendHeaders(nil, r.Header)
	}
	m.headersOnce.Do(func() {
		m.headers = appendHeaders(nil, r.Header)
		if m.grow != nil {
			m.grow(int64(len(m.headers)))
		}
	})
	return m.headers
}

// appendHeaders appends h as a JSON object: lowercase names, sorted, each
// once, with its values joined with ", ".
func appendHeaders(dst []byte, h http.Header) []byte {
	lower := make(map[string][]string, len(h))
	for k, vs := range h {
		l := strings.ToLower(k)
		lower[l] = append(lower[l], vs...)
	}
	names := make([]string, 0, len(lower))
	for k := range lower {
		names = append(names, k)
	}
	slices.Sort(names)
	dst = append(dst, '{')
	for i, k := range names {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonraw.AppendString(dst, k)
		dst = append(dst, ':')
		dst = jsonraw.AppendString(dst, strings.Join(lower[k], ", "))
	}
	return append(dst, '}')
}
