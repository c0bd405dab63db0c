package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/egress"
)

// Module is one loaded module: compiled once, with a pool of instances for
// a reactor. It is safe for concurrent use; at most Limits().PoolSize calls
// run at once, the others wait for an instance.
type Module struct {
	engine   *Engine
	name     string
	file     string
	kind     abi.Kind
	compiled wazero.CompiledModule
	config   []byte
	// configDoc is config as field reads see it, indexed on first use.
	configDoc lazyDoc
	limits    Limits
	logger    *slog.Logger
	// egress makes the module's HTTP requests; nil when it has no grant.
	egress   *egress.Client
	hasInit  bool
	hasStart bool // the module had a start section (exported as StartFuncName)
	// readsFields: the module imports a field read function.
	readsFields bool
	// minMemory is the memory an instance starts with, in bytes.
	minMemory uint64

	// The pool, guarded by mu: one lock taken once to admit a call and
	// take an instance, once to put it back. Calls beyond PoolSize wait in
	// waiters, first come first served; a finishing call hands its slot
	// to the first waiter rather than giving it up.
	mu      sync.Mutex
	idle    []*instance // LIFO: the most recently used instance is warmest
	inUse   int         // calls admitted and not finished
	calls   int64       // calls admitted, counted under mu
	waiters []chan struct{}
	closed  bool
	drained chan struct{} // closed by the last call to leave a closed module

	// usualMemory is a moving average of the instances' memory sizes at
	// the end of a call, guarded by mu (see grownPastUsual).
	usualMemory uint64

	stats struct {
		created, discarded atomic.Int64
		retired            atomic.Int64
		startNanos         atomic.Int64 // total time spent creating instances
		peakMemory         atomic.Uint64
	}
}

// Name returns the callback name the module was loaded as.
func (m *Module) Name() string { return m.name }

// File returns the file the module was loaded from.
func (m *Module) File() string { return m.file }

// Kind returns abi.KindReactor or abi.KindCommand.
func (m *Module) Kind() abi.Kind { return m.kind }

// ReadsFields reports whether the module imports a field read function
// (field_type, field_read, field_string): its calls may look paths up in
// the event, so a host that validates the event's input anyway may index
// its data in the same pass (Event.ResetData).
func (m *Module) ReadsFields() bool { return m.readsFields }

// Limits returns the module's limits, every field set.
func (m *Module) Limits() Limits { return m.limits }

// Stats are counters of one module since it was loaded.
type Stats struct {
	// Idle is the number of pooled instances not in use now.
	Idle int
	// Created and Discarded count instances created and thrown away
	// (any failed call, a rejected output included; retired; commands:
	// every one).
	Created, Discarded int64
	// Retired counts good instances closed because their memory had grown
	// far past the module's usual size (memory never shrinks; closing
	// the instance returns it).
	Retired int64
	// Calls counts calls, failed ones included.
	Calls int64
	// PeakMemoryBytes is the largest linear memory any instance reached.
	PeakMemoryBytes uint64
	// StartTime is the mean time to create an instance (instantiation and
	// _initialize; for a command, its whole run).
	StartTime time.Duration
}

// Stats returns the module's counters.
func (m *Module) Stats() Stats {
	m.mu.Lock()
	idle, calls := len(m.idle), m.calls
	m.mu.Unlock()
	created := m.stats.created.Load()
	var start time.Duration
	if created > 0 {
		start = time.Duration(m.stats.startNanos.Load() / created)
	}
	return Stats{
		Idle:            idle,
		StartTime:       start,
		Created:         created,
		Discarded:       m.stats.discarded.Load(),
		Retired:         m.stats.retired.Load(),
		Calls:           calls,
		PeakMemoryBytes: m.stats.peakMemory.Load(),
	}
}

