package queue

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FileName is the queue file's name in the data directory. SQLite keeps
// FileName-wal and FileName-shm beside it.
const FileName = "queue.db"

// Sync is how far a commit goes before Enqueue and the other writes
// return.
type Sync int

const (
	// SyncFull (the default) fsyncs the write-ahead log at every commit: an
	// acknowledged event survives a power loss or a kernel crash.
	SyncFull Sync = iota
	// SyncNormal leaves commits in the page cache until a checkpoint: an
	// acknowledged event survives the process's crash, not a power loss.
	SyncNormal
)

// Options tune the embedded queue. The zero value is the default.
type Options struct {
	// Sync is the durability of a commit (SyncFull when zero).
	Sync Sync
	// MaxBatch caps how many writes share one transaction (256 when 0).
	MaxBatch int
	// Readers is how many connections serve List, Stats and Event (4
	// when 0); writes go through one connection of their own.
	Readers int
	// Now is the clock (time.Now when nil); tests set it.
	Now func() time.Time
	// ListLook is how many deliveries a list page looks at when it
	// checks conditions one delivery at a time (ListLook when 0);
	// tests lower it.
	ListLook int
	// Admin opens the queue beside the process that delivers from it,
	// for the operator's commands (list, show, retry, purge): it leaves
	// the deliveries that process has claimed alone and takes no lock.
	// Without it, Open takes the data directory's lock (LockName), fails
	// with ErrInUse while another process holds it, and makes the
	// deliveries claimed by a previous process due again. Claim is for
	// the process that holds the lock.
	Admin bool
}

// LockName is the file in the data directory whose lock (flock(2)) the
// process that delivers from the queue holds while it has it open.
const LockName = FileName + ".lock"

// SQLite is the embedded queue: SQLite in WAL mode in one file of a data
// directory. Writes from every goroutine go to one batcher, which commits
// the writes waiting at the same moment in one transaction, so that
// concurrent Enqueue calls share one fsync and each returns once its own
// event is committed.
type SQLite struct {
	file string
	db   *sql.DB
	now  func() time.Time

	ops      chan *op
	quit     chan struct{}
	stopped  chan struct{}
	maxBatch int

	mu     sync.RWMutex // held for reading by reads, for writing by Close
	closed bool

	w *writer // owned by the batcher goroutine

	lock *os.File // the data directory's lock; nil for Admin

	// look is how many deliveries a list page looks at (Options).
	look int

	// pruneFrom is the last event PruneDelivered looked at; pruneMu
	// makes the calls take turns.
	pruneMu   sync.Mutex
	pruneFrom int64
}

var _ Queue = (*SQLite)(nil)

// appID marks a SQLite file as a wasmhook queue ("whkq").
const (
	appID         = 0x77686b71
	schemaVersion = 3
)

const schema = `
CREATE TABLE events(
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	id TEXT NOT NULL UNIQUE,
	source TEXT NOT NULL,
	received INTEGER NOT NULL,
	object_type TEXT NOT NULL,
	event_type TEXT NOT NULL,
	body BLOB,
	payload BLOB,
	report BLOB,
	request_id TEXT NOT NULL DEFAULT ''
);
CREATE TABLE deliveries(
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	event_seq INTEGER NOT NULL REFERENCES events(seq),
	destination TEXT NOT NULL,
	state TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL,
	leased INTEGER NOT NULL DEFAULT 0,
	last_status INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	object_type TEXT NOT NULL DEFAULT '',
	event_type TEXT NOT NULL DEFAULT ''
);
CREATE INDEX deliveries_due ON deliveries(destination, next_attempt) WHERE state = 'pending';
CREATE INDEX deliveries_event ON deliveries(event_seq);
CREATE INDEX deliveries_state ON deliveries(state, seq);
CREATE TABLE attempts(
	delivery_seq INTEGER NOT NULL,
	n INTEGER NOT NULL,
	at INTEGER NOT NULL,
	status INTEGER NOT NULL,
	latency INTEGER NOT NULL,
	error TEXT NOT NULL,
	response BLOB,
	PRIMARY KEY(delivery_seq, n)
) WITHOUT ROWID;
CREATE INDEX events_request ON events(request_id) WHERE request_id != '';
` + schemaV3

// schemaV3 is what version 3 adds for the console (RATIONALE.md, "The
// embedded queue at a million events"): a delivery carries its event's
// object and event types, so that a list checks each condition on the
// delivery's own small row (an event's row holds its body and payload,
// kilobytes); the two filters whose values can be rare are indexed on
// deliveries, each ordered by seq within a value, the list's order
// (destinations are few and each common: not indexed); and the counts
// Stats reports are kept by the writes, not counted.
const schemaV3 = `
CREATE INDEX deliveries_object_type ON deliveries(object_type, seq);
CREATE INDEX deliveries_event_type ON deliveries(event_type, seq);
CREATE TABLE counts(name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO counts(name, n) VALUES('events', 0), ('pending', 0), ('delivered', 0), ('dead', 0);
`

// migrateV1 brings a version-1 file to version 2: the request id column
// (empty for the events already there) and the indexes of version 2.
const migrateV1 = `ALTER TABLE events ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
CREATE INDEX events_request ON events(request_id) WHERE request_id != '';
CREATE INDEX events_object_type ON events(object_type);
`

// migrateV2 brings a version-2 file to version 3: the deliveries' copies
// of their events' types, the indexes, and the counts, counted once.
// It reads every event once.
const migrateV2 = `ALTER TABLE deliveries ADD COLUMN object_type TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN event_type TEXT NOT NULL DEFAULT '';
UPDATE deliveries SET (object_type, event_type) = (SELECT e.object_type, e.event_type FROM events e WHERE e.seq = deliveries.event_seq);
DROP INDEX events_object_type;
` + schemaV3 + `
UPDATE counts SET n = (SELECT count(*) FROM events) WHERE name = 'events';
UPDATE counts SET n = (SELECT count(*) FROM deliveries d WHERE d.state = counts.name) WHERE name != 'events';
`

