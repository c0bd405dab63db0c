package queue

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// RedisOptions tune the Redis queue. The zero value is the default.
type RedisOptions struct {
	// Password authenticates to Redis; it takes the place of a password
	// in the URL. It appears in no error and no log.
	Password string
	// Prefix begins every key the queue uses ("wasmhook:" when empty):
	// queues with different prefixes share a server without meeting.
	Prefix string
	// Consumer names this process in the consumer group; it must be
	// unique among the instances sharing the queue (host-pid-random when
	// empty, which is).
	Consumer string
	// TLS configures rediss:// connections (when nil: the system's
	// roots, the URL's host as the server name). Its ServerName, when
	// empty, is the URL's host.
	TLS *tls.Config
	// Timeout bounds connecting to Redis and each command's reads and
	// writes (3 s when 0): with Redis away, a call fails with
	// ErrUnavailable within about that.
	Timeout time.Duration
	// Now is the clock (time.Now when nil); tests set it. It says when a
	// delivery is due; leases run on the Redis server's clock.
	Now func() time.Time
}

// Redis is the queue on Redis Streams, shared by every wasmhook instance
// that opens the same server and prefix: each destination has a stream
// read by one consumer group, each instance is a consumer of it, and a
// delivery claimed by an instance that dies is claimed by another when
// its lease ends (XAUTOCLAIM). RATIONALE.md ("The Redis queue") says why
// it is built this way.
//
// Durability is Redis's: with appendonly yes and appendfsync always, a
// call returns after Redis has written and fsynced its append-only file,
// so an acknowledged event survives a crash of the Redis host; with
// appendfsync everysec a crash of the host loses up to the last second of
// writes (a crash of Redis alone loses nothing); without the append-only
// file, a restart of Redis loses everything since the last snapshot.
//
// A call that cannot reach Redis fails with an *Error matching
// ErrUnavailable, within about RedisOptions.Timeout; the queue reconnects
// by itself when Redis is back.
type Redis struct {
	client   *redis.Client
	addr     string // the URL without its password, for messages
	secret   string // redacted from every message
	prefix   string
	consumer string
	now      func() time.Time

	trimAt     int    // redisTrimAt; tests lower it
	look       int    // ListLookRedis; tests lower it
	durability string // what Durability says

	nonce     atomic.Uint64
	reclaimed atomic.Int64
	closed    atomic.Bool

	records *batcher // see redis_batch.go
}

var _ Queue = (*Redis)(nil)

const (
	// redisGroup is the consumer group every instance joins.
	redisGroup = "wasmhook"
	// redisReleased holds the entries an instance hands back at Close,
	// due at once.
	redisReleased = "wasmhook:released"
	// redisVisibility is the idle time after which XAUTOCLAIM takes an
	// entry over; a claim for a lease L sets its entries' idle time to
	// redisVisibility-L. It caps a lease.
	redisVisibility = 7 * 24 * time.Hour
	// redisSweepEvery is how often, at most, Claims sweep a destination's
	// claimed entries for ended leases (XAUTOCLAIM reads each one): a
	// lease ends, at the latest, that long after its time.
	redisSweepEvery = 100 * time.Millisecond
	// redisTrimAt is how many entries acknowledged since the last trim
	// make a Claim trim the destination's stream below its oldest
	// unfinished entry: a trim costs a few commands, paid once per that
	// many deliveries.
	redisTrimAt = 256
	// redisPurgeBatch is how many dead deliveries one script purges.
	redisPurgeBatch = 500
	// redisLayout is the version of the key layout; OpenRedis refuses
	// another.
	redisLayout = "3"
	// redisTidyIdle: at open, consumers idle that long with no entries
	// (stopped instances) leave the group.
	redisTidyIdle = 10 * time.Minute
)