// instance is one instantiated module with the state its host calls use.
type instance struct {
	mod     api.Module
	onEvent api.Function
	mem     *limitedMemory
	state   callState
	ctx     callContext
	stack   [1]uint64
	// own is the event of a Call made with input bytes alone (Call,
	// CallAt): its documents are the instance's for the call.
	own Event
}

// Call runs the module on one event input and appends its output to dst:
// nothing, or UTF-8 JSON, falsy or an object (abi.CheckOutput). A failure
// is an *abi.CallError; for an output that breaks those rules, the output
// is returned beside it.
func (m *Module) Call(ctx context.Context, input, dst []byte) ([]byte, error) {
	return m.CallAt(ctx, time.Now(), input, dst)
}

// CallAt is Call for a caller that has read the clock as the call starts
// (to time it): the call's time limit counts from start, and the call
// reads the clock no more.
func (m *Module) CallAt(ctx context.Context, start time.Time, input, dst []byte) ([]byte, error) {
	return m.call(ctx, start, nil, input, dst, nil)
}

// CallEvent is CallAt on an event's documents: the input is ev.Input(),
// and field reads look paths up in ev, sharing its indexes with every other
// call made with ev (see Event).
func (m *Module) CallEvent(ctx context.Context, start time.Time, ev *Event, dst []byte) ([]byte, error) {
	return m.call(ctx, start, ev, ev.Input(), dst, nil)
}

// CallEventStats is CallEvent that also sets *st to what the call looked
// up over HTTP (requests, cache hits, time waited).
func (m *Module) CallEventStats(ctx context.Context, start time.Time, ev *Event, dst []byte, st *LookupStats) ([]byte, error) {
	return m.call(ctx, start, ev, ev.Input(), dst, st)
}

// HasGrants reports whether the module may make HTTP requests: only such
// a module has lookup stats worth asking for.
func (m *Module) HasGrants() bool { return m.egress != nil }

// call runs one call on ev, or when ev is nil on input alone; st, when not
// nil, gets the call's lookup stats.
func (m *Module) call(ctx context.Context, start time.Time, ev *Event, input, dst []byte, st *LookupStats) ([]byte, error) {
	if m.kind == abi.KindCommand {
		out, err := m.callCommand(ctx, ev, input, dst, st)
		if err == nil {
			err = abi.CheckOutput(m.name, out)
		}
		return out, err
	}
	inst, err := m.acquire(ctx)
	if err != nil {
		return dst, err
	}
	if ev == nil {
		ev = &inst.own
		ev.Reset(input, nil, nil)
	}
	out, ran, err := m.callReactor(ctx, inst, start, ev, dst)
	if inst.state.lk != nil { // an instance that once looked something up
		if st != nil {
			*st = inst.state.lookupStats()
		}
		inst.state.endLookups()
	}
	if err == nil {
		// Before the instance goes back to its pool: one whose output
		// breaks the rules is thrown away (abi/SPEC.md section 2).
		err = abi.CheckOutput(m.name, out)
	}
	// An instance whose call never started (the caller's context had
	// ended) is as good as before.
	m.release(inst, err != nil && ran)
	return out, err
}

// callerEnded is the error of a call whose caller's context ended before
// the guest ran: a timeout (or a cancellation) of the caller's making.
func (m *Module) callerEnded(fn string, err error) *abi.CallError {
	return abi.NewCallError(m.name, abi.ErrTimeout, fmt.Sprintf("the caller's context ended before %s ran: %v", fn, err), err)
}

// enter admits one call: it fails once the module is closed and waits,
// within ctx, while PoolSize calls are in flight. It returns with mu held
// and the call counted in inUse; leave (or release) ends the call.
func (m *Module) enter(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	m.calls++
	if m.inUse < m.limits.PoolSize {
		m.inUse++
		return nil
	}
	ready := make(chan struct{})
	m.waiters = append(m.waiters, ready)
	m.mu.Unlock()
	select {
	case <-ready:
		m.mu.Lock()
		return nil
	case <-ctx.Done():
		m.mu.Lock()
		if i := slices.Index(m.waiters, ready); i >= 0 {
			m.waiters = slices.Delete(m.waiters, i, i+1)
			m.mu.Unlock()
		} else { // handed a slot just as ctx ended: pass it on
			m.leaveLocked()
			m.mu.Unlock()
		}
		return abi.NewCallError(m.name, abi.ErrTimeout, "waiting for a free instance: "+ctx.Err().Error(), ctx.Err())
	}
}

