package runtime

import (
	"errors"
	"fmt"
	"strings"
)

// Stopping a guest cheaply.
//
// wazero's own way to stop a running guest (WithCloseOnContextDone) costs
// a goroutine and three allocations per call, and a trip out of the
// compiled code to Go at every loop iteration; it checks at loop
// headers only, so a tree of calls with no loop is never stopped.
//
// Instead, instrument rewrites every module at load:
//
//   - it adds a mutable i32 global, exported as StopGlobalName, that the
//     host sets to 1 when a call's deadline passes;
//   - every function body starts with a check, compiled inline (a few
//     nanoseconds): `global.get $stop; if; unreachable; end`, then a
//     countdown in a second global that every entryYieldEvery function
//     entries runs `memory.grow 0`, which leaves the compiled code for Go
//     and back. Go's garbage collector can only stop the world while every
//     goroutine is in Go code: without these yields a guest spinning in a
//     call tree would hold the GC, and the GC would hold the timer that is
//     to stop the guest (a deadlock, seen in the first version);
//   - every loop body starts with a cheaper check on a local counter the
//     rewrite adds to the function: one register add and test per
//     iteration; every loopYieldEvery iterations it checks the stop flag
//     and yields to Go. A global updated on every iteration would chain
//     each iteration to the last through memory (store, then load): that
//     doubled the time of a guest scanning its input byte by byte;
//   - every instruction whose cost is not constant (memory.fill, .copy,
//     .init and .grow; table.fill, .copy, .init and .grow) first adds the
//     work it is about to do to a third global, and when that passes
//     workYieldEvery it checks the stop flag and yields: one such
//     instruction can move the whole memory, and a loop of them checked
//     only every loopYieldEvery iterations ran for seconds past its limit;
//   - every call that may reach the host (a call to an imported function,
//     call_indirect, call_ref) is followed by a check of the stop flag: a
//     host function can work in proportion to its arguments (random_get
//     fills a buffer of the guest's choosing);
//   - every table gets a maximum within the module's memory budget
//     (tableBudget), so that table.grow past it fails as memory.grow does
//     past the memory limit instead of growing the host without bound; a
//     table declared larger than the budget does not load;
//   - the start section, if any, is removed and its function exported as
//     StartFuncName, so that the host calls it itself, under a deadline,
//     after instantiation (wazero would run it inside instantiation, out
//     of the host's reach).
//
// Export names beginning with ReservedExportPrefix belong to the host; a
// module that has one does not load.
//
// The inserted `if`s close before the code that follows them, so no branch
// depth changes. A guest is stopped at its next function entry, or within
// loopYieldEvery iterations of a loop, after its deadline, with a trap the
// host reports as a timeout.
const (
	// ReservedExportPrefix begins every export name the host adds.
	ReservedExportPrefix = "wasmhook:"
	// StopGlobalName is the export of the added stop flag.
	StopGlobalName = ReservedExportPrefix + "stop"
	// StartFuncName is the export of the module's start function, if any.
	StartFuncName = ReservedExportPrefix + "start"
)

// How often a guest yields to Go: every entryYieldEvery function entries
// and every loopYieldEvery iterations of the loops of one function call
// (a power of two: the check masks the counter).
const (
	entryYieldEvery = 1024
	loopYieldEvery  = 4096
	// workYieldEvery is the work (bytes moved or filled, 8 bytes per table
	// element) between two checks of the bulk instructions: about a
	// hundred microseconds of memory bandwidth.
	workYieldEvery = 1 << 20
	// tableElementBytes is what one table element costs the host (wazero
	// keeps a table as a slice of pointers).
	tableElementBytes = 8
)

// tableBudget is the number of elements every table of a module may hold
// together: an eighth of the memory limit, at tableElementBytes each. Go
// guests, the largest, have tables of a few thousand elements.
func tableBudget(memoryLimit uint64) uint64 {
	return memoryLimit / 8 / tableElementBytes
}

