package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"unicode/utf8"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/egress"
)

const (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// hostFunc is one import of the wasmhook_v1 module.
type hostFunc struct {
	name    string
	params  []api.ValueType
	results []api.ValueType
	// command: whether command modules may import it.
	command bool
	fn      api.GoModuleFunc
}

// hostFuncs is the whole wasmhook_v1 host ABI, one line per import
// (abi/SPEC.md section 3).
var hostFuncs = []hostFunc{
	{abi.InputReadName, []api.ValueType{i32, i32}, []api.ValueType{i32}, false, inputRead},
	{abi.ConfigReadName, []api.ValueType{i32, i32}, []api.ValueType{i32}, true, configRead},
	{abi.OutputSetName, []api.ValueType{i32, i32}, nil, false, outputSet},
	{abi.ErrorSetName, []api.ValueType{i32, i32}, nil, true, errorSet},
	{abi.LogName, []api.ValueType{i32, i32, i32}, nil, true, logLine},
	{abi.FieldTypeName, []api.ValueType{i32, i32, i32}, []api.ValueType{i32}, true, fieldType},
	{abi.FieldReadName, []api.ValueType{i32, i32, i32, i32, i32}, []api.ValueType{i32}, true, fieldRead},
	{abi.FieldStringName, []api.ValueType{i32, i32, i32, i32, i32}, []api.ValueType{i32}, true, fieldString},
	{abi.HTTPRequestName, []api.ValueType{i32, i32, i32, i32, i32, i32, i32, i32}, []api.ValueType{i32}, true, httpRequest},
	{abi.HTTPResponseReadName, []api.ValueType{i32, i32, i32}, []api.ValueType{i32}, true, httpResponseRead},
	{abi.KVGetName, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}, true, kvGet},
	{abi.KVSetName, []api.ValueType{i32, i32, i32, i32, i64}, []api.ValueType{i32}, true, kvSet},
	{abi.KVDeleteName, []api.ValueType{i32, i32}, []api.ValueType{i32}, true, kvDelete},
}

func lookupHostFunc(name string) (hostFunc, bool) {
	for _, f := range hostFuncs {
		if f.name == name {
			return f, true
		}
	}
	return hostFunc{}, false
}