// leaveLocked ends a call, with mu held: its slot goes to the first
// waiter, if any.
func (m *Module) leaveLocked() {
	if len(m.waiters) > 0 {
		close(m.waiters[0])
		m.waiters = slices.Delete(m.waiters, 0, 1)
		return
	}
	m.inUse--
	if m.closed && m.inUse == 0 {
		close(m.drained)
	}
}

// acquire takes an idle instance or creates one, waiting while PoolSize
// instances are in use.
func (m *Module) acquire(ctx context.Context) (*instance, error) {
	if err := m.enter(ctx); err != nil {
		return nil, err
	}
	if n := len(m.idle); n > 0 {
		inst := m.idle[n-1]
		m.idle = m.idle[:n-1]
		m.mu.Unlock()
		return inst, nil
	}
	m.mu.Unlock()
	var inst *instance
	err := ctx.Err()
	if err != nil {
		err = m.callerEnded(abi.OnEventName, err)
	} else {
		inst, err = m.newInstance(ctx)
	}
	if err != nil {
		m.mu.Lock()
		m.leaveLocked()
		m.mu.Unlock()
		return nil, err
	}
	return inst, nil
}

// release returns an instance to the pool, or closes it when it is broken
// (the call failed in a way that may have left it inconsistent) or the
// module is closed.
func (m *Module) release(inst *instance, broken bool) {
	m.trackPeak(inst.mem)
	broken = broken || inst.mod.IsClosed() || inst.ctx.fired.Load()
	size := uint64(len(inst.mem.buf))
	m.mu.Lock()
	grown := m.grownPastUsual(size)
	keep := !broken && !m.closed && !grown
	if keep {
		m.idle = append(m.idle, inst)
	}
	m.leaveLocked()
	m.mu.Unlock()
	if !keep {
		if grown && !broken {
			m.stats.retired.Add(1)
		}
		m.discard(inst)
	}
}

// Retiring an instance whose memory grew.
//
// A WebAssembly memory never shrinks: an instance that once held a large
// event keeps the memory it grew for as long as it lives, and with every
// instance of every module kept warm, a host's memory became modules x
// pool size x the largest event ever seen. So the module keeps a moving
// average of its instances' memory sizes after a call (usualMemory), and an
// instance that ends a call with more than twice that, and at least
// retireSlack more, is closed instead of pooled: its memory goes back to
// the system, and the next call makes a fresh instance. A module whose
// events are all large moves its average up and stops retiring.
const retireSlack = 1 << 20

// grownPastUsual reports whether an instance whose memory is size bytes
// after a call should be retired, and moves the average; mu is held.
func (m *Module) grownPastUsual(size uint64) bool {
	usual := m.usualMemory
	if usual == 0 {
		m.usualMemory = size
		return false
	}
	// An exponential moving average with weight 1/16 to the new size.
	m.usualMemory = uint64(int64(usual) + (int64(size)-int64(usual))/16)
	return size > 2*usual && size-usual >= retireSlack
}

func (m *Module) discard(inst *instance) {
	m.stats.discarded.Add(1)
	inst.ctx.timer.Stop()
	_ = inst.mod.Close(context.Background())
}

func (m *Module) trackPeak(mem *limitedMemory) {
	p := mem.peak.Load()
	for {
		old := m.stats.peakMemory.Load()
		if p <= old || m.stats.peakMemory.CompareAndSwap(old, p) {
			return
		}
	}
}

