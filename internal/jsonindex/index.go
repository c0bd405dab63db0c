// Package jsonindex finds values in a JSON document by JSON Pointer (RFC
// 6901) through an index of the document built in one pass: the host's
// side of the field reads of ABI v1 (abi/SPEC.md, "Field reads").
//
// [Index.Build] walks a document once and records every value: where its
// bytes start and end, where the value after it starts, and for an
// object's member where its key is. [Index.Lookup] then follows a pointer
// by jumping from member to member, never reading a value it does not
// name: its cost grows with the number of members it passes, not with the
// size of the document. An index is reused from document to document and
// allocates nothing once its slices have grown.
//
// The documents are ones the host has validated (jsonraw.Validate): Build
// trusts that they are JSON and checks only what it must not to go wrong.
// On any input it returns, without panicking, either an index or an
// error; a fuzz test holds it to that.
//
// When a key appears more than once in an object, a lookup finds the last
// one: the value encoding/json and NetBox's Python (json.loads) keep.
// Keys are compared after decoding their escapes, as they decode: a lone
// surrogate escape (\ud800) decodes to U+FFFD, as in encoding/json.
package jsonindex

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"unsafe"

	"github.com/wasmhook/wasmhook/internal/jsonraw"
)

// Type is a JSON value's type as the field reads report it. The values
// are those of the ABI (abi.FieldNull, ...).
type Type int32

// The types of JSON values; true and false are told apart.
const (
	Null   Type = 1
	False  Type = 2
	True   Type = 3
	Number Type = 4
	String Type = 5
	Array  Type = 6
	Object Type = 7
)

// Status is the result of a lookup that found no value. Its values are the
// ABI's negative statuses (abi.FieldMissing, ...).
type Status int32

// Lookup statuses.
const (
	// Found: the pointer names a value.
	Found Status = 0
	// Missing: the pointer is well formed and names no value.
	Missing Status = -1
	// BadPath: the pointer is not a JSON Pointer: it is neither empty nor
	// starts with "/", or a "~" is not followed by "0" or "1".
	BadPath Status = -3
)

// ErrNotJSON is Build's error for a document it cannot index.
var ErrNotJSON = errors.New("jsonindex: not a JSON document")

// ErrTooLarge is Build's error for a document of 4 GiB or more.
var ErrTooLarge = errors.New("jsonindex: document of 4 GiB or more")

// keyEscaped marks, in node.KeyLen, a key that may hold a backslash.
const keyEscaped = jsonraw.IndexKeyEscaped

// node is one value of the document (jsonraw.IndexNode: ValidateIndex
// makes them too).
type node = jsonraw.IndexNode

// Index is an index of one document. The zero value is an empty index;
// Build fills it. An Index is not safe for concurrent Build, but once
// built, any number of goroutines may call Lookup at once.
type Index struct {
	doc   []byte
	nodes []node
	stack []uint32
	sink  jsonraw.IndexSink // BuildValidate's
	memo  *memo             // nil unless Memoize was called since the last build
}

// Doc returns the document the index was built on.
func (ix *Index) Doc() []byte { return ix.doc }

// Nodes returns the number of values in the document (0 before Build).
func (ix *Index) Nodes() int { return len(ix.nodes) }

// Size returns the bytes the index holds for its nodes: what keeping it
// costs beside its document.
func (ix *Index) Size() int {
	n := cap(ix.nodes) * int(unsafe.Sizeof(node{}))
	if ix.memo != nil {
		n += memoBytes
	}
	return n
}

// Reset empties the index, keeping its memory for the next Build, and
// drops its reference to the document and any remembered answers.
func (ix *Index) Reset() {
	ix.doc = nil
	ix.nodes = ix.nodes[:0]
	ix.memo = nil
}

// Build indexes doc, one JSON value with optional white space around it.
// The index refers to doc, which must not change while it is used. On an
// error the index is empty.
func (ix *Index) Build(doc []byte) error {
	ix.Reset()
	if uint64(len(doc)) >= math.MaxUint32 {
		return ErrTooLarge
	}
	if err := ix.build(doc); err != nil {
		ix.nodes = ix.nodes[:0]
		return err
	}
	ix.doc = doc
	return nil
}

// BuildValidate validates doc as jsonraw.Validate does and indexes it in
// the same pass (jsonraw.ValidateIndex): for a document the host must
// validate anyway, the index costs a fraction of a Build. Its error is
// Validate's (a *jsonraw.SyntaxError), or ErrTooLarge; on an error the
// index is empty.
func (ix *Index) BuildValidate(doc []byte) error {
	ix.Reset()
	if uint64(len(doc)) >= math.MaxUint32 {
		return ErrTooLarge
	}
	ix.sink.Nodes = ix.nodes
	if err := jsonraw.ValidateIndex(doc, &ix.sink); err != nil {
		return err
	}
	ix.nodes, ix.doc = ix.sink.Nodes, doc
	ix.sink.Nodes = nil // one owner of the memory: ix.nodes
	return nil
}