// OpenRedis connects to the queue at rawURL, redis://[[user]:password@]
// host[:port][/db] or rediss:// (TLS), and checks that the server
// answers and holds a queue this version reads (or nothing yet).
//
// An unreachable server is an *Error matching ErrUnavailable that names
// the address, never the password.
func OpenRedis(ctx context.Context, rawURL string, opts RedisOptions) (*Redis, error) {
	u, err := parseRedisURL(rawURL)
	if err != nil {
		return nil, err
	}
	if opts.Password != "" {
		u.password = opts.Password
	}
	if opts.Prefix == "" {
		opts.Prefix = "wasmhook:"
	}
	if opts.Consumer == "" {
		opts.Consumer = defaultConsumer()
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 3 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	o := &redis.Options{
		Addr:       u.hostPort,
		Username:   u.user,
		Password:   u.password,
		DB:         u.db,
		ClientName: "wasmhook-" + opts.Consumer,
		Protocol:   2,
		// One retry, for a connection that broke between two calls: the
		// scripts recognise a call they have already run (its nonce).
		MaxRetries:            1,
		DialerRetries:         1,
		DialTimeout:           opts.Timeout,
		ReadTimeout:           opts.Timeout,
		WriteTimeout:          opts.Timeout,
		PoolTimeout:           opts.Timeout,
		ContextTimeoutEnabled: true,
		DisableIdentity:       true,
		// Redis before 8 does not know CLIENT MAINT_NOTIFICATIONS.
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
	if u.tls {
		c := &tls.Config{MinVersion: tls.VersionTLS12}
		if opts.TLS != nil {
			c = opts.TLS.Clone()
		}
		if c.ServerName == "" {
			c.ServerName = u.host
		}
		o.TLSConfig = c
	}
	r := &Redis{
		client:   redis.NewClient(o),
		addr:     u.display,
		secret:   u.password,
		prefix:   opts.Prefix,
		consumer: opts.Consumer,
		now:      opts.Now,
		trimAt:   redisTrimAt,
		look:     ListLookRedis,
	}
	if err := r.init(ctx, opts.Timeout); err != nil {
		r.client.Close()
		return nil, err
	}
	r.records = newBatcher(r, recordScript, r.prefix, redisGroup)
	return r, nil
}

// init checks the server (reachable, new enough) and the layout, and
// lets stopped instances' consumers go.
func (r *Redis) init(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, 2*timeout)
	defer cancel()
	info, err := r.client.Info(ctx).Result() // the default sections
	if err != nil {
		e := r.fail(ctx, "open", err)
		if qe, ok := e.(*Error); ok && errors.Is(e, ErrUnavailable) {
			qe.Reason = "cannot reach Redis"
		}
		return e
	}
	if v := infoField(info, "redis_version"); !versionAtLeast(v, 6, 2) {
		return &Error{Op: "open", File: r.addr, Reason: "Redis " + v + " is too old: the queue needs Redis 6.2 or later (XAUTOCLAIM)"}
	}
	// A policy that evicts keys without a time to live would drop queued
	// events under memory pressure; noeviction and volatile-* keep them.
	if p := infoField(info, "maxmemory_policy"); strings.HasPrefix(p, "allkeys-") {
		return &Error{Op: "open", File: r.addr, Reason: "Redis evicts any key under memory pressure (maxmemory-policy " + p +
			"): queued events could vanish; the queue needs noeviction (or a volatile-* policy)"}
	}
	r.durability = durability(ctx, r.client, infoField(info, "aof_enabled") == "1")
	key := r.prefix + "v"
	if err := r.client.SetNX(ctx, key, redisLayout, 0).Err(); err != nil {
		return r.fail(ctx, "open", err)
	}
	v, err := r.client.Get(ctx, key).Result()
	if err != nil {
		return r.fail(ctx, "open", err)
	}
	if v == "1" {
		if err := r.migrateLayout1(ctx); err != nil {
			return err
		}
		v = "2"
	}
	if v == "2" {
		if err := r.migrateLayout2(ctx); err != nil {
			return err
		}
		v = redisLayout
	}
	if v != redisLayout {
		return &Error{Op: "open", File: r.addr, Kind: ErrCorrupt,
			Reason: fmt.Sprintf("the keys under %q hold a queue of layout %q, this wasmhook reads layout %s", r.prefix, v, redisLayout)}
	}
	if err := tidyScript.Run(ctx, r.client, nil, r.prefix, redisGroup, redisTidyIdle.Milliseconds()).Err(); err != nil {
		return r.fail(ctx, "open", err)
	}
	return nil
}

// migrateLayout2 brings a queue of layout 2 to layout 3: layout 3 counts
// deliveries by their state sets and finds the oldest pending one by
// its id, so the counters and the set that layout 2 kept for that go. Deliveries of
// layout 2 have no "one" field: their events are checked whole when they
// are delivered, as before. Instances of layout 2 still running would
// keep those counters for nothing: stop them first.
func (r *Redis) migrateLayout2(ctx context.Context) error {
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, r.prefix+"p")
		p.HDel(ctx, r.prefix+"stats", "pending", "delivered", "dead")
		p.Set(ctx, r.prefix+"v", redisLayout, 0)
		return nil
	})
	return r.fail(ctx, "open", err)
}

