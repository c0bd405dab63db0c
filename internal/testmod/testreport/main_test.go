package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Events as `go test -json` writes them (go 1.26), times left out.
const (
	passing = `{"Action":"start","Package":"m/a"}
{"Action":"run","Package":"m/a","Test":"TestQuick"}
{"Action":"output","Package":"m/a","Test":"TestQuick","Output":"=== RUN   TestQuick\n"}
{"Action":"output","Package":"m/a","Test":"TestQuick","Output":"    a_test.go:3: a log line\n"}
{"Action":"output","Package":"m/a","Test":"TestQuick","Output":"--- PASS: TestQuick (0.01s)\n"}
{"Action":"pass","Package":"m/a","Test":"TestQuick","Elapsed":0.01}
{"Action":"run","Package":"m/a","Test":"TestSlow"}
{"Action":"run","Package":"m/a","Test":"TestSlow/case"}
{"Action":"pass","Package":"m/a","Test":"TestSlow/case","Elapsed":2.5}
{"Action":"pass","Package":"m/a","Test":"TestSlow","Elapsed":2.5}
{"Action":"output","Package":"m/a","Output":"PASS\n"}
{"Action":"output","Package":"m/a","Output":"ok  \tm/a\t2.600s\n"}
{"Action":"pass","Package":"m/a","Elapsed":2.6}
{"Action":"start","Package":"m/empty"}
{"Action":"output","Package":"m/empty","Output":"?   \tm/empty\t[no test files]\n"}
{"Action":"skip","Package":"m/empty","Elapsed":0}
`
	failing = `{"Action":"start","Package":"m/b"}
{"Action":"run","Package":"m/b","Test":"TestFine"}
{"Action":"output","Package":"m/b","Test":"TestFine","Output":"--- PASS: TestFine (0.00s)\n"}
{"Action":"pass","Package":"m/b","Test":"TestFine","Elapsed":0}
{"Action":"run","Package":"m/b","Test":"TestBad"}
{"Action":"output","Package":"m/b","Test":"TestBad","Output":"=== RUN   TestBad\n"}
{"Action":"run","Package":"m/b","Test":"TestBad/sub"}
{"Action":"output","Package":"m/b","Test":"TestBad/sub","Output":"    b_test.go:4: boom\n"}
{"Action":"output","Package":"m/b","Test":"TestBad/sub","Output":"--- FAIL: TestBad/sub (3.00s)\n"}
{"Action":"fail","Package":"m/b","Test":"TestBad/sub","Elapsed":3}
{"Action":"output","Package":"m/b","Test":"TestBad","Output":"--- FAIL: TestBad (3.00s)\n"}
{"Action":"fail","Package":"m/b","Test":"TestBad","Elapsed":3}
{"Action":"output","Package":"m/b","Output":"FAIL\n"}
{"Action":"output","Package":"m/b","Output":"FAIL\tm/b\t3.004s\n"}
{"Action":"fail","Package":"m/b","Elapsed":3.004}
`
	buildFailure = `{"ImportPath":"m/c [m/c.test]","Action":"build-output","Output":"# m/c [m/c.test]\n"}
{"ImportPath":"m/c [m/c.test]","Action":"build-output","Output":"c/c_test.go:3:33: undefined: undefined\n"}
{"ImportPath":"m/c [m/c.test]","Action":"build-fail"}
{"Action":"start","Package":"m/c"}
{"Action":"output","Package":"m/c","Output":"FAIL\tm/c [build failed]\n"}
{"Action":"fail","Package":"m/c","Elapsed":0,"FailedBuild":"m/c [m/c.test]"}
`
	cutShort = `{"Action":"start","Package":"m/d"}
{"Action":"run","Package":"m/d","Test":"TestHang"}
{"Action":"output","Package":"m/d","Test":"TestHang","Output":"=== RUN   TestHang\n"}
`
)

func run(input string) (string, bool) {
	var out strings.Builder
	ok := report(strings.NewReader(input), &out, 10)
	return out.String(), ok
}

func TestReportPassing(t *testing.T) {
	out, ok := run(passing)
	assert.True(t, ok)
	assert.Equal(t, "ok  \tm/a\t2.600s\n"+
		"?   \tm/empty\t[no test files]\n"+
		"\nslowest tests:\n"+
		"    2.50s  m/a TestSlow\n"+
		"    0.01s  m/a TestQuick\n", out)
}

func TestReportFailing(t *testing.T) {
	out, ok := run(passing + failing)
	assert.False(t, ok)
	assert.Contains(t, out, "ok  \tm/a\t2.600s\n")
	assert.Contains(t, out, "=== RUN   TestBad\n    b_test.go:4: boom\n--- FAIL: TestBad/sub (3.00s)\n--- FAIL: TestBad (3.00s)\nFAIL\nFAIL\tm/b\t3.004s\n",
		"a failed test's output, in order, then the package's")
	assert.NotContains(t, out, "--- PASS: TestFine")
	assert.NotContains(t, out, "a log line", "a passing test's output is not shown")
	assert.Contains(t, out, "    3.00s  m/b TestBad\n    2.50s  m/a TestSlow\n")
}

func TestReportBuildFailure(t *testing.T) {
	out, ok := run(passing + buildFailure)
	assert.False(t, ok)
	assert.Contains(t, out, "c/c_test.go:3:33: undefined: undefined\n")
	assert.Contains(t, out, "FAIL\tm/c [build failed]\n")
}

func TestReportCutShort(t *testing.T) {
	out, ok := run(passing + cutShort)
	assert.False(t, ok)
	assert.Contains(t, out, "=== RUN   TestHang\ntestreport: m/d started and never finished\n")
}

func TestReportNothing(t *testing.T) {
	out, ok := run("")
	assert.False(t, ok)
	assert.Equal(t, "testreport: no test results\n", out)

	out, ok = run("go: some error of the go command\n")
	assert.False(t, ok)
	assert.Equal(t, "go: some error of the go command\ntestreport: no test results\n", out)
}
