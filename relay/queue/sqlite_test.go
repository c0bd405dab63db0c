package queue_test

import (
	"database/sql"
	"testing"

	"github.com/wasmhook/wasmhook/relay/queue"
	"github.com/wasmhook/wasmhook/relay/queue/queuetest"
)

func opener(opts queue.Options) queuetest.Opener {
	return func(t *testing.T) (queue.Queue, func() queue.Queue) {
		dir := t.TempDir()
		open := func() queue.Queue {
			q, err := queue.Open(dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { q.Close() })
			return q
		}
		return open(), open
	}
}

func TestSQLite(t *testing.T) {
	queuetest.Suite(t, opener(queue.Options{}))
}

func sqlOpen(t *testing.T, file string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	return db
}
