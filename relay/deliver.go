package relay

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/relay/queue"
)

// pollInterval is how often an idle destination looks for due
// deliveries; a new event wakes it at once.
const pollInterval = 250 * time.Millisecond

// Run delivers until ctx ends: one loop per destination, each with at
// most its Concurrency attempts in flight. It returns once every attempt
// in flight has been recorded.
func (r *Relay) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, d := range r.destinations {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.deliverLoop(ctx, d)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.pruneLoop(ctx)
	}()
	wg.Wait()
}

// pruneBatch is how many events one PruneDelivered call deletes: a
// bounded write, so that a large backlog of old events does not hold the
// queue for long.
const pruneBatch = 500

// pruneLoop deletes, every minute (or a quarter of the retention, when
// shorter), the delivered events older than the retention.
func (r *Relay) pruneLoop(ctx context.Context) {
	every := max(min(time.Minute, r.cfg.Retention/4), 10*time.Millisecond) // a ticker needs more than 0
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for ctx.Err() == nil {
			n, err := r.queue.PruneDelivered(ctx, time.Now().Add(-r.cfg.Retention), pruneBatch)
			if err != nil {
				if ctx.Err() == nil {
					r.logger.Warn("wasmhook serve: deleting delivered events past the retention failed; trying again later", "error", err)
				}
				break
			}
			r.metrics.pruned.Add(float64(n))
			if n < pruneBatch {
				break
			}
		}
	}
}

// wake tells the destinations that a new event is due.
func (r *Relay) wake() {
	for _, d := range r.destinations {
		d.poke()
	}
}

// poke wakes the destination's loop, unless a wake-up is pending already.
func (d *destination) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (r *Relay) deliverLoop(ctx context.Context, d *destination) {
	// One connection per attempt in flight stays open for the next: the
	// default keeps two per host, and a busy destination would open and
	// close a connection for nearly every attempt.
	client := &http.Client{Timeout: d.Timeout, Transport: &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		MaxIdleConnsPerHost: d.Concurrency,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		ForceAttemptHTTP2:   true,
	}}
	defer client.CloseIdleConnections()
	// A slot is an attempt in flight to the receiver; a record is its
	// outcome being written to the queue. An attempt gives its slot back
	// once the receiver has answered, not once the queue has it: a
	// queue's write (an fsync, a round trip to Redis) would otherwise
	// hold the receiver's concurrency. Records in flight are bounded
	// too, so a slow queue slows the attempts down.
	slots := make(chan struct{}, d.Concurrency)
	records := make(chan struct{}, d.Concurrency)
	// Claims are writes to the queue: with attempts in flight, wait until
	// a batch of slots is free rather than claim one delivery per write.
	batch := max(1, d.Concurrency/8)
	var inflight sync.WaitGroup
	defer inflight.Wait()
	// A claim is leased for longer than an attempt can take, so that a
	// live worker never loses its delivery to another.
	lease := 2*d.Timeout + 10*time.Second
	claimFailing := false
	for ctx.Err() == nil {
		free := d.Concurrency - len(slots)
		var claimed []queue.Claimed
		if free >= batch || (free > 0 && len(slots) == 0) {
			var err error
			claimed, err = r.queue.Claim(ctx, d.name, free, lease)
			switch {
			case err != nil && ctx.Err() == nil && !claimFailing:
				// Once, not at every poll: a queue that is away (Redis
				// restarting) fails every claim until it is back.
				r.logger.Error("wasmhook serve: claiming deliveries failed; retrying", "destination", d.name, "error", err)
				claimFailing = true
			case err == nil && claimFailing:
				r.logger.Info("wasmhook serve: claiming deliveries works again", "destination", d.name)
				claimFailing = false
			}
		}
		for _, c := range claimed {
			slots <- struct{}{}
			inflight.Add(1)
			go func() {
				defer inflight.Done()
				answered := false
				// The slot becomes a record's place: the receiver is done.
				release := func() {
					if !answered {
						answered = true
						records <- struct{}{}
						<-slots
						d.poke() // a free slot: look for the next due delivery now
					}
				}
				// An attempt started finishes and is recorded even when
				// ctx ends: SIGTERM lets attempts in flight finish.
				r.attempt(context.WithoutCancel(ctx), client, d, c, release)
				release() // if the attempt did not
				<-records
			}()
		}
		if len(claimed) == free && len(claimed) > 0 {
			continue // there may be more due
		}
		select {
		case <-ctx.Done():
		case <-d.wake:
		case <-time.After(pollInterval):
		}
	}
}