// MaxResponse is how much of an attempt's response body is kept.
const MaxResponse = 1 << 10

// Open opens (creating when needed) the queue in dir/queue.db. Deliveries
// claimed before and not recorded (the previous process died, or closed
// with attempts in flight) are due again, unless opts.Admin.
//
// Open fails with an *Error naming the file when the directory or the file
// cannot be written (ErrUnwritable), the disk is full (ErrDiskFull), the
// file is not a queue database (ErrCorrupt) or another process delivers
// from it (ErrInUse).
func Open(dir string, opts Options) (*SQLite, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 256
	}
	if opts.Readers <= 0 {
		opts.Readers = 4
	}
	if opts.ListLook <= 0 {
		opts.ListLook = ListLook
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, storageError("open", dir, err)
	}
	file := filepath.Join(abs, FileName)
	if err := preflight(abs, file); err != nil {
		return nil, err
	}
	var lock *os.File
	if !opts.Admin {
		lock, err = lockDir(filepath.Join(abs, LockName))
		if errors.Is(err, errLocked) {
			return nil, &Error{Op: "open", File: file, Kind: ErrInUse,
				Reason: "another process delivers from this queue (a wasmhook serve with the same data directory); stop it first, or use the queue commands, which work beside it"}
		}
		if err != nil {
			return nil, storageError("open", file, err)
		}
	}
	sync := "FULL"
	if opts.Sync == SyncNormal {
		sync = "NORMAL"
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous("+sync+")")
	q.Add("_pragma", "foreign_keys(0)")
	dsn := "file:" + (&url.URL{Path: file}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, storageError("open", file, err)
	}
	db.SetMaxOpenConns(1 + opts.Readers)
	db.SetMaxIdleConns(1 + opts.Readers)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	s := &SQLite{
		file:     file,
		db:       db,
		now:      opts.Now,
		ops:      make(chan *op),
		quit:     make(chan struct{}),
		stopped:  make(chan struct{}),
		maxBatch: opts.MaxBatch,
		look:     opts.ListLook,
		lock:     lock,
	}
	if err := s.init(!opts.Admin); err != nil {
		db.Close()
		if lock != nil {
			lock.Close()
		}
		return nil, storageError("open", file, err)
	}
	go s.batcher()
	return s, nil
}

// preflight checks, with the operating system's own words, what SQLite
// would report less clearly: a directory that cannot be created or
// written, a queue file that is not an SQLite database.
func preflight(dir, file string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return storageError("open", dir, err)
	}
	// SQLite writes queue.db-wal and queue.db-shm beside the file: the
	// directory must take new files even when queue.db exists.
	probe, err := os.CreateTemp(dir, ".queue-probe-*")
	if err != nil {
		e := storageError("open", file, err).(*Error)
		e.Reason = "cannot create files in the data directory " + dir + " (SQLite needs " + FileName + "-wal and -shm there)"
		return e
	}
	probe.Close()
	os.Remove(probe.Name())

	f, err := os.OpenFile(file, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return storageError("open", file, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return storageError("open", file, err)
	}
	if fi.IsDir() {
		return &Error{Op: "open", File: file, Kind: ErrCorrupt, Reason: "is a directory"}
	}
	if fi.Size() == 0 {
		return nil // SQLite makes an empty file a new database
	}
	head := make([]byte, 16)
	if _, err := io.ReadFull(f, head); err != nil {
		return &Error{Op: "open", File: file, Kind: ErrCorrupt, Reason: fmt.Sprintf("%d bytes, too short for an SQLite database", fi.Size())}
	}
	if !bytes.Equal(head, []byte("SQLite format 3\x00")) {
		return &Error{Op: "open", File: file, Kind: ErrCorrupt, Reason: "not an SQLite database (its header is " + strconv.Quote(string(head)) + "); move it aside to start an empty queue"}
	}
	return nil
}

// init turns on WAL, checks or creates the schema, makes the deliveries
// claimed by a previous process due again when reclaim (the lock is this
// process's: no other holds a claim), and prepares the writer.
func (s *SQLite) init(reclaim bool) error {
	ctx := context.Background()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	// A new file gets 16 KiB pages (an existing one keeps its own): an
	// event's body and payload fit in one page instead of spilling over
	// three, which halves the pages each commit writes. It must come
	// before WAL mode is on.
	if _, err := conn.ExecContext(ctx, "PRAGMA page_size=16384"); err != nil {
		conn.Close()
		return err
	}
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		conn.Close()
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		conn.Close()
		return fmt.Errorf("journal_mode is %q, not wal", mode)
	}
	w := &writer{conn: conn}
	s.w = w
	if err := w.exec("BEGIN IMMEDIATE"); err != nil {
		conn.Close()
		return err
	}
	err = s.initSchema(ctx, conn)
	if err == nil && reclaim {
		_, err = conn.ExecContext(ctx, `UPDATE deliveries SET leased = 0, next_attempt = ? WHERE leased = 1 AND state = 'pending'`, s.now().UnixNano())
	}
	if err == nil {
		err = w.exec("COMMIT")
	}
	if err != nil {
		w.exec("ROLLBACK")
		conn.Close()
		return err
	}
	if err := w.prepare(); err != nil {
		w.close()
		return err
	}
	return nil
}

