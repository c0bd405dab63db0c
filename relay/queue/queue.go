// Package queue stores a relay's events and their deliveries durably.
//
// An event is enqueued once, with its body as received and the enriched
// payload that every attempt sends, and one delivery per destination.
// Workers claim the deliveries that are due; each claimed delivery ends
// delivered, scheduled for another attempt, or dead (kept, listed and
// replayable). A claimed delivery whose worker died (its lease expired,
// or the process restarted) is claimed again: delivery is at least once.
//
// Queue is the one interface the delivery engine uses; Open gives the
// embedded implementation (SQLite in WAL mode in a data directory),
// OpenRedis the one several instances share (Redis Streams).
package queue

import (
	"context"
	"errors"
	"time"
)

// Event is one accepted webhook event.
type Event struct {
	// ID is the event's stable id (a UUID): the Standard Webhooks
	// webhook-id of every delivery and attempt.
	ID string
	// Source is the ingress source it came from (POST /hooks/{source}).
	Source string
	// Received is when the relay accepted it.
	Received time.Time
	// ObjectType and EventType describe it, for listing and filtering.
	ObjectType, EventType string
	// RequestID is the id of the request behind the event (NetBox's
	// request_id, a lowercase UUID), "" for none: an operator finds every
	// event of one change by it.
	RequestID string
	// Body is the request body as received.
	Body []byte
	// Payload is the enriched webhook body every attempt sends.
	Payload []byte
	// Report is the enrichment's report (JSON), for operators.
	Report []byte
}

// State is where a delivery stands.
type State string

const (
	// Pending: waiting for its next attempt (due at NextAttempt).
	Pending State = "pending"
	// Delivered: an attempt got a 2xx.
	Delivered State = "delivered"
	// Dead: it failed for good; kept until replayed or purged.
	Dead State = "dead"
)

// Delivery is one event on its way to one destination.
type Delivery struct {
	// ID names the delivery; EventID and Destination say what it is.
	ID, EventID, Destination string
	State                    State
	// Attempts counts the attempts made so far.
	Attempts int
	// NextAttempt is when a pending delivery is due.
	NextAttempt time.Time
	// LastStatus and LastError are the last attempt's HTTP status (0 for
	// none) and error ("" for none).
	LastStatus int
	LastError  string
	// Received, ObjectType and EventType describe the delivery's event,
	// for lists (List and Event fill them; Claim need not).
	Received              time.Time
	ObjectType, EventType string
}

// Attempt is one try at a delivery.
type Attempt struct {
	At       time.Time
	Status   int // HTTP status, 0 when no response came
	Latency  time.Duration
	Error    string
	Response []byte // the start of the response body (at most 1 KiB kept)
}

// Claimed is a delivery handed to a worker, with the bytes to send.
type Claimed struct {
	Delivery
	Payload []byte
}

// Stats are the queue's counts.
type Stats struct {
	Events, Pending, Delivered, Dead int64
	// OldestPending is the time the oldest pending delivery's event was
	// received; zero when none is pending.
	OldestPending time.Time
}

// Filter selects deliveries to list. Its conditions hold together; a
// zero field selects any.
type Filter struct {
	State       State
	Destination string
	// ObjectType and EventType select by the event's object type and raw
	// event type (object_created...).
	ObjectType, EventType string
	// EventID selects the deliveries of one event; RequestID those of the
	// events of one request.
	EventID, RequestID string
	// Limit caps the list; 0 for a default of 100.
	Limit int
	// Newest lists the newest event first instead of the oldest.
	Newest bool
	// After pages: deliveries after this delivery id, in the list's order
	// (older ones when Newest is set).
	After string
}

