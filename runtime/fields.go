package runtime

import (
	"bytes"
	"context"
	"errors"
	"math"
	"sync"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/jsonindex"
)

// Field reads (abi/SPEC.md, "Field reads").
//
// A guest looks a path up with one host call instead of copying the input
// and scanning it. The host indexes a document the first time a call of
// the event looks into it (one pass over its bytes, jsonindex.Build), and
// every later lookup of the event, by any callback, on any goroutine, uses
// that index: it jumps from member to member without reading the values it
// passes. Events whose callbacks look nothing up pay for none of it; an
// Event is reset per event with a few stores.

// Event is one event as the calls made for it see it: the input JSON and
// the snapshots, the documents field reads look paths up in. Calls made
// with the same Event share its indexes, each built at most once, by the
// first call that needs it, whichever goroutine that is. The zero value is
// an event with an empty input; Reset gives it its documents.
type Event struct {
	docs [3]lazyDoc // the input, the prechange and the postchange snapshots
}

// jsonNull is a document that is absent: a snapshot the event has none of.
var jsonNull = []byte("null")

// Reset makes ev the event whose input JSON is input (abi.AppendInput's)
// and whose snapshots are prechange and postchange (valid JSON; nil for
// none, which field reads see as null). No call may be using ev, and the
// bytes must not change while calls use it.
func (ev *Event) Reset(input, prechange, postchange []byte) {
	ev.docs[0].reset(input)
	ev.docs[1].reset(orNull(prechange))
	ev.docs[2].reset(orNull(postchange))
}

// ResetValidated is Reset for a host that has checked everything in
// input but the event's data, whose copy input holds at "/data", from
// dataOff on, dataLen bytes (abi.AppendInputData): it validates input as
// jsonraw.Validate does and indexes it in the same pass, so that field
// reads find the input's index made for a fraction of a separate build.
// It reports whether that vouches for data: input is valid and its value
// at "/data" is exactly data's bytes (white space around them aside),
// so that data alone is valid JSON. When it does not (data is not JSON,
// or is JSON only with what input holds after it, or nests too deep
// within input), ev is as Reset leaves it and the host must check data
// alone. A host whose callbacks read no field should validate data and
// Reset: the index would go unused.
func (ev *Event) ResetValidated(input []byte, dataOff, dataLen int, prechange, postchange []byte) bool {
	ev.Reset(input, prechange, postchange)
	d := &ev.docs[0]
	ok := false
	d.once.Do(func() {
		d.builds++
		if d.err = d.index.BuildValidate(input); d.err != nil || dataOff < 0 || dataLen < 0 || dataOff+dataLen > len(input) {
			return
		}
		v, st := d.index.Lookup(dataPath, nil)
		data := input[dataOff : dataOff+dataLen]
		lead := len(data) - len(bytes.TrimLeft(data, " \t\r\n"))
		// v is input[off:end], so its capacity runs to input's.
		off := cap(input) - cap(v)
		ok = st == jsonindex.Found && off == dataOff+lead && len(v) == len(bytes.TrimRight(data[lead:], " \t\r\n"))
	})
	if !ok {
		d.reset(input)
	}
	return ok
}

// dataPath is the event's data in the input.
var dataPath = []byte("/data")

// Input returns the input JSON.
func (ev *Event) Input() []byte { return ev.docs[0].raw }

func orNull(b []byte) []byte {
	if len(b) == 0 {
		return jsonNull
	}
	return b
}

// lazyDoc is one document and its index, built on first use.
type lazyDoc struct {
	raw   []byte
	once  sync.Once
	index jsonindex.Index
	err   error
	// memoize: the index remembers its last answers (a module's
	// configuration, asked the same paths by every call).
	memoize bool
	// builds counts the index's builds since the last reset (for tests:
	// at most one).
	builds int
}

func (d *lazyDoc) reset(raw []byte) {
	d.raw = raw
	d.once = sync.Once{}
	d.err = nil
	d.builds = 0
	d.index.Reset() // no reference to the last event's bytes
}

