package queue

import (
	"errors"

	nsqlite "github.com/ncruces/go-sqlite3"
	_ "github.com/ncruces/go-sqlite3/driver"
	msqlite "modernc.org/sqlite"
)

// driverSpec is a database/sql SQLite driver.
type driverSpec struct {
	name string // registered database/sql name
}

var (
	driverModernc = driverSpec{name: "sqlite"}
	driverNcruces = driverSpec{name: "sqlite3"}
	defaultDriver = driverModernc
)

// sqliteCode returns the SQLite (extended) result code of err, 0 for none.
func sqliteCode(err error) int {
	var m *msqlite.Error
	if errors.As(err, &m) {
		return m.Code()
	}
	var n *nsqlite.Error
	if errors.As(err, &n) {
		return int(n.ExtendedCode())
	}
	return 0
}
