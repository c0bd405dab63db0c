package wasmhook_test

import (
	"os/exec"
	"path"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allowedImports are the project packages each package may import (the
// package graph drawn in README.md), by path relative to the module; a
// prefix ending in "/" covers the packages under it. The relay, when it
// comes, is a package that uses only the root API.
var allowedImports = map[string][]string{
	"abi":           {"internal/"},
	"runtime":       {"abi", "internal/"},
	"registry":      {"abi", "runtime", "internal/"},
	".":             {"abi", "runtime", "registry", "internal/"},
	"cmd/":          {".", "abi", "runtime", "registry", "relay", "relay/", "internal/"},
	"relay/":        {".", "relay/", "internal/"},
	"relay/console": {".", "relay", "relay/", "internal/"}, // the console is a view of the relay
	"examples/":     {"."},
	"internal/":     {"abi", "runtime", "internal/"},
	"guest-sdk/":    {},
	"bench/":        {".", "abi", "runtime"},
	"testdata/go/":  {},
}

// TestPackageGraph: no package imports against the layout (a package
// may not reach up, or around the public API where it should use it).
func TestPackageGraph(t *testing.T) {
	const module = "github.com/wasmhook/wasmhook"
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...").Output()
	require.NoError(t, err)
	rel := func(p string) string {
		if p == module {
			return "."
		}
		return strings.TrimPrefix(p, module+"/")
	}
	rule := func(pkg string) ([]string, bool) {
		if r, ok := allowedImports[pkg]; ok {
			return r, true
		}
		for p := pkg; p != "." && p != "/"; p = path.Dir(p) {
			if r, ok := allowedImports[p+"/"]; ok {
				return r, true
			}
		}
		return nil, false
	}
	allowed := func(rules []string, dep string) bool {
		for _, r := range rules {
			if dep == r || (strings.HasSuffix(r, "/") && strings.HasPrefix(dep, r)) {
				return true
			}
		}
		return false
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := rel(fields[0])
		rules, ok := rule(pkg)
		if !assert.True(t, ok, "package %s has no place in the layout (allowedImports)", pkg) {
			continue
		}
		checked++
		for _, imp := range fields[1:] {
			if imp == module || strings.HasPrefix(imp, module+"/") {
				assert.True(t, allowed(rules, rel(imp)), "%s imports %s, against the layout", pkg, rel(imp))
			}
		}
	}
	assert.Greater(t, checked, 8)
}
