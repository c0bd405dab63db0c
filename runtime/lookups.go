package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/egress"
	"github.com/wasmhook/wasmhook/internal/kv"
)

// Lookups (abi/SPEC.md, "Lookups"): HTTP requests under the module's
// grants (internal/egress, one Client per module, one Call per guest
// call) and a key-value store per module (internal/kv, the engine's
// store, the module's keys under its callback name). A call that looks
// nothing up pays for none of it: the per-call state is made the first
// time an instance looks something up, and reset only after a call that
// used it.

// KV is the key-value store modules' kv_get, kv_set and kv_delete reach:
// each module's keys are its own (module is the callback's name).
// Implementations are safe for concurrent use. internal/kv's Memory and
// Redis implement it. A Set over the module's bounds returns an error
// matching kv.ErrFull (the module's bytes) or kv.ErrTooLarge (a key or a
// value); any other error is the store failing.
type KV interface {
	Get(ctx context.Context, module, key string) (value []byte, ok bool, err error)
	Set(ctx context.Context, module, key string, value []byte, ttl time.Duration) error
	Delete(ctx context.Context, module, key string) error
}

// kvBounder is a store that bounds each module's bytes on its own
// (internal/kv's stores): a module's kv max_bytes is passed to it at load.
type kvBounder interface {
	SetBound(module string, maxBytes int64)
}

// LookupStats are what one call looked up over HTTP: the requests it sent
// upstream (or shared with a concurrent identical one), the ones the cache
// answered, and the time it waited for upstream.
type LookupStats struct {
	Requests  int
	CacheHits int
	Waited    time.Duration
}

// lookupState is one instance's lookup state, made on its first lookup.
type lookupState struct {
	used bool // a lookup function ran in the current call
	call egress.Call
	resp *egress.Response // the last response, for http_response_read and field reads
	// The last kv_get's key and value, so that a guest that asked with a
	// buffer too small gets the same value again without a second lookup
	// (a store shared by several hosts may change in between).
	kvKey   string
	kvValue []byte
	kvHave  bool
}

// lookups returns the instance's lookup state, marking the call as one
// that looked something up. ctx is the host function's: a guest call's
// context tells the cache when the call runs (egress.Call.Within).
func (s *callState) lookups(ctx context.Context) *lookupState {
	lk := s.lk
	if lk == nil {
		lk = new(lookupState)
		s.lk = lk
	}
	if !lk.used {
		lk.used = true
		lk.call.Reset(s.egress)
		if c, ok := ctx.(*callContext); ok {
			lk.call.Within(c.started, c.deadline)
		}
	}
	return lk
}

// endLookups forgets the call's lookups (after the call): no response or
// value is kept with a pooled instance for its next event.
func (s *callState) endLookups() {
	if lk := s.lk; lk != nil && lk.used {
		*lk = lookupState{}
	}
}

// lookupStats returns the current call's counts.
func (s *callState) lookupStats() LookupStats {
	if s.lk == nil || !s.lk.used {
		return LookupStats{}
	}
	st := s.lk.call.Stats()
	return LookupStats{Requests: int(st.Requests), CacheHits: int(st.CacheHits), Waited: st.Waited}
}

