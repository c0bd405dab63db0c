package main

// The sections after W1's table (issue 18): wasmhook with SDK-written
// plugins against both native references and Extism; each language's
// site_status with field reads and with its SDK's scanner; the cost of a
// field-reading callback against the size of data; the time-limit checks
// against bare wazero; the choice of parallelism for cheap callbacks.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/runtime"
)

// benchRow is one row of a section: a measurement per round and, when
// extra is set, figures read after each round (callbacks' mean times).
type benchRow struct {
	label  string
	run    func() (timing, error)
	extra  func() []float64
	m      measurement
	extras [][]float64
}

// runRows measures rows, interleaved and rotated each round, as run does.
func runRows(section string, rounds int, rows []*benchRow) error {
	for r := range rounds {
		for j := range rows {
			row := rows[(j+r)%len(rows)]
			fmt.Fprintf(os.Stderr, "%s round %d/%d: %s...", section, r+1, rounds, row.label)
			t, err := row.run()
			if err != nil {
				return fmt.Errorf("%s: %w", row.label, err)
			}
			fmt.Fprintf(os.Stderr, " %.0f ns/op\n", nsPerOp(t))
			row.m.results = append(row.m.results, t)
			if row.extra != nil {
				row.extras = append(row.extras, row.extra())
			}
		}
	}
	return nil
}

func (r *benchRow) ns() float64  { return nsPerOp(r.m.median()) }
func (r *benchRow) cpu() float64 { return r.m.median().cpuPerOp }

// extraMedian is the median of the k-th figure read after each round.
func (r *benchRow) extraMedian(k int) float64 {
	var s []float64
	for _, e := range r.extras {
		if k < len(e) {
			s = append(s, e[k])
		}
	}
	if len(s) == 0 {
		return 0
	}
	sort.Float64s(s)
	return s[len(s)/2]
}

func printRows(w io.Writer, rows []*benchRow, ratio func(*benchRow) string, extraLabel string) {
	head := "| measurement | time | min–max over rounds | CPU time/op | allocs/op |"
	sep := "|---|--:|--:|--:|--:|"
	if extraLabel != "" {
		head += " " + extraLabel + " |"
		sep += "--:|"
	}
	fmt.Fprintln(w, head+" ratio |")
	fmt.Fprintln(w, sep+"--:|")
	for _, r := range rows {
		lo, hi := r.m.spread()
		line := fmt.Sprintf("| %s | %s | %s–%s | %s | %d |", r.label, fmtNs(r.ns()), fmtNs(lo), fmtNs(hi), fmtNs(r.cpu()), r.m.median().AllocsPerOp())
		if extraLabel != "" {
			line += " " + fmtNs(r.extraMedian(0)) + " |"
		}
		fmt.Fprintln(w, line+" "+ratio(r)+" |")
	}
}