// attempt sends one delivery and records the outcome; answered is
// called once the receiver is done with it (answered, or failed), before
// the outcome is recorded.
func (r *Relay) attempt(ctx context.Context, client *http.Client, d *destination, c queue.Claimed, answered func()) {
	start := time.Now()
	a := queue.Attempt{At: start.UTC()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(c.Payload))
	if err != nil {
		answered()
		a.Error = attemptError(err)
		r.record(ctx, d, c, a, 0, false)
		return
	}
	for k, v := range d.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "wasmhook-relay")
	if d.netboxSecret != "" {
		req.Header.Set(wasmhook.SignatureHeader, wasmhook.Sign(d.netboxSecret, c.Payload))
	}
	if d.standardKey != nil {
		ts := start.Unix()
		req.Header.Set("webhook-id", c.EventID)
		req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("webhook-signature", StandardSignature(d.standardKey, c.EventID, ts, c.Payload))
	}
	resp, err := client.Do(req)
	a.Latency = time.Since(start)
	if err != nil {
		answered()
		a.Error = attemptError(err)
		r.record(ctx, d, c, a, 0, true)
		return
	}
	a.Status = resp.StatusCode
	a.Response, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	resp.Body.Close()
	answered()
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		r.metrics.attempts.WithLabelValues(d.name, "delivered").Inc()
		r.console.activity.attempt(d.name, "delivered")
		r.metrics.attemptDur.WithLabelValues(d.name).Observe(a.Latency.Seconds())
		if err := r.queue.Succeeded(ctx, c.ID, a); err != nil {
			r.logger.Error("wasmhook serve: recording a delivery failed; it will be sent again", "delivery", c.ID, "error", err)
		}
		return
	case s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500:
		r.record(ctx, d, c, a, retryAfter(resp.Header.Get("Retry-After"), start), true)
	default:
		r.record(ctx, d, c, a, 0, false) // the receiver said no: no retry
	}
}

// record files a failed attempt: another one later when retryable and
// the schedule has one left (not before after, the receiver's
// Retry-After), else the delivery is dead.
func (r *Relay) record(ctx context.Context, d *destination, c queue.Claimed, a queue.Attempt, after time.Duration, retryable bool) {
	n := c.Attempts // attempts before this one
	r.metrics.attemptDur.WithLabelValues(d.name).Observe(a.Latency.Seconds())
	var err error
	if retryable && n < len(d.Retry) {
		r.metrics.attempts.WithLabelValues(d.name, "retry").Inc()
		r.console.activity.attempt(d.name, "retry")
		delay := jitter(d.Retry[n])
		delay = max(delay, after)
		err = r.queue.Retry(ctx, c.ID, a, a.At.Add(a.Latency).Add(delay))
	} else {
		r.metrics.attempts.WithLabelValues(d.name, "dead").Inc()
		r.console.activity.attempt(d.name, "dead")
		err = r.queue.Fail(ctx, c.ID, a)
		r.logger.Warn("wasmhook serve: a delivery is dead", "delivery", c.ID, "destination", d.name, "attempts", n+1, "status", a.Status, "error", a.Error)
	}
	if err != nil {
		r.logger.Error("wasmhook serve: recording an attempt failed; the delivery will be tried again", "delivery", c.ID, "error", err)
	}
}

// jitter spreads d by up to a fifth either way, so that deliveries that
// failed together do not all come back together.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.4-0.2)*float64(d))
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}