// migrateLayout1 brings a queue of layout 1 to layout 2 in place: it
// indexes every event's deliveries by object type, a
// batch of events per script (events of layout 1 have no request id).
// Run again after an interruption, it indexes again what it had: the
// sets do not change. Instances of layout 1 still running would go on
// enqueueing events the filters do not find: stop them first.
func (r *Redis) migrateLayout1(ctx context.Context) error {
	match := redisGlobEscape(r.prefix) + "e:*"
	var cursor uint64
	for {
		keys, next, err := r.client.Scan(ctx, cursor, match, 500).Result()
		if err != nil {
			return r.fail(ctx, "open", err)
		}
		ids := make([]any, 0, 2+len(keys))
		ids = append(ids, r.prefix, redisGroup)
		for _, k := range keys {
			ids = append(ids, strings.TrimPrefix(k, r.prefix+"e:"))
		}
		if err := indexScript.Run(ctx, r.client, nil, ids...).Err(); err != nil {
			return r.fail(ctx, "open", err)
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	return r.fail(ctx, "open", r.client.Set(ctx, r.prefix+"v", "2", 0).Err())
}

// redisGlobEscape escapes the characters SCAN's MATCH reads as a pattern.
func redisGlobEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[]\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Reclaimed is how many deliveries this queue has claimed from another
// consumer after its lease ended: an instance that died or stopped with
// attempts in flight, or this process's previous run.
func (r *Redis) Reclaimed() int64 { return r.reclaimed.Load() }

// Consumer is this queue's name in the consumer group.
func (r *Redis) Consumer() string { return r.consumer }

// Durability says, for an operator, what an acknowledged event survives
// with the server's persistence settings as they were at open.
func (r *Redis) Durability() string { return r.durability }

// durability reads appendfsync (CONFIG GET, which a managed Redis may
// refuse) and says what an acknowledged event survives.
func durability(ctx context.Context, c *redis.Client, aof bool) string {
	if !aof {
		return "appendonly no: a restart of Redis loses the events queued since its last snapshot"
	}
	fsync := "unknown (CONFIG GET refused)"
	if m, err := c.ConfigGet(ctx, "appendfsync").Result(); err == nil && m["appendfsync"] != "" {
		fsync = m["appendfsync"]
	}
	switch fsync {
	case "always":
		return "appendonly yes, appendfsync always: an acknowledged event is on Redis's disk"
	case "everysec":
		return "appendonly yes, appendfsync everysec: a crash of the Redis host loses up to the last second of events"
	}
	return "appendonly yes, appendfsync " + fsync + ": a crash of the Redis host may lose recent events"
}

// Enqueue implements Queue. It returns once Redis has answered: with
// appendfsync always, once the event is on Redis's disk.
func (r *Redis) Enqueue(ctx context.Context, ev *Event, destinations []string) error {
	return r.enqueue(ctx, ev, destinations, r.newNonce())
}

func (r *Redis) enqueue(ctx context.Context, ev *Event, destinations []string, nonce string) error {
	if r.closed.Load() {
		return ErrClosed
	}
	// One event per script call: batched like records, events cost Redis
	// as much per event (their bodies are most of the work), measured,
	// and a request would wait for its batch (RATIONALE.md).
	args := make([]any, 0, 14+len(destinations))
	args = append(args, r.prefix, redisGroup, r.now().UnixNano(), ev.ID, nonce, ev.Source, ev.Received.UnixNano(), ev.Received.UnixMicro(),
		ev.ObjectType, ev.EventType, ev.Body, ev.Payload, ev.Report, ev.RequestID)
	for _, d := range destinations {
		args = append(args, d)
	}
	return r.fail(ctx, "enqueue", enqueueScript.Run(ctx, r.client, nil, args...).Err())
}

// Claim implements Queue. A lease longer than a week is cut to a week.
func (r *Redis) Claim(ctx context.Context, destination string, max int, lease time.Duration) ([]Claimed, error) {
	if r.closed.Load() {
		return nil, ErrClosed
	}
	if max <= 0 {
		return nil, nil
	}
	lease = min(lease, redisVisibility)
	if lease < 0 {
		lease = 0
	}
	now := r.now()
	res, err := claimScript.Run(ctx, r.client, nil, r.prefix, redisGroup, destination, max, r.consumer,
		now.UnixMilli(), now.Add(lease).UnixNano(), (redisVisibility - lease).Milliseconds(),
		redisVisibility.Milliseconds(), r.trimAt, redisSweepEvery.Milliseconds()).Slice()
	if err != nil {
		return nil, r.fail(ctx, "claim", err)
	}
	if len(res) == 0 {
		return nil, r.corrupt("claim", "an empty reply")
	}
	if n, _ := res[0].(int64); n > 0 {
		r.reclaimed.Add(n)
	}
	if len(res) == 1 {
		return nil, nil
	}
	until := now.Add(lease)
	out := make([]Claimed, 0, len(res)-1)
	for _, x := range res[1:] {
		f, ok := strs(x, 6)
		if !ok {
			return nil, r.corrupt("claim", "a claimed delivery of another shape")
		}
		c := Claimed{Delivery: Delivery{ID: f[0], EventID: f[1], Destination: destination, State: Pending,
			Attempts: atoi(f[2]), NextAttempt: until, LastStatus: atoi(f[3]), LastError: f[4]}, Payload: []byte(f[5])}
		out = append(out, c)
	}
	return out, nil
}

// Succeeded implements Queue.
func (r *Redis) Succeeded(ctx context.Context, deliveryID string, a Attempt) error {
	return r.record(ctx, "succeeded", deliveryID, a, Delivered, time.Time{})
}

// Retry implements Queue. A delivery that another worker has meanwhile
// delivered (its lease had ended) stays delivered; the attempt is kept.
func (r *Redis) Retry(ctx context.Context, deliveryID string, a Attempt, next time.Time) error {
	return r.record(ctx, "retry", deliveryID, a, Pending, next)
}

// Fail implements Queue. Like Retry, it leaves a delivered delivery
// delivered.
func (r *Redis) Fail(ctx context.Context, deliveryID string, a Attempt) error {
	return r.record(ctx, "fail", deliveryID, a, Dead, time.Time{})
}

func (r *Redis) record(ctx context.Context, op, deliveryID string, a Attempt, state State, next time.Time) error {
	return r.recordOnce(ctx, op, deliveryID, a, state, next, r.newNonce())
}

func (r *Redis) recordOnce(ctx context.Context, op, deliveryID string, a Attempt, state State, next time.Time, nonce string) error {
	if r.closed.Load() {
		return ErrClosed
	}
	if _, ok := parseID(deliveryID); !ok {
		return fmt.Errorf("%w: delivery %q", ErrNotFound, deliveryID)
	}
	var nextNs, nextMs int64
	if state == Pending {
		// Due at the first millisecond not before next.
		nextNs, nextMs = next.UnixNano(), (next.UnixNano()+999_999)/1_000_000
	}
	return r.records.do(ctx, op, []any{deliveryID, string(state), nonce, encodeAttempt(a), a.Status, a.Error, nextNs, nextMs})
}

// Replay implements Queue.
func (r *Redis) Replay(ctx context.Context, deliveryID string) error {
	if r.closed.Load() {
		return ErrClosed
	}
	if _, ok := parseID(deliveryID); !ok {
		return fmt.Errorf("%w: delivery %q", ErrNotFound, deliveryID)
	}
	err := replayScript.Run(ctx, r.client, nil, r.prefix, redisGroup, deliveryID, r.now().UnixNano()).Err()
	return r.fail(ctx, "replay", err)
}

// PurgeDead implements Queue.
func (r *Redis) PurgeDead(ctx context.Context) (int, error) {
	if r.closed.Load() {
		return 0, ErrClosed
	}
	total := 0
	for {
		res, err := purgeScript.Run(ctx, r.client, nil, r.prefix, redisGroup, redisPurgeBatch).Int64Slice()
		if err != nil {
			return total, r.fail(ctx, "purge", err)
		}
		if len(res) != 2 {
			return total, r.corrupt("purge", "a reply of another shape")
		}
		total += int(res[0])
		if res[1] < redisPurgeBatch {
			return total, nil
		}
	}
}

// PruneDelivered implements Queue.
func (r *Redis) PruneDelivered(ctx context.Context, before time.Time, max int) (int, error) {
	if r.closed.Load() {
		return 0, ErrClosed
	}
	if max <= 0 {
		return 0, nil
	}
	n, err := pruneScript.Run(ctx, r.client, nil, r.prefix, redisGroup, before.UnixMicro(), max).Int()
	if err != nil {
		return 0, r.fail(ctx, "prune", err)
	}
	return n, nil
}

// Event implements Queue.
func (r *Redis) Event(ctx context.Context, eventID string) (*Event, []Delivery, map[string][]Attempt, error) {
	if r.closed.Load() {
		return nil, nil, nil, ErrClosed
	}
	res, err := eventScript.Run(ctx, r.client, nil, r.prefix, redisGroup, eventID).Slice()
	if err != nil {
		return nil, nil, nil, r.fail(ctx, "event", err)
	}
	bad := func() (*Event, []Delivery, map[string][]Attempt, error) {
		return nil, nil, nil, r.corrupt("event", "event "+eventID+" is of another shape")
	}
	if len(res) != 2 {
		return bad()
	}
	e, ok := strs(res[0], 8)
	rows, ok2 := res[1].([]any)
	if !ok || !ok2 {
		return bad()
	}
	ev := &Event{ID: eventID, Source: e[0], Received: time.Unix(0, atoi64(e[1])), ObjectType: e[2], EventType: e[3],
		Body: []byte(e[4]), Payload: []byte(e[5]), Report: []byte(e[6]), RequestID: e[7]}
	ds := make([]Delivery, 0, len(rows))
	attempts := map[string][]Attempt{}
	for _, row := range rows {
		cols, ok := row.([]any)
		if !ok || len(cols) != 8 {
			return bad()
		}
		f, ok := strs(cols[:7], 7)
		as, ok2 := cols[7].([]any)
		if !ok || !ok2 {
			return bad()
		}
		d := delivery(f[0], eventID, f[1], f[2], f[3], f[4], f[5], f[6])
		d.Received, d.ObjectType, d.EventType = ev.Received, ev.ObjectType, ev.EventType
		ds = append(ds, d)
		for _, x := range as {
			s, _ := x.(string)
			a, err := decodeAttempt(s)
			if err != nil {
				return nil, nil, nil, r.corrupt("event", "an attempt of delivery "+d.ID+": "+err.Error())
			}
			attempts[d.ID] = append(attempts[d.ID], a)
		}
	}
	return ev, ds, attempts, nil
}

// List implements Queue.
func (r *Redis) List(ctx context.Context, f Filter) ([]Delivery, error) {
	return listAll(ctx, r.ListPage, f)
}

// ListLookRedis is how many candidates a page of the Redis queue looks
// at, about (whole chunks of its sources): a filter that matches little
// cannot hold the server, which serves every instance.
const ListLookRedis = 20000

// ListPage implements Queue. The candidates come from the narrowest set
// the filter names (the event's deliveries, the request's, the object
// type's, or the sets of its states and destinations), each checked
// against the whole filter, about ListLookRedis of them per page.
func (r *Redis) ListPage(ctx context.Context, f Filter) (Page, error) {
	if r.closed.Load() {
		return Page{}, ErrClosed
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	var after int64
	if f.After != "" {
		var ok bool
		if after, ok = parseID(f.After); !ok {
			return Page{}, fmt.Errorf("%w: delivery %q (After)", ErrNotFound, f.After)
		}
	}
	newest := ""
	if f.Newest {
		newest = "1"
	}
	res, err := listScript.Run(ctx, r.client, nil, r.prefix, redisGroup, after, limit, string(f.State), f.Destination,
		f.ObjectType, f.EventType, f.EventID, f.RequestID, newest, r.look).Slice()
	if err != nil {
		return Page{}, r.fail(ctx, "list", err)
	}
	rows, ok := res[0].([]any)
	if len(res) != 2 || !ok {
		return Page{}, r.corrupt("list", "a reply of another shape")
	}
	var p Page
	p.Deliveries = make([]Delivery, 0, len(rows))
	for _, row := range rows {
		c, ok := strs(row, 11)
		if !ok {
			return Page{}, r.corrupt("list", "a delivery of another shape")
		}
		d := delivery(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7])
		d.Received, d.ObjectType, d.EventType = time.Unix(0, atoi64(c[8])), c[9], c[10]
		p.Deliveries = append(p.Deliveries, d)
	}
	switch stopped, _ := res[1].(int64); {
	case len(p.Deliveries) == limit:
		p.Next = p.Deliveries[len(p.Deliveries)-1].ID
	case stopped > 0:
		p.Next, p.Partial = strconv.FormatInt(stopped, 10), true
	}
	return p, nil
}

// Stats implements Queue. It reads counters the other calls keep, not
// the deliveries.
func (r *Redis) Stats(ctx context.Context) (Stats, error) {
	if r.closed.Load() {
		return Stats{}, ErrClosed
	}
	res, err := statsScript.Run(ctx, r.client, nil, r.prefix, redisGroup).Slice()
	if err != nil {
		return Stats{}, r.fail(ctx, "stats", err)
	}
	c, ok := strs(res[:min(len(res), 4)], 4)
	if !ok || len(res) != 5 {
		return Stats{}, r.corrupt("stats", "a reply of another shape")
	}
	st := Stats{Events: atoi64(c[0]), Pending: atoi64(c[1]), Delivered: atoi64(c[2]), Dead: atoi64(c[3])}
	oldest := int64(math.MaxInt64)
	rcv, _ := res[4].([]any)
	for _, x := range rcv {
		s, _ := x.(string)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n < oldest {
			oldest = n
		}
	}
	if oldest != math.MaxInt64 {
		st.OldestPending = time.Unix(0, oldest)
	}
	return st, nil
}

// Close implements Queue: it hands the deliveries this queue claimed and
// did not record back to the group, due at once, and closes the
// connections. When Redis cannot be reached, they come back when their
// leases end.
func (r *Redis) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	r.records.close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := releaseScript.Run(ctx, r.client, nil, r.prefix, redisGroup, r.consumer, redisReleased,
		redisVisibility.Milliseconds()).Err()
	err = r.fail(ctx, "close", err)
	r.client.Close()
	return err
}

// newNonce names one call, unique across instances: a script that finds
// its own nonce already recorded knows the call was sent twice.
func (r *Redis) newNonce() string {
	return r.consumer + "/" + strconv.FormatUint(r.nonce.Add(1), 36)
}

// fail turns a Redis client's error into the queue's: its own errors
// (DUP, NOTFOUND, NOTDEAD) into the sentinels, a closed client into
// ErrClosed, the caller's cancelled context into itself, and anything
// else into an *Error naming the address, with ErrUnavailable when Redis
// could not be reached or refused to work for now.
func (r *Redis) fail(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	var re redis.Error
	if errors.As(err, &re) {
		msg := re.Error()
		code, rest, _ := strings.Cut(msg, " ")
		switch code {
		case "DUP":
			return fmt.Errorf("%w: %s", ErrDuplicate, rest)
		case "NOTFOUND":
			return fmt.Errorf("%w: %s", ErrNotFound, rest)
		case "NOTDEAD":
			return fmt.Errorf("%w: %s", ErrNotDead, rest)
		}
	}
	if errors.Is(err, redis.ErrClosed) {
		return ErrClosed
	}
	if cerr := ctx.Err(); cerr != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return cerr
	}
	kind, reason := classifyRedis(err)
	return &Error{Op: op, File: r.addr, Kind: kind, Reason: reason, Err: r.redact(err)}
}

