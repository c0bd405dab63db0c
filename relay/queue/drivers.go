package queue

import (
	"errors"

	msqlite "modernc.org/sqlite"
)

// driverName is the database/sql driver: modernc.org/sqlite, SQLite
// translated to Go (no cgo). RATIONALE.md ("The embedded queue") has the
// measurement that chose it over github.com/ncruces/go-sqlite3.
const driverName = "sqlite"

// sqliteCode returns the SQLite (extended) result code of err, 0 for none.
func sqliteCode(err error) int {
	var m *msqlite.Error
	if errors.As(err, &m) {
		return m.Code()
	}
	return 0
}

// sqliteConstraintUnique is SQLITE_CONSTRAINT_UNIQUE: an insert that
// would repeat a unique key.
const sqliteConstraintUnique = 2067
