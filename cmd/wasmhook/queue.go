package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/wasmhook/wasmhook/relay"
	"github.com/wasmhook/wasmhook/relay/queue"
)

const queueUsage = `usage: wasmhook queue (--config FILE | --data-dir DIR) <stats | list [--dead] [--destination D] | show EVENT-ID | retry DELIVERY-ID | retry --all-dead | purge --dead>

Looks into and repairs the queue of a relay (wasmhook serve); serve may be
running. The queue is the one serve's configuration names (--config, and
--set as serve takes it): the embedded queue of its data directory, or a
Redis. --data-dir DIR alone names an embedded queue. Only the queue's keys
are checked: the sources' and destinations' secrets need not be set.

  stats                 events, pending, delivered and dead deliveries, the oldest pending
  list                  deliveries, oldest first (--dead: the dead ones only)
  show EVENT-ID         an event, its enriched payload, its deliveries and every attempt
  retry DELIVERY-ID     make a dead delivery due now
  retry --all-dead      make every dead delivery due now
  purge --dead          delete the dead deliveries (and events left with none)

Examples:
  wasmhook queue --data-dir /var/lib/wasmhook list --dead
  wasmhook queue --config /etc/wasmhook/serve.yaml stats

Flags:
`

func cmdQueue(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("queue", queueUsage, io)
	config := fs.String("config", "", "serve's configuration file: its queue")
	var set stringList
	fs.Var(&set, "set", "KEY.PATH=VALUE: set one key of the configuration, as serve's --set (repeatable)")
	dataDir := fs.String("data-dir", "", "the relay's data directory (the key data_dir)")
	dead := fs.Bool("dead", false, "list, purge: the dead deliveries; retry: all of them (with --all-dead)")
	allDead := fs.Bool("all-dead", false, "retry every dead delivery")
	dest := fs.String("destination", "", "list: this destination's deliveries only")
	limit := fs.Int("n", 100, "list: at most this many")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if *config == "" && *dataDir == "" && len(set) == 0 {
		return hintErr("queue", errors.New("--config or --data-dir is required"))
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return hintErr("queue", errors.New("want one of stats, list, show, retry, purge"))
	}
	if *dataDir != "" {
		set = append(set, "data_dir="+yamlString(*dataDir))
	}
	cfg, err := relay.ReadQueueConfig(*config, set...)
	if err != nil {
		return err
	}
	q, err := openAdminQueue(ctx, cfg)
	if err != nil {
		return err
	}
	defer q.Close()
	printJSON := func(v any) error {
		enc := json.NewEncoder(io.out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	switch op := rest[0]; op {
	case "stats":
		st, err := q.Stats(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(st)
		}
		oldest := "none"
		if !st.OldestPending.IsZero() {
			oldest = st.OldestPending.Format(time.RFC3339) + " (" + time.Since(st.OldestPending).Round(time.Second).String() + " ago)"
		}
		fmt.Fprintf(io.out, "events %d\npending %d\ndelivered %d\ndead %d\noldest pending %s\n", st.Events, st.Pending, st.Delivered, st.Dead, oldest)
	case "list":
		f := queue.Filter{Destination: *dest, Limit: *limit}
		if *dead {
			f.State = queue.Dead
		}
		ds, err := q.List(ctx, f)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(ds)
		}
		tw := tabwriter.NewWriter(io.out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "delivery\tevent\tdestination\tstate\tattempts\tnext\tlast")
		for _, d := range ds {
			next := "-"
			if d.State == queue.Pending {
				next = d.NextAttempt.Format(time.RFC3339)
			}
			last := d.LastError
			if d.LastStatus != 0 {
				last = fmt.Sprintf("HTTP %d %s", d.LastStatus, last)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.EventID, d.Destination, d.State, d.Attempts, next, oneLine(last))
		}
		return tw.Flush()
	case "show":
		if len(rest) != 2 {
			return hintErr("queue", errors.New("show wants an event id"))
		}
		ev, ds, attempts, err := q.Event(ctx, rest[1])
		if err != nil {
			return err
		}
		return printJSON(map[string]any{
			"id": ev.ID, "source": ev.Source, "received": ev.Received, "object_type": ev.ObjectType, "event_type": ev.EventType, "request_id": ev.RequestID,
			"payload": json.RawMessage(ev.Payload), "report": json.RawMessage(ev.Report), "deliveries": ds, "attempts": attempts,
		})
	case "retry":
		switch {
		case *allDead || *dead:
			n := 0
			for {
				ds, err := q.List(ctx, queue.Filter{State: queue.Dead, Limit: 500})
				if err != nil {
					return err
				}
				if len(ds) == 0 {
					break
				}
				for _, d := range ds {
					if err := q.Replay(ctx, d.ID); err != nil {
						return err
					}
					n++
				}
			}
			fmt.Fprintf(io.out, "%d dead deliveries are due again\n", n)
		case len(rest) == 2:
			if err := q.Replay(ctx, rest[1]); err != nil {
				return err
			}
			fmt.Fprintf(io.out, "delivery %s is due again\n", rest[1])
		default:
			return hintErr("queue", errors.New("retry wants a delivery id or --all-dead"))
		}
	case "purge":
		if !*dead {
			return hintErr("queue", errors.New("purge deletes dead deliveries only: say --dead"))
		}
		n, err := q.PurgeDead(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(io.out, "%d dead deliveries purged\n", n)
	default:
		return hintErr("queue", fmt.Errorf("unknown operation %q; want stats, list, show, retry or purge", op))
	}
	return nil
}