// token reports whether b is an HTTP token (RFC 9110): a method or a
// header name.
func token(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func httpRequest(ctx context.Context, mod api.Module, stack []uint64) {
	fn := abi.HTTPRequestName
	s := mustState(ctx, fn)
	method := read(mod, fn, api.DecodeU32(stack[0]), api.DecodeU32(stack[1]))
	rawURL := read(mod, fn, api.DecodeU32(stack[2]), api.DecodeU32(stack[3]))
	rawHeaders := read(mod, fn, api.DecodeU32(stack[4]), api.DecodeU32(stack[5]))
	body := read(mod, fn, api.DecodeU32(stack[6]), api.DecodeU32(stack[7]))
	lk := s.lookups(ctx)
	lk.resp = nil
	stack[0] = api.EncodeI32(s.doHTTP(ctx, lk, method, rawURL, rawHeaders, body))
}

func (s *callState) doHTTP(ctx context.Context, lk *lookupState, method, rawURL, rawHeaders, body []byte) int32 {
	if s.egress == nil {
		return abi.LookupNotAllowed // no grant at all
	}
	if len(method) > 0 && !token(method) {
		return abi.LookupBadRequest
	}
	noHeaders := len(bytes.TrimSpace(rawHeaders)) == 0
	if noHeaders {
		// A repeated lookup: answered from the cache with no allocation
		// and no parsing (the URL is the key as the module wrote it).
		if resp, ok := lk.call.Cached(method, rawURL); ok {
			lk.resp = resp
			return int32(resp.Status)
		}
	}
	if len(method) == 0 {
		method = []byte(http.MethodGet)
	}
	var header http.Header
	if !noHeaders {
		var m map[string]string
		if err := json.Unmarshal(rawHeaders, &m); err != nil || m == nil {
			return abi.LookupBadRequest
		}
		header = make(http.Header, len(m))
		for k, v := range m {
			if !token([]byte(k)) || strings.ContainsAny(v, "\r\n\x00") {
				return abi.LookupBadRequest
			}
			header.Set(k, v)
		}
	}
	// The request's context is its own, with the call's deadline, and
	// canceled when the call's is: the call's context is the instance's,
	// reset by its next call, and a request's timers may still read their
	// parent's after the request has ended.
	var rctx context.Context
	var cancel context.CancelFunc
	if deadline, ok := ctx.Deadline(); ok {
		rctx, cancel = context.WithDeadline(context.Background(), deadline)
	} else {
		rctx, cancel = context.WithCancel(context.Background())
	}
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()
	resp, err := lk.call.Do(rctx, egress.Request{
		Method: string(method),
		URL:    string(rawURL),
		Header: header,
		// A copy: the transport may read the body after Do returns.
		Body: bytes.Clone(body),
	})
	if err != nil {
		return egressStatus(ctx, err)
	}
	lk.resp = resp
	return int32(resp.Status)
}

// egressStatus is the guest's status for a failed request.
func egressStatus(ctx context.Context, err error) int32 {
	switch {
	case errors.Is(err, egress.ErrNotAllowed):
		return abi.LookupNotAllowed
	case errors.Is(err, egress.ErrTimeout), ctx.Err() != nil:
		return abi.LookupTimeout
	case errors.Is(err, egress.ErrTooLarge):
		return abi.LookupTooLarge
	}
	return abi.LookupUpstream
}

func httpResponseRead(ctx context.Context, mod api.Module, stack []uint64) {
	fn := abi.HTTPResponseReadName
	s := mustState(ctx, fn)
	part := int32(api.DecodeU32(stack[0]))
	buf := read(mod, fn, api.DecodeU32(stack[1]), api.DecodeU32(stack[2]))
	var lk *lookupState
	if s.lk != nil && s.lk.used {
		lk = s.lk
	}
	var src []byte
	switch {
	case part != abi.HTTPBody && part != abi.HTTPHeaders:
		stack[0] = api.EncodeI32(abi.LookupBadRequest)
		return
	case lk == nil || lk.resp == nil:
		stack[0] = api.EncodeI32(abi.LookupNoResponse)
		return
	case part == abi.HTTPBody:
		src = lk.resp.Body
	default:
		src = lk.resp.HeaderJSON()
	}
	copy(buf, src)
	stack[0] = api.EncodeI32(int32(min(len(src), 1<<31-1)))
}

// kvStatus is the guest's status for a failed store operation.
func kvStatus(ctx context.Context, err error) int32 {
	switch {
	case errors.Is(err, kv.ErrFull):
		return abi.LookupFull
	case errors.Is(err, kv.ErrTooLarge):
		return abi.LookupTooLarge
	case ctx.Err() != nil, errors.Is(err, context.DeadlineExceeded):
		return abi.LookupTimeout
	}
	return abi.LookupUpstream
}

func kvGet(ctx context.Context, mod api.Module, stack []uint64) {
	fn := abi.KVGetName
	s := mustState(ctx, fn)
	key := read(mod, fn, api.DecodeU32(stack[0]), api.DecodeU32(stack[1]))
	buf := read(mod, fn, api.DecodeU32(stack[2]), api.DecodeU32(stack[3]))
	lk := s.lookups(ctx)
	if len(key) == 0 {
		stack[0] = api.EncodeI32(abi.LookupBadRequest)
		return
	}
	if !lk.kvHave || lk.kvKey != string(key) {
		v, ok, err := s.kv.Get(ctx, s.name, string(key))
		if err != nil {
			stack[0] = api.EncodeI32(kvStatus(ctx, err))
			return
		}
		if !ok {
			lk.kvHave = false
			stack[0] = api.EncodeI32(abi.LookupNotFound)
			return
		}
		lk.kvKey, lk.kvValue, lk.kvHave = string(key), v, true
	}
	copy(buf, lk.kvValue)
	stack[0] = api.EncodeI32(int32(min(len(lk.kvValue), 1<<31-1)))
}

func kvSet(ctx context.Context, mod api.Module, stack []uint64) {
	fn := abi.KVSetName
	s := mustState(ctx, fn)
	key := read(mod, fn, api.DecodeU32(stack[0]), api.DecodeU32(stack[1]))
	value := read(mod, fn, api.DecodeU32(stack[2]), api.DecodeU32(stack[3]))
	ttl := int64(stack[4])
	lk := s.lookups(ctx)
	lk.kvHave = false
	if len(key) == 0 || ttl < 0 || ttl > int64(time.Duration(1<<63-1)/time.Millisecond) {
		stack[0] = api.EncodeI32(abi.LookupBadRequest)
		return
	}
	if err := s.kv.Set(ctx, s.name, string(key), value, time.Duration(ttl)*time.Millisecond); err != nil {
		stack[0] = api.EncodeI32(kvStatus(ctx, err))
		return
	}
	stack[0] = 0
}

func kvDelete(ctx context.Context, mod api.Module, stack []uint64) {
	fn := abi.KVDeleteName
	s := mustState(ctx, fn)
	key := read(mod, fn, api.DecodeU32(stack[0]), api.DecodeU32(stack[1]))
	lk := s.lookups(ctx)
	lk.kvHave = false
	if len(key) == 0 {
		stack[0] = api.EncodeI32(abi.LookupBadRequest)
		return
	}
	if err := s.kv.Delete(ctx, s.name, string(key)); err != nil {
		stack[0] = api.EncodeI32(kvStatus(ctx, err))
		return
	}
	stack[0] = 0
}