// corrupt is a reply the queue cannot read: keys under its prefix written
// by something else, or damaged.
func (r *Redis) corrupt(op, reason string) error {
	return &Error{Op: op, File: r.addr, Kind: ErrCorrupt, Reason: "Redis answered " + reason + " (keys under " + strconv.Quote(r.prefix) + " written by something else?)"}
}

// classifyRedis says whether err means that Redis is away or refuses to
// work for now (ErrUnavailable), and why.
func classifyRedis(err error) (kind error, reason string) {
	var re redis.Error
	if errors.As(err, &re) {
		code, _, _ := strings.Cut(re.Error(), " ")
		switch code {
		case "LOADING":
			return ErrUnavailable, "Redis is loading its data"
		case "MISCONF":
			return ErrUnavailable, "Redis refuses writes: it cannot persist them"
		case "OOM":
			return ErrUnavailable, "Redis is out of memory (maxmemory)"
		case "READONLY":
			return ErrUnavailable, "the server is a read-only replica"
		case "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "NOREPLICAS":
			return ErrUnavailable, "Redis cannot serve the queue for now"
		case "NOAUTH", "WRONGPASS":
			return nil, "Redis refused the credentials"
		case "NOPERM":
			return nil, "the Redis user lacks a permission the queue needs"
		}
		return nil, ""
	}
	var ne net.Error
	switch {
	case errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, context.DeadlineExceeded):
		return ErrUnavailable, "lost the connection to Redis"
	}
	return nil, ""
}