// dirOf makes a modules directory under tmp named name holding the given
// modules (file name in the directory: source path) and, if settings is
// not empty, a wasmhook.yaml with it.
func dirOf(tmp, name string, mods map[string]string, settings string) (string, error) {
	dir := filepath.Join(tmp, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for dst, src := range mods {
		b, err := os.ReadFile(src)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, dst+".wasm"), b, 0o644); err != nil {
			return "", err
		}
	}
	if settings != "" {
		if err := os.WriteFile(filepath.Join(dir, "wasmhook.yaml"), []byte(settings), 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// buildGo builds a Go guest of ../examples for wasip1 as a reactor.
func buildGo(pkg, out string) error {
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, ".")
	cmd.Dir = filepath.Join("..", pkg)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// reportingSystem is EnrichInto with one Result reused, which also adds up
// one callback's durations (its report's) to give their mean.
type reportingSystem struct {
	e        *wasmhook.Enricher
	res      wasmhook.Result
	watch    []int // report indexes whose durations are added up
	sum      []time.Duration
	count    int
	failures int
}

func newReporting(ctx context.Context, dir string, opts wasmhook.Options, watch ...int) (*reportingSystem, error) {
	opts.Dir = dir
	if opts.Limits.Timeout == 0 {
		opts.Limits.Timeout = callTimeout
	}
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := wasmhook.New(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &reportingSystem{e: e, watch: watch, sum: make([]time.Duration, len(watch))}, nil
}

func (s *reportingSystem) enrich(ctx context.Context, ev *wasmhook.Event) ([]byte, error) {
	if err := s.e.EnrichInto(ctx, ev, &s.res); err != nil {
		return nil, err
	}
	for i := range s.res.Reports {
		if err := s.res.Reports[i].Err; err != nil {
			return nil, err
		}
	}
	for k, i := range s.watch {
		s.sum[k] += s.res.Reports[i].Duration
	}
	s.count++
	return s.res.Payload, nil
}

// means returns the mean durations of the watched callbacks since the last
// call, and starts counting again.
func (s *reportingSystem) means() []float64 {
	m := make([]float64, len(s.sum))
	for k := range s.sum {
		if s.count > 0 {
			m[k] = float64(s.sum[k]) / float64(s.count)
		}
	}
	clear(s.sum)
	s.count = 0
	return m
}

func (s *reportingSystem) close(ctx context.Context) error { return s.e.Close(ctx) }

// w1Answers are what checkAgainst holds W1's systems to: the native
// reference's payload for ev, and W1's expected context.
func w1Answers(ctx context.Context, ev *wasmhook.Event) (ref, expected []byte, err error) {
	if expected, err = os.ReadFile(w1ExpectedContext); err != nil {
		return nil, nil, err
	}
	if ref, err = (nativeSystem{}).enrich(ctx, ev); err != nil {
		return nil, nil, err
	}
	return ref, expected, nil
}

// checkAgainst enriches ev with s three times and compares each payload
// with want (samePayload) and its context with expected.
func checkAgainst(ctx context.Context, name string, s system, ev *wasmhook.Event, want, expected []byte) error {
	for range 3 {
		p, err := s.enrich(ctx, ev)
		if err == nil {
			err = samePayload(want, p)
		}
		if err == nil && expected != nil {
			err = checkContext(p, expected)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// nativeRawSystem is the reference a performance-minded Go host writes:
// data stays a json.RawMessage, and each callback decodes only the fields
// it reads.
type nativeRawSystem struct{}

func (nativeRawSystem) enrich(_ context.Context, ev *wasmhook.Event) ([]byte, error) {
	merged := newOrderedMap()
	merged.update([]member{{"foo", 123}})
	var site struct {
		Name   *string `json:"name"`
		Status struct {
			Value json.RawMessage `json:"value"`
		} `json:"status"`
	}
	var status, nameLen any
	if err := json.Unmarshal(ev.Data, &site); err == nil {
		if v := bytes.TrimSpace(site.Status.Value); len(v) > 0 && v[0] == '"' {
			status = json.RawMessage(v)
		}
		if site.Name != nil {
			nameLen = len([]rune(*site.Name))
		}
	}
	merged.update([]member{{"site_status", status}, {"name_len", nameLen}})
	merged.update([]member{{"my_plugin", map[string]any{"foo": 123, "bar": 456}}})
	return marshalPayload(ev, merged)
}

func (nativeRawSystem) close(context.Context) error { return nil }

// ---------------------------------------------------------------------
// References: SDK-written plugins, both native references, Extism.

func runReferences(ctx context.Context, w io.Writer, tmp string, rounds int, ev *wasmhook.Event) error {
	ref, expected, err := w1Answers(ctx, ev)
	if err != nil {
		return err
	}
	dirs := map[string]map[string]string{
		"sdk":   {"cb1": "guests/sdk/cb1.wasm", "cb2": "../examples/c/site_status.wasm", "cb3": "guests/sdk/cb3.wasm"},
		"plain": {"cb1": "guests/wasmhook/cb1.wasm", "cb2": "guests/plain/cb2.wasm", "cb3": "guests/wasmhook/cb3.wasm"},
		"tuned": {"cb1": "guests/wasmhook/cb1.wasm", "cb2": "guests/wasmhook/cb2.wasm", "cb3": "guests/wasmhook/cb3.wasm"},
	}
	systems := map[string]system{"native": nativeSystem{}, "native-raw": nativeRawSystem{}}
	for name, mods := range dirs {
		dir, err := dirOf(tmp, "refs-"+name, mods, "")
		if err != nil {
			return err
		}
		s, err := newReporting(ctx, dir, wasmhook.Options{})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer s.close(ctx)
		systems[name] = s
	}
	exTuned, err := newExtism(ctx, extismGuests, 0, "cb2")
	if err != nil {
		return err
	}
	defer exTuned.close(ctx)
	exPlain, err := newExtism(ctx, extismGuests, 0, "cb2_plain")
	if err != nil {
		return err
	}
	defer exPlain.close(ctx)
	systems["extism-tuned"], systems["extism-plain"] = exTuned, exPlain
	for name, s := range systems {
		if err := checkAgainst(ctx, name, s, ev, ref, expected); err != nil {
			return err
		}
	}
	serial := func(name string) func() (timing, error) {
		return func() (timing, error) { return timeSerial(ctx, systems[name], ev) }
	}
	rows := []*benchRow{
		{label: "wasmhook EnrichInto, SDK-written plugins (C SDK; cb2 = examples/c/site_status, field reads)", run: serial("sdk")},
		{label: "wasmhook EnrichInto, plain plugins (cb2 scans its input byte by byte: bench/guests/plain)", run: serial("plain")},
		{label: "wasmhook EnrichInto, hand-tuned plugins (cb2 SWAR scanner: bench/guests/wasmhook)", run: serial("tuned")},
		{label: "native reference, data decoded into maps (encoding/json)", run: serial("native")},
		{label: "native reference, data kept as json.RawMessage, each callback decodes only its fields", run: serial("native-raw")},
		{label: "Extism, plain plugins (the same plugin as an Extism author writes it: cb2 scans its input)", run: serial("extism-plain")},
		{label: "Extism, hand-tuned plugins (cb2 SWAR scanner)", run: serial("extism-tuned")},
	}
	if rounds == 0 { // the checks alone (TestSections)
		return nil
	}
	if err := runRows("references", rounds, rows); err != nil {
		return err
	}
	sdk, plain, tuned, maps, raw, exP, exT := rows[0], rows[1], rows[2], rows[3], rows[4], rows[5], rows[6]
	fmt.Fprintf(w, "\nW1 against both native references and Extism (%d rounds, median), one goroutine:\n\n", rounds)
	printRows(w, rows, func(r *benchRow) string {
		return fmt.Sprintf("%.3fx the RawMessage reference, %.3fx the maps one", r.ns()/raw.ns(), r.ns()/maps.ns())
	}, "")
	fmt.Fprintln(w, "\ntargets (wall time, and CPU time):")
	target := func(ok bool, format string, args ...any) {
		mark := "MET "
		if !ok {
			mark = "MISS"
		}
		fmt.Fprintf(w, "  %s %s\n", mark, fmt.Sprintf(format, args...))
	}
	for _, c := range []struct {
		name string
		r    *benchRow
	}{{"SDK-written", sdk}, {"hand-tuned", tuned}} {
		target(c.r.ns() <= 0.10*raw.ns() && c.r.cpu() <= 0.10*raw.cpu(), "%s plugins <= 0.10x the RawMessage reference: %.3fx wall, %.3fx CPU", c.name, c.r.ns()/raw.ns(), c.r.cpu()/raw.cpu())
		target(c.r.ns() <= 0.10*maps.ns() && c.r.cpu() <= 0.10*maps.cpu(), "%s plugins <= 0.10x the maps reference: %.3fx wall, %.3fx CPU", c.name, c.r.ns()/maps.ns(), c.r.cpu()/maps.cpu())
	}
	target(exP.ns() >= 30*sdk.ns() && exP.cpu() >= 30*sdk.cpu(), "SDK-written plugins >= 30x faster than Extism with the same plugin (plain): %.1fx wall, %.1fx CPU", exP.ns()/sdk.ns(), exP.cpu()/sdk.cpu())
	fmt.Fprintf(w, "  (same plain plugin in both: %.1fx; hand-tuned in both: %.1fx)\n", exP.ns()/plain.ns(), exT.ns()/tuned.ns())
	return nil
}

// ---------------------------------------------------------------------
// Languages: each site_status, field reads and scanner.

var languages = []string{"c", "go", "rust", "assemblyscript", "wat"}

func languageModule(tmp, lang string, scan bool) (string, error) {
	suffix := ""
	if scan {
		suffix = "_scan"
	}
	if lang == "wat" && scan {
		// Out of examples/wat, which is a modules directory itself.
		return "../examples/wat/scan/site_status_scan.wasm", nil
	}
	if lang != "go" {
		return fmt.Sprintf("../examples/%s/site_status%s.wasm", lang, suffix), nil
	}
	out := filepath.Join(tmp, "go-site_status"+suffix+".wasm")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	return out, buildGo("examples/go/site_status"+suffix, out)
}

func runLanguages(ctx context.Context, w io.Writer, tmp string, rounds int, ev *wasmhook.Event) error {
	ref, expected, err := w1Answers(ctx, ev)
	if err != nil {
		return err
	}
	var rows []*benchRow
	for _, lang := range languages {
		for _, scan := range []bool{false, true} {
			cb2, err := languageModule(tmp, lang, scan)
			if err != nil {
				return err
			}
			kind := "field reads"
			if scan {
				kind = "SDK scanner"
				if lang == "wat" {
					kind = "scanner by hand"
				}
			}
			dir, err := dirOf(tmp, fmt.Sprintf("lang-%s-%v", lang, scan), map[string]string{
				"cb1": "guests/wasmhook/cb1.wasm", "cb2": cb2, "cb3": "guests/wasmhook/cb3.wasm"}, "")
			if err != nil {
				return err
			}
			s, err := newReporting(ctx, dir, wasmhook.Options{}, 1)
			if err != nil {
				return fmt.Errorf("%s: %w", cb2, err)
			}
			defer s.close(ctx)
			if err := checkAgainst(ctx, cb2, s, ev, ref, expected); err != nil {
				return err
			}
			rows = append(rows, &benchRow{
				label: fmt.Sprintf("%s, %s", lang, kind),
				run:   func() (timing, error) { return timeSerial(ctx, s, ev) },
				extra: s.means,
			})
		}
	}
	if rounds == 0 {
		return nil
	}
	if err := runRows("languages", rounds, rows); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nW1 EnrichInto with cb2 = site_status in each language (cb1, cb3: C by hand), field reads and scanner (%d rounds, median); \"cb2 call\" is cb2's own time as its report measures it (the event's index is made in the pass that validates its data, host time outside every call, since a module of the set reads fields):\n\n", rounds)
	printRows(w, rows, func(r *benchRow) string {
		i := slices.Index(rows, r)
		if i%2 == 1 {
			return fmt.Sprintf("cb2: %.2fx its field-read version", r.extraMedian(0)/rows[i-1].extraMedian(0))
		}
		return ""
	}, "cb2 call")
	spread := func(scan int) (lo, hi *benchRow) {
		for i := scan; i < len(rows); i += 2 {
			r := rows[i]
			if lo == nil || r.extraMedian(0) < lo.extraMedian(0) {
				lo = r
			}
			if hi == nil || r.extraMedian(0) > hi.extraMedian(0) {
				hi = r
			}
		}
		return lo, hi
	}
	lo, hi := spread(0)
	mark := "MET "
	if hi.extraMedian(0) > 2*lo.extraMedian(0) {
		mark = "MISS"
	}
	fmt.Fprintf(w, "\n  %s field reads: the slowest language's cb2 within 2x of the fastest's: %.2fx (%s %s, %s %s)\n", mark, hi.extraMedian(0)/lo.extraMedian(0), hi.label, fmtNs(hi.extraMedian(0)), lo.label, fmtNs(lo.extraMedian(0)))
	lo, hi = spread(1)
	fmt.Fprintf(w, "       scanners: %.2fx (%s %s, %s %s)\n", hi.extraMedian(0)/lo.extraMedian(0), hi.label, fmtNs(hi.extraMedian(0)), lo.label, fmtNs(lo.extraMedian(0)))
	return nil
}

// ---------------------------------------------------------------------
// Data sizes.

// sizedEvent is W1's event with data grown to about copies times W1's
// data: a "related" array of copies of it, with the status and name
// members first or last.
func sizedEvent(ev *wasmhook.Event, copies int, fieldsLast bool) *wasmhook.Event {
	var site struct {
		Name   json.RawMessage `json:"name"`
		Status json.RawMessage `json:"status"`
	}
	_ = json.Unmarshal(ev.Data, &site)
	fields := `"name": ` + string(site.Name) + `, "status": ` + string(site.Status)
	var b strings.Builder
	b.WriteString(`{"id": 24`)
	if !fieldsLast {
		b.WriteString(", " + fields)
	}
	b.WriteString(`, "related": [`)
	for i := range copies {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Write(ev.Data)
	}
	b.WriteString("]")
	if fieldsLast {
		b.WriteString(", " + fields)
	}
	b.WriteString("}")
	out := *ev
	out.Data = json.RawMessage(b.String())
	out.Snapshots = nil
	return &out
}

func runSizes(ctx context.Context, w io.Writer, tmp string, rounds int, ev *wasmhook.Event) error {
	host, err := dirOf(tmp, "sizes-host", nil, "")
	if err != nil {
		return err
	}
	fields, err := dirOf(tmp, "sizes-fields", map[string]string{"cb2": "../examples/c/site_status.wasm", "cb2b": "../examples/c/site_status.wasm"},
		"modules:\n  cb2b: {nest: true}\n")
	if err != nil {
		return err
	}
	scan, err := dirOf(tmp, "sizes-scan", map[string]string{"cb2": "../examples/c/site_status_scan.wasm"}, "")
	if err != nil {
		return err
	}
	// One callback after another, so that each one's time is its own: on
	// goroutines, the second field reader would wait for the index the
	// first one builds.
	serial := wasmhook.Options{Parallelism: 1}
	hostSys, err := newReporting(ctx, host, serial)
	if err != nil {
		return err
	}
	defer hostSys.close(ctx)
	fieldSys, err := newReporting(ctx, fields, serial, 0, 1)
	if err != nil {
		return err
	}
	defer fieldSys.close(ctx)
	scanSys, err := newReporting(ctx, scan, serial, 0)
	if err != nil {
		return err
	}
	defer scanSys.close(ctx)
	want := []byte(`{"site_status": "active", "name_len": 21, "cb2b": {"site_status": "active", "name_len": 21}}`)
	wantScan := []byte(`{"site_status": "active", "name_len": 21}`)

	type size struct {
		copies int
		rows   []*benchRow
		bytes  int
	}
	var sizes []*size
	for _, copies := range []int{1, 10, 100, 1000} {
		sz := &size{copies: copies}
		sizes = append(sizes, sz)
		for _, last := range []bool{false, true} {
			sev := sizedEvent(ev, copies, last)
			sz.bytes = len(sev.Data)
			where := "first"
			if last {
				where = "last"
			}
			for _, c := range []struct {
				s    *reportingSystem
				want []byte
			}{{fieldSys, want}, {scanSys, wantScan}} {
				p, err := c.s.enrich(ctx, sev)
				if err == nil {
					err = checkContext(p, c.want)
				}
				if err != nil {
					return fmt.Errorf("%d copies, fields %s: %w", copies, where, err)
				}
			}
			if !last {
				sz.rows = append(sz.rows, &benchRow{label: fmt.Sprintf("%s: host alone (validation, input, payload; no callback)", fmtBytes(sz.bytes)),
					run: func() (timing, error) { return timeSerial(ctx, hostSys, sev) }})
			}
			sz.rows = append(sz.rows,
				&benchRow{label: fmt.Sprintf("%s, fields %s: two field-reading callbacks (C)", fmtBytes(sz.bytes), where),
					run:   func() (timing, error) { return timeSerial(ctx, fieldSys, sev) },
					extra: fieldSys.means},
				&benchRow{label: fmt.Sprintf("%s, fields %s: one scanning callback (C SDK scanner)", fmtBytes(sz.bytes), where),
					run:   func() (timing, error) { return timeSerial(ctx, scanSys, sev) },
					extra: scanSys.means})
		}
	}
	var rows []*benchRow
	for _, sz := range sizes {
		rows = append(rows, sz.rows...)
	}
	if rounds == 0 {
		return nil
	}
	if err := runRows("sizes", rounds, rows); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nData size: W1's event with data grown by a \"related\" array of copies of W1's site, status and name first or last (%d rounds, median); one EnrichInto per op, Parallelism 1. \"first cb\" and \"second cb\" are the two field-reading callbacks' own times (two lookups each in the event's index, made in the validation pass: host work, linear like it), \"scan cb\" the scanning callback's (a copy of the input and a scan):\n\n", rounds)
	fmt.Fprintln(w, "| data | fields | host alone | two field readers: EnrichInto | first cb | second cb | one scanner: EnrichInto | scan cb |")
	fmt.Fprintln(w, "|--:|---|--:|--:|--:|--:|--:|--:|")
	var second []float64
	for _, sz := range sizes {
		hostRow := sz.rows[0]
		for k, where := range []string{"first", "last"} {
			fr, sc := sz.rows[1+2*k], sz.rows[2+2*k]
			first, sec := fr.extraMedian(0), fr.extraMedian(1)
			second = append(second, sec)
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", fmtBytes(sz.bytes), where, fmtNs(hostRow.ns()), fmtNs(fr.ns()), fmtNs(first), fmtNs(sec), fmtNs(sc.ns()), fmtNs(sc.extraMedian(0)))
		}
	}
	lo, hi := slices.Min(second), slices.Max(second)
	fmt.Fprintf(w, "\n  a lookup-only callback (two fields) costs %s to %s at every size and position (%.2fx); the validation, which makes the index, grows with the data\n", fmtNs(lo), fmtNs(hi), hi/lo)
	return nil
}

func fmtBytes(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// ---------------------------------------------------------------------
// Loop checks: one call of a guest, bare wazero and wasmhook.

// bareCall is one guest under wazero with no time-limit check at all
// (wazero's own are off by default), with the host functions it imports
// done simply.
type bareCall struct {
	rt    wazero.Runtime
	mod   api.Module
	f     api.Function
	stack []uint64
	input []byte
	out   []byte
}

func newBareCall(ctx context.Context, file string, input []byte) (*bareCall, error) {
	c := &bareCall{rt: wazero.NewRuntime(ctx), stack: make([]uint64, 1), input: input}
	_, err := c.rt.NewHostModuleBuilder(abi.ImportModule).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, m api.Module, s []uint64) {
		n := min(int(api.DecodeU32(s[1])), len(c.input))
		m.Memory().Write(api.DecodeU32(s[0]), c.input[:n])
		s[0] = api.EncodeU32(uint32(len(c.input)))
	}), []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}).Export(abi.InputReadName).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, m api.Module, s []uint64) {
		b, _ := m.Memory().Read(api.DecodeU32(s[0]), api.DecodeU32(s[1]))
		c.out = append(c.out[:0], b...)
	}), []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, nil).Export(abi.OutputSetName).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) {}),
		[]api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, nil).Export(abi.ErrorSetName).
		Instantiate(ctx)
	if err != nil {
		return nil, err
	}
	bin, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if c.mod, err = c.rt.InstantiateWithConfig(ctx, bin, wazero.NewModuleConfig().WithStartFunctions("_initialize")); err != nil {
		return nil, err
	}
	c.f = c.mod.ExportedFunction(abi.OnEventName)
	return c, nil
}

