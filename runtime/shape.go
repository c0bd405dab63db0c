package runtime

import (
	"errors"
	"fmt"
)

// Checking a module's shape before the compiler reads it.
//
// wazero's decoder makes a vector's entries from its count before it reads
// them, and a name's bytes from its length: a 12-byte module declaring 4
// billion imports (or exports, functions, globals, element or data
// segments, or a custom section name of 4 GiB) ended the host with "fatal
// error: out of memory", and a function declaring a billion locals took
// 35 s and gigabytes to be refused. checkShape walks every section once,
// reading every entry its counts announce, so that a count larger than the
// bytes after it fails here, cheaply, before any byte reaches wazero; and
// it bounds the locals of a function, the one count in the format that
// costs no bytes (a run length).

// maxLocals bounds the locals one function declares. It is
// the limit web browsers apply (V8's kV8MaxWasmFunctionLocals); compilers
// stay far below it.
const maxLocals = 50_000

// A malformed module is one checkShape refuses; the compiler never sees it.
type malformed struct {
	section byte
	err     error
}

func (m *malformed) Error() string {
	return fmt.Sprintf("section %d: %v", m.section, m.err)
}

func (m *malformed) Unwrap() error { return m.err }

// checkShape checks one section's content (see above).
func checkShape(id byte, content []byte) error {
	r := &reader{b: content}
	var err error
	switch id {
	case 0: // custom: a name, then bytes; the "name" section is decoded by wazero
		var name []byte
		if name, err = r.name(); err == nil && string(name) == "name" {
			err = r.nameSection()
		}
		return err
	case secType:
		_, err = paramCounts(content)
		return err
	case secImport:
		_, err = countImports(content)
		return err
	case secFunction:
		_, err = readU32s(content)
		return err
	case secTable:
		err = r.vector(func() error {
			if err := r.valType(); err != nil {
				return err
			}
			return r.limits()
		})
	case secMemory:
		err = r.vector(r.limits)
	case secGlobal:
		err = r.vector(func() error {
			if err := r.valType(); err != nil {
				return err
			}
			if _, err := r.byte(); err != nil {
				return err
			}
			return r.expr()
		})
	case secExport:
		err = r.vector(func() error {
			if _, err := r.name(); err != nil {
				return err
			}
			if _, err := r.byte(); err != nil {
				return err
			}
			_, err := r.u32()
			return err
		})
	case secStart, 12: // start, data count: an index, a count
		_, err = r.u32()
	case 9: // element segments
		err = r.vector(r.elementSegment)
	case secCode:
		err = r.vector(func() error {
			size, err := r.u32()
			if err != nil {
				return err
			}
			body, err := r.take(size)
			if err != nil {
				return err
			}
			return checkBody(body)
		})
	case 11: // data segments
		err = r.vector(r.dataSegment)
	case 13: // tags: an attribute and a type index each
		err = r.vector(func() error {
			if _, err := r.byte(); err != nil {
				return err
			}
			_, err := r.u32()
			return err
		})
	default:
		return fmt.Errorf("unknown section id %d", id)
	}
	if err == nil && r.off != len(content) {
		err = errors.New("trailing bytes")
	}
	return err
}

// checkBody checks a function body's locals. Its instructions are read by
// the rewrite (and the compiler reads each br_table target before it
// keeps any).
func checkBody(body []byte) error {
	r := &reader{b: body}
	var locals uint64
	return r.vector(func() error {
		n, err := r.u32()
		if err != nil {
			return err
		}
		if locals += uint64(n); locals > maxLocals {
			return fmt.Errorf("more than %d locals in one function", maxLocals)
		}
		return r.valType()
	})
}

// vector reads a count, then calls entry that many times: each entry
// reads at least a byte, so a count beyond the bytes left fails at the end
// of the content, having allocated nothing.
func (r *reader) vector(entry func() error) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if err := entry(); err != nil {
			return fmt.Errorf("entry %d of %d: %w", i, n, err)
		}
	}
	return nil
}

// expr reads a constant expression, up to its end.
func (r *reader) expr() error {
	for {
		op, err := r.byte()
		if err != nil {
			return err
		}
		if op == 0x0b {
			return nil
		}
		if err := r.immediates(op); err != nil {
			return err
		}
	}
}

func (r *reader) index() error {
	_, err := r.u32()
	return err
}

// elementSegment reads one element segment, in any of its eight forms.
func (r *reader) elementSegment() error {
	flags, err := r.u32()
	if err != nil {
		return err
	}
	if flags > 7 {
		return fmt.Errorf("element segment flags %d", flags)
	}
	if flags&0x03 == 0x02 { // an explicit table index
		if err := r.index(); err != nil {
			return err
		}
	}
	if flags&0x01 == 0 { // active: an offset
		if err := r.expr(); err != nil {
			return err
		}
	}
	if flags&0x03 != 0 { // an element kind (0x00) or a reference type
		if flags&0x04 == 0 {
			_, err = r.byte()
		} else {
			err = r.valType()
		}
		if err != nil {
			return err
		}
	}
	if flags&0x04 == 0 {
		return r.vector(r.index) // function indices
	}
	return r.vector(r.expr) // expressions
}

// dataSegment reads one data segment: flags, then (for an active one) a
// memory index and an offset, then its bytes.
func (r *reader) dataSegment() error {
	flags, err := r.u32()
	if err != nil {
		return err
	}
	switch flags {
	case 2:
		if err := r.index(); err != nil {
			return err
		}
		fallthrough
	case 0:
		if err := r.expr(); err != nil {
			return err
		}
	case 1:
	default:
		return fmt.Errorf("data segment flags %d", flags)
	}
	_, err = r.name() // a length, then that many bytes
	return err
}

// nameSection reads the "name" custom section's subsections as wazero
// does: the module's name, function names, local names; others skipped.
func (r *reader) nameSection() error {
	for r.off < len(r.b) {
		id, err := r.byte()
		if err != nil {
			return err
		}
		size, err := r.u32()
		if err != nil {
			return err
		}
		sub, err := r.take(size)
		if err != nil {
			return err
		}
		s := &reader{b: sub}
		nameAssoc := func() error {
			if err := s.index(); err != nil {
				return err
			}
			_, err := s.name()
			return err
		}
		switch id {
		case 0:
			_, err = s.name()
		case 1:
			err = s.vector(nameAssoc)
		case 2:
			err = s.vector(func() error {
				if err := s.index(); err != nil {
					return err
				}
				return s.vector(nameAssoc)
			})
		}
		if err != nil {
			return fmt.Errorf("name subsection %d: %w", id, err)
		}
	}
	return nil
}
