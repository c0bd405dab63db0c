// Command serve measures wasmhook serve end to end over loopback HTTP:
// events posted to the real binary (durable queue on), enriched and
// delivered to a local receiver. Side by side in one run:
//
//   - w1: the W1 event and its three C modules (../guests/wasmhook);
//   - no-modules: the same pipeline with no module (what enrichment adds);
//   - forwarder: a plain Go HTTP forwarder with no queue (the floor);
//   - with -redis (the default when /usr/bin/redis-server is there): w1 on
//     a Redis queue (appendfsync always, as durable as the embedded
//     queue) with one instance and with two sharing it, and with one
//     instance on appendfsync everysec.
//
// For each: events/s accepted and delivered at full speed, the CPU the
// relay process used per event, and the POST-to-delivery latency (p50,
// p99) at full speed and at half of the delivered rate. The pipelines
// take turns, -rounds times, and each figure is the median of its
// rounds: a shared machine's noise falls on all of them alike.
//
//	cd bench && go run ./serve -n 6000 -c 32 -rounds 3
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wasmhook/wasmhook/bench/internal/serveproc"
)

func main() {
	n := flag.Int("n", 6000, "events per measurement")
	conc := flag.Int("c", 32, "concurrent POSTs")
	rounds := flag.Int("rounds", 3, "measurements of each pipeline, taking turns; the table shows medians")
	redis := flag.Bool("redis", fileExists(redisServer), "also measure serve on a Redis queue, one and two instances ("+redisServer+")")
	flag.Parse()
	if err := run(*n, *conc, *rounds, *redis); err != nil {
		fmt.Fprintln(os.Stderr, "serve bench:", err)
		os.Exit(1)
	}
}

// receiver records when each event (webhook-id) arrived.
type receiver struct {
	mu   sync.Mutex
	at   map[string]time.Time
	done chan struct{}
	want int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	io.Copy(io.Discard, req.Body)
	id := req.Header.Get("webhook-id")
	now := time.Now()
	r.mu.Lock()
	if _, seen := r.at[id]; !seen {
		r.at[id] = now
		if len(r.at) == r.want {
			close(r.done)
		}
	}
	r.mu.Unlock()
}

func (r *receiver) reset(want int) {
	r.mu.Lock()
	r.at, r.want, r.done = map[string]time.Time{}, want, make(chan struct{})
	r.mu.Unlock()
}

