package runtime

import (
	"errors"
	"fmt"
)

// wazero (v1.12) checks whether a call's deadline has passed at the header
// of every loop, and nowhere else: a guest whose work is a tree of calls
// with no loop (two recursive calls per level, 48 levels deep: 2^48 calls)
// would never be stopped. addEntryChecks makes every function start with
// an empty loop, `loop end` (3 bytes), whose header carries wazero's check,
// so that a guest is stopped at its next function call as well as at its
// next loop iteration. The empty loop closes before the function's own
// code, so no branch depth in the body changes.
//
// Only the code section is rewritten (function bodies and their sizes);
// every other section is copied as it is. Bytes that do not parse are
// returned unchanged, for the compiler to reject with its own message.
func addEntryChecks(bin []byte) []byte {
	out, err := rewriteCode(bin)
	if err != nil {
		return bin
	}
	return out
}

var emptyLoop = []byte{0x03, 0x40, 0x0b} // loop (blocktype empty) end

const codeSectionID = 10

var errShort = errors.New("truncated")

type reader struct {
	b   []byte
	off int
}

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errShort
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

// uleb reads an unsigned LEB128 of at most 32 bits.
func (r *reader) uleb() (uint32, error) {
	var v uint32
	for shift := 0; shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errors.New("LEB128 too long")
}

// sleb33 skips a signed LEB128 of at most 33 bits (a heap type).
func (r *reader) sleb33() error {
	for i := 0; i < 5; i++ {
		c, err := r.byte()
		if err != nil {
			return err
		}
		if c&0x80 == 0 {
			return nil
		}
	}
	return errors.New("LEB128 too long")
}

func (r *reader) take(n uint32) ([]byte, error) {
	if uint64(r.off)+uint64(n) > uint64(len(r.b)) {
		return nil, errShort
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

func appendULEB(dst []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			dst = append(dst, c|0x80)
			continue
		}
		return append(dst, c)
	}
}

func rewriteCode(bin []byte) ([]byte, error) {
	if len(bin) < 8 {
		return nil, errShort
	}
	out := make([]byte, 0, len(bin)+len(bin)/16+64)
	out = append(out, bin[:8]...)
	r := &reader{b: bin, off: 8}
	for r.off < len(bin) {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.uleb()
		if err != nil {
			return nil, err
		}
		content, err := r.take(size)
		if err != nil {
			return nil, err
		}
		if id != codeSectionID {
			out = append(out, id)
			out = appendULEB(out, size)
			out = append(out, content...)
			continue
		}
		code, err := rewriteBodies(content)
		if err != nil {
			return nil, fmt.Errorf("code section: %w", err)
		}
		out = append(out, id)
		out = appendULEB(out, uint32(len(code)))
		out = append(out, code...)
	}
	return out, nil
}

func rewriteBodies(section []byte) ([]byte, error) {
	r := &reader{b: section}
	count, err := r.uleb()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(section)+int(count)*len(emptyLoop)+8)
	out = appendULEB(out, count)
	for i := uint32(0); i < count; i++ {
		size, err := r.uleb()
		if err != nil {
			return nil, err
		}
		body, err := r.take(size)
		if err != nil {
			return nil, err
		}
		br := &reader{b: body}
		groups, err := br.uleb()
		if err != nil {
			return nil, err
		}
		for g := uint32(0); g < groups; g++ {
			if _, err := br.uleb(); err != nil { // how many locals
				return nil, err
			}
			t, err := br.byte() // their type
			if err != nil {
				return nil, err
			}
			if t == 0x63 || t == 0x64 { // (ref null? ht): a heap type follows
				if err := br.sleb33(); err != nil {
					return nil, err
				}
			}
		}
		locals := body[:br.off]
		out = appendULEB(out, uint32(len(body)+len(emptyLoop)))
		out = append(out, locals...)
		out = append(out, emptyLoop...)
		out = append(out, body[br.off:]...)
	}
	if r.off != len(section) {
		return nil, errors.New("trailing bytes")
	}
	return out, nil
}
