package wasmhook_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeEmbeddingIsExampleNew: the embedding snippet on README.md's
// first screen is ExampleNew's code, line for line, so that what a reader
// copies is what make test compiles and runs.
func TestReadmeEmbeddingIsExampleNew(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	s := string(readme)
	at := strings.Index(s, "Embedding it")
	require.NotEqual(t, -1, at, "README.md has the embedding snippet")
	s = s[at:]
	s = s[strings.Index(s, "```go\n")+len("```go\n"):]
	snippet := strings.TrimSpace(s[:strings.Index(s, "```")])

	src, err := os.ReadFile("example_test.go")
	require.NoError(t, err)
	body := string(src)
	body = body[strings.Index(body, "func ExampleNew() {"):]
	body = body[:strings.Index(body, "\n}\n")]
	var code []string
	for _, l := range strings.Split(body, "\n")[1:] {
		l = strings.TrimPrefix(l, "\t")
		if strings.HasPrefix(l, "// Output:") {
			break
		}
		code = append(code, l)
	}
	assert.Contains(t, strings.Join(code, "\n"), snippet, "README.md's snippet is not ExampleNew's code")
}
