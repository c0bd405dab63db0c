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
	// After ResetData, field reads of the input look "/data/..." up in
	// data's own index, made as data was validated, and the rest in shell,
	// the input with data's value replaced by 0 (the part the host wrote
	// itself), indexed on first use; "" is the input's bytes. docs[0] is
	// then never indexed: no byte of the input is indexed twice.
	split bool
	data  jsonindex.Index
	shell lazyDoc
	// shellBuf holds shell's bytes, reused from event to event.
	shellBuf []byte
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
	if ev.split {
		ev.split = false
		ev.data.Reset()
		ev.shell.reset(nil)
	}
}

// ResetData is Reset for a host that has checked everything in input but
// the event's data, whose copy input holds from dataOff on, dataLen bytes
// (abi.AppendInputData): it validates data as jsonraw.Validate does and
// indexes it in the same pass, so that field reads of data find its index
// made for a fraction of a separate build, and the bytes the host wrote
// itself are neither validated again nor indexed unless a field read asks
// for them. Its error is the validator's (a *jsonraw.SyntaxError, its
// offsets data's), or jsonindex.ErrTooLarge; ev is then as Reset leaves
// it. A host whose callbacks read no field should validate data and Reset:
// the index would go unused. It panics if the span is not inside input.
func (ev *Event) ResetData(input []byte, dataOff, dataLen int, prechange, postchange []byte) error {
	ev.Reset(input, prechange, postchange)
	end := dataOff + dataLen
	if dataOff < 0 || dataLen < 0 || end > len(input) {
		panic("runtime: ResetData: data's span is outside the input")
	}
	if err := ev.data.BuildValidate(input[dataOff:end:end]); err != nil {
		return err
	}
	ev.split = true
	// The shell: the input, its data 0. Lookups outside data find the
	// same values in it as in the input.
	ev.shellBuf = append(append(append(ev.shellBuf[:0], input[:dataOff]...), '0'), input[end:]...)
	ev.shell.reset(ev.shellBuf)
	return nil
}

// Input returns the input JSON.
func (ev *Event) Input() []byte { return ev.docs[0].raw }

// whole is the answer to a field read of "" in the input after ResetData:
// the input itself, which the host wrote (its data validated), with no
// index; nil before.
func (ev *Event) whole() []byte {
	if !ev.split {
		return nil
	}
	return bytes.Trim(ev.docs[0].raw, " \t\r\n")
}

// inputIndex returns the index that answers path in the input, and the
// path to look up in it: with ResetData, data's own for "/data" and below
// (a JSON Pointer names the key "data" no other way), the shell's for any
// other path ("" is whole's).
func (ev *Event) inputIndex(path []byte) (*lazyDoc, *jsonindex.Index, []byte) {
	if !ev.split {
		return &ev.docs[0], nil, path
	}
	if len(path) >= 5 && string(path[:5]) == "/data" && (len(path) == 5 || path[5] == '/') {
		return nil, &ev.data, path[5:]
	}
	return &ev.shell, nil, path
}

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
	// memoize: the index remembers its answers (jsonindex's memo: a
	// module's configuration, asked the same paths by every call).
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
// on first use, and the path to look up in it (path, or the part of it
// below "/data" when data has an index of its own); or a negative status.
func (s *callState) index(n int32, path []byte) (*jsonindex.Index, []byte, int32) {
	var d *lazyDoc
	switch n {
	case abi.DocInput:
		var ix *jsonindex.Index
		if d, ix, path = s.event.inputIndex(path); ix != nil {
			return ix, path, 0
		}
	case abi.DocConfig:
		d = s.configDoc
	case abi.DocPrechange:
		d = &s.event.docs[1]
	case abi.DocPostchange:
		d = &s.event.docs[2]
	case abi.DocResponse:
		ix, status := s.responseIndex()
		return ix, path, status
	default:
		return nil, path, abi.FieldNoDocument
	}
	ix, err := d.get()
	if err != nil {
		// The host's own documents are valid JSON (validated, or built by
		// the host): only a document of 4 GiB or more fails to index.
		return nil, path, abi.FieldTooLarge
	}
	return ix, path, 0
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
	doc := int32(api.DecodeU32(stack[0]))
	if doc == abi.DocInput && len(path) == 0 {
		if v := s.event.whole(); v != nil {
			return s, v, buf, 0
		}
	}
	ix, path, status := s.index(doc, path)
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
