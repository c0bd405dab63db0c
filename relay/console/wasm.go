package console

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// wasmImport is one import of a module: what the host grants it.
type wasmImport struct {
	Module, Name string
}

// moduleImports reads the imports of a module file: its import section,
// which comes before any code, so the read stops there.
func moduleImports(file string) ([]wasmImport, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(io.LimitReader(f, 64<<20))
	head := make([]byte, 8)
	if _, err := io.ReadFull(r, head); err != nil || !bytes.Equal(head, []byte("\x00asm\x01\x00\x00\x00")) {
		return nil, fmt.Errorf("%s: not a WebAssembly module", file)
	}
	for {
		id, err := r.ReadByte()
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		size, err := uleb(r)
		if err != nil {
			return nil, err
		}
		switch id {
		case 0, 1: // custom, type: before the imports
			if _, err := r.Discard(int(size)); err != nil {
				return nil, err
			}
		case 2:
			return readImports(bufio.NewReader(io.LimitReader(r, int64(size))))
		default:
			return nil, nil // past where the imports would be
		}
	}
}

var errBadImports = errors.New("malformed import section")

func readImports(r *bufio.Reader) ([]wasmImport, error) {
	n, err := uleb(r)
	if err != nil || n > 100_000 {
		return nil, errBadImports
	}
	name := func() (string, error) {
		l, err := uleb(r)
		if err != nil || l > 1<<16 {
			return "", errBadImports
		}
		b := make([]byte, l)
		if _, err := io.ReadFull(r, b); err != nil {
			return "", errBadImports
		}
		return string(b), nil
	}
	limits := func() error {
		flags, err := r.ReadByte()
		if err != nil {
			return err
		}
		if _, err := uleb(r); err != nil {
			return err
		}
		if flags&1 != 0 {
			_, err = uleb(r)
		}
		return err
	}
	var out []wasmImport
	for range n {
		mod, err := name()
		if err != nil {
			return nil, err
		}
		field, err := name()
		if err != nil {
			return nil, err
		}
		kind, err := r.ReadByte()
		if err != nil {
			return nil, errBadImports
		}
		switch kind {
		case 0: // function: its type index
			_, err = uleb(r)
		case 1: // table: element type and limits
			if _, err = r.ReadByte(); err == nil {
				err = limits()
			}
		case 2: // memory
			err = limits()
		case 3: // global: value type and mutability
			_, err = r.Discard(2)
		default:
			return out, nil // a kind of a later proposal: stop here
		}
		if err != nil {
			return nil, errBadImports
		}
		out = append(out, wasmImport{mod, field})
	}
	return out, nil
}

// uleb reads an unsigned LEB128 number of up to 32 bits.
func uleb(r io.ByteReader) (uint64, error) {
	var v uint64
	for shift := 0; shift < 35; shift += 7 {
		b, err := r.ReadByte()
		if err != nil {
			return 0, err
		}
		v |= uint64(b&0x7f) << shift
		if b&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errBadImports
}
