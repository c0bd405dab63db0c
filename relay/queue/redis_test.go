package queue_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasmhook/wasmhook/internal/redistest"
	"github.com/wasmhook/wasmhook/relay/queue"
	"github.com/wasmhook/wasmhook/relay/queue/queuetest"
)

var prefixes atomic.Int64

// freshPrefix is a key prefix no other test uses: tests share a server
// without meeting.
func freshPrefix() string { return fmt.Sprintf("t%d:", prefixes.Add(1)) }

func openRedis(t testing.TB, url string, opts queue.RedisOptions) *queue.Redis {
	t.Helper()
	q, err := queue.OpenRedis(context.Background(), url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

// redisOpener opens the queues of one subtest under a prefix of its own
// on the shared server s; reopen opens the same keys as a new process
// (another consumer name). Their list pages look at 5 candidates (a
// chunk): List goes through several pages for most filters, and must
// still be the whole list.
func redisOpener(s *redistest.Server) queuetest.Opener {
	return func(t *testing.T) (queue.Queue, func() queue.Queue) {
		opts := queue.RedisOptions{Prefix: freshPrefix()}
		open := func() queue.Queue {
			q := openRedis(t, s.URL(), opts)
			q.SetListLook(5)
			return q
		}
		return open(), open
	}
}

func TestRedis(t *testing.T) {
	queuetest.Suite(t, redisOpener(redistest.Start(t)))
}

// rawClient is a plain client of s, to look at the queue's keys.
func rawClient(t testing.TB, s *redistest.Server) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// redisClaimHelper runs in a process of its own (TestMain): an instance
// that claims deliveries, prints their ids, and waits to be killed.
func redisClaimHelper() {
	ctx := context.Background()
	q, err := queue.OpenRedis(ctx, os.Getenv("QUEUE_TEST_REDIS"), queue.RedisOptions{
		Prefix: os.Getenv("QUEUE_TEST_PREFIX"), Consumer: "doomed"})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	n, _ := strconv.Atoi(os.Getenv("QUEUE_TEST_CLAIM"))
	c, err := q.Claim(ctx, "a", n, 300*time.Millisecond)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	for _, x := range c {
		fmt.Println(x.ID)
	}
	fmt.Println("claimed")
	select {}
}

// TestRedisInstanceKilled: two instances share a queue; one claims
// deliveries and is killed with SIGKILL before recording them. The other
// delivers everything else at once, and the killed one's deliveries once
// their lease ends (XAUTOCLAIM), counted in Reclaimed. Nothing is lost,
// nothing is delivered twice.
func TestRedisInstanceKilled(t *testing.T) {
	ctx := context.Background()
	s := redistest.Start(t, redistest.NoAppendOnly())
	prefix := freshPrefix()
	survivor := openRedis(t, s.URL(), queue.RedisOptions{Prefix: prefix, Consumer: "survivor"})
	const total, doomedClaims = 40, 8
	for i := range total {
		must(t, survivor.Enqueue(ctx, benchEvent(), []string{"a"}))
		_ = i
	}

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "QUEUE_TEST_HELPER=redis-claim", "QUEUE_TEST_REDIS="+s.URL(),
		"QUEUE_TEST_PREFIX="+prefix, "QUEUE_TEST_CLAIM="+strconv.Itoa(doomedClaims))
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	doomed := map[string]bool{}
	sc := bufio.NewScanner(out)
	for sc.Scan() && sc.Text() != "claimed" {
		if strings.HasPrefix(sc.Text(), "error:") {
			t.Fatal("helper:", sc.Text())
		}
		doomed[sc.Text()] = true
	}
	if len(doomed) != doomedClaims {
		t.Fatalf("the helper claimed %d, want %d", len(doomed), doomedClaims)
	}
	must(t, cmd.Process.Kill())
	cmd.Wait()

	delivered := map[string]int{}
	deliver := func(c []queue.Claimed) {
		for _, x := range c {
			delivered[x.ID]++
			must(t, survivor.Succeeded(ctx, x.ID, queue.Attempt{At: time.Now(), Status: 200}))
		}
	}
	first, err := survivor.Claim(ctx, "a", total, time.Minute)
	must(t, err)
	for _, x := range first {
		if doomed[x.ID] {
			t.Fatalf("delivery %s was claimed again while its lease ran", x.ID)
		}
	}
	if len(first) != total-doomedClaims {
		t.Fatalf("the survivor claimed %d at once, want %d", len(first), total-doomedClaims)
	}
	deliver(first)
	// The doomed instance's lease is 300 ms; generous bound.
	deadline := time.Now().Add(5 * time.Second)
	for len(delivered) < total {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d delivered 5 s after the killed instance's 300 ms lease", len(delivered), total)
		}
		time.Sleep(20 * time.Millisecond)
		c, err := survivor.Claim(ctx, "a", total, time.Minute)
		must(t, err)
		for _, x := range c {
			if !doomed[x.ID] {
				t.Fatalf("reclaimed %s, which the killed instance had not claimed", x.ID)
			}
		}
		deliver(c)
	}
	for id, n := range delivered {
		if n != 1 {
			t.Fatalf("delivery %s delivered %d times", id, n)
		}
	}
	if got := survivor.Reclaimed(); got != doomedClaims {
		t.Fatalf("Reclaimed() = %d, want %d", got, doomedClaims)
	}
	wantRedisStats(t, survivor, total, 0, total, 0)
}