// Page is one page of a list (Queue.ListPage).
type Page struct {
	// Deliveries are the page's, at most the filter's Limit.
	Deliveries []Delivery
	// Next is where the next page starts (its Filter.After): the last
	// delivery listed, or the last one looked at when the page is
	// Partial; "" when the list ends here.
	Next string
	// Partial says that the store stopped looking before it found Limit
	// deliveries: it looks at a bounded number of deliveries per page
	// when it must check conditions one delivery at a time, so that a
	// filter whose conditions each match much and together match little
	// never reads the whole queue. The deliveries past Next have not
	// been looked at.
	Partial bool
}

// Queue stores events and deliveries. Implementations are safe for
// concurrent use.
type Queue interface {
	// Enqueue stores ev with one pending delivery, due now, per
	// destination, and returns once that is durable (committed).
	Enqueue(ctx context.Context, ev *Event, destinations []string) error
	// Claim returns up to max due pending deliveries of destination,
	// leased for lease: until the lease ends, or one of the methods
	// below records the attempt, no other Claim returns them. A
	// claimed delivery stays Pending; its NextAttempt is the lease's end.
	Claim(ctx context.Context, destination string, max int, lease time.Duration) ([]Claimed, error)
	// Succeeded records a's success: the delivery is delivered.
	Succeeded(ctx context.Context, deliveryID string, a Attempt) error
	// Retry records a's failure; the delivery is due again at next.
	Retry(ctx context.Context, deliveryID string, a Attempt, next time.Time) error
	// Fail records a's failure as the last: the delivery is dead.
	Fail(ctx context.Context, deliveryID string, a Attempt) error
	// Replay makes a dead delivery pending and due now (ErrNotFound for
	// no such delivery, ErrNotDead for one that is not dead). Its
	// attempts are kept and Attempts goes on counting: how many more
	// attempts a replayed delivery gets is the caller's schedule.
	Replay(ctx context.Context, deliveryID string) error
	// Event returns an event, its deliveries and their attempts by
	// delivery id, oldest first.
	Event(ctx context.Context, eventID string) (*Event, []Delivery, map[string][]Attempt, error)
	// List lists deliveries, oldest event first: ListPage's pages one
	// after the other until Limit deliveries are found or the list ends.
	List(ctx context.Context, f Filter) ([]Delivery, error)
	// ListPage lists one page of deliveries, in List's order, looking at
	// a bounded number of deliveries (Page.Partial).
	ListPage(ctx context.Context, f Filter) (Page, error)
	// Stats counts events and deliveries.
	Stats(ctx context.Context) (Stats, error)
	// PurgeDead deletes the dead deliveries (and events left with none)
	// and returns how many deliveries went.
	PurgeDead(ctx context.Context) (int, error)
	// PruneDelivered deletes up to max events received before before
	// whose deliveries were all delivered, with their deliveries and
	// attempts, oldest first, and returns how many events went. An event
	// with a pending or dead delivery stays. It is the relay's retention.
	PruneDelivered(ctx context.Context, before time.Time, max int) (int, error)
	// Close releases the queue; claimed deliveries not recorded become
	// due again when it is next opened.
	Close() error
}

// listAll is List made of ListPage's pages.
func listAll(ctx context.Context, page func(context.Context, Filter) (Page, error), f Filter) ([]Delivery, error) {
	if f.Limit <= 0 {
		f.Limit = defaultLimit
	}
	var out []Delivery
	for {
		p, err := page(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Deliveries...)
		f.Limit -= len(p.Deliveries)
		if p.Next == "" || f.Limit <= 0 {
			return out, nil
		}
		f.After = p.Next
	}
}

// defaultLimit is a list's length when Filter.Limit is 0.
const defaultLimit = 100

var (
	// ErrNotFound: no such event or delivery.
	ErrNotFound = errors.New("queue: not found")
	// ErrNotDead: Replay of a delivery that is not dead.
	ErrNotDead = errors.New("queue: delivery is not dead")
	// ErrClosed: the queue is closed.
	ErrClosed = errors.New("queue: closed")
	// ErrDuplicate: Enqueue of an event whose id the queue already holds.
	ErrDuplicate = errors.New("queue: event already enqueued")
)