// Section ids (WebAssembly core spec, binary format).
const (
	secType     = 1
	secImport   = 2
	secFunction = 3
	secTable    = 4
	secMemory   = 5
	secGlobal   = 6
	secExport   = 7
	secStart    = 8
	secCode     = 10
)

var errShort = errors.New("unexpected end")

// A refusal is a module the rewriter understands and the host refuses: a
// reserved export name, tables over the budget.
type refusal struct {
	symbol, reason string
}

func (r *refusal) Error() string { return r.symbol + ": " + r.reason }

// instrument returns bin rewritten as described above, for a memory limit
// of memoryLimit bytes. An error is a *refusal, a *malformed module (which
// must not reach the compiler: see shape.go), or means that the module uses
// what this rewriter does not know.
func instrument(bin []byte, memoryLimit uint64) ([]byte, error) {
	if len(bin) < 8 {
		return nil, errShort
	}
	type section struct {
		id      byte
		content []byte
	}
	var sections []section
	r := &reader{b: bin, off: 8}
	for r.off < len(bin) {
		id, err := r.byte()
		if err != nil {
			return nil, &malformed{section: id, err: err}
		}
		size, err := r.u32()
		if err != nil {
			return nil, &malformed{section: id, err: err}
		}
		content, err := r.take(size)
		if err != nil {
			return nil, &malformed{section: id, err: fmt.Errorf("%d bytes announced, %d left", size, len(bin)-r.off)}
		}
		if err := checkShape(id, content); err != nil {
			return nil, &malformed{section: id, err: err}
		}
		sections = append(sections, section{id, content})
	}

	var imported importCounts
	definedGlobals := uint32(0)
	start, hasStart, hasMemory, hasCode := uint32(0), false, false, false
	var params, funcTypes []uint32 // params per type; type per defined function
	for _, s := range sections {
		var err error
		switch s.id {
		case secMemory:
			hasMemory = true
		case secCode:
			hasCode = true
		case secType:
			params, err = paramCounts(s.content)
		case secFunction:
			funcTypes, err = readU32s(s.content)
		case secImport:
			imported, err = countImports(s.content)
		case secExport:
			err = checkExportNames(s.content)
		case secGlobal:
			definedGlobals, err = (&reader{b: s.content}).u32()
		case secStart:
			start, err = (&reader{b: s.content}).u32()
			hasStart = true
		}
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", s.id, err)
		}
	}
	if !hasMemory {
		// The yield needs a memory of the module's own; a module without
		// one is refused at load anyway, with a better message.
		return bin, nil
	}
	stop := imported.globals + definedGlobals
	budget := stop + 1
	work := stop + 2
	entry := appendU32([]byte{0x23}, stop)        // global.get $stop
	entry = append(entry, 0x04, 0x40, 0x00, 0x0b) // if; unreachable; end
	entry = appendU32(append(entry, 0x23), budget)
	entry = appendU32(append(entry, 0x41, 0x01, 0x6b, 0x24), budget) // i32.const 1; i32.sub; global.set $budget
	entry = appendU32(append(entry, 0x23), budget)                   // global.get $budget
	entry = append(entry, 0x45, 0x04, 0x40)                          // i32.eqz; if
	entry = append(entry, 0x41, 0x00, 0x40, 0x00, 0x1a)              // i32.const 0; memory.grow 0; drop
	entry = appendS32(append(entry, 0x41), entryYieldEvery)          // i32.const entryYieldEvery
	entry = append(appendU32(append(entry, 0x24), budget), 0x0b)     // global.set $budget; end
	bodies := &codeRewrite{entry: entry, stop: stop, work: work, params: params, funcTypes: funcTypes,
		importedFuncs: imported.funcs, workFunc: imported.funcs + uint32(len(funcTypes))}
	newGlobals := []byte{0x7f, 0x01, 0x41, 0x00, 0x0b} // (mut i32) (i32.const 0): $stop
	newGlobals = appendS32(append(newGlobals, 0x7f, 0x01, 0x41), entryYieldEvery)
	newGlobals = append(newGlobals, 0x0b)                         // (mut i32) (i32.const yieldEvery): $budget
	newGlobals = append(newGlobals, 0x7e, 0x01, 0x42, 0x00, 0x0b) // (mut i64) (i64.const 0): $work
	const addedGlobals = 3

	out := make([]byte, 0, len(bin)+len(bin)/8+64)
	out = append(out, bin[:8]...)
	wroteGlobal := false
	emit := func(id byte, content []byte) {
		out = append(out, id)
		out = appendU32(out, uint32(len(content)))
		out = append(out, content...)
	}
	for _, s := range sections {
		switch s.id {
		case secGlobal:
			g, err := appendToVector(s.content, newGlobals, addedGlobals)
			if err != nil {
				return nil, err
			}
			emit(secGlobal, g)
			wroteGlobal = true
		case secExport:
			if !wroteGlobal { // the global section comes right before exports
				emit(secGlobal, append([]byte{addedGlobals}, newGlobals...))
				wroteGlobal = true
			}
			add := appendName(nil, StopGlobalName)
			add = append(add, 0x03) // a global
			add = appendU32(add, stop)
			e, err := appendToVector(s.content, add, 1)
			if err != nil {
				return nil, err
			}
			if hasStart {
				add := appendName(nil, StartFuncName)
				add = append(add, 0x00) // a function
				add = appendU32(add, start)
				if e, err = appendToVector(e, add, 1); err != nil {
					return nil, err
				}
			}
			emit(secExport, e)
		case secStart:
			// Dropped: the host calls the function itself (StartFuncName).
		case secType, secFunction:
			// The work function's type, (i32, i32) -> i32, and the function:
			// appended, so that no index the module uses moves.
			add := appendU32(nil, uint32(len(params)))
			if s.id == secType {
				add = []byte{0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f}
			}
			if !hasCode {
				emit(s.id, s.content)
				continue
			}
			v, err := appendToVector(s.content, add, 1)
			if err != nil {
				return nil, err
			}
			emit(s.id, v)
		case secTable:
			t, err := boundTables(s.content, tableBudget(memoryLimit), memoryLimit)
			if err != nil {
				return nil, err
			}
			emit(secTable, t)
		case secCode:
			c, err := bodies.code(s.content)
			if err != nil {
				return nil, fmt.Errorf("code section: %w", err)
			}
			emit(secCode, c)
		default:
			emit(s.id, s.content)
		}
	}
	if !wroteGlobal {
		return nil, errors.New("the module has no export section")
	}
	return out, nil
}