// moduleConfig is the wazero configuration of every instance: no file
// system, environment, arguments or sockets; real clocks.
func (m *Module) moduleConfig() wazero.ModuleConfig {
	return wazero.NewModuleConfig().
		WithName("").
		WithSysWalltime().
		WithSysNanotime()
}

// blank returns an instance not yet instantiated: its memory, call state
// and call context.
func (m *Module) blank() *instance {
	inst := &instance{mem: newLimitedMemory(uint64(m.limits.MemoryBytes))}
	inst.state = callState{name: m.name, logger: m.logger, limits: &m.limits, config: m.config, configDoc: &m.configDoc,
		egress: m.egress, kv: m.engine.kv}
	inst.state.reset(&inst.own, nil)
	inst.ctx.init(&inst.state)
	return inst
}

// newInstance instantiates a reactor and runs its start function and
// _initialize, within the module's start time limit.
func (m *Module) newInstance(ctx context.Context) (*instance, error) {
	inst := m.blank()
	cfg := m.moduleConfig().
		WithStderr(&inst.state.stderr).
		WithNanosleep(inst.ctx.sleep)
	start := time.Now()
	defer func() { m.stats.startNanos.Add(int64(time.Since(start))) }()
	if err := m.instantiate(ctx, inst, cfg); err != nil {
		return nil, err
	}
	if m.hasInit {
		if err := m.runStart(ctx, inst, abi.InitializeName); err != nil {
			return nil, err
		}
	}
	m.flushLogs(&inst.state)
	inst.onEvent = inst.mod.ExportedFunction(abi.OnEventName)
	return inst, nil
}

// instantiate creates inst's module instance (no guest code runs: the
// start function was taken out at load) and runs the start function, if
// the module had one. On error the instance is thrown away.
func (m *Module) instantiate(ctx context.Context, inst *instance, cfg wazero.ModuleConfig) error {
	if !inst.mem.prepay(m.minMemory) {
		return abi.NewCallError(m.name, abi.ErrMemoryLimit, fmt.Sprintf(
			"no room for another instance's %d bytes of memory: instance memories hold %d bytes of the host's budget of %d (a share of its address-space or commit limit)",
			m.minMemory, memoryBudget.used.Load(), memoryBudget.Limit()), nil)
	}
	ictx := context.WithValue(ctx, stateKey{}, &inst.state)
	ictx = experimental.WithMemoryAllocator(ictx, inst.mem)
	mod, err := m.engine.rt.InstantiateModule(ictx, m.compiled, cfg.WithStartFunctions())
	m.stats.created.Add(1)
	if err != nil {
		m.stats.discarded.Add(1)
		inst.mem.Free() // the budget's charge, if wazero did not free it
		return m.classify(err, inst, "instantiate")
	}
	inst.mod = mod
	inst.ctx.flag = mod.ExportedGlobal(StopGlobalName).(api.MutableGlobal)
	if m.hasStart {
		return m.runStart(ctx, inst, StartFuncName)
	}
	return nil
}

// runStart calls a start function (the start section's, _initialize) under
// the start time limit; on error the instance is thrown away.
func (m *Module) runStart(ctx context.Context, inst *instance, fn string) error {
	cctx, err := inst.ctx.start(ctx, time.Now(), m.limits.StartTimeout)
	if err != nil {
		m.discard(inst)
		return m.callerEnded(fn, err)
	}
	_, err = inst.mod.ExportedFunction(fn).Call(cctx)
	if fired := inst.ctx.stop(); fired && err == nil {
		err = errRanPastDeadline
	}
	if err != nil {
		cerr := m.classify(err, inst, fn)
		m.discard(inst)
		return cerr
	}
	return nil
}

// errRanPastDeadline stands for the guest's own error when it returned
// normally after its deadline had passed: the deadline holds all the same.
var errRanPastDeadline = errors.New("returned after its deadline")