func (c *bareCall) call(ctx context.Context) error {
	c.stack[0] = api.EncodeU32(uint32(len(c.input)))
	if err := c.f.CallWithStack(ctx, c.stack); err != nil {
		return err
	}
	if c.stack[0] != 0 {
		return fmt.Errorf("status %d", c.stack[0])
	}
	return nil
}

// timeCalls times f, one call per op.
func timeCalls(f func() error) (timing, error) {
	var failure error
	var calls int
	cpu0 := processCPU()
	r := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		calls += b.N
		for i := 0; i < b.N; i++ {
			if err := f(); err != nil {
				failure = err
				b.FailNow()
			}
		}
	})
	return finish(r, cpu0, calls, failure)
}

func runLoops(ctx context.Context, w io.Writer, rounds int, ev *wasmhook.Event) error {
	input := abi.AppendInput(nil, &abi.Input{ObjectType: ev.ObjectType, EventType: ev.EventType, Data: ev.Data, Request: ev.Request}, nil)
	eng, err := runtime.NewEngine(ctx, runtime.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Limits: runtime.Limits{Timeout: callTimeout}})
	if err != nil {
		return err
	}
	defer eng.Close(ctx)
	var rows []*benchRow
	for _, g := range []struct{ name, file string }{
		{"plain C scanner (bench/guests/plain, one byte per iteration)", "guests/plain/cb2.wasm"},
		{"hand-tuned C scanner (bench/guests/wasmhook/cb2, SWAR)", "guests/wasmhook/cb2.wasm"},
	} {
		bare, err := newBareCall(ctx, g.file, input)
		if err != nil {
			return err
		}
		defer bare.rt.Close(ctx)
		bin, err := os.ReadFile(g.file)
		if err != nil {
			return err
		}
		m, err := eng.Load(ctx, filepath.Base(filepath.Dir(g.file)), g.file, bin, runtime.ModuleOptions{})
		if err != nil {
			return err
		}
		var out []byte
		whCall := func() error {
			var err error
			out, err = m.Call(ctx, input, out[:0])
			return err
		}
		if err := bare.call(ctx); err != nil {
			return err
		}
		if err := whCall(); err != nil {
			return err
		}
		if !bytes.Equal(out, bare.out) || string(out) != `{"site_status":"active","name_len":21}` {
			return fmt.Errorf("%s: outputs %s and %s", g.file, bare.out, out)
		}
		rows = append(rows,
			&benchRow{label: g.name + ", bare wazero (no time-limit check)", run: func() (timing, error) { return timeCalls(func() error { return bare.call(ctx) }) }},
			&benchRow{label: g.name + ", wasmhook (runtime.Module.Call)", run: func() (timing, error) { return timeCalls(whCall) }})
	}
	if rounds == 0 {
		return nil
	}
	if err := runRows("loops", rounds, rows); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nOne call of cb2 on W1's input, bare wazero against wasmhook, whose checks stop a guest at its time limit (%d rounds, median):\n\n", rounds)
	printRows(w, rows, func(r *benchRow) string {
		i := slices.Index(rows, r)
		if i%2 == 1 {
			return fmt.Sprintf("%.2fx bare wall, %.2fx CPU", r.ns()/rows[i-1].ns(), r.cpu()/rows[i-1].cpu())
		}
		return ""
	}, "")
	return nil
}