func wantRedisStats(t *testing.T, q queue.Queue, events, pending, delivered, dead int64) {
	t.Helper()
	st, err := q.Stats(context.Background())
	must(t, err)
	if st.Events != events || st.Pending != pending || st.Delivered != delivered || st.Dead != dead {
		t.Fatalf("stats: events %d pending %d delivered %d dead %d, want %d %d %d %d",
			st.Events, st.Pending, st.Delivered, st.Dead, events, pending, delivered, dead)
	}
}

// TestRedisRestart: Redis killed (SIGKILL) under a running queue. While
// it is away every call fails promptly with ErrUnavailable, naming the
// address; when it is back the queue works again by itself, and every
// acknowledged event is there (append-only file, appendfsync always).
func TestRedisRestart(t *testing.T) {
	ctx := context.Background()
	s := redistest.Start(t)
	q := openRedis(t, s.URL(), queue.RedisOptions{Prefix: freshPrefix(), Timeout: time.Second})
	var acked []*queue.Event
	for range 30 {
		ev := benchEvent()
		must(t, q.Enqueue(ctx, ev, []string{"a", "b"}))
		acked = append(acked, ev)
	}
	held, err := q.Claim(ctx, "a", 4, time.Hour) // claimed, not recorded
	must(t, err)
	done, err := q.Claim(ctx, "b", 3, time.Hour)
	must(t, err)
	for _, c := range done {
		must(t, q.Succeeded(ctx, c.ID, queue.Attempt{At: time.Now(), Status: 200}))
	}

	s.Kill()
	calls := map[string]func() error{
		"Enqueue": func() error { return q.Enqueue(ctx, benchEvent(), []string{"a"}) },
		"Claim":   func() error { _, err := q.Claim(ctx, "a", 1, time.Minute); return err },
		"Succeeded": func() error {
			return q.Succeeded(ctx, held[0].ID, queue.Attempt{At: time.Now(), Status: 200})
		},
		"Stats": func() error { _, err := q.Stats(ctx); return err },
	}
	for name, call := range calls {
		start := time.Now()
		err := call()
		// Generous bound: the timeout is 1 s, a refused connection fails
		// at once.
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s took %v with Redis away", name, took)
		}
		var qe *queue.Error
		if !errors.Is(err, queue.ErrUnavailable) || !errors.As(err, &qe) || !strings.Contains(err.Error(), s.Addr()) {
			t.Errorf("%s with Redis away: %v, want an *Error naming %s matching ErrUnavailable", name, err, s.Addr())
		}
	}

	s.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := q.Stats(ctx)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queue did not recover within 10 s of Redis's restart: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	wantRedisStats(t, q, int64(len(acked)), 2*int64(len(acked))-int64(len(done)), int64(len(done)), 0)
	for _, ev := range acked {
		got, ds, _, err := q.Event(ctx, ev.ID)
		must(t, err)
		if !bytes.Equal(got.Payload, ev.Payload) || len(ds) != 2 {
			t.Fatalf("event %s after the restart: %d deliveries, payload of %d bytes", ev.ID, len(ds), len(got.Payload))
		}
	}
	// The claims held before the crash are still leased (the group's
	// pending entries are in the append-only file); the rest is due.
	c, err := q.Claim(ctx, "a", 100, time.Minute)
	must(t, err)
	if len(c) != len(acked)-len(held) {
		t.Fatalf("claimed %d after the restart, want %d", len(c), len(acked)-len(held))
	}
	for _, x := range c {
		for _, h := range held {
			if x.ID == h.ID {
				t.Fatalf("delivery %s, leased for an hour before the crash, was claimed again", x.ID)
			}
		}
	}
	must(t, q.Enqueue(ctx, benchEvent(), []string{"a"}))
}