// callReactor runs one event on inst; ran reports whether the guest ran
// (it does not when the caller's context has ended).
func (m *Module) callReactor(ctx context.Context, inst *instance, start time.Time, ev *Event, dst []byte) (out []byte, ran bool, err error) {
	s := &inst.state
	s.reset(ev, dst)
	input := ev.Input()
	cctx, err := inst.ctx.start(ctx, start, m.limits.Timeout)
	if err != nil {
		return dst, false, m.callerEnded(abi.OnEventName, err)
	}
	if inst.mem.denied.Load() { // a grow refused in an earlier call that succeeded
		inst.mem.denied.Store(false)
		inst.mem.overBudget.Store(false)
	}
	inst.stack[0] = api.EncodeU32(uint32(len(input)))
	err = inst.onEvent.CallWithStack(cctx, inst.stack[:])
	// A guest that returns after its deadline has passed (its last checks
	// came before the deadline) has still overrun it: its result does not
	// stand.
	if fired := inst.ctx.stop(); fired && err == nil {
		err = errRanPastDeadline
	}
	if err != nil {
		err = m.classify(err, inst, abi.OnEventName)
	}
	m.flushLogs(s)
	if err != nil {
		return dst, true, err
	}
	if status := int32(api.DecodeU32(inst.stack[0])); status != abi.StatusOK {
		msg := string(s.errMsg)
		if msg == "" {
			msg = fmt.Sprintf("status %d", status)
		}
		if inst.mem.denied.Load() {
			// The guest gave up after a memory.grow was refused: the
			// limit is the cause, whatever the guest says.
			return dst, true, abi.NewCallError(m.name, abi.ErrMemoryLimit, fmt.Sprintf(
				"%s asked for more than its %d-byte memory limit, then returned status %d: %s",
				abi.OnEventName, m.limits.MemoryBytes, status, validString([]byte(msg))), nil)
		}
		return dst, true, abi.NewCallError(m.name, abi.ErrGuest, validString([]byte(msg)), nil)
	}
	if !s.outSet {
		return dst, true, nil
	}
	return s.output, true, nil
}

// callCommand runs a WASI command in a fresh instance: input on stdin,
// output from stdout.
func (m *Module) callCommand(ctx context.Context, ev *Event, input, dst []byte, st *LookupStats) ([]byte, error) {
	if err := m.enter(ctx); err != nil {
		return dst, err
	}
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.leaveLocked()
		m.mu.Unlock()
	}()

	inst := m.blank()
	if ev == nil {
		ev = &inst.own
		ev.Reset(input, nil, nil)
	}
	s := &inst.state
	s.reset(ev, dst)
	defer inst.ctx.timer.Stop()
	stdout := capBuffer{buf: dst[:0], limit: int(m.limits.OutputBytes)}
	cfg := m.moduleConfig().
		WithStdin(bytes.NewReader(input)).
		WithStdout(&stdout).
		WithStderr(&s.stderr).
		WithNanosleep(inst.ctx.sleep)

	start := time.Now()
	err := m.instantiate(ctx, inst, cfg)
	if err == nil {
		cctx, serr := inst.ctx.start(ctx, time.Now(), m.limits.Timeout)
		if serr != nil {
			err = m.callerEnded(abi.StartName, serr)
		} else {
			_, err = inst.mod.ExportedFunction(abi.StartName).Call(cctx)
			var exit *sys.ExitError
			if errors.As(err, &exit) && exit.ExitCode() == 0 {
				err = nil
			}
			if fired := inst.ctx.stop(); fired && err == nil {
				err = errRanPastDeadline
			}
			if err != nil {
				err = m.classify(err, inst, abi.StartName)
			}
		}
		m.trackPeak(inst.mem)
		m.stats.discarded.Add(1)
		_ = inst.mod.Close(context.Background())
	}
	m.stats.startNanos.Add(int64(time.Since(start)))
	m.flushLogs(s)
	if st != nil {
		*st = s.lookupStats()
	}
	if err != nil {
		return dst, err
	}
	if stdout.dropped > 0 {
		return dst, abi.Errorf(m.name, abi.ErrOutputTooLarge, "%d bytes on stdout; the limit is %d", len(stdout.buf)+stdout.dropped, m.limits.OutputBytes)
	}
	return stdout.buf, nil
}

