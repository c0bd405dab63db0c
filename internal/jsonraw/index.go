package jsonraw

//go:generate go test -run TestValidateIndexIsGenerated -update .

// IndexNode is one value of a document as [ValidateIndex] records it:
// where its bytes are, where the value after it and all it holds is, and,
// for an object's member, where its key is.
type IndexNode struct {
	// Off and End are the value's bytes, doc[Off:End].
	Off, End uint32
	// Next is the index of the node after this value and all it holds.
	Next uint32
	// Key is where a member's key starts, after its opening quote; KeyLen
	// is its raw length, with IndexKeyEscaped set when the key may hold
	// an escape. Both are zero for an array's element and the top value.
	Key, KeyLen uint32
}

// IndexKeyEscaped is set in IndexNode.KeyLen when the key may hold an
// escape: a key that holds one always has it, and so may a key with
// bytes beyond ASCII (which the slow scan that takes escapes reads too).
const IndexKeyEscaped = 1 << 31

// IndexSink receives the nodes of [ValidateIndex]; its memory is reused
// from call to call. The zero value is ready to use.
type IndexSink struct {
	// Nodes are the document's values in the order they start: the top
	// value first. They are valid after a ValidateIndex that returned
	// nil, until the next call.
	Nodes []IndexNode
	open  []uint32
}
