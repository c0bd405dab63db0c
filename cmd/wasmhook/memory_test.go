package main_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/internal/testmod"
)

// TestLowAddressSpaceLimit: 300 modules, two instances each, under
// `ulimit -v 2500000` (2.4 GiB). Each instance would reserve its 64 MiB
// memory limit; without a budget the reservations used the room Go's own
// allocator needed, and the process died ("fatal error: out of memory",
// or a segfault creating a thread). With it, every call succeeds.
func TestLowAddressSpaceLimit(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Fatal("needs sh for ulimit")
	}
	dir := t.TempDir()
	fixed := testmod.Read(t, "fixed")
	for i := 0; i < 300; i++ {
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("m%03d.wasm", i)), fixed, 0o644))
	}
	cmd := command("sh", "-c", `ulimit -v 2500000 && exec "$0" bench --modules "$1" -n 300 -c 4`, binary, dir)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", lastLines(string(out), 5))
	assert.Contains(t, string(out), "300 events in")
	assert.NotContains(t, string(out), "fatal error")
	assert.Equal(t, 300, strings.Count(string(out), " 0/300"), "every callback's calls succeeded")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