// appendToVector returns a vector (a count, then items) with n more items,
// given encoded in items.
func appendToVector(vec, items []byte, n uint32) ([]byte, error) {
	r := &reader{b: vec}
	count, err := r.u32()
	if err != nil {
		return nil, err
	}
	out := appendU32(make([]byte, 0, len(vec)+len(items)+5), count+n)
	out = append(out, vec[r.off:]...)
	return append(out, items...), nil
}

func appendName(dst []byte, name string) []byte {
	return append(appendU32(dst, uint32(len(name))), name...)
}

// importCounts are the numbers of imported functions and globals, which
// come before the module's own in their index spaces.
type importCounts struct {
	funcs, globals uint32
}

func countImports(sec []byte) (importCounts, error) {
	var c importCounts
	r := &reader{b: sec}
	n, err := r.u32()
	if err != nil {
		return c, err
	}
	for i := uint32(0); i < n; i++ {
		for j := 0; j < 2; j++ { // module and field names
			if _, err := r.name(); err != nil {
				return c, err
			}
		}
		kind, err := r.byte()
		if err != nil {
			return c, err
		}
		switch kind {
		case 0x00, 0x04: // function, tag: a type index (a tag has an attribute byte first)
			if kind == 0x04 {
				if _, err := r.byte(); err != nil {
					return c, err
				}
			} else {
				c.funcs++
			}
			_, err = r.u32()
		case 0x01: // table: a reference type and limits
			if err = r.valType(); err == nil {
				err = r.limits()
			}
		case 0x02: // memory: limits
			err = r.limits()
		case 0x03: // global: a value type and mutability
			c.globals++
			if err = r.valType(); err == nil {
				_, err = r.byte()
			}
		default:
			return c, fmt.Errorf("unknown import kind %#x", kind)
		}
		if err != nil {
			return c, err
		}
	}
	return c, nil
}