func instantiateHost(ctx context.Context, rt wazero.Runtime) error {
	b := rt.NewHostModuleBuilder(abi.ImportModule)
	for _, f := range hostFuncs {
		b.NewFunctionBuilder().WithGoModuleFunction(f.fn, f.params, f.results).Export(f.name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

// callState is what the host functions of one instance work on. It lives as
// long as the instance and is reset before each call; only the goroutine
// that holds the instance touches it.
type callState struct {
	name   string
	logger *slog.Logger
	limits *Limits
	config []byte
	// configDoc is the configuration as field reads see it: the module's,
	// indexed once for all its instances.
	configDoc *lazyDoc

	event   *Event // the call's event: its input and the documents field reads see
	scratch []byte // decoded path segments of field reads
	output  []byte // appended to the caller's buffer
	outSet  bool
	errMsg  []byte
	logged  int
	dropped int // log bytes dropped past the log limit
	stderr  stderrBuffer

	// Lookups: the module's HTTP client (nil without grants), the
	// engine's store, and the instance's lookup state (nil until its
	// first lookup).
	egress *egress.Client
	kv     KV
	lk     *lookupState
}

func (s *callState) reset(ev *Event, dst []byte) {
	s.event = ev
	s.output = dst
	s.outSet = false
	s.errMsg = s.errMsg[:0]
	s.logged = 0
	s.dropped = 0
	s.stderr.reset(int(s.limits.LogBytes))
}

type stateKey struct{}

func stateFrom(ctx context.Context) *callState {
	if c, ok := ctx.(*callContext); ok { // every call's context: no Value lookup
		return c.state
	}
	s, _ := ctx.Value(stateKey{}).(*callState)
	return s
}

// hostFault stops a call from inside a host function: the host function
// panics with it, wazero unwinds the guest and returns it wrapped.
type hostFault struct {
	kind   error
	detail string
}

func (f *hostFault) Error() string { return f.detail }

func fault(kind error, format string, args ...any) {
	panic(&hostFault{kind: kind, detail: fmt.Sprintf(format, args...)})
}

// read returns the guest bytes [ptr, ptr+n), a view of the guest's memory,
// or stops the call with ErrTrap when the range is not inside it. Every
// (ptr, len) pair a host function takes is checked here, whole and before
// any cap shortens it (abi/SPEC.md section 3): a guest that passes a bad
// range has a bug that a cap must not hide.
func read(mod api.Module, fn string, ptr, n uint32) []byte {
	b, ok := mod.Memory().Read(ptr, n) // ptr+n in 64 bits: no wrap-around
	if !ok {
		fault(abi.ErrTrap, "%s: range [%d, %d) is outside the guest's %d-byte memory", fn, ptr, uint64(ptr)+uint64(n), mod.Memory().Size())
	}
	return b
}

// copyOut copies src to the guest's buffer (ptr, len), at most len bytes,
// and returns src's length. The whole buffer must be inside the guest's
// memory, however few bytes are copied.
func copyOut(mod api.Module, fn string, stack []uint64, src []byte) {
	buf := read(mod, fn, api.DecodeU32(stack[0]), api.DecodeU32(stack[1]))
	copy(buf, src)
	stack[0] = api.EncodeU32(uint32(len(src)))
}

func mustState(ctx context.Context, fn string) *callState {
	s := stateFrom(ctx)
	if s == nil {
		fault(abi.ErrTrap, "%s called outside of a wasmhook call", fn)
	}
	return s
}

func inputRead(ctx context.Context, mod api.Module, stack []uint64) {
	copyOut(mod, abi.InputReadName, stack, mustState(ctx, abi.InputReadName).event.Input())
}

func configRead(ctx context.Context, mod api.Module, stack []uint64) {
	copyOut(mod, abi.ConfigReadName, stack, mustState(ctx, abi.ConfigReadName).config)
}

// outputSet checks the length against the output limit before the range
// (abi/SPEC.md section 3): a length above the limit is ErrOutputTooLarge
// wherever it points.
func outputSet(ctx context.Context, mod api.Module, stack []uint64) {
	s := mustState(ctx, abi.OutputSetName)
	ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	if uint64(n) > uint64(s.limits.OutputBytes) {
		fault(abi.ErrOutputTooLarge, "%d bytes; the limit is %d", n, s.limits.OutputBytes)
	}
	b := read(mod, abi.OutputSetName, ptr, n)
	s.output = append(s.output[:0], b...)
	s.outSet = true
}

func errorSet(ctx context.Context, mod api.Module, stack []uint64) {
	s := mustState(ctx, abi.ErrorSetName)
	b := read(mod, abi.ErrorSetName, api.DecodeU32(stack[0]), api.DecodeU32(stack[1]))
	s.errMsg = append(s.errMsg[:0], b[:min(len(b), maxErrorMessage)]...)
}

func logLine(ctx context.Context, mod api.Module, stack []uint64) {
	s := mustState(ctx, abi.LogName)
	level := slog.Level(int32(api.DecodeU32(stack[0])))
	b := read(mod, abi.LogName, api.DecodeU32(stack[1]), api.DecodeU32(stack[2]))
	if s.logged+len(b) > int(s.limits.LogBytes) {
		s.dropped += len(b)
		return
	}
	s.logged += len(b)
	if s.logger.Enabled(ctx, level) {
		s.logger.Log(ctx, level, validString(b)) // the logger names the callback already
	}
}

// validString returns b as a string with invalid UTF-8 replaced.
func validString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string([]rune(string(b)))
}

// capBuffer keeps the first limit bytes written to it and counts the rest
// (a command's stdout: anything past the output limit fails the call).
type capBuffer struct {
	buf     []byte
	limit   int
	dropped int
}

func (c *capBuffer) Write(p []byte) (int, error) {
	room := c.limit - len(c.buf)
	if room < 0 {
		room = 0
	}
	if len(p) > room {
		c.dropped += len(p) - room
		c.buf = append(c.buf, p[:room]...)
	} else {
		c.buf = append(c.buf, p...)
	}
	return len(p), nil
}

// stderrBuffer keeps what a guest writes on stderr during one call, at most
// limit bytes: all of it while it fits; past that, its first half and its
// last bytes, because a failing program's message (a command's "the end of
// stderr") comes last. It counts the bytes dropped between the two.
type stderrBuffer struct {
	// buf holds the first bytes up to limit; once they overflow, buf[:half]
	// stays and buf[half:] is a ring of the latest bytes, the oldest at off.
	buf     []byte
	limit   int
	half    int
	off     int
	wrapped bool
	dropped int
}

func (b *stderrBuffer) reset(limit int) {
	*b = stderrBuffer{buf: b.buf[:0], limit: limit, half: limit / 2}
}

func (b *stderrBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := b.limit - len(b.buf); room > 0 {
		k := min(room, len(p))
		b.buf = append(b.buf, p[:k]...)
		p = p[k:]
	}
	if len(p) == 0 {
		return n, nil
	}
	b.dropped += len(p) // as many old bytes leave the ring as p brings
	ring := b.buf[b.half:]
	if len(ring) == 0 {
		return n, nil
	}
	b.wrapped = true
	if len(p) >= len(ring) {
		copy(ring, p[len(p)-len(ring):])
		b.off = 0
		return n, nil
	}
	k := copy(ring[b.off:], p)
	copy(ring, p[k:])
	b.off = (b.off + len(p)) % len(ring)
	return n, nil
}

// unwrap rotates the ring in place so that its oldest byte comes first.
func (b *stderrBuffer) unwrap() {
	ring := b.buf[b.half:]
	slices.Reverse(ring[:b.off])
	slices.Reverse(ring[b.off:])
	slices.Reverse(ring)
	b.off = 0
}

// parts returns what was kept: everything as head, or, when more than
// limit bytes came, the first ones as head and the latest ones as tail.
func (b *stderrBuffer) parts() (head, tail []byte) {
	if !b.wrapped {
		return b.buf, nil
	}
	b.unwrap()
	return b.buf[:b.half], b.buf[b.half:]
}

// end returns the latest bytes kept (all of them when nothing was dropped).
func (b *stderrBuffer) end() []byte {
	head, tail := b.parts()
	if tail != nil {
		return tail
	}
	return head
}
