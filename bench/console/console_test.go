package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmhook/wasmhook/relay/queue"
)

// TestSetup checks what the benchmark measures before anyone trusts its
// numbers, on a fill of 6,000 events: the queue holds every state, each
// destination, rare types and requests of several events; then the
// real binary serves every measured page with the rows and the link
// onwards that the queue's own pages have (measure checks each page).
func TestSetup(t *testing.T) {
	benchDir = ".."
	ctx := context.Background()
	dir := t.TempDir()
	info, err := fill(ctx, dir, filepath.Join(benchDir, "guests/wasmhook"), 6000, 19, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	c := info.Counts
	if c.Pending == 0 || c.Dead == 0 || c.Delivered < c.Deliveries*9/10 || c.Attempts <= c.Deliveries {
		t.Fatalf("counts %+v: want mostly delivered, some pending and dead, some retried", c)
	}
	if got := readFill(dir, 6000, 19); got == nil || got.Counts != c {
		t.Fatalf("the fill's marker reads back as %+v", got)
	}
	q, err := queue.Open(dir, queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []queue.Filter{
		{Destination: "inventory"}, {Destination: "monitoring"}, {Destination: "chat"}, {Destination: "audit"},
		{EventType: "job_completed"}, {ObjectType: "dcim.interface"}, {State: queue.Dead, Destination: "chat"},
	} {
		f.Limit = 1
		if ds, err := q.List(ctx, f); err != nil || len(ds) == 0 {
			t.Errorf("no delivery matches %+v (%v)", f, err)
		}
	}
	q.Close()

	var out bytes.Buffer
	if err := measure(ctx, &out, dir, info, 1); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "| deliveries, no filter | 50 | older |") {
		t.Fatalf("the table:\n%s", out.String())
	}
	t.Log(out.String())
}