// checkExportNames refuses an export section that uses a name the host
// reserves for its own exports.
func checkExportNames(sec []byte) error {
	r := &reader{b: sec}
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		name, err := r.name()
		if err != nil {
			return err
		}
		if strings.HasPrefix(string(name), ReservedExportPrefix) {
			return &refusal{symbol: string(name), reason: "export names beginning with " + ReservedExportPrefix + " are reserved for the host"}
		}
		if _, err := r.byte(); err != nil { // kind
			return err
		}
		if _, err := r.u32(); err != nil { // index
			return err
		}
	}
	return nil
}

// boundTables rewrites a table section so that every table has a maximum
// and the maxima add up to at most budget elements: each table keeps its
// initial size and gets an equal share of what the initial sizes leave,
// within its own declared maximum.
func boundTables(sec []byte, budget, memoryLimit uint64) ([]byte, error) {
	type table struct {
		refType  []byte
		min, max uint64
		hasMax   bool
	}
	r := &reader{b: sec}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	tables := make([]table, 0, min(n, uint32(len(sec))))
	var mins uint64
	for i := uint32(0); i < n; i++ {
		at := r.off
		if len(sec) > r.off && sec[r.off] == 0x40 {
			return nil, fmt.Errorf("table %d: tables with an initializer are not supported", i)
		}
		if err := r.valType(); err != nil {
			return nil, err
		}
		t := table{refType: sec[at:r.off]}
		flags, err := r.byte()
		if err != nil {
			return nil, err
		}
		if flags > 0x01 {
			return nil, fmt.Errorf("table %d: unsupported limits flags %#x", i, flags)
		}
		v, err := r.u32()
		if err != nil {
			return nil, err
		}
		t.min = uint64(v)
		if flags == 0x01 {
			if v, err = r.u32(); err != nil {
				return nil, err
			}
			t.max, t.hasMax = uint64(v), true
		}
		mins += t.min
		tables = append(tables, t)
	}
	if r.off != len(sec) {
		return nil, errors.New("table section: trailing bytes")
	}
	if mins > budget {
		return nil, &refusal{symbol: "table", reason: fmt.Sprintf(
			"the module's tables start with %d elements; its memory limit of %d bytes allows %d (tables may use an eighth of it, %d bytes an element)",
			mins, memoryLimit, budget, tableElementBytes)}
	}
	share := (budget - mins) / uint64(max(len(tables), 1))
	out := appendU32(make([]byte, 0, len(sec)+len(tables)*5), uint32(len(tables)))
	for _, t := range tables {
		limit := t.min + share
		if t.hasMax && t.max < limit {
			limit = t.max
		}
		out = append(out, t.refType...)
		out = appendU32(appendU32(append(out, 0x01), uint32(t.min)), uint32(limit))
	}
	return out, nil
}

// codeRewrite inserts the checks into a code section.
type codeRewrite struct {
	entry         []byte   // the function entry check
	stop          uint32   // the stop flag's global index
	work          uint32   // the bulk work counter's global index
	params        []uint32 // the number of parameters of each type
	funcTypes     []uint32 // the type of each function the code section defines
	importedFuncs uint32   // calls to functions below this index reach the host
	workFunc      uint32   // the added function that counts bulk work
}