func (ix *Index) build(doc []byte) error {
	nodes := ix.nodes[:0]
	// stack holds the open containers' nodes, with isObjectBit set for an
	// object; inObject is the innermost one's.
	stack := ix.stack[:0]
	defer func() { ix.nodes, ix.stack = nodes, stack }()
	n := len(doc)
	i := skipSpace(doc, 0)
	var key, keyLen uint32
	inObject := false
	for {
		// A value starts at i; key and keyLen are its key's, if any.
		if i >= n {
			return ErrNotJSON
		}
		self := uint32(len(nodes))
		switch c := doc[i]; c {
		case '{', '[':
			nodes = append(nodes, node{Off: uint32(i), Key: key, KeyLen: keyLen})
			key, keyLen = 0, 0
			i = skipSpace(doc, i+1)
			if i < n && doc[i] == c+2 { // '}' is '{'+2, ']' is '['+2: empty
				i++
				nodes[self].End, nodes[self].Next = uint32(i), self+1
				break
			}
			inObject = c == '{'
			if inObject {
				stack = append(stack, self|isObjectBit)
				var err error
				if key, keyLen, i, err = member(doc, i); err != nil {
					return err
				}
			} else {
				stack = append(stack, self)
			}
			continue
		case '"':
			end, _ := stringEnd(doc, i+1)
			if end < 0 {
				return ErrNotJSON
			}
			nodes = append(nodes, node{Off: uint32(i), End: uint32(end), Next: self + 1, Key: key, KeyLen: keyLen})
			i = end
		default:
			start := i
			switch {
			case c == 't' || c == 'n':
				i += 4
			case c == 'f':
				i += 5
			case c == '-' || (c >= '0' && c <= '9'):
				for i++; i < n && isNumber[doc[i]]; i++ {
				}
			default:
				return ErrNotJSON
			}
			if i > n {
				return ErrNotJSON
			}
			nodes = append(nodes, node{Off: uint32(start), End: uint32(i), Next: self + 1, Key: key, KeyLen: keyLen})
		}
		key, keyLen = 0, 0

		// After a value: the next member, or the end of containers.
		for {
			i = skipSpace(doc, i)
			if len(stack) == 0 {
				if i != n {
					return ErrNotJSON
				}
				return nil
			}
			if i >= n {
				return ErrNotJSON
			}
			if doc[i] == ',' {
				i = skipSpace(doc, i+1)
				if inObject {
					var err error
					if key, keyLen, i, err = member(doc, i); err != nil {
						return err
					}
				}
				break
			}
			if (inObject && doc[i] != '}') || (!inObject && doc[i] != ']') {
				return ErrNotJSON
			}
			i++
			open := stack[len(stack)-1] &^ isObjectBit
			stack = stack[:len(stack)-1]
			nodes[open].End, nodes[open].Next = uint32(i), uint32(len(nodes))
			inObject = len(stack) > 0 && stack[len(stack)-1]&isObjectBit != 0
		}
	}
}

// isObjectBit marks an object in the stack of open containers.
const isObjectBit = 1 << 31

// member reads an object member's key and colon at i, and returns the key
// (offset after its opening quote, raw length with keyEscaped) and the
// offset of the value.
func member(doc []byte, i int) (key, keyLen uint32, next int, err error) {
	if i >= len(doc) || doc[i] != '"' {
		return 0, 0, 0, ErrNotJSON
	}
	end, escaped := stringEnd(doc, i+1)
	if end < 0 {
		return 0, 0, 0, ErrNotJSON
	}
	key, keyLen = uint32(i+1), uint32(end-1-(i+1))
	if escaped {
		keyLen |= keyEscaped
	}
	i = skipSpace(doc, end)
	if i >= len(doc) || doc[i] != ':' {
		return 0, 0, 0, ErrNotJSON
	}
	return key, keyLen, skipSpace(doc, i+1), nil
}

// isNumber marks the bytes a number token may hold after its first.
var isNumber = func() (t [256]bool) {
	for _, c := range []byte("0123456789+-.eE") {
		t[c] = true
	}
	return t
}()

var isSpace = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

func skipSpace(b []byte, i int) int {
	// NetBox's Python writes ", " and ": ": one space, then a token.
	if i < len(b) && b[i] == ' ' {
		i++
	}
	for i < len(b) && isSpace[b[i]] {
		i++
	}
	return i
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// stringEnd returns the offset after the closing quote of the string whose
// contents start at i, and whether it holds a backslash; -1 when the
// string does not end. It looks at eight bytes at a time.
func stringEnd(b []byte, i int) (int, bool) {
	escaped := false
	for {
		for ; i+8 <= len(b); i += 8 {
			v := binary.LittleEndian.Uint64(b[i:])
			q, s := v^(ones*'"'), v^(ones*'\\')
			// A byte is flagged when it is zero in q or s (the lowest
			// flag is exact, and the lowest is all this uses).
			m := ((q-ones)&^q | (s-ones)&^s) & highs
			if m != 0 {
				i += bits.TrailingZeros64(m) / 8
				break
			}
		}
		if i >= len(b) {
			return -1, escaped
		}
		switch b[i] {
		case '"':
			return i + 1, escaped
		case '\\':
			escaped = true
			i += 2 // the escaped byte cannot end the string
		default:
			i++
		}
	}
}

// TypeOf returns the type of the value whose bytes are v (a value Lookup
// returned).
func TypeOf(v []byte) Type {
	if len(v) == 0 {
		return 0
	}
	switch v[0] {
	case '{':
		return Object
	case '[':
		return Array
	case '"':
		return String
	case 't':
		return True
	case 'f':
		return False
	case 'n':
		return Null
	}
	return Number
}