// TestOpenRedisUnreachable: no server at the address is one line naming
// it, matching ErrUnavailable, promptly.
func TestOpenRedisUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := l.Addr().String()
	l.Close()
	start := time.Now()
	q, err := queue.OpenRedis(context.Background(), "redis://"+addr+"/2", queue.RedisOptions{})
	if q != nil {
		q.Close()
	}
	var qe *queue.Error
	if !errors.Is(err, queue.ErrUnavailable) || !errors.As(err, &qe) {
		t.Fatalf("open: %v, want an *Error matching ErrUnavailable", err)
	}
	want := "queue open redis://" + addr + "/2: unavailable: cannot reach Redis: "
	if msg := err.Error(); !strings.HasPrefix(msg, want) || strings.Contains(msg, "\n") {
		t.Fatalf("open: %q, want one line starting %q", msg, want)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("open took %v", took)
	}
}

// TestRedisPasswordRedacted: the password, from the URL or the options,
// is in no error: a wrong one, an unreachable server, a malformed URL,
// a server lost at run time.
func TestRedisPasswordRedacted(t *testing.T) {
	ctx := context.Background()
	const secret = "Pa55:w0rd/s3cr3t"
	s := redistest.Start(t, redistest.Password(secret), redistest.NoAppendOnly())
	q := openRedis(t, s.URL(), queue.RedisOptions{Password: secret, Prefix: freshPrefix()})
	must(t, q.Enqueue(ctx, benchEvent(), []string{"a"}))

	escaped := url.UserPassword("", "wrong-"+secret).String()
	check := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", what)
		}
		msg := err.Error()
		if strings.Contains(msg, "w0rd") || strings.Contains(msg, url.QueryEscape(secret)) {
			t.Fatalf("%s: the password is in the error: %s", what, msg)
		}
	}
	_, err := queue.OpenRedis(ctx, "redis://"+escaped+"@"+s.Addr()+"/0", queue.RedisOptions{})
	check("a wrong password in the URL", err)
	if !strings.Contains(err.Error(), s.Addr()) {
		t.Fatalf("a wrong password: %v, want the address named", err)
	}
	_, err = queue.OpenRedis(ctx, "redis://"+s.Addr()+"/0", queue.RedisOptions{Password: "wrong-" + secret})
	check("a wrong password in the options", err)
	_, err = queue.OpenRedis(ctx, "redis://"+escaped+"@127.0.0.1:notaport/0", queue.RedisOptions{})
	check("a malformed URL", err)
	_, err = queue.OpenRedis(ctx, "redis://"+escaped+"@127.0.0.1:1/0", queue.RedisOptions{})
	check("an unreachable server", err)
	s.Kill()
	check("Redis lost", q.Enqueue(ctx, benchEvent(), []string{"a"}))
}

// TestRedisURL: what OpenRedis refuses in a URL, with a reason.
func TestRedisURL(t *testing.T) {
	for raw, want := range map[string]string{
		"http://127.0.0.1:6379/0":      `the scheme is "http"`,
		"127.0.0.1:6379":               "not a URL",
		"redis://127.0.0.1:99999/0":    "the port",
		"redis://127.0.0.1:6379/db":    "not a database number",
		"redis://127.0.0.1:6379/0?x=1": "a query",
		"redis:///0":                   "no host",
	} {
		_, err := queue.OpenRedis(context.Background(), raw, queue.RedisOptions{})
		var qe *queue.Error
		if !errors.As(err, &qe) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an *Error saying %q", raw, err, want)
		}
	}
}

