package relay

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/relay/queue"
)

// metrics are the relay's Prometheus metrics. Labels are source,
// destination and callback names and fixed words: never a secret, a URL
// or a payload.
type metrics struct {
	reg        *prometheus.Registry
	received   *prometheus.CounterVec   // source
	rejected   *prometheus.CounterVec   // source, reason
	attempts   *prometheus.CounterVec   // destination, outcome: delivered, retry, dead
	attemptDur *prometheus.HistogramVec // destination
	enrichDur  prometheus.Histogram
	callDur    *prometheus.HistogramVec // callback
	callFailed *prometheus.CounterVec   // callback, class
	pruned     prometheus.Counter
}

func newMetrics(q queue.Queue) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wasmhook_events_received_total", Help: "Events accepted (202), by source."}, []string{"source"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wasmhook_events_rejected_total", Help: "Requests refused, by source and reason (the error word of the answer)."}, []string{"source", "reason"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wasmhook_delivery_attempts_total", Help: "Delivery attempts, by destination and outcome: delivered, retry (failed, another attempt scheduled) or dead (failed for good)."}, []string{"destination", "outcome"}),
		attemptDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "wasmhook_delivery_attempt_seconds", Help: "Time of one delivery attempt, by destination.", Buckets: prometheus.ExponentialBuckets(0.001, 4, 9)}, []string{"destination"}),
		enrichDur: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "wasmhook_enrich_seconds", Help: "Time to enrich one event, every callback included.", Buckets: prometheus.ExponentialBuckets(0.00001, 4, 10)}),
		callDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "wasmhook_callback_seconds", Help: "Time of one callback's call, by callback.", Buckets: prometheus.ExponentialBuckets(0.000005, 4, 10)}, []string{"callback"}),
		callFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wasmhook_callback_failures_total", Help: "Callback failures, by callback and failure class."}, []string{"callback", "class"}),
		pruned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wasmhook_queue_pruned_total", Help: "Delivered events deleted past the retention."}),
	}
	m.reg.MustRegister(m.received, m.rejected, m.attempts, m.attemptDur, m.enrichDur, m.callDur, m.callFailed, m.pruned, queueCollector{q})
	return m
}

// handler serves GET /metrics.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// enriched records one event's enrichment.
func (m *metrics) enriched(res *wasmhook.Result, took time.Duration) {
	m.enrichDur.Observe(took.Seconds())
	for _, rep := range res.Reports {
		m.callDur.WithLabelValues(rep.Callback).Observe(rep.Duration.Seconds())
		if rep.Err != nil {
			m.callFailed.WithLabelValues(rep.Callback, wasmhook.ErrorClass(rep.Err)).Inc()
		}
	}
}

// queueCollector reads the queue's counts at each scrape.
type queueCollector struct{ q queue.Queue }

var (
	depthDesc   = prometheus.NewDesc("wasmhook_queue_pending", "Deliveries waiting for an attempt.", nil, nil)
	oldestDesc  = prometheus.NewDesc("wasmhook_queue_oldest_pending_seconds", "Age of the oldest event with a pending delivery; 0 when none.", nil, nil)
	deadDesc    = prometheus.NewDesc("wasmhook_queue_dead", "Dead deliveries kept for replay.", nil, nil)
	eventsDesc  = prometheus.NewDesc("wasmhook_queue_events", "Events in the queue.", nil, nil)
	queueUpDesc = prometheus.NewDesc("wasmhook_queue_up", "1 when the queue answered the scrape.", nil, nil)
	reclaimDesc = prometheus.NewDesc("wasmhook_queue_reclaimed_total", "Deliveries this instance took over after their holder's lease ended (an instance that died); a shared queue only.", nil, nil)
)

// reclaimer is a queue shared by instances, which counts the deliveries
// it took over from others (queue.Redis).
type reclaimer interface{ Reclaimed() int64 }

func (c queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- depthDesc
	ch <- oldestDesc
	ch <- deadDesc
	ch <- eventsDesc
	ch <- queueUpDesc
	if _, ok := c.q.(reclaimer); ok {
		ch <- reclaimDesc
	}
}

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	if r, ok := c.q.(reclaimer); ok {
		ch <- prometheus.MustNewConstMetric(reclaimDesc, prometheus.CounterValue, float64(r.Reclaimed()))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.q.Stats(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(queueUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(queueUpDesc, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(deadDesc, prometheus.GaugeValue, float64(st.Dead))
	ch <- prometheus.MustNewConstMetric(eventsDesc, prometheus.GaugeValue, float64(st.Events))
	age := 0.0
	if !st.OldestPending.IsZero() {
		age = time.Since(st.OldestPending).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age)
}