// classify turns a wazero error into an *abi.CallError of the right kind.
func (m *Module) classify(err error, inst *instance, fn string) *abi.CallError {
	var hf *hostFault
	if errors.As(err, &hf) {
		return abi.NewCallError(m.name, hf.kind, hf.detail, err)
	}
	var exit *sys.ExitError
	isExit := errors.As(err, &exit)
	switch {
	case inst.ctx.fired.Load():
		// The stop flag made the guest trap: its deadline had passed.
		limit := m.limits.Timeout
		if m.kind == abi.KindReactor && fn != abi.OnEventName {
			limit = m.limits.StartTimeout
		}
		cause := context.DeadlineExceeded
		switch {
		case inst.ctx.canceled.Load():
			return abi.NewCallError(m.name, abi.ErrTimeout, fn+" canceled by the caller", context.Canceled)
		case inst.ctx.callerDeadline:
			return abi.NewCallError(m.name, abi.ErrTimeout, fmt.Sprintf("%s ran past the caller's deadline (sooner than its %s limit) and was stopped", fn, limit), cause)
		}
		return abi.NewCallError(m.name, abi.ErrTimeout, fmt.Sprintf("%s ran past its %s limit and was stopped", fn, limit), cause)
	case inst.mem.overBudget.Load():
		return abi.NewCallError(m.name, abi.ErrMemoryLimit, fmt.Sprintf("%s asked for more memory than the host's budget for instance memories has left (%d bytes in all, a share of its address-space or commit limit): %s", fn, memoryBudget.Limit(), firstLine(err.Error())), err)
	case inst.mem.denied.Load():
		return abi.NewCallError(m.name, abi.ErrMemoryLimit, fmt.Sprintf("%s asked for more than its %d-byte memory limit: %s", fn, m.limits.MemoryBytes, firstLine(err.Error())), err)
	case isExit:
		msg := string(inst.state.errMsg)
		if msg == "" {
			msg = tail(inst.state.stderr.end(), 512)
			if p := panicMessage(&inst.state.stderr); p != "" {
				// Go's runtime prints the panic, then every goroutine's
				// stack: the panic is what the error must say first.
				msg = p + "\nstderr: " + msg
			}
		}
		detail := fmt.Sprintf("exit code %d", exit.ExitCode())
		if msg != "" {
			detail += ": " + msg
		}
		return abi.NewCallError(m.name, abi.ErrGuest, detail, err)
	}
	detail := err.Error()
	if len(inst.state.errMsg) > 0 { // a guest that reports its error, then traps (AssemblyScript's abort)
		detail = validString(inst.state.errMsg) + ": " + detail
	} else if p := panicMessage(&inst.state.stderr); p != "" {
		// Rust prints its panic on stderr, then traps with unreachable.
		detail = p + ": " + detail
	}
	if se := tail(inst.state.stderr.end(), 512); se != "" {
		detail += "\nstderr: " + se
	}
	return abi.NewCallError(m.name, abi.ErrTrap, detail, err)
}

// flushLogs ends a call's logging: it logs what the guest wrote on stderr
// (its start and its end, when it wrote more than the log limit) and then,
// once per call, a warning if log lines or stderr bytes were dropped.
func (m *Module) flushLogs(s *callState) {
	if len(s.stderr.buf) == 0 && s.dropped == 0 { // the usual call: nothing to say
		return
	}
	if head, tail := s.stderr.parts(); len(head) > 0 || len(tail) > 0 {
		text := validString(head)
		if tail != nil {
			text += fmt.Sprintf("\n[... %d bytes dropped ...]\n", s.stderr.dropped) + validString(tail)
		}
		m.logger.Info("wasmhook: guest stderr", "stderr", strings.TrimRight(text, "\n"))
	}
	if dropped := s.dropped + s.stderr.dropped; dropped > 0 {
		m.logger.Warn("wasmhook: log limit reached; the rest of the call's logs was dropped", "dropped_bytes", dropped, "limit", m.limits.LogBytes)
	}
	s.dropped = 0
	s.stderr.reset(int(m.limits.LogBytes))
}