// code inserts the entry check at the start of every function body and the
// loop check at the start of every loop body of a code section.
func (c *codeRewrite) code(sec []byte) ([]byte, error) {
	r := &reader{b: sec}
	count, err := r.u32()
	if err != nil {
		return nil, err
	}
	if count != uint32(len(c.funcTypes)) {
		return nil, fmt.Errorf("%d function bodies for %d functions", count, len(c.funcTypes))
	}
	out := appendU32(make([]byte, 0, len(sec)+len(sec)/4+int(count)*(len(c.entry)+8)), count+1)
	var body []byte
	for i := uint32(0); i < count; i++ {
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		code, err := r.take(size)
		if err != nil {
			return nil, err
		}
		t := c.funcTypes[i]
		if t >= uint32(len(c.params)) {
			return nil, fmt.Errorf("function %d: type %d out of range", i, t)
		}
		if body, err = c.body(body[:0], code, c.params[t]); err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	if r.off != len(sec) {
		return nil, errors.New("trailing bytes")
	}
	work := c.workBody()
	out = appendU32(out, uint32(len(work)))
	return append(out, work...), nil
}

// workBody is the body of the work function, (count, shift) -> count,
// which a bulk instruction's check calls: it adds count<<shift to $work
// and, once that passes workYieldEvery, clears it, traps if the stop flag
// is set, and yields to Go. A call rather than inline code: wazero's
// compile time grows faster than linearly with a function's blocks, and
// an inline check is a block at every bulk instruction.
func (c *codeRewrite) workBody() []byte {
	out := []byte{0x00}                                    // no locals
	out = append(out, 0x20, 0x00, 0xad)                    // local.get $count; i64.extend_i32_u
	out = append(out, 0x20, 0x01, 0xad, 0x86)              // local.get $shift; i64.extend_i32_u; i64.shl
	out = appendU32(append(out, 0x23), c.work)             // global.get $work
	out = append(out, 0x7c)                                // i64.add
	out = appendU32(append(out, 0x24), c.work)             // global.set $work
	out = appendU32(append(out, 0x23), c.work)             // global.get $work
	out = appendS64(append(out, 0x42), workYieldEvery)     // i64.const workYieldEvery
	out = append(out, 0x5a, 0x04, 0x40)                    // i64.ge_u; if
	out = appendU32(append(out, 0x42, 0x00, 0x24), c.work) //   i64.const 0; global.set $work
	out = appendU32(append(out, 0x23), c.stop)             //   global.get $stop
	out = append(out, 0x04, 0x40, 0x00, 0x0b)              //   if; unreachable; end
	out = append(out, 0x41, 0x00, 0x40, 0x00, 0x1a)        //   i32.const 0; memory.grow 0; drop
	out = append(out, 0x0b)                                // end
	return append(out, 0x20, 0x00, 0x0b)                   // local.get $count; end
}

// body rewrites one function body, whose type has params parameters: it
// declares one more i32 local, the loop counter, after the others.
func (c *codeRewrite) body(out, code []byte, params uint32) ([]byte, error) {
	r := &reader{b: code}
	groups, err := r.u32()
	if err != nil {
		return nil, err
	}
	declared := r.off // where the local declarations start
	locals := uint64(params)
	for g := uint32(0); g < groups; g++ {
		n, err := r.u32()
		if err != nil {
			return nil, err
		}
		locals += uint64(n)
		if err := r.valType(); err != nil {
			return nil, err
		}
	}
	if locals >= 1<<31 {
		return nil, errors.New("too many locals")
	}
	counter := uint32(locals)
	out = appendU32(out, groups+1)
	out = append(out, code[declared:r.off]...)
	out = append(out, 0x01, 0x7f) // one i32: the loop counter
	// The entry check goes only into functions that call: a function
	// that calls nothing runs for a bounded time between two checks, its
	// loops' and its caller's.
	if calls, err := hasCalls(code[r.off:]); err != nil {
		return nil, err
	} else if calls {
		out = append(out, c.entry...)
	}
	// The check's cold half is the else of an empty then: wazero lays the
	// empty then out as the fall-through and spills the loop's values
	// only on the way to the yield, where with the cold half as the then
	// (if; ...; end after an i32.eqz) it stored them on every iteration
	// (a byte-by-byte C scanner: 1.54x its bare time, now 1.32x).
	loop := appendU32([]byte{0x20}, counter)               // local.get $counter
	loop = append(loop, 0x41, 0x01, 0x6a, 0x22)            // i32.const 1; i32.add; local.tee
	loop = appendU32(loop, counter)                        //   $counter
	loop = appendS32(append(loop, 0x41), loopYieldEvery-1) // i32.const loopYieldEvery-1
	loop = append(loop, 0x71, 0x04, 0x40, 0x05)            // i32.and; if; else
	loop = appendU32(append(loop, 0x23), c.stop)           //   global.get $stop
	loop = append(loop, 0x04, 0x40, 0x00, 0x0b)            //   if; unreachable; end
	loop = append(loop, 0x41, 0x00, 0x40, 0x00, 0x1a)      //   i32.const 0; memory.grow 0; drop
	loop = append(loop, 0x0b)                              // end
	afterCall := appendU32([]byte{0x23}, c.stop)           // global.get $stop
	afterCall = append(afterCall, 0x04, 0x40, 0x00, 0x0b)  // if; unreachable; end
	for r.off < len(code) {
		at := r.off
		op, err := r.byte()
		if err != nil {
			return nil, err
		}
		if err := r.immediates(op); err != nil {
			return nil, fmt.Errorf("instruction %#x at %d: %w", op, at, err)
		}
		if shift, ok := bulkShift(code[at:r.off]); ok {
			// The count is on top of the stack: call $work(count, shift),
			// which leaves it there.
			out = appendU32(append(out, 0x41, shift, 0x10), c.workFunc) // i32.const shift; call $work
		}
		out = append(out, code[at:r.off]...)
		switch {
		case op == 0x03: // loop: check at the top of every iteration
			out = append(out, loop...)
		case c.reachesHost(code[at:r.off]):
			out = append(out, afterCall...)
		}
	}
	return out, nil
}

// bulkShift reports whether the instruction ins does work in proportion
// to the count on top of the stack, and the shift that turns the count
// into bytes: memory.fill, .copy, .init (bytes), memory.grow (64 KiB
// pages), table.fill, .copy, .init, .grow (elements).
func bulkShift(ins []byte) (byte, bool) {
	switch ins[0] {
	case 0x40: // memory.grow
		return 16, true
	case 0xfc:
		r := &reader{b: ins, off: 1}
		sub, err := r.u32()
		if err != nil {
			return 0, false
		}
		switch sub {
		case 8, 10, 11: // memory.init, memory.copy, memory.fill
			return 0, true
		case 12, 14, 15, 17: // table.init, table.copy, table.grow, table.fill
			return 3, true // tableElementBytes
		}
	}
	return 0, false
}

// reachesHost reports whether the instruction ins may call a host
// function: a call to an imported function, or an indirect call.
func (c *codeRewrite) reachesHost(ins []byte) bool {
	switch ins[0] {
	case 0x10: // call
		r := &reader{b: ins, off: 1}
		f, err := r.u32()
		return err == nil && f < c.importedFuncs
	case 0x11, 0x14: // call_indirect, call_ref
		return true
	}
	return false
}

// hasCalls reports whether a function's instructions include a call.
func hasCalls(code []byte) (bool, error) {
	r := &reader{b: code}
	for r.off < len(code) {
		at := r.off
		op, err := r.byte()
		if err != nil {
			return false, err
		}
		switch op {
		case 0x10, 0x11, 0x12, 0x13, 0x14, 0x15: // call, call_indirect, return_call(_indirect), call_ref, return_call_ref
			return true, nil
		}
		if err := r.immediates(op); err != nil {
			return false, fmt.Errorf("instruction %#x at %d: %w", op, at, err)
		}
	}
	return false, nil
}

// paramCounts reads a type section: the number of parameters of each type.
func paramCounts(sec []byte) ([]uint32, error) {
	r := &reader{b: sec}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	counts := make([]uint32, 0, min(n, uint32(len(sec))))
	for i := uint32(0); i < n; i++ {
		form, err := r.byte()
		if err != nil {
			return nil, err
		}
		if form != 0x60 {
			return nil, fmt.Errorf("type %d: unsupported type form %#x", i, form)
		}
		var params uint32
		for j := 0; j < 2; j++ { // parameters, then results
			k, err := r.u32()
			if err != nil {
				return nil, err
			}
			for v := uint32(0); v < k; v++ {
				if err := r.valType(); err != nil {
					return nil, err
				}
			}
			if j == 0 {
				params = k
			}
		}
		counts = append(counts, params)
	}
	return counts, nil
}

// readU32s reads a vector of u32 (the function section: type indices).
func readU32s(sec []byte) ([]uint32, error) {
	r := &reader{b: sec}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	out := make([]uint32, 0, min(n, uint32(len(sec))))
	for i := uint32(0); i < n; i++ {
		v, err := r.u32()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// immediates skips the immediates of the instruction op.
func (r *reader) immediates(op byte) error {
	switch {
	case op <= 0x01, op == 0x05, op == 0x0a, op == 0x0b, op == 0x0f, op == 0x1a, op == 0x1b,
		op == 0x19, op >= 0x45 && op <= 0xc4, op == 0xd1, op == 0xd3, op == 0xd4:
		return nil // no immediate
	case op == 0x02, op == 0x03, op == 0x04, op == 0x06: // block, loop, if, try: a block type
		return r.blockType()
	case op == 0x07, op == 0x08, op == 0x09, op == 0x0c, op == 0x0d, op == 0x10, op == 0x12,
		op == 0x14, op == 0x15, op == 0x18, op >= 0x20 && op <= 0x26, op == 0xd2, op == 0xd5, op == 0xd6:
		_, err := r.u32() // one index
		return err
	case op == 0x0e: // br_table
		n, err := r.u32()
		for i := uint32(0); err == nil && i <= n; i++ {
			_, err = r.u32()
		}
		return err
	case op == 0x11, op == 0x13: // call_indirect, return_call_indirect: type, table
		if _, err := r.u32(); err != nil {
			return err
		}
		_, err := r.u32()
		return err
	case op == 0x1c: // select t*
		n, err := r.u32()
		for i := uint32(0); err == nil && i < n; i++ {
			err = r.valType()
		}
		return err
	case op == 0x1f: // try_table: a block type, then catch clauses
		if err := r.blockType(); err != nil {
			return err
		}
		n, err := r.u32()
		for i := uint32(0); err == nil && i < n; i++ {
			var kind byte
			if kind, err = r.byte(); err != nil {
				break
			}
			if kind == 0x00 || kind == 0x01 { // catch, catch_ref: a tag
				if _, err = r.u32(); err != nil {
					break
				}
			}
			_, err = r.u32() // the label
		}
		return err
	case op >= 0x28 && op <= 0x3e: // loads and stores
		return r.memArg()
	case op == 0x3f, op == 0x40: // memory.size, memory.grow: a memory index
		_, err := r.u32()
		return err
	case op == 0x41, op == 0x42: // i32.const, i64.const
		return r.sleb()
	case op == 0x43:
		_, err := r.take(4)
		return err
	case op == 0x44:
		_, err := r.take(8)
		return err
	case op == 0xd0: // ref.null: a heap type
		return r.sleb()
	case op == 0xfc:
		return r.miscImmediates()
	case op == 0xfd:
		return r.simdImmediates()
	case op == 0xfe: // atomics
		sub, err := r.u32()
		if err != nil {
			return err
		}
		if sub == 0x03 { // atomic.fence
			_, err := r.byte()
			return err
		}
		return r.memArg()
	}
	return fmt.Errorf("unknown opcode")
}

func (r *reader) miscImmediates() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	indices := map[uint32]int{8: 2, 9: 1, 10: 2, 11: 1, 12: 2, 13: 1, 14: 2, 15: 1, 16: 1, 17: 1}
	switch {
	case sub <= 7: // saturating truncations
		return nil
	case indices[sub] > 0:
		for i := 0; i < indices[sub]; i++ {
			if _, err := r.u32(); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown 0xfc instruction %d", sub)
}

func (r *reader) simdImmediates() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 11, sub == 92, sub == 93: // loads, store, load_zero: a memarg
		return r.memArg()
	case sub == 12, sub == 13: // v128.const, i8x16.shuffle: 16 bytes
		_, err := r.take(16)
		return err
	case sub >= 21 && sub <= 34: // extract_lane, replace_lane: a lane
		_, err := r.byte()
		return err
	case sub >= 84 && sub <= 91: // load_lane, store_lane: a memarg and a lane
		if err := r.memArg(); err != nil {
			return err
		}
		_, err := r.byte()
		return err
	}
	return nil // every other SIMD instruction has no immediate
}

type reader struct {
	b   []byte
	off int
}

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errShort
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

// name reads a name: a length, then that many bytes.
func (r *reader) name() ([]byte, error) {
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	return r.take(n)
}

func (r *reader) take(n uint32) ([]byte, error) {
	if uint64(r.off)+uint64(n) > uint64(len(r.b)) {
		return nil, errShort
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

// u32 reads an unsigned LEB128 of at most 32 bits.
func (r *reader) u32() (uint32, error) {
	var v uint32
	for shift := 0; shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errors.New("LEB128 too long")
}

// leb skips a LEB128 of at most 64 bits, signed or not.
func (r *reader) sleb() error {
	for i := 0; i < 10; i++ {
		c, err := r.byte()
		if err != nil {
			return err
		}
		if c&0x80 == 0 {
			return nil
		}
	}
	return errors.New("LEB128 too long")
}

func (r *reader) valType() error {
	t, err := r.byte()
	if err != nil {
		return err
	}
	if t == 0x63 || t == 0x64 { // (ref null? ht)
		return r.sleb()
	}
	return nil
}

func (r *reader) blockType() error {
	if r.off >= len(r.b) {
		return errShort
	}
	switch t := r.b[r.off]; {
	case t == 0x40, t >= 0x6f && t <= 0x7f: // empty, or one value type
		r.off++
		return nil
	case t == 0x63 || t == 0x64:
		return r.valType()
	}
	return r.sleb() // a type index, as a signed 33-bit LEB128
}

func (r *reader) memArg() error {
	align, err := r.u32()
	if err != nil {
		return err
	}
	if align&0x40 != 0 { // multi-memory: a memory index follows
		if _, err := r.u32(); err != nil {
			return err
		}
	}
	return r.sleb() // the offset (64-bit for memory64)
}

func (r *reader) limits() error {
	flags, err := r.byte()
	if err != nil {
		return err
	}
	if err := r.sleb(); err != nil { // min
		return err
	}
	if flags&0x01 != 0 {
		return r.sleb() // max
	}
	return nil
}

// appendS64 appends v as a signed LEB128.
func appendS64(dst []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(dst, c)
		}
		dst = append(dst, c|0x80)
	}
}

// appendS32 appends v as a signed LEB128.
func appendS32(dst []byte, v int32) []byte { return appendS64(dst, int64(v)) }

func appendU32(dst []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			dst = append(dst, c|0x80)
			continue
		}
		return append(dst, c)
	}
}
