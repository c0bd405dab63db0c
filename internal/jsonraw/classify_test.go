package jsonraw

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		in   string
		want Class
	}{
		{``, Empty},
		{` `, Empty},
		{" \t\r\n", Empty},

		{`null`, Falsy},
		{`false`, Falsy},
		{`0`, Falsy},
		{`-0`, Falsy},
		{`0.0`, Falsy},
		{`-0.0`, Falsy},
		{`0e5`, Falsy},
		{`0E-5`, Falsy},
		{`0.000e+10`, Falsy},
		{`-0.000E999999999999999999999`, Falsy},
		{`""`, Falsy},
		{`[]`, Falsy},
		{"[ \n ]", Falsy},
		{`{}`, Falsy},
		{"{ \t}", Falsy},
		{" \n null \n", Falsy},
		// Floats that underflow to zero are falsy in Python.
		{`1e-400`, Falsy},
		{`-1e-400`, Falsy},
		{`1e-324`, Falsy},
		{`2.47e-324`, Falsy},
		{`1000e-330`, Falsy},
		{`100000e-400`, Falsy},
		{`0.` + strings.Repeat("0", 330) + `1`, Falsy},
		{`1e-99999999999999999999999999`, Falsy},

		{`{"a":1}`, Object},
		{` { "" : null } `, Object},
		{`{"a":{}}`, Object},

		{`true`, Truthy},
		{`1`, Truthy},
		{`-1`, Truthy},
		{`10`, Truthy},
		{`0.5`, Truthy},
		{`-0.001`, Truthy},
		{`1e-5`, Truthy},
		{`0.1e1`, Truthy},
		{`1e400`, Truthy}, // inf
		{`2.48e-324`, Truthy},
		{`3e-324`, Truthy},
		{`5e-324`, Truthy},
		{`1e-300`, Truthy},
		{`1` + strings.Repeat("0", 500) + `e-600`, Truthy}, // 1e-100
		{`0.` + strings.Repeat("0", 300) + `1`, Truthy},
		{strings.Repeat("9", 5000), Truthy},
		{`1e-99999999999999999999999999` + ``, Falsy},
		{`"a"`, Truthy},
		{`" "`, Truthy},
		{`"\u0000"`, Truthy},
		{`[0]`, Truthy},
		{`[[]]`, Truthy},
		{`[ null ]`, Truthy},
	}
	for _, tt := range tests {
		t.Run(tt.want.String()+"/"+truncate(tt.in, 30), func(t *testing.T) {
			if strings.TrimSpace(tt.in) != "" {
				require.NoError(t, Validate([]byte(tt.in)))
			}
			assert.Equal(t, tt.want, Classify([]byte(tt.in)))
		})
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func TestClassString(t *testing.T) {
	assert.Equal(t, "Empty", Empty.String())
	assert.Equal(t, "Falsy", Falsy.String())
	assert.Equal(t, "Object", Object.String())
	assert.Equal(t, "Truthy", Truthy.String())
	assert.Equal(t, "Class(7)", Class(7).String())
}

func TestClassifyDoesNotAllocate(t *testing.T) {
	for _, in := range []string{siteJSON, `0.0e7`, `1e-5`, `-12`, `""`, `[ ]`} {
		b := []byte(in)
		assert.Zero(t, testing.AllocsPerRun(100, func() { Classify(b) }), "input %.40q", in)
	}
}

func TestClassifyInvalidDoesNotPanic(t *testing.T) {
	for _, in := range []string{`-`, `"`, `[`, `{`, `-e`, `1e`, `1e-`, `.`, `-.e-`, "\x00", `x`, `1.`, `0.e-350`} {
		assert.NotPanics(t, func() { Classify([]byte(in)) }, "input %q", in)
	}
}
