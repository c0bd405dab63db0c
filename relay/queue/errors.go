package queue

import (
	"errors"
	"io/fs"
	"path/filepath"
	"syscall"
)

// Classes of storage failure an operator can act on. An *Error matches
// one of them with [errors.Is] when its cause is known.
var (
	// ErrUnwritable: the data directory or the queue file cannot be
	// written (read-only file system, permissions).
	ErrUnwritable = errors.New("not writable")
	// ErrDiskFull: the disk is full, or a file-size limit was reached.
	ErrDiskFull = errors.New("disk full")
	// ErrCorrupt: the queue file is not a wasmhook queue database, or it
	// is damaged.
	ErrCorrupt = errors.New("not a queue database or damaged")
	// ErrUnavailable: the queue's server (Redis) cannot be reached, or
	// refuses to work for now (loading its data, out of memory); the
	// call may succeed later.
	ErrUnavailable = errors.New("unavailable")
	// ErrInUse: another process delivers from the embedded queue's data
	// directory (it holds its lock).
	ErrInUse = errors.New("in use")

	errLocked = errors.New("locked")
)

// Error is a storage failure of a queue: it names the file (or the Redis
// address) and says why.
type Error struct {
	// Op is what failed: "open", "enqueue", "claim"...
	Op string
	// File is the queue file (or the data directory when the file could
	// not be reached), or the Redis queue's address without its password.
	File string
	// Kind is ErrUnwritable, ErrDiskFull, ErrCorrupt, ErrUnavailable,
	// ErrInUse or nil when the cause is none of those.
	Kind error
	// Reason says what is wrong, for a person ("" when Err says it all).
	Reason string
	// Err is the underlying error, if any.
	Err error
}

func (e *Error) Error() string {
	msg := "queue " + e.Op + " " + e.File
	if e.Kind != nil {
		msg += ": " + e.Kind.Error()
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is reports whether target is the error's Kind.
func (e *Error) Is(target error) bool { return e.Kind != nil && target == e.Kind }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// storageError wraps err, from op on file, with its class when it has one.
// Errors that are already the queue's own (ErrNotFound...) pass through.
func storageError(op, file string, err error) error {
	if err == nil {
		return nil
	}
	var qe *Error
	if errors.As(err, &qe) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrNotDead) ||
		errors.Is(err, ErrClosed) || errors.Is(err, ErrDuplicate) {
		return err
	}
	kind, reason := classify(err)
	if c := sqliteCode(err) & 0xff; c == 10 || c == 13 { // SQLITE_IOERR, SQLITE_FULL
		if k, r := diagnoseIO(filepath.Dir(file)); k != nil {
			kind, reason = k, r
		}
	}
	return &Error{Op: op, File: file, Kind: kind, Reason: reason, Err: err}
}

// classify says which class err is, and why, from the system error or
// from SQLite's result code.
func classify(err error) (kind error, reason string) {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return ErrDiskFull, "no space left on the device"
	case errors.Is(err, syscall.EFBIG):
		return ErrDiskFull, "file size limit reached"
	case errors.Is(err, syscall.EROFS):
		return ErrUnwritable, "read-only file system"
	case errors.Is(err, fs.ErrPermission):
		return ErrUnwritable, "permission denied"
	}
	switch sqliteCode(err) & 0xff {
	case 13: // SQLITE_FULL
		return ErrDiskFull, "no space left for the database"
	case 8: // SQLITE_READONLY
		return ErrUnwritable, "the database or its directory is read-only"
	case 3, 14: // SQLITE_PERM, SQLITE_CANTOPEN
		return ErrUnwritable, "cannot open the database file or its WAL files beside it"
	case 11, 26: // SQLITE_CORRUPT, SQLITE_NOTADB
		return ErrCorrupt, "SQLite reports the file damaged or not a database"
	case 10: // SQLITE_IOERR: SQLite keeps the errno to itself
		return nil, "the disk failed a read or a write"
	}
	return nil, ""
}