func (s *SQLite) initSchema(ctx context.Context, conn *sql.Conn) error {
	var id, version, tables int
	if err := conn.QueryRowContext(ctx, "PRAGMA application_id").Scan(&id); err != nil {
		return err
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&tables); err != nil {
		return err
	}
	switch {
	case id == 0 && tables == 0:
		if _, err := conn.ExecContext(ctx, schema); err != nil {
			return err
		}
		_, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id=%d; PRAGMA user_version=%d", appID, schemaVersion))
		return err
	case id != appID:
		return &Error{Op: "open", File: s.file, Kind: ErrCorrupt, Reason: "an SQLite database of another application (it has tables and no wasmhook queue mark)"}
	case version == 1 || version == 2:
		// In the open's transaction: a failed migration leaves the file
		// as it was.
		steps := []string{migrateV1, migrateV2}[version-1:]
		for i, m := range steps {
			if _, err := conn.ExecContext(ctx, m); err != nil {
				return fmt.Errorf("migrating the queue from schema version %d to %d: %w", version+i, version+i+1, err)
			}
		}
		_, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version=%d", schemaVersion))
		return err
	case version != schemaVersion:
		return &Error{Op: "open", File: s.file, Kind: ErrCorrupt, Reason: fmt.Sprintf("queue schema version %d, this wasmhook reads version %d", version, schemaVersion)}
	}
	return nil
}

// op is one write waiting for the batcher.
type op struct {
	ctx  context.Context
	fn   func(w *writer) error
	done chan error
}

// writer is the batcher's connection and its prepared statements.
type writer struct {
	conn *sql.Conn

	insEvent, insDelivery           *sql.Stmt
	due, lease                      *sql.Stmt
	getAttempts, insAttempt, record *sql.Stmt
	recordPending, addCounts        *sql.Stmt

	// op is what the write running now changes in the counts; tx sums
	// it over the writes of the transaction that succeeded, and the
	// transaction writes tx to the counts table before it commits.
	op, tx counts
}

// counts are changes to the counts table: events, and deliveries by
// state.
type counts struct{ events, pending, delivered, dead int64 }

func (c *counts) add(o counts) {
	c.events += o.events
	c.pending += o.pending
	c.delivered += o.delivered
	c.dead += o.dead
}

// move counts n deliveries more in state (fewer for n < 0).
func (c *counts) move(state State, n int64) {
	switch state {
	case Pending:
		c.pending += n
	case Delivered:
		c.delivered += n
	case Dead:
		c.dead += n
	}
}

// run runs one write's fn, counting what it changes in w.op.
func (w *writer) run(fn func(w *writer) error) error {
	w.op = counts{}
	return fn(w)
}

// commit writes the transaction's counts and commits.
func (w *writer) commit() error {
	if w.tx != (counts{}) {
		if _, err := w.addCounts.Exec(w.tx.events, w.tx.pending, w.tx.delivered, w.tx.dead); err != nil {
			return err
		}
	}
	return w.exec("COMMIT")
}

func (w *writer) exec(q string, args ...any) error {
	_, err := w.conn.ExecContext(context.Background(), q, args...)
	return err
}

// close finalizes the statements, then closes the connection.
func (w *writer) close() error {
	for _, st := range []*sql.Stmt{w.insEvent, w.insDelivery, w.due, w.lease, w.getAttempts, w.insAttempt, w.record, w.recordPending, w.addCounts} {
		if st != nil {
			st.Close()
		}
	}
	return w.conn.Close()
}

func (w *writer) prepare() error {
	for _, p := range []struct {
		s **sql.Stmt
		q string
	}{
		{&w.insEvent, `INSERT INTO events(id, source, received, object_type, event_type, body, payload, report, request_id) VALUES(?,?,?,?,?,?,?,?,?)`},
		{&w.insDelivery, `INSERT INTO deliveries(event_seq, destination, state, next_attempt, object_type, event_type) VALUES(?,?,'pending',?,?,?)`},
		{&w.due, `SELECT d.seq, e.id, d.attempts, d.last_status, d.last_error, e.payload
			FROM deliveries d JOIN events e ON e.seq = d.event_seq
			WHERE d.destination = ? AND d.state = 'pending' AND d.next_attempt <= ?
			ORDER BY d.next_attempt, d.seq LIMIT ?`},
		{&w.lease, `UPDATE deliveries SET leased = 1, next_attempt = ? WHERE seq = ?`},
		{&w.getAttempts, `SELECT attempts, state FROM deliveries WHERE seq = ?`},
		{&w.insAttempt, `INSERT INTO attempts(delivery_seq, n, at, status, latency, error, response) VALUES(?,?,?,?,?,?,?)`},
		{&w.record, `UPDATE deliveries SET attempts = attempts + 1, leased = 0, last_status = ?1, last_error = ?2,
			state = CASE WHEN state = ?4 THEN state ELSE ?3 END,
			next_attempt = CASE WHEN state = ?4 THEN next_attempt ELSE ?5 END
			WHERE seq = ?6 RETURNING attempts`},
		{&w.recordPending, `UPDATE deliveries SET attempts = attempts + 1, leased = 0, last_status = ?1, last_error = ?2,
			state = CASE WHEN state = ?4 THEN state ELSE ?3 END,
			next_attempt = CASE WHEN state = ?4 THEN next_attempt ELSE ?5 END
			WHERE seq = ?6 AND state = 'pending' RETURNING attempts`},
		{&w.addCounts, `UPDATE counts SET n = n + CASE name WHEN 'events' THEN ?1 WHEN 'pending' THEN ?2 WHEN 'delivered' THEN ?3 WHEN 'dead' THEN ?4 ELSE 0 END`},
	} {
		st, err := w.conn.PrepareContext(context.Background(), p.q)
		if err != nil {
			return err
		}
		*p.s = st
	}
	return nil
}