// redact removes the password from err's message, keeping err for
// errors.Is and errors.As.
func (r *Redis) redact(err error) error {
	return redactErr(err, r.secret)
}

func redactErr(err error, secret string) error {
	if err == nil || secret == "" {
		return err
	}
	msg := err.Error()
	red := msg
	for _, s := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret)} {
		red = strings.ReplaceAll(red, s, "xxxxx")
	}
	if red == msg {
		return err
	}
	return &redactedError{msg: red, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redisURL is a parsed queue URL.
type redisURL struct {
	hostPort, host string
	user, password string
	db             int
	tls            bool
	display        string // scheme://host:port/db, no credentials
}

// parseRedisURL reads redis://[[user]:password@]host[:port][/db] and
// rediss://. Its errors never quote the URL (it may hold a password).
func parseRedisURL(raw string) (*redisURL, error) {
	bad := func(reason string) error {
		return &Error{Op: "open", File: "the queue URL", Reason: reason + " (want redis://[:password@]host:port/db or rediss://...)"}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, bad("not a URL")
	}
	var out redisURL
	switch u.Scheme {
	case "redis":
	case "rediss":
		out.tls = true
	default:
		return nil, bad("the scheme is " + strconv.Quote(u.Scheme) + ", not redis or rediss")
	}
	if u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, bad("a query, a fragment or an opaque part is not taken")
	}
	out.host = u.Hostname()
	if out.host == "" {
		return nil, bad("no host")
	}
	port := u.Port()
	if port == "" {
		port = "6379"
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return nil, bad("the port is not a number from 1 to 65535")
	}
	out.hostPort = net.JoinHostPort(out.host, port)
	if u.User != nil {
		out.user = u.User.Username()
		out.password, _ = u.User.Password()
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 {
			return nil, bad("the path " + strconv.Quote(u.Path) + " is not a database number")
		}
		out.db = n
	}
	out.display = fmt.Sprintf("%s://%s/%d", u.Scheme, out.hostPort, out.db)
	return &out, nil
}