// ---------------------------------------------------------------------
// Scheduler: 25 cheap callbacks, automatic parallelism and Parallelism 1.

func runScheduler(ctx context.Context, w io.Writer, tmp string, rounds int, ev *wasmhook.Event) error {
	mods := map[string]string{}
	var settings strings.Builder
	settings.WriteString("modules:\n")
	for i := range 25 {
		name := fmt.Sprintf("cb%02d", i)
		mods[name] = "../testdata/wat/fixed.wasm"
		fmt.Fprintf(&settings, "  %s: {nest: true}\n", name)
	}
	dir, err := dirOf(tmp, "scheduler", mods, settings.String())
	if err != nil {
		return err
	}
	var rows []*benchRow
	for _, p := range []int{0, 1} {
		s, err := newReporting(ctx, dir, wasmhook.Options{Parallelism: p})
		if err != nil {
			return err
		}
		defer s.close(ctx)
		label := "automatic parallelism (GOMAXPROCS 2)"
		if p == 1 {
			label = "Parallelism: 1"
		}
		rows = append(rows, &benchRow{label: label, run: func() (timing, error) { return timeSerial(ctx, s, ev) }})
	}
	if rounds == 0 {
		return nil
	}
	if err := runRows("scheduler", rounds, rows); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n25 cheap callbacks (testdata/wat/fixed, each nested under its name), EnrichInto on W1's event (%d rounds, median):\n\n", rounds)
	printRows(w, rows, func(r *benchRow) string {
		return fmt.Sprintf("%.2fx Parallelism 1's time; %.2f CPUs", r.ns()/rows[1].ns(), r.cpu()/r.ns())
	}, "")
	return nil
}