// panicMessage finds a guest's panic in what it wrote on stderr: Go's
// "panic: ..." or "fatal error: ..." line, or Rust's "panicked at ..."
// (Rust 1.63: "thread '<unnamed>' panicked at 'msg', src/lib.rs:6:37";
// since 1.73 the place ends the line, "panicked at src/lib.rs:6:37:", and
// the message is the next line). "" when there is none.
func panicMessage(b *stderrBuffer) string {
	head, tail := b.parts()
	for _, part := range [][]byte{head, tail} {
		lines := strings.Split(validString(part), "\n")
		for i, line := range lines {
			line = strings.TrimRight(line, "\r")
			if strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ") {
				return strings.TrimSuffix(line, " [recovered]")
			}
			if _, after, ok := strings.Cut(line, "panicked at "); ok {
				msg := "panicked at " + after
				if strings.HasSuffix(after, ":") && i+1 < len(lines) {
					msg += " " + strings.TrimSpace(lines[i+1])
				}
				return msg
			}
		}
	}
	return ""
}

func tail(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return validString(b)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// Close closes the module: no new calls start, calls in flight finish, then
// every instance and the compiled code are released.
func (m *Module) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.drained = make(chan struct{})
	if m.inUse == 0 {
		close(m.drained)
	}
	m.mu.Unlock()
	<-m.drained
	m.mu.Lock()
	idle := m.idle
	m.idle = nil
	m.mu.Unlock()
	for _, inst := range idle {
		inst.ctx.timer.Stop()
		_ = inst.mod.Close(ctx)
	}
	m.engine.untrack(m)
	if m.egress != nil {
		m.egress.Close()
	}
	return m.compiled.Close(ctx)
}

// callContext is the context of every call on one instance, and its
// deadline. It is made once per instance and reused, so that a call
// allocates no context and no timer. When a deadline passes, fire sets the
// instance's stop flag (the guest traps at its next check; see instrument)
// and closes Done (which ends WASI sleeps); the instance is then thrown
// away, so neither is ever reset.
//
// The timer is lazy: a call records its deadline and arms the timer only
// when it is not armed already for that deadline or an earlier one; when
// the timer fires early (for a call that has ended), it re-arms itself for
// the call in progress, if any, or stays idle. Re-arming a Go timer on
// every call cost about a tenth of a cheap event's time. A call's start and
// stop take no lock: they publish the deadline in due, and read armed
// after writing due, while expire writes armed before reading due, so
// that one of the two always sees the other (both are sequentially
// consistent atomics).
type callContext struct {
	parent   context.Context
	state    *callState
	flag     api.MutableGlobal // the instance's stop flag; nil until instantiated
	done     chan struct{}
	fired    atomic.Bool
	canceled atomic.Bool // fired because the caller's context was canceled
	timer    *time.Timer
	epoch    time.Time // due and armedAt count from it
	started  time.Time // the call's start
	deadline time.Time
	// callerDeadline: deadline is the caller's, sooner than the limit.
	callerDeadline bool
	// unwatch stops watching the caller's context, when it can be canceled.
	unwatch func() bool

	due     atomic.Int64  // the deadline of the call in progress (ns from epoch); 0 for none
	watched atomic.Uint64 // counts watched calls that ended, so that a late watcher cannot stop the next call
	armed   atomic.Bool
	armedAt atomic.Int64 // when the armed timer fires (ns from epoch)
	mu      sync.Mutex   // serializes arming, expire and the watcher
}