// TestRedisTLS: rediss:// with the server's CA works; without it the
// open fails.
func TestRedisTLS(t *testing.T) {
	ctx := context.Background()
	s := redistest.Start(t, redistest.TLS(), redistest.NoAppendOnly())
	q := openRedis(t, s.URL(), queue.RedisOptions{TLS: s.TLSConfig(), Prefix: freshPrefix()})
	must(t, q.Enqueue(ctx, benchEvent(), []string{"a"}))
	if c, err := q.Claim(ctx, "a", 1, time.Minute); err != nil || len(c) != 1 {
		t.Fatalf("claim over TLS: %v %v", c, err)
	}
	if _, err := queue.OpenRedis(ctx, s.URL(), queue.RedisOptions{Timeout: time.Second}); err == nil {
		t.Fatal("open trusted a certificate from an unknown CA")
	}
}

// TestRedisTrim: finished entries are trimmed from a destination's
// stream, unfinished ones never: entries claimed and not recorded (their
// holder died) and entries not yet read survive the trim, and are
// delivered after it.
func TestRedisTrim(t *testing.T) {
	ctx := context.Background()
	s := redistest.Start(t, redistest.NoAppendOnly())
	prefix := freshPrefix()
	q := openRedis(t, s.URL(), queue.RedisOptions{Prefix: prefix})
	q.SetTrimAt(1) // trim at every Claim after an acknowledgement
	rc := rawClient(t, s)
	stream := prefix + "s:a"
	const total = 600
	for range total {
		must(t, q.Enqueue(ctx, benchEvent(), []string{"a"}))
	}
	ok := queue.Attempt{At: time.Now(), Status: 200}
	deliverN := func(n int) {
		for n > 0 {
			c, err := q.Claim(ctx, "a", min(n, 50), time.Minute)
			must(t, err)
			if len(c) == 0 {
				t.Fatal("nothing to claim")
			}
			for _, x := range c {
				must(t, q.Succeeded(ctx, x.ID, ok))
			}
			n -= len(c)
		}
	}
	deliverN(300)
	// 10 claimed by a worker that dies: leased for 200 ms.
	held, err := q.Claim(ctx, "a", 10, 200*time.Millisecond)
	must(t, err)
	deliverN(280)
	// Left: 10 held (entries 301-310), 10 unread (591-600). The last
	// Claim trimmed the 300 entries before the oldest held one.
	if n := rc.XLen(ctx, stream).Val(); n != total-300 {
		t.Fatalf("stream length %d after the trim, want %d (from the oldest unfinished entry on)", n, total-300)
	}
	wantRedisStats(t, q, total, 20, total-20, 0)
	// The held ones come back once their lease ends, then the unread.
	got := map[string]bool{}
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of the 20 unfinished deliveries claimed within 5 s", len(got))
		}
		c, err := q.Claim(ctx, "a", 20, time.Minute)
		must(t, err)
		for _, x := range c {
			if got[x.ID] || !bytes.Equal(x.Payload, benchPayload) {
				t.Fatalf("claimed %s twice, or with another payload", x.ID)
			}
			got[x.ID] = true
			must(t, q.Succeeded(ctx, x.ID, ok))
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, h := range held {
		if !got[h.ID] {
			t.Fatalf("held delivery %s was not claimed again", h.ID)
		}
	}
	wantRedisStats(t, q, total, 0, total, 0)
	// With everything finished, a Claim trims the stream to nothing.
	if c, err := q.Claim(ctx, "a", 1, time.Minute); err != nil || len(c) != 0 {
		t.Fatalf("claim: %v %v", c, err)
	}
	if n := rc.XLen(ctx, stream).Val(); n != 0 {
		t.Fatalf("stream length %d with everything delivered, want 0", n)
	}
}