// Group commit under load: when a batch held busyBatch writes or more,
// the next waits up to commitDelay for others before it commits, so that
// a busy queue makes fewer, larger commits (each is an fsync). An idle
// queue commits each write at once.
const (
	busyBatch   = 4
	commitDelay = 300 * time.Microsecond
)

// batcher runs the writes: it takes the first waiting write, then every
// other write already waiting (up to MaxBatch; under load, the ones that
// come within commitDelay), runs them in one transaction and commits
// once. A write's caller hears back after the commit.
func (s *SQLite) batcher() {
	defer close(s.stopped)
	batch := make([]*op, 0, s.maxBatch)
	errs := make([]error, 0, s.maxBatch)
	delay := time.NewTimer(commitDelay)
	delay.Stop()
	busy := false
	for {
		select {
		case <-s.quit:
			return
		case o := <-s.ops:
			batch = append(batch[:0], o)
		}
	drain:
		for len(batch) < s.maxBatch {
			select {
			case o := <-s.ops:
				batch = append(batch, o)
			default:
				break drain
			}
		}
		if busy && len(batch) < s.maxBatch {
			// The last batch was not alone: more writes are on their
			// way. Waiting a little for them makes one commit (one
			// fsync) of several.
			delay.Reset(commitDelay)
		wait:
			for len(batch) < s.maxBatch {
				select {
				case o := <-s.ops:
					batch = append(batch, o)
				case <-delay.C:
					break wait
				}
			}
			delay.Stop()
		}
		busy = len(batch) >= busyBatch
		errs = s.run(batch, errs[:0])
		for i, o := range batch {
			o.done <- errs[i]
			batch[i] = nil
		}
	}
}

// run commits batch in one transaction. It first runs the writes one after
// the other with nothing between them, the common case; when one fails
// (a duplicate event, a delivery not found) it rolls back and runs them
// again, each in a savepoint, so that a failed write leaves nothing and
// the others commit. A write's fn may therefore run twice: it must reset
// what it reports on each run.
func (s *SQLite) run(batch []*op, errs []error) []error {
	if len(batch) > 1 {
		if errs, ok := s.runTogether(batch, errs); ok {
			return errs
		}
		errs = errs[:0]
	}
	return s.runEach(batch, errs)
}

// runTogether runs and commits batch with no savepoints; it reports false,
// with nothing committed, when a write failed.
func (s *SQLite) runTogether(batch []*op, errs []error) ([]error, bool) {
	w := s.w
	if err := w.exec("BEGIN IMMEDIATE"); err != nil {
		return errs, false
	}
	w.tx = counts{}
	for _, o := range batch {
		err := o.ctx.Err()
		if err == nil {
			err = w.run(o.fn)
		}
		if err != nil {
			w.exec("ROLLBACK")
			return errs, false
		}
		w.tx.add(w.op)
		errs = append(errs, nil)
	}
	if err := w.commit(); err != nil {
		w.exec("ROLLBACK")
		return errs, false
	}
	return errs, true
}

