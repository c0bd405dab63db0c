package runtime

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStderrBufferKeepsStartAndEnd checks stderrBuffer against a model:
// all of a stream that fits; else its first limit/2 bytes and its last
// limit-limit/2, and the count of the others; reset between calls.
func TestStderrBufferKeepsStartAndEnd(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var b stderrBuffer
	for round := range 2000 {
		limit := 1 + rng.IntN(64)
		b.reset(limit)
		var stream []byte
		for range rng.IntN(12) {
			p := make([]byte, rng.IntN(3*limit))
			for i := range p {
				p[i] = byte('a' + rng.IntN(26))
			}
			n, err := b.Write(p)
			require.NoError(t, err)
			require.Equal(t, len(p), n)
			stream = append(stream, p...)
			if rng.IntN(4) == 0 { // reading in between must not disturb the ring
				b.end()
			}
		}
		head, tail := b.parts()
		if len(stream) <= limit {
			assert.Equal(t, string(stream), string(head), "round %d", round)
			assert.Nil(t, tail)
			assert.Zero(t, b.dropped)
			assert.Equal(t, string(stream), string(b.end()))
			continue
		}
		half := limit / 2
		assert.Equal(t, stream[:half], head, "round %d: limit %d, %d bytes", round, limit, len(stream))
		assert.Equal(t, stream[len(stream)-(limit-half):], tail, "round %d: limit %d, %d bytes", round, limit, len(stream))
		assert.Equal(t, len(stream)-limit, b.dropped)
		assert.Equal(t, tail, b.end())
	}
}
