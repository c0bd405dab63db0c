package wasmhook

import (
	"errors"
	"sort"
	"strconv"
	"time"
)

// Lookups: HTTP requests under the module's grants and a small key-value
// store of the module's own (abi/SPEC.md, "Lookups"). The host decides
// what a module may reach and holds the credentials: a plugin asks for a
// URL and never sees the token the host adds.

// Request is an HTTP request for Fetch. An empty Method is GET.
type Request struct {
	Method string
	URL    string
	Header map[string]string
	Body   []byte
}

// Response is what Fetch got: a status like any other (a 404 is a
// response, not an error), the headers and the body.
type Response struct {
	Status int
	// Header is the headers as a JSON object: lowercase names, each a
	// string of its values joined with ", ". Read it with Value.Get.
	Header Value
	Body   []byte

	fetch uint64 // which Fetch of the instance made it
}

// fetches counts the instance's Fetch calls and events: the host keeps
// the body of the call's last response for field reads, none from an
// earlier call.
var fetches uint64

// Field returns the value at path, a JSON Pointer ("/name",
// "/group/slug", "/results/0/id"), in the response's JSON body, or a
// missing Value. For the response of the last Fetch, the host looks it up
// in its index of the body (made once per response, and kept with a
// cached one) and copies only the value: nothing is parsed here. An older
// response's body (an earlier Fetch's, or one kept from an earlier event)
// is read with the SDK's scanner. When a key appears more
// than once, the last one counts, as in Input.Field.
func (r *Response) Field(path string) Value {
	if r.fetch == fetches {
		return field(docResponse, path)
	}
	return pointer(ParseValue(r.Body), path)
}

// The classes of a failed lookup; a *LookupError matches one with
// errors.Is.
var (
	ErrNotAllowed = errors.New("wasmhook: not allowed")    // no grant covers the URL, or too many requests
	ErrTimeout    = errors.New("wasmhook: timeout")        // no answer in time
	ErrTooLarge   = errors.New("wasmhook: too large")      // a response, key or value over its bound
	ErrUpstream   = errors.New("wasmhook: upstream error") // the request or the store failed on the way
	ErrBadRequest = errors.New("wasmhook: bad request")    // a method, header, key or TTL the host refuses
	ErrFull       = errors.New("wasmhook: key-value full") // the module's store is full
	errNoResponse = errors.New("wasmhook: no response")    // http_response_read before a response
	errUnknown    = errors.New("wasmhook: unknown status") // a status this SDK does not know
)

// LookupError is a lookup the host refused or that failed: Status is the
// host's negative status.
type LookupError struct {
	Op     string // "fetch", "kv get", "kv set", "kv delete"
	Status int32
}

func (e *LookupError) Error() string {
	return e.Op + ": " + e.kind().Error() + " (status " + strconv.Itoa(int(e.Status)) + ")"
}

// Is reports whether target is the error's class.
func (e *LookupError) Is(target error) bool { return target == e.kind() }

func (e *LookupError) kind() error {
	switch e.Status {
	case -1:
		return ErrNotAllowed
	case -2:
		return ErrTimeout
	case -3:
		return ErrTooLarge
	case -4:
		return ErrUpstream
	case -5:
		return ErrBadRequest
	case -6:
		return errNoResponse
	case -8:
		return ErrFull
	}
	return errUnknown
}

// statusNotFound is kv_get's status for a key that is not there.
const statusNotFound = -7

// Fetch asks the host to make req. The error is a *LookupError for a
// request the host refused or that failed.
func Fetch(req Request) (*Response, error) {
	var headers []byte
	if len(req.Header) > 0 {
		names := make([]string, 0, len(req.Header))
		for k := range req.Header {
			names = append(names, k)
		}
		sort.Strings(names)
		var o Object
		for _, k := range names {
			o.String(k, req.Header[k])
		}
		headers = o.Bytes()
	}
	fetches++
	status, header, body := hostFetch(req.Method, req.URL, headers, req.Body)
	if status < 0 {
		return nil, &LookupError{Op: "fetch", Status: status}
	}
	return &Response{Status: int(status), Header: ParseValue(header), Body: body, fetch: fetches}, nil
}

// KV is the module's key-value store: its keys are its own, kept by the
// host between events (and, on a relay running on Redis, shared by its
// instances). A value may change between two events.
var KV kvStore

type kvStore struct{}

// Get returns the value of key; ok is false when there is none (never
// set, deleted or expired).
func (kvStore) Get(key string) (value []byte, ok bool, err error) {
	v, status := hostKVGet(key)
	switch {
	case status == statusNotFound:
		return nil, false, nil
	case status < 0:
		return nil, false, &LookupError{Op: "kv get", Status: status}
	}
	return v, true, nil
}

// Set sets key to value until ttl has passed (0: no expiry; it is
// counted in whole milliseconds).
func (kvStore) Set(key string, value []byte, ttl time.Duration) error {
	if status := hostKVSet(key, value, ttl.Milliseconds()); status < 0 {
		return &LookupError{Op: "kv set", Status: status}
	}
	return nil
}

// Delete deletes key; deleting a key that is not there is no error.
func (kvStore) Delete(key string) error {
	if status := hostKVDelete(key); status < 0 {
		return &LookupError{Op: "kv delete", Status: status}
	}
	return nil
}