// runEach runs each write of batch in its own savepoint of one
// transaction and commits the ones that did not fail.
func (s *SQLite) runEach(batch []*op, errs []error) []error {
	w := s.w
	if err := w.exec("BEGIN IMMEDIATE"); err != nil {
		for range batch {
			errs = append(errs, err)
		}
		return errs
	}
	single := len(batch) == 1
	ok := 0
	w.tx = counts{}
	for _, o := range batch {
		if err := o.ctx.Err(); err != nil {
			errs = append(errs, err)
			continue
		}
		if single {
			err := w.run(o.fn)
			errs = append(errs, err)
			if err == nil {
				ok++
				w.tx.add(w.op)
			}
			continue
		}
		if err := w.exec("SAVEPOINT op"); err != nil {
			errs = append(errs, err)
			continue
		}
		err := w.run(o.fn)
		if err != nil {
			if rerr := w.exec("ROLLBACK TO op"); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		if rerr := w.exec("RELEASE op"); rerr != nil && err == nil {
			err = rerr
		}
		if err == nil {
			ok++
			w.tx.add(w.op)
		}
		errs = append(errs, err)
	}
	if ok == 0 {
		w.exec("ROLLBACK")
		return errs
	}
	if err := w.commit(); err != nil {
		w.exec("ROLLBACK")
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	return errs
}

// write runs fn in the batcher and returns once its transaction is
// committed (or failed).
func (s *SQLite) write(ctx context.Context, name string, fn func(w *writer) error) error {
	o := &op{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.ops <- o:
	case <-s.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-o.done:
		return storageError(name, s.file, err)
	case <-ctx.Done():
		// The write may still commit: the caller must treat it as
		// unknown (an Enqueue retried by its client is a duplicate
		// event, never a lost one).
		return ctx.Err()
	}
}

// Enqueue implements Queue.
func (s *SQLite) Enqueue(ctx context.Context, ev *Event, destinations []string) error {
	received := ev.Received.UnixNano()
	return s.write(ctx, "enqueue", func(w *writer) error {
		res, err := w.insEvent.Exec(ev.ID, ev.Source, received, ev.ObjectType, ev.EventType, ev.Body, ev.Payload, ev.Report, ev.RequestID)
		if err != nil {
			if sqliteCode(err) == sqliteConstraintUnique {
				return fmt.Errorf("%w: %s", ErrDuplicate, ev.ID)
			}
			return err
		}
		seq, err := res.LastInsertId()
		if err != nil {
			return err
		}
		now := s.now().UnixNano()
		for _, d := range destinations {
			if _, err := w.insDelivery.Exec(seq, d, now, ev.ObjectType, ev.EventType); err != nil {
				return err
			}
		}
		w.op.events++
		w.op.pending += int64(len(destinations))
		return nil
	})
}

// Claim implements Queue.
func (s *SQLite) Claim(ctx context.Context, destination string, max int, lease time.Duration) ([]Claimed, error) {
	if max <= 0 {
		return nil, nil
	}
	var out []Claimed
	var seqs []int64
	err := s.write(ctx, "claim", func(w *writer) error {
		out, seqs = out[:0], seqs[:0]
		now := s.now()
		rows, err := w.due.Query(destination, now.UnixNano(), max)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c Claimed
			var seq int64
			if err := rows.Scan(&seq, &c.EventID, &c.Attempts, &c.LastStatus, &c.LastError, &c.Payload); err != nil {
				rows.Close()
				return err
			}
			c.ID = strconv.FormatInt(seq, 10)
			seqs = append(seqs, seq)
			c.Destination = destination
			c.State = Pending
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		until := now.Add(lease)
		for i := range out {
			out[i].NextAttempt = until
			if _, err := w.lease.Exec(until.UnixNano(), seqs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Succeeded implements Queue.
func (s *SQLite) Succeeded(ctx context.Context, deliveryID string, a Attempt) error {
	return s.recordAttempt(ctx, "succeeded", deliveryID, a, Delivered, time.Time{})
}

// Retry implements Queue. A delivery that another worker has meanwhile
// delivered (its lease had ended) stays delivered; the attempt is kept.
func (s *SQLite) Retry(ctx context.Context, deliveryID string, a Attempt, next time.Time) error {
	return s.recordAttempt(ctx, "retry", deliveryID, a, Pending, next)
}

// Fail implements Queue. Like Retry, it leaves a delivered delivery
// delivered.
func (s *SQLite) Fail(ctx context.Context, deliveryID string, a Attempt) error {
	return s.recordAttempt(ctx, "fail", deliveryID, a, Dead, time.Time{})
}

func (s *SQLite) recordAttempt(ctx context.Context, name, deliveryID string, a Attempt, state State, next time.Time) error {
	seq, ok := parseID(deliveryID)
	if !ok {
		return fmt.Errorf("%w: delivery %q", ErrNotFound, deliveryID)
	}
	resp := a.Response
	if len(resp) > MaxResponse {
		resp = resp[:MaxResponse]
	}
	return s.write(ctx, name, func(w *writer) error {
		// One statement counts the attempt and sets the state: a
		// delivery that another worker has meanwhile delivered stays
		// delivered.
		var nextNs int64
		if state == Pending {
			nextNs = next.UnixNano()
		}
		// A claimed delivery is pending: one statement records it and
		// says so. One recorded meanwhile by another worker (its lease
		// ended) is read first, to count its move.
		var n int
		was := Pending
		err := w.recordPending.QueryRow(a.Status, a.Error, string(state), string(Delivered), nextNs, seq).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			if err = w.getAttempts.QueryRow(seq).Scan(&n, &was); errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("%w: delivery %q", ErrNotFound, deliveryID)
			}
			if err == nil {
				err = w.record.QueryRow(a.Status, a.Error, string(state), string(Delivered), nextNs, seq).Scan(&n)
			}
		}
		if err != nil {
			return err
		}
		if was != Delivered && was != state {
			w.op.move(was, -1)
			w.op.move(state, 1)
		}
		_, err = w.insAttempt.Exec(seq, n, a.At.UnixNano(), a.Status, int64(a.Latency), a.Error, resp)
		return err
	})
}

// Replay implements Queue.
func (s *SQLite) Replay(ctx context.Context, deliveryID string) error {
	seq, ok := parseID(deliveryID)
	if !ok {
		return fmt.Errorf("%w: delivery %q", ErrNotFound, deliveryID)
	}
	return s.write(ctx, "replay", func(w *writer) error {
		var n int
		var cur State
		if err := w.getAttempts.QueryRow(seq).Scan(&n, &cur); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("%w: delivery %q", ErrNotFound, deliveryID)
			}
			return err
		}
		if cur != Dead {
			return fmt.Errorf("%w: delivery %q is %s", ErrNotDead, deliveryID, cur)
		}
		if _, err := w.conn.ExecContext(context.Background(),
			`UPDATE deliveries SET state = 'pending', leased = 0, next_attempt = ? WHERE seq = ?`, s.now().UnixNano(), seq); err != nil {
			return err
		}
		w.op.move(Dead, -1)
		w.op.move(Pending, 1)
		return nil
	})
}

// PurgeDead implements Queue. It reads the dead deliveries and their
// events, not the queue: the events that only dead deliveries hold go
// first, then the deliveries and their attempts.
func (s *SQLite) PurgeDead(ctx context.Context) (int, error) {
	var n int64
	err := s.write(ctx, "purge", func(w *writer) error {
		var deleted [3]int64
		for i, q := range purgeDead {
			res, err := w.conn.ExecContext(context.Background(), q)
			if err != nil {
				return err
			}
			if deleted[i], err = res.RowsAffected(); err != nil {
				return err
			}
		}
		n = deleted[2]
		w.op.events -= deleted[0]
		w.op.dead -= n
		return nil
	})
	if err != nil {
		// n is the batcher's until it answers: after a cancelled ctx,
		// the write may still run.
		return 0, err
	}
	return int(n), nil
}

// purgeDead are PurgeDead's statements, in their order.
var purgeDead = []string{
	`DELETE FROM events WHERE seq IN (SELECT d.event_seq FROM deliveries d INDEXED BY deliveries_state WHERE d.state = 'dead')
		AND NOT EXISTS (SELECT 1 FROM deliveries x WHERE x.event_seq = events.seq AND x.state != 'dead')`,
	`DELETE FROM attempts WHERE delivery_seq IN (SELECT seq FROM deliveries INDEXED BY deliveries_state WHERE state = 'dead')`,
	`DELETE FROM deliveries WHERE state = 'dead'`,
}

// PruneDelivered implements Queue. Events are looked at in arrival
// order from where the last call stopped, and the look ends at the first
// one received at or after before. A look that gets there starts the
// next one from the first event again, so that an event kept because a
// delivery of it was pending or dead is looked at again on the next pass.
func (s *SQLite) PruneDelivered(ctx context.Context, before time.Time, max int) (int, error) {
	if max <= 0 {
		return 0, nil
	}
	s.pruneMu.Lock()
	defer s.pruneMu.Unlock()
	// The write runs on the batcher's goroutine, which may still run it
	// after a cancelled ctx has returned this call: it reads nothing of
	// s, and what it sets is read only once it has answered.
	start := s.pruneFrom
	var n int
	var from int64
	var caughtUp bool
	err := s.write(ctx, "prune", func(w *writer) error {
		n, from, caughtUp = 0, start, false
		bg := context.Background()
		rows, err := w.conn.QueryContext(bg, `SELECT e.seq, e.received,
			EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq AND d.state != 'delivered')
			FROM events e WHERE e.seq > ? ORDER BY e.seq LIMIT ?`, from, 4*max)
		if err != nil {
			return err
		}
		var seqs []any
		looked := 0
		caughtUp = true
		for rows.Next() {
			var seq, received int64
			var kept bool
			if err := rows.Scan(&seq, &received, &kept); err != nil {
				rows.Close()
				return err
			}
			if received >= before.UnixNano() {
				break
			}
			looked++
			from = seq
			if !kept {
				seqs = append(seqs, seq)
				if len(seqs) == max {
					caughtUp = false
					break
				}
			}
			if looked == 4*max {
				caughtUp = false
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(seqs) == 0 {
			return err
		}
		in := "(?" + strings.Repeat(",?", len(seqs)-1) + ")"
		var deleted [3]int64
		for i, q := range []string{
			`DELETE FROM attempts WHERE delivery_seq IN (SELECT seq FROM deliveries WHERE event_seq IN ` + in + `)`,
			`DELETE FROM deliveries WHERE event_seq IN ` + in,
			`DELETE FROM events WHERE seq IN ` + in,
		} {
			res, err := w.conn.ExecContext(bg, q, seqs...)
			if err != nil {
				return err
			}
			if deleted[i], err = res.RowsAffected(); err != nil {
				return err
			}
		}
		// Every delivery of a pruned event was delivered: the look
		// above, in the same transaction, kept the others.
		w.op.delivered -= deleted[1]
		w.op.events -= deleted[2]
		n = len(seqs)
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.pruneFrom = from
	if caughtUp {
		s.pruneFrom = 0
	}
	return n, nil
}

// read runs fn unless the queue is closed.
func (s *SQLite) read(name string, fn func() error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return storageError(name, s.file, fn())
}

const deliveryCols = `d.seq, e.id, d.destination, d.state, d.attempts, d.next_attempt, d.last_status, d.last_error, e.received, e.object_type, e.event_type`

func scanDelivery(rows *sql.Rows) (Delivery, error) {
	var d Delivery
	var seq, next, received int64
	var state string
	err := rows.Scan(&seq, &d.EventID, &d.Destination, &state, &d.Attempts, &next, &d.LastStatus, &d.LastError, &received, &d.ObjectType, &d.EventType)
	d.ID = strconv.FormatInt(seq, 10)
	d.Received = time.Unix(0, received)
	d.State = State(state)
	if d.State == Pending {
		d.NextAttempt = time.Unix(0, next)
	}
	return d, err
}

// Event's queries: the event by its id, its deliveries, their attempts.
const (
	eventByID       = `SELECT seq, id, source, received, object_type, event_type, body, payload, report, request_id FROM events WHERE id = ?`
	eventDeliveries = `SELECT ` + deliveryCols + ` FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE d.event_seq = ? ORDER BY d.seq`
	eventAttempts   = `SELECT a.delivery_seq, a.at, a.status, a.latency, a.error, a.response
		FROM deliveries d CROSS JOIN attempts a ON a.delivery_seq = d.seq WHERE d.event_seq = ? ORDER BY d.seq, a.n`
)

// Event implements Queue.
func (s *SQLite) Event(ctx context.Context, eventID string) (*Event, []Delivery, map[string][]Attempt, error) {
	var ev Event
	var ds []Delivery
	attempts := map[string][]Attempt{}
	err := s.read("event", func() error {
		tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return err
		}
		defer tx.Rollback()
		var seq, received int64
		err = tx.QueryRowContext(ctx, eventByID, eventID).
			Scan(&seq, &ev.ID, &ev.Source, &received, &ev.ObjectType, &ev.EventType, &ev.Body, &ev.Payload, &ev.Report, &ev.RequestID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: event %q", ErrNotFound, eventID)
		}
		if err != nil {
			return err
		}
		ev.Received = time.Unix(0, received)
		rows, err := tx.QueryContext(ctx, eventDeliveries, seq)
		if err != nil {
			return err
		}
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				rows.Close()
				return err
			}
			ds = append(ds, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, eventAttempts, seq)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a Attempt
			var dseq, at, lat int64
			if err := rows.Scan(&dseq, &at, &a.Status, &lat, &a.Error, &a.Response); err != nil {
				return err
			}
			a.At, a.Latency = time.Unix(0, at), time.Duration(lat)
			id := strconv.FormatInt(dseq, 10)
			attempts[id] = append(attempts[id], a)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return &ev, ds, attempts, nil
}

// List implements Queue. Delivery ids are decimal and grow with arrival,
// so the list's order is the ids' order.
func (s *SQLite) List(ctx context.Context, f Filter) ([]Delivery, error) {
	return listAll(ctx, s.ListPage, f)
}

// ListLook is how many deliveries a page of the embedded queue looks at
// when it checks conditions one delivery at a time (Page.Partial).
const ListLook = 20000

// ListPage implements Queue. A filter on the event (its id or request
// id) reads that event's or request's deliveries: they are few. Any
// other filter reads deliveries in the list's order through the index
// of one of its conditions (the table, when none has one) and checks
// the others on each delivery's row. One indexed condition alone is
// answered whole by its index; otherwise the page reads at most
// ListLook entries of the index whose ListLook entries reach furthest
// (it matches least), and says where it stopped when that did not
// fill the page.
func (s *SQLite) ListPage(ctx context.Context, f Filter) (Page, error) {
	l, err := newList(f, s.look)
	if err != nil {
		return Page{}, err
	}
	var page Page
	err = s.read("list", func() error {
		var err error
		page, err = l.run(ctx, s.db)
		return err
	})
	return page, err
}

// list is one ListPage call's plan.
type list struct {
	f      Filter
	limit  int
	after  int64 // 0 for none
	look   int
	newest bool
	// conds are the conditions on deliveries' own columns, each with
	// its index.
	conds []cond
}

// cond is a condition on a column of deliveries and the index that
// orders that column's deliveries by seq.
type cond struct {
	column, index, value string
}

func newList(f Filter, look int) (*list, error) {
	l := &list{f: f, limit: f.Limit, look: look, newest: f.Newest}
	if l.limit <= 0 {
		l.limit = defaultLimit
	}
	if f.After != "" {
		var ok bool
		if l.after, ok = parseID(f.After); !ok {
			return nil, fmt.Errorf("%w: delivery %q (After)", ErrNotFound, f.After)
		}
	}
	for _, c := range []cond{
		{"state", "deliveries_state", string(f.State)},
		{"object_type", "deliveries_object_type", f.ObjectType},
		{"event_type", "deliveries_event_type", f.EventType},
		// Not indexed: destinations are few and each common, and an
		// index cost Enqueue 8-13% more CPU (RATIONALE.md).
		{"destination", "", f.Destination},
	} {
		if c.value != "" {
			l.conds = append(l.conds, c)
		}
	}
	return l, nil
}

// order is the list's order, and cmp the comparison that selects the
// deliveries after a delivery in it.
func (l *list) order() (order, cmp string) {
	if l.newest {
		return " DESC", "<"
	}
	return "", ">"
}

func (l *list) run(ctx context.Context, db *sql.DB) (Page, error) {
	if l.f.EventID != "" || l.f.RequestID != "" {
		q, args := l.byEventQuery()
		return l.page(ctx, db, q, args, 0)
	}
	drive, bound, err := l.choose(ctx, db)
	if err != nil {
		return Page{}, err
	}
	q, args := l.query(drive, bound)
	return l.page(ctx, db, q, args, bound)
}

// page runs q and makes its page; bound is the last delivery the page
// could look at (0 for none: it looked at all it needed).
func (l *list) page(ctx context.Context, db *sql.DB, q string, args []any, bound int64) (Page, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return Page{}, err
	}
	defer rows.Close()
	var p Page
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return Page{}, err
		}
		p.Deliveries = append(p.Deliveries, d)
	}
	if err := rows.Err(); err != nil {
		return Page{}, err
	}
	switch {
	case len(p.Deliveries) == l.limit:
		p.Next = p.Deliveries[len(p.Deliveries)-1].ID
	case bound != 0:
		p.Next, p.Partial = strconv.FormatInt(bound, 10), true
	}
	return p, nil
}

// choose picks the index a page reads: that of its one condition, or
// with several, the one whose first ListLook entries after After reach
// furthest, and returns the seq of the last of them as the page's
// bound (0 when it has no more than ListLook: the page reads it all).
// Without a condition the page reads the table in seq order; with
// conditions and no index, the table too, up to ListLook rows.
func (l *list) choose(ctx context.Context, db *sql.DB) (drive *cond, bound int64, err error) {
	if !l.bounded() {
		if len(l.conds) == 1 {
			drive = &l.conds[0]
		}
		return drive, 0, nil
	}
	probe := func(c *cond) (int64, error) {
		q, args := l.probeQuery(c)
		var last int64
		err := db.QueryRowContext(ctx, q, args...).Scan(&last)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		return last, err
	}
	for _, c := range l.drives() {
		if c == nil {
			bound, err = probe(nil)
			return nil, bound, err
		}
		last, err := probe(c)
		if err != nil || last == 0 {
			return c, 0, err // no more than ListLook: read them all
		}
		if drive == nil || (l.newest && last < bound) || (!l.newest && last > bound) {
			drive, bound = c, last
		}
	}
	return drive, bound, nil
}

// bounded says whether the page checks conditions on rows (and so looks
// at ListLook deliveries at most): it has several, or one without an
// index.
func (l *list) bounded() bool {
	return len(l.conds) > 1 || len(l.conds) == 1 && l.conds[0].index == ""
}

// drives are the indexes a bounded page may read: its conditions'
// indexes, or the table (nil) when none has one.
func (l *list) drives() []*cond {
	var out []*cond
	for i := range l.conds {
		if l.conds[i].index != "" {
			out = append(out, &l.conds[i])
		}
	}
	if len(out) == 0 {
		out = append(out, nil)
	}
	return out
}

// probeQuery finds the ListLook-th delivery after After in c's index
// (the table's, when nil).
func (l *list) probeQuery(c *cond) (string, []any) {
	order, cmp := l.order()
	q := "SELECT seq FROM deliveries NOT INDEXED"
	var where []string
	var args []any
	if c != nil {
		q = "SELECT seq FROM deliveries INDEXED BY " + c.index
		where = append(where, c.column+" = ?")
		args = append(args, c.value)
	}
	if l.after > 0 {
		where = append(where, "seq "+cmp+" ?")
		args = append(args, l.after)
	}
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q + " ORDER BY seq" + order + " LIMIT 1 OFFSET ?", append(args, l.look-1)
}

// queries are every query a call may run, a page's bound taken as
// bound: the probes and a page's query through each index it may read.
func (l *list) queries(bound int64) ([]string, [][]any, error) {
	var qs []string
	var as [][]any
	add := func(q string, args []any) {
		qs = append(qs, q)
		as = append(as, args)
	}
	switch {
	case l.f.EventID != "" || l.f.RequestID != "":
		add(l.byEventQuery())
	case !l.bounded():
		var drive *cond
		if len(l.conds) == 1 {
			drive = &l.conds[0]
		}
		add(l.query(drive, 0))
	default:
		for _, c := range l.drives() {
			add(l.probeQuery(c))
			add(l.query(c, bound))
			add(l.query(c, 0))
		}
	}
	return qs, as, nil
}

// query reads deliveries through drive's index (the table, when nil) in
// the list's order, up to bound (when not 0), and checks the other
// conditions on each row; the events joined are the page's only.
func (l *list) query(drive *cond, bound int64) (string, []any) {
	order, cmp := l.order()
	var where []string
	var args []any
	from := "deliveries d NOT INDEXED"
	if drive != nil {
		from = "deliveries d INDEXED BY " + drive.index
	}
	for _, c := range l.conds {
		where = append(where, "d."+c.column+" = ?")
		args = append(args, c.value)
	}
	if l.after > 0 {
		where = append(where, "d.seq "+cmp+" ?")
		args = append(args, l.after)
	}
	if bound != 0 {
		// the page's last delivery looked at: opposite to After
		op := ">="
		if !l.newest {
			op = "<="
		}
		where = append(where, "d.seq "+op+" ?")
		args = append(args, bound)
	}
	// CROSS JOIN keeps deliveries the outer loop, read in order.
	q := "SELECT " + deliveryCols + " FROM " + from + " CROSS JOIN events e ON e.seq = d.event_seq"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY d.seq" + order + " LIMIT ?"
	return q, append(args, l.limit)
}

// byEventQuery reads the deliveries of one event, or of one request's
// events, through the events' indexes. Deliveries are inserted with
// their event, in one write, so a delivery's seq and its event's seq
// grow together: a page's bound on the one bounds the other, which
// lets the events' index start at the page rather than at the first
// event.
func (l *list) byEventQuery() (string, []any) {
	order, cmp := l.order()
	var where []string
	var args []any
	if l.f.EventID != "" {
		where = append(where, "e.id = ?")
		args = append(args, l.f.EventID)
	}
	if l.f.RequestID != "" {
		// The index holds only events with a request id: the query must
		// say so for SQLite to use it.
		where = append(where, "e.request_id = ? AND e.request_id != ''")
		args = append(args, l.f.RequestID)
	}
	for _, c := range l.conds {
		where = append(where, "d."+c.column+" = ?")
		args = append(args, c.value)
	}
	if l.after > 0 {
		// The event of the nearest delivery on the page's side of After
		// (After itself may have been purged) bounds the events.
		where = append(where, "d.seq "+cmp+" ?", "e.seq "+cmp+"= (SELECT event_seq FROM deliveries WHERE seq "+cmp+" ? ORDER BY seq"+order+" LIMIT 1)")
		args = append(args, l.after, l.after)
	}
	// CROSS JOIN keeps events the outer loop, read through the index
	// of the filter.
	q := "SELECT " + deliveryCols + " FROM events e CROSS JOIN deliveries d ON d.event_seq = e.seq WHERE " + strings.Join(where, " AND ") +
		" ORDER BY e.seq" + order + ", d.seq" + order + " LIMIT ?"
	return q, append(args, l.limit)
}

// Stats' queries: the counts the writes keep, and the first pending
// delivery's event's time.
const (
	statsCounts = `SELECT name, n FROM counts`
	statsOldest = `SELECT e.received FROM deliveries d INDEXED BY deliveries_state CROSS JOIN events e ON e.seq = d.event_seq
		WHERE d.state = 'pending' ORDER BY d.seq LIMIT 1`
)

// Stats implements Queue. The counts are kept by the writes; the oldest
// pending event is that of the first pending delivery in arrival order
// (the relay stamps an event when it arrives, so the two orders agree
// but for events that arrived together).
func (s *SQLite) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	err := s.read("stats", func() error {
		tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return err
		}
		defer tx.Rollback()
		rows, err := tx.QueryContext(ctx, statsCounts)
		if err != nil {
			return err
		}
		for rows.Next() {
			var name string
			var n int64
			if err := rows.Scan(&name, &n); err != nil {
				rows.Close()
				return err
			}
			switch name {
			case "events":
				st.Events = n
			case string(Pending):
				st.Pending = n
			case string(Delivered):
				st.Delivered = n
			case string(Dead):
				st.Dead = n
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var oldest int64
		err = tx.QueryRowContext(ctx, statsOldest).Scan(&oldest)
		if err == nil {
			st.OldestPending = time.Unix(0, oldest)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return nil
	})
	return st, err
}

// Close implements Queue. It waits for the write in progress; writes not
// yet taken fail with ErrClosed.
func (s *SQLite) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.quit)
	s.mu.Unlock()
	<-s.stopped
	err := s.w.close()
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	if s.lock != nil {
		s.lock.Close() // after the database: the next owner finds it closed
	}
	return storageError("close", s.file, err)
}

// parseID reads a delivery id.
func parseID(id string) (int64, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	return n, err == nil && n > 0
}
