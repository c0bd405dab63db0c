package registry

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/wasmhook/wasmhook/abi"
)

// MaxModuleBytes is the largest module file LoadDir reads. Go guests are 2
// to 4 MB; a file larger than this is refused before a byte of it is read,
// so that a stray disk image named x.wasm cannot make every rescan read
// and hold it.
const MaxModuleBytes = 64 << 20

// MaxSettingsBytes is the largest settings file ReadSettings reads.
const MaxSettingsBytes = 4 << 20

var wasmMagic = []byte("\x00asm")

// fileError says why a file cannot be read; reason is for a person, err
// the underlying error if any.
type fileError struct {
	reason string
	err    error
}

func (e *fileError) Error() string {
	if e.err == nil {
		return e.reason
	}
	return e.reason + ": " + e.err.Error()
}

func (e *fileError) Unwrap() error { return e.err }

// openRegular opens file once, for reading, without blocking: a named pipe
// or a device under the name is refused, not waited on (opening a pipe
// that has no writer blocks; reading /dev/zero never ends). The checks are
// made on the opened file, so a file renamed over the name between a check
// and the read cannot slip through.
func openRegular(file string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(file, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, nil, &fileError{reason: "cannot open", err: unwrapPath(err)}
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, &fileError{reason: "cannot stat", err: unwrapPath(err)}
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, nil, &fileError{reason: "not a regular file (" + fileType(info.Mode()) + ")"}
	}
	return f, info, nil
}

// fileType names a file mode's type for an error message.
func fileType(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "mode " + m.Type().String()
}

// readRegular reads the regular file file, at most limit bytes. check, when
// set, is called with the file's first bytes (as many as it asks for, fewer
// at the end of the file) before anything more is read.
func readRegular(file string, limit int64, what string, headerLen int, check func(head []byte) error) ([]byte, error) {
	f, info, err := openRegular(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tooLarge := func(size string) error {
		return &fileError{reason: fmt.Sprintf("%s is %s bytes; the limit is %d", what, size, limit)}
	}
	size := info.Size()
	if size > limit {
		return nil, tooLarge(fmt.Sprint(size))
	}
	// The size is a hint (a file may grow while it is read, and some file
	// systems report 0): the read itself is bounded too.
	buf := make([]byte, 0, max(size, int64(headerLen))+1)
	checked := check == nil
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		want := cap(buf)
		if !checked {
			want = headerLen
		}
		n, err := f.Read(buf[len(buf):want])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, tooLarge(fmt.Sprintf("more than %d", limit))
		}
		eof := errors.Is(err, io.EOF)
		if err != nil && !eof {
			return nil, &fileError{reason: "cannot read", err: unwrapPath(err)}
		}
		if !checked && (len(buf) >= headerLen || eof) {
			if err := check(buf); err != nil {
				return nil, err
			}
			checked = true
		}
		if eof {
			return buf, nil
		}
	}
}

// readModule reads a module file: opened once and refused unless it is a
// regular file, no larger than MaxModuleBytes, that starts with the
// WebAssembly header (checked before the rest is read). Every error is an
// *abi.LoadError naming the file.
func readModule(file string) ([]byte, error) {
	bin, err := readRegular(file, MaxModuleBytes, "module", len(wasmMagic), func(head []byte) error {
		switch {
		case len(head) == 0:
			return &fileError{reason: "empty file"}
		case !bytes.HasPrefix(head, wasmMagic):
			return &fileError{reason: `not a WebAssembly module (no \0asm header)`}
		}
		return nil
	})
	if err != nil {
		var fe *fileError
		if errors.As(err, &fe) {
			return nil, &abi.LoadError{File: file, Kind: abi.ErrBadModule, Reason: fe.reason, Err: fe.err}
		}
		return nil, &abi.LoadError{File: file, Kind: abi.ErrBadModule, Err: err}
	}
	return bin, nil
}
