package main

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// version is set by the linker, and then wins over the build info:
// go build -ldflags "-X main.version=v1.2.3" ./cmd/wasmhook
var version string

// buildVersion says which code this binary is: the -ldflags version; else
// the module version when it was installed at one (go install
// github.com/wasmhook/wasmhook/cmd/wasmhook@v1.2.3); else the commit it
// was built from (go install ./cmd/wasmhook in a clone), with its time and
// whether the work tree had uncommitted changes.
func buildVersion() string {
	bi, _ := debug.ReadBuildInfo()
	return versionOf(version, bi)
}

func versionOf(ldflags string, bi *debug.BuildInfo) string {
	if ldflags != "" {
		return ldflags
	}
	if bi == nil {
		return "devel (no build information)"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, at string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel (built without a version or a VCS stamp: -buildvcs=false, or outside a clone)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "devel-%s", rev[:min(12, len(rev))])
	var notes []string
	if at != "" {
		notes = append(notes, at)
	}
	if modified {
		notes = append(notes, "with uncommitted changes")
	}
	if len(notes) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(notes, ", "))
	}
	return b.String()
}