func (c *callContext) init(s *callState) {
	c.state = s
	c.parent = context.Background()
	c.done = make(chan struct{})
	c.epoch = time.Now()
	c.timer = time.AfterFunc(time.Hour, c.expire)
	c.timer.Stop()
}

// expire runs when the timer fires: it stops the call in progress if its
// deadline has passed, else re-arms for it.
func (c *callContext) expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed.Store(false)
	due := c.due.Load()
	if due == 0 {
		return
	}
	if left := due - int64(time.Since(c.epoch)); left > 0 {
		c.arm(time.Duration(left), due)
		return
	}
	c.fire()
}

// arm sets the timer to fire after d, at (ns from epoch); mu is held.
func (c *callContext) arm(d time.Duration, at int64) {
	c.timer.Reset(d)
	c.armedAt.Store(at)
	c.armed.Store(true)
}

func (c *callContext) fire() {
	if c.fired.CompareAndSwap(false, true) {
		if c.flag != nil {
			c.flag.Set(1)
		}
		close(c.done)
	}
}

// start arms the deadline: the sooner of now+timeout and the caller's own.
// A caller's context that can be canceled is watched too.
func (c *callContext) start(parent context.Context, now time.Time, timeout time.Duration) (context.Context, error) {
	if err := parent.Err(); err != nil {
		return nil, err
	}
	if c.fired.Load() {
		return nil, context.DeadlineExceeded
	}
	c.parent = parent
	c.started = now
	c.deadline = now.Add(timeout)
	c.callerDeadline = false
	if pd, ok := parent.Deadline(); ok {
		if pd == pd.Round(0) {
			// No monotonic reading (a deadline made from a wall clock
			// time): compared with now, it would be compared on now's
			// wall reading, which need not be the system's (CallAt's
			// caller chose now). Move it to now's clock.
			pd = now.Add(time.Until(pd))
		}
		if pd.Before(c.deadline) {
			c.deadline = pd
			c.callerDeadline = true
		}
	}
	due := max(int64(c.deadline.Sub(c.epoch)), 1)
	c.due.Store(due)
	if !c.armed.Load() || c.armedAt.Load() > due {
		c.mu.Lock()
		if !c.armed.Load() || c.armedAt.Load() > due {
			c.arm(c.deadline.Sub(now), due)
		}
		c.mu.Unlock()
	}
	if parent.Done() != nil {
		call := c.watched.Load()
		c.unwatch = context.AfterFunc(parent, func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.due.Load() != 0 && c.watched.Load() == call && !c.fired.Load() {
				c.canceled.Store(!errors.Is(parent.Err(), context.DeadlineExceeded))
				c.fire()
			}
		})
	}
	return c, nil
}

// stop ends the call's deadline (the timer, if armed, finds no call when
// it fires) and reports whether it had passed.
func (c *callContext) stop() bool {
	c.due.Store(0)
	if c.unwatch != nil {
		c.unwatch()
		c.unwatch = nil
		// A watcher that runs from now on finds a count that is not its
		// call's (or no call at all: due is 0 until the next start).
		c.watched.Add(1)
	}
	c.parent = context.Background()
	return c.fired.Load()
}

// sleep is the instance's WASI nanosleep (poll_oneoff on a clock): a real
// sleep that ends early when the call's deadline passes, so that a guest
// sleeping past its time limit holds no goroutine.
func (c *callContext) sleep(ns int64) {
	if ns <= 0 {
		return
	}
	t := time.NewTimer(time.Duration(ns))
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.done:
	}
}

func (c *callContext) Deadline() (time.Time, bool) { return c.deadline, true }
func (c *callContext) Done() <-chan struct{}       { return c.done }
func (c *callContext) Err() error {
	if c.fired.Load() {
		return context.DeadlineExceeded
	}
	return nil
}
func (c *callContext) Value(key any) any {
	if _, ok := key.(stateKey); ok {
		return c.state
	}
	return c.parent.Value(key)
}