// TestRedisServerSettings: OpenRedis says what an acknowledged event
// survives with the server's persistence settings, and refuses a server
// that evicts keys without a time to live (queued events would vanish).
func TestRedisServerSettings(t *testing.T) {
	ctx := context.Background()
	s := redistest.Start(t)
	rc := rawClient(t, s)
	for _, c := range []struct{ key, value, want string }{
		{"appendfsync", "always", "appendfsync always: an acknowledged event is on Redis's disk"},
		{"appendfsync", "everysec", "appendfsync everysec: a crash of the Redis host loses up to the last second"},
		{"appendonly", "no", "appendonly no: a restart of Redis loses"},
	} {
		must(t, rc.ConfigSet(ctx, c.key, c.value).Err())
		q := openRedis(t, s.URL(), queue.RedisOptions{Prefix: freshPrefix()})
		if got := q.Durability(); !strings.Contains(got, c.want) {
			t.Errorf("%s %s: Durability() = %q, want %q", c.key, c.value, got, c.want)
		}
	}
	must(t, rc.ConfigSet(ctx, "maxmemory-policy", "allkeys-lru").Err())
	_, err := queue.OpenRedis(ctx, s.URL(), queue.RedisOptions{})
	var qe *queue.Error
	if !errors.As(err, &qe) || !strings.Contains(err.Error(), "maxmemory-policy allkeys-lru") {
		t.Fatalf("open on allkeys-lru: %v, want an *Error naming the policy", err)
	}
	must(t, rc.ConfigSet(ctx, "maxmemory-policy", "volatile-lru").Err())
	openRedis(t, s.URL(), queue.RedisOptions{Prefix: freshPrefix()})
}