func run(n, conc, rounds int, withRedis bool) error {
	tmp, err := os.MkdirTemp("", "wasmhook-serve-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "wasmhook")
	if out, err := exec.Command("go", "build", "-C", "..", "-o", bin, "./cmd/wasmhook").CombinedOutput(); err != nil {
		return fmt.Errorf("building wasmhook: %v\n%s", err, out)
	}
	event, err := os.ReadFile("../testdata/w1/event.json")
	if err != nil {
		return err
	}
	rc := &receiver{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go http.Serve(ln, rc)
	target := "http://" + ln.Addr().String() + "/"

	mods := filepath.Join(tmp, "modules")
	os.MkdirAll(mods, 0o755)
	for _, cb := range []string{"cb1", "cb2", "cb3"} {
		b, err := os.ReadFile("guests/wasmhook/" + cb + ".wasm")
		if err != nil {
			return err
		}
		os.WriteFile(filepath.Join(mods, cb+".wasm"), b, 0o644)
	}
	empty := filepath.Join(tmp, "empty")
	os.MkdirAll(empty, 0o755)

	fmt.Printf("wasmhook serve over loopback: %d events per run, %d concurrent POSTs, %d rounds (medians), %d CPUs\n\n", n, conc, rounds, numCPU())
	pipelines := []struct {
		name    string
		measure func() (figures, error)
	}{
		{"w1: three C modules", func() (figures, error) { return measureServe(bin, tmp, mods, target, event, rc, n, conc, 1, "") }},
		{"no modules", func() (figures, error) { return measureServe(bin, tmp, empty, target, event, rc, n, conc, 1, "") }},
		{"plain Go forwarder, no queue", func() (figures, error) { return measureForwarder(target, event, rc, n, conc) }},
	}
	if withRedis {
		for _, r := range []struct {
			instances int
			fsync     string
		}{{1, "always"}, {2, "always"}, {1, "everysec"}} {
			name := fmt.Sprintf("w1 on Redis, %d instance", r.instances)
			if r.instances > 1 {
				name += "s"
			}
			if r.fsync != "always" {
				name += ", appendfsync " + r.fsync
			}
			k := r.instances
			pipelines = append(pipelines, struct {
				name    string
				measure func() (figures, error)
			}{name, func() (figures, error) {
				url, pid, stop, err := startRedis(tmp, r.fsync)
				if err != nil {
					return figures{}, err
				}
				defer stop()
				cpu0 := cpuTime(pid)
				f, err := measureServe(bin, tmp, mods, target, event, rc, n, conc, k, url)
				f.redisCPU = float64((cpuTime(pid) - cpu0).Microseconds()) / float64(n+n/2+200)
				return f, err
			}})
		}
	}
	got := make([][]figures, len(pipelines))
	for range rounds {
		for i, p := range pipelines {
			f, err := p.measure()
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			got[i] = append(got[i], f)
		}
	}
	fmt.Printf("| pipeline | accepted/s | delivered/s | CPU µs/event (relay) | CPU µs/event (Redis) | p50 POST→delivery | p99 | p99 at half rate |\n|---|--:|--:|--:|--:|--:|--:|--:|\n")
	med := make([]figures, len(pipelines))
	for i, p := range pipelines {
		med[i] = median(got[i])
		fmt.Printf("| %s | %s |\n", p.name, med[i])
	}
	fmt.Printf("\nenrichment adds %.1f%% to the no-module pipeline's time per delivered event (medians)\n",
		100*(med[1].delivered/med[0].delivered-1))
	if withRedis {
		fmt.Printf("Redis, one instance: %.2fx the embedded queue's delivered/s; two instances: %.2fx (the instances share the same CPUs); everysec: %.2fx\n",
			med[3].delivered/med[0].delivered, med[4].delivered/med[0].delivered, med[5].delivered/med[0].delivered)
	}
	return nil
}

// figures are one measurement of one pipeline.
type figures struct {
	accepted, delivered float64 // events/s
	cpu                 float64 // relay CPU µs per event; 0 for none measured
	redisCPU            float64 // redis-server CPU µs per event; 0 for none
	p50, p99, halfP99   time.Duration
}

func (f figures) String() string {
	cpu := "-"
	if f.cpu > 0 {
		cpu = fmt.Sprintf("%.1f", f.cpu)
	}
	redis := "-"
	if f.redisCPU > 0 {
		redis = fmt.Sprintf("%.1f", f.redisCPU)
	}
	return fmt.Sprintf("%.0f | %.0f | %s | %s | %v | %v | %v", f.accepted, f.delivered, cpu, redis, f.p50, f.p99, f.halfP99)
}

// median takes each figure's median over the rounds.
func median(fs []figures) figures {
	mid := func(get func(figures) float64) float64 {
		v := make([]float64, len(fs))
		for i, f := range fs {
			v[i] = get(f)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	d := func(get func(figures) time.Duration) time.Duration {
		return time.Duration(mid(func(f figures) float64 { return float64(get(f)) }))
	}
	return figures{
		accepted:  mid(func(f figures) float64 { return f.accepted }),
		delivered: mid(func(f figures) float64 { return f.delivered }),
		cpu:       mid(func(f figures) float64 { return f.cpu }),
		redisCPU:  mid(func(f figures) float64 { return f.redisCPU }),
		p50:       d(func(f figures) time.Duration { return f.p50 }),
		p99:       d(func(f figures) time.Duration { return f.p99 }),
		halfP99:   d(func(f figures) time.Duration { return f.halfP99 }),
	}
}

func fileExists(f string) bool { _, err := os.Stat(f); return err == nil }

func numCPU() int { return strings.Count(mustRead("/proc/cpuinfo"), "processor\t:") }

func mustRead(f string) string { b, _ := os.ReadFile(f); return string(b) }

// measureServe starts instances relays (on the queue queueURL names: ""
// for the embedded one, each instance its own), runs the load at full
// speed and at half the rate it delivered, spread over the instances, and
// stops them.
func measureServe(bin, tmp, modules, target string, event []byte, rc *receiver, n, conc, instances int, queueURL string) (figures, error) {
	var posts []string
	var pids []int
	for range instances {
		data, _ := os.MkdirTemp(tmp, "data")
		config := filepath.Join(data, "serve.yaml")
		queue := ""
		if queueURL != "" {
			queue = "queue: " + queueURL + "\n"
		}
		os.WriteFile(config, []byte(fmt.Sprintf("listen: 127.0.0.1:0\ndata_dir: %s\n%smodules: %s\nserver: {max_concurrent: 1024}\nsources: {events: {unsigned: true}}\ndestinations:\n  r: {url: %q, concurrency: 64, sign: {standard: {value: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}}}\n", data, queue, modules, target)), 0o600)
		base, stop, err := serveproc.Start(bin, config, 60*time.Second)
		if err != nil {
			return figures{}, err
		}
		defer stop()
		posts = append(posts, base.URL+"/events")
		pids = append(pids, base.Pid)
	}
	load(posts, event, rc, 200, conc, 0) // warm up: connections, instances, the queue
	cpu0 := cpuTime(pids...)
	full := load(posts, event, rc, n, conc, 0)
	cpu := cpuTime(pids...) - cpu0
	half := load(posts, event, rc, n/2, conc, full.delivered/2)
	return figures{accepted: full.accepted, delivered: full.delivered, cpu: float64(cpu.Microseconds()) / float64(n), p50: full.p50, p99: full.p99, halfP99: half.p99}, nil
}

// startRedis runs Debian's redis-server on a free 127.0.0.1 port in a
// directory of tmp with its append-only file on, fsynced as fsync says
// ("always": at every write, as durable as serve's embedded queue), and
// returns its URL, its process id and how to stop it.
func startRedis(tmp, fsync string) (string, int, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", 0, nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir, _ := os.MkdirTemp(tmp, "redis")
	conf := fmt.Sprintf("bind 127.0.0.1\nport %d\ndir %s\nappendonly yes\nappendfsync %s\nsave \"\"\nlogfile %s/redis.log\n", port, dir, fsync, dir)
	os.WriteFile(filepath.Join(dir, "redis.conf"), []byte(conf), 0o600)
	cmd := exec.Command(redisServer, filepath.Join(dir, "redis.conf"))
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	for range 100 {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Write([]byte("PING\r\n"))
			buf := make([]byte, 16)
			k, _ := c.Read(buf)
			c.Close()
			if strings.HasPrefix(string(buf[:k]), "+PONG") {
				return fmt.Sprintf("redis://127.0.0.1:%d/0", port), cmd.Process.Pid, stop, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	return "", 0, nil, fmt.Errorf("redis-server did not answer on port %d (log: %s/redis.log)", port, dir)
}

// redisServer is the server the Redis pipelines run (make tools installs it).
const redisServer = "/usr/bin/redis-server"

// measureForwarder runs the same load through a Go handler that forwards
// each POST to the receiver before answering: no queue, no enrichment.
func measureForwarder(target string, event []byte, rc *receiver, n, conc int) (figures, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return figures{}, err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	var seq sync.Mutex
	next := 0
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		seq.Lock()
		next++
		id := "fwd-" + strconv.Itoa(next)
		seq.Unlock()
		out, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
		out.Header.Set("webhook-id", id)
		resp, err := client.Do(out)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"id":%q}`, id)
	}))
	defer ln.Close()
	post := "http://" + ln.Addr().String() + "/"
	posts := []string{post}
	load(posts, event, rc, 200, conc, 0)
	full := load(posts, event, rc, n, conc, 0)
	half := load(posts, event, rc, n/2, conc, full.delivered/2)
	return figures{accepted: full.accepted, delivered: full.delivered, p50: full.p50, p99: full.p99, halfP99: half.p99}, nil
}

type result struct {
	accepted, delivered float64 // per second
	p50, p99            time.Duration
}

// load posts n events from conc goroutines to urls in turn (at rate
// events/s in all when rate > 0) and waits for every one to be delivered.
func load(urls []string, event []byte, rc *receiver, n, conc int, rate float64) result {
	rc.reset(n)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	sent := make([]time.Time, n)
	ids := make([]string, n)
	var next sync.Mutex
	i := 0
	start := time.Now()
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				k := i
				i++
				next.Unlock()
				if k >= n {
					return
				}
				if rate > 0 {
					time.Sleep(time.Until(start.Add(time.Duration(float64(k) / rate * float64(time.Second)))))
				}
				t := time.Now()
				resp, err := client.Post(urls[k%len(urls)], "application/json", bytes.NewReader(event))
				if err != nil {
					panic(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					panic(fmt.Sprintf("status %d: %s", resp.StatusCode, b))
				}
				id := string(b)
				if j := strings.Index(id, `"id":"`); j >= 0 {
					id = id[j+6:]
					id = id[:strings.IndexByte(id, '"')]
				}
				sent[k], ids[k] = t, id
			}
		}()
	}
	wg.Wait()
	accepted := time.Since(start)
	<-rc.done
	delivered := time.Since(start)
	rc.mu.Lock()
	lat := make([]time.Duration, 0, n)
	for k, id := range ids {
		lat = append(lat, rc.at[id].Sub(sent[k]))
	}
	rc.mu.Unlock()
	slices.Sort(lat)
	return result{
		accepted:  float64(n) / accepted.Seconds(),
		delivered: float64(n) / delivered.Seconds(),
		p50:       lat[n/2].Round(10 * time.Microsecond),
		p99:       lat[n*99/100].Round(10 * time.Microsecond),
	}
}

// cpuTime is the processes' user and system time, from /proc.
func cpuTime(pids ...int) time.Duration {
	var total time.Duration
	for _, pid := range pids {
		f := strings.Fields(mustRead(fmt.Sprintf("/proc/%d/stat", pid)))
		if len(f) < 15 {
			continue
		}
		u, _ := strconv.ParseInt(f[13], 10, 64)
		s, _ := strconv.ParseInt(f[14], 10, 64)
		total += time.Duration(u+s) * time.Second / 100 // clock ticks, USER_HZ 100
	}
	return total
}