// get returns the document's index, building it if no call has yet. The
// first caller builds it; the others wait for it (sync.Once), then read
// the index without a lock: it does not change until Reset, which comes
// after every call of the event has returned.
func (d *lazyDoc) get() (*jsonindex.Index, error) {
	d.once.Do(func() {
		d.err = d.index.Build(d.raw)
		if d.err == nil && d.memoize {
			d.index.Memoize()
		}
		d.builds++
	})
	return &d.index, d.err
}

// maxScratch is the most decoded path segment an instance keeps between
// field reads.
const maxScratch = 4 << 10

// index returns the index of the document a guest names by number, made
// on first use, or a negative status.
func (s *callState) index(n int32) (*jsonindex.Index, int32) {
	var d *lazyDoc
	switch n {
	case abi.DocInput:
		d = &s.event.docs[0]
	case abi.DocConfig:
		d = s.configDoc
	case abi.DocPrechange:
		d = &s.event.docs[1]
	case abi.DocPostchange:
		d = &s.event.docs[2]
	case abi.DocResponse:
		return s.responseIndex()
	default:
		return nil, abi.FieldNoDocument
	}
	ix, err := d.get()
	if err != nil {
		// The host's own documents are valid JSON (validated, or built by
		// the host): only a document of 4 GiB or more fails to index.
		return nil, abi.FieldTooLarge
	}
	return ix, 0
}

// responseIndex returns the index of the body of the call's last HTTP
// response (abi.DocResponse), made once per response: a cached one's is
// shared by every call it answers. Or a negative status.
func (s *callState) responseIndex() (*jsonindex.Index, int32) {
	lk := s.lk
	if lk == nil || !lk.used || lk.resp == nil {
		return nil, abi.FieldNoResponse
	}
	ix, err := lk.resp.JSON()
	switch {
	case errors.Is(err, jsonindex.ErrTooLarge):
		return nil, abi.FieldTooLarge
	case err != nil:
		return nil, abi.FieldNotJSON
	}
	return ix, 0
}

// lookup is what the three field functions share: it checks the path's
// range and, when the function takes one, the buffer's (both whole,
// before anything else: abi/SPEC.md section 3), then looks the path up.
// It returns the value's bytes, or nil and a negative status.
func lookup(ctx context.Context, mod api.Module, stack []uint64, fn string, withBuffer bool) (s *callState, v, buf []byte, status int32) {
	s = mustState(ctx, fn)
	path := read(mod, fn, api.DecodeU32(stack[1]), api.DecodeU32(stack[2]))
	if withBuffer {
		buf = read(mod, fn, api.DecodeU32(stack[3]), api.DecodeU32(stack[4]))
	}
	ix, status := s.index(int32(api.DecodeU32(stack[0])))
	if status != 0 {
		return s, nil, buf, status
	}
	v, st := ix.Lookup(path, &s.scratch)
	if cap(s.scratch) > maxScratch {
		// A path with a huge escaped segment: do not keep its copy with
		// the pooled instance.
		s.scratch = nil
	}
	if st != jsonindex.Found {
		return s, nil, buf, int32(st)
	}
	return s, v, buf, 0
}

func fieldType(ctx context.Context, mod api.Module, stack []uint64) {
	_, v, _, status := lookup(ctx, mod, stack, abi.FieldTypeName, false)
	if status == 0 {
		status = int32(jsonindex.TypeOf(v))
	}
	stack[0] = api.EncodeI32(status)
}

func fieldRead(ctx context.Context, mod api.Module, stack []uint64) {
	_, v, buf, status := lookup(ctx, mod, stack, abi.FieldReadName, true)
	if status == 0 {
		if len(v) > math.MaxInt32 {
			status = abi.FieldTooLarge
		} else {
			copy(buf, v)
			status = int32(len(v))
		}
	}
	stack[0] = api.EncodeI32(status)
}

func fieldString(ctx context.Context, mod api.Module, stack []uint64) {
	_, v, buf, status := lookup(ctx, mod, stack, abi.FieldStringName, true)
	if status == 0 {
		switch n := jsonindex.DecodeString(buf, v); {
		case n < 0:
			status = abi.FieldNotString
		case n > math.MaxInt32:
			status = abi.FieldTooLarge
		default:
			status = int32(n)
		}
	}
	stack[0] = api.EncodeI32(status)
}