// TestRedisHung: a server that accepts and never answers (SIGSTOP) makes
// calls fail with ErrUnavailable after about the timeout, not hang; the
// queue works again when it answers.
func TestRedisHung(t *testing.T) {
	ctx := context.Background()
	s := redistest.Start(t, redistest.NoAppendOnly())
	q := openRedis(t, s.URL(), queue.RedisOptions{Prefix: freshPrefix(), Timeout: 200 * time.Millisecond})
	must(t, q.Enqueue(ctx, benchEvent(), []string{"a"}))
	s.Freeze()
	start := time.Now()
	err := q.Enqueue(ctx, benchEvent(), []string{"a"})
	took := time.Since(start)
	s.Thaw()
	if !errors.Is(err, queue.ErrUnavailable) {
		t.Fatalf("Enqueue to a hung server: %v, want ErrUnavailable", err)
	}
	// Generous bound: a 200 ms timeout, sent twice.
	if took > 3*time.Second {
		t.Fatalf("Enqueue to a hung server took %v with a 200 ms timeout", took)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := q.Stats(ctx); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the queue did not recover within 5 s of the server's return")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRedisMigrateLayout1: a queue of the first key layout (no request
// ids, no indexes for List's filters) opens in place, as the current layout: the
// filters find the events it held, and it works on.
func TestRedisMigrateLayout1(t *testing.T) {
	s := redistest.Start(t)
	ctx := context.Background()
	opts := queue.RedisOptions{Prefix: "mig*[1]:"} // a prefix SCAN would read as a pattern
	q := openRedis(t, s.URL(), opts)
	for i := range 130 {
		ev := &queue.Event{ID: fmt.Sprintf("ev-%03d", i), Source: "s", Received: time.Now(), ObjectType: "dcim.site",
			EventType: "object_created", Body: []byte(`{}`), Payload: []byte(`{}`), RequestID: "r"}
		if i%2 == 1 {
			ev.ObjectType = "dcim.device"
		}
		if err := q.Enqueue(ctx, ev, []string{"a"}); err != nil {
			t.Fatal(err)
		}
	}
	q.Close()
	// Take the queue back to layout 1: no request ids, no index sets.
	c := rawClient(t, s)
	keys, err := c.Keys(ctx, "mig\\*\\[1\\]:*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatal(keys, err)
	}
	for _, k := range keys {
		rest := strings.TrimPrefix(k, opts.Prefix)
		switch {
		case strings.HasPrefix(rest, "ot:"), strings.HasPrefix(rest, "et:"), strings.HasPrefix(rest, "rq:"):
			c.Del(ctx, k)
		case strings.HasPrefix(rest, "e:"):
			c.HDel(ctx, k, "rq")
		}
	}
	c.Set(ctx, opts.Prefix+"v", "1", 0)
	// What layout 2 kept and layout 3 drops: counters of deliveries by
	// state, and pending deliveries by receipt.
	c.HSet(ctx, opts.Prefix+"stats", "pending", 999, "delivered", 5, "dead", 7)
	c.ZAdd(ctx, opts.Prefix+"p", redis.Z{Score: 1, Member: "1"})

	q = openRedis(t, s.URL(), opts)
	if v := c.Get(ctx, opts.Prefix+"v").Val(); v != "3" {
		t.Fatalf("layout %q after open, want 3", v)
	}
	if n := c.Exists(ctx, opts.Prefix+"p").Val(); n != 0 {
		t.Error("layout 2's set of pending deliveries is still there")
	}
	if f := c.HKeys(ctx, opts.Prefix+"stats").Val(); len(f) != 1 || f[0] != "events" {
		t.Errorf("stats fields %v after the migration, want only events", f)
	}
	wantRedisStats(t, q, 130, 130, 0, 0)
	devices, err := q.List(ctx, queue.Filter{ObjectType: "dcim.device", Limit: 1000})
	if err != nil || len(devices) != 65 {
		t.Fatalf("dcim.device: %d deliveries, %v; want 65", len(devices), err)
	}
	created, err := q.List(ctx, queue.Filter{EventType: "object_created", Newest: true, Limit: 1000})
	if err != nil || len(created) != 130 || created[0].EventID != "ev-129" {
		t.Fatalf("object_created: %d deliveries, %v", len(created), err)
	}
	fresh := &queue.Event{ID: "ev-new", Source: "s", Received: time.Now(), ObjectType: "dcim.site", EventType: "object_deleted",
		Body: []byte(`{}`), Payload: []byte(`{}`), RequestID: "r2"}
	if err := q.Enqueue(ctx, fresh, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	byRequest, err := q.List(ctx, queue.Filter{RequestID: "r2"})
	if err != nil || len(byRequest) != 1 || byRequest[0].EventID != "ev-new" {
		t.Fatalf("by request: %+v, %v", byRequest, err)
	}
	if old, err := q.List(ctx, queue.Filter{RequestID: "r"}); err != nil || len(old) != 0 {
		t.Fatalf("layout 1 kept no request id, yet %d deliveries have one (%v)", len(old), err)
	}
}

// TestRedisPruneUnindexes: PruneDelivered and PurgeDead take the
// deliveries they delete out of the filters' sets too.
func TestRedisPruneUnindexes(t *testing.T) {
	s := redistest.Start(t)
	ctx := context.Background()
	opts := queue.RedisOptions{Prefix: freshPrefix()}
	q := openRedis(t, s.URL(), opts)
	for i := range 4 {
		ev := &queue.Event{ID: fmt.Sprintf("ev-%d", i), Source: "s", Received: time.Now(), ObjectType: "dcim.site",
			EventType: "object_created", Body: []byte(`{}`), Payload: []byte(`{}`), RequestID: "r"}
		if err := q.Enqueue(ctx, ev, []string{"a"}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := q.Claim(ctx, "a", 4, time.Minute)
	if err != nil || len(c) != 4 {
		t.Fatal(len(c), err)
	}
	for i, x := range c {
		a := queue.Attempt{At: time.Now(), Status: 200}
		if i < 2 {
			err = q.Succeeded(ctx, x.ID, a)
		} else {
			a.Status = 400
			err = q.Fail(ctx, x.ID, a)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, err := q.PruneDelivered(ctx, time.Now().Add(time.Second), 10); err != nil || n != 2 {
		t.Fatalf("pruned %d, %v; want 2", n, err)
	}
	if n, err := q.PurgeDead(ctx); err != nil || n != 2 {
		t.Fatalf("purged %d, %v; want 2", n, err)
	}
	raw := rawClient(t, s)
	for _, k := range []string{"ot:dcim.site", "rq:r"} {
		if n := raw.ZCard(ctx, opts.Prefix+k).Val(); n != 0 {
			t.Errorf("%s holds %d deliveries that are gone", k, n)
		}
	}
}