// defaultConsumer is host-pid-random: unique per process, readable in
// XINFO CONSUMERS.
func defaultConsumer() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	b := make([]byte, 4)
	rand.Read(b)
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b)
}

// delivery builds a Delivery from a script's strings.
func delivery(id, eventID, dest, state, attempts, next, status, lastErr string) Delivery {
	d := Delivery{ID: id, EventID: eventID, Destination: dest, State: State(state),
		Attempts: atoi(attempts), LastStatus: atoi(status), LastError: lastErr}
	if d.State == Pending {
		d.NextAttempt = time.Unix(0, atoi64(next))
	}
	return d
}

// strs reads a script's array of n strings (a missing field, false in
// Lua, reads as nil and becomes "").
func strs(x any, n int) ([]string, bool) {
	a, ok := x.([]any)
	if !ok || len(a) != n {
		return nil, false
	}
	out := make([]string, n)
	for i, v := range a {
		switch v := v.(type) {
		case string:
			out[i] = v
		case int64:
			out[i] = strconv.FormatInt(v, 10)
		case nil:
		default:
			return nil, false
		}
	}
	return out, true
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func atoi(s string) int { return int(atoi64(s)) }

// encodeAttempt packs an attempt for the delivery's attempts list: at
// (ns), status, latency (ns), the error's length (uvarint), the error,
// then the response, cut to MaxResponse.
func encodeAttempt(a Attempt) []byte {
	resp := a.Response
	if len(resp) > MaxResponse {
		resp = resp[:MaxResponse]
	}
	b := make([]byte, 0, 20+binary.MaxVarintLen64+len(a.Error)+len(resp))
	b = binary.BigEndian.AppendUint64(b, uint64(a.At.UnixNano()))
	b = binary.BigEndian.AppendUint32(b, uint32(int32(a.Status)))
	b = binary.BigEndian.AppendUint64(b, uint64(a.Latency))
	b = binary.AppendUvarint(b, uint64(len(a.Error)))
	b = append(b, a.Error...)
	return append(b, resp...)
}

func decodeAttempt(s string) (Attempt, error) {
	b := []byte(s)
	if len(b) < 20 {
		return Attempt{}, errors.New("too short")
	}
	a := Attempt{
		At:      time.Unix(0, int64(binary.BigEndian.Uint64(b))),
		Status:  int(int32(binary.BigEndian.Uint32(b[8:]))),
		Latency: time.Duration(binary.BigEndian.Uint64(b[12:])),
	}
	b = b[20:]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return Attempt{}, errors.New("a bad error length")
	}
	a.Error = string(b[k : k+int(n)])
	if rest := b[k+int(n):]; len(rest) > 0 {
		a.Response = rest
	}
	return a, nil
}

// infoField reads one field of INFO's answer.
func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return ""
}

// versionAtLeast reports whether version v (major.minor.patch) is at least
// major.minor.
func versionAtLeast(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || (ma == major && mi >= minor)
}
