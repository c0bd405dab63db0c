package main

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestVersionOf: -ldflags wins, then the module version, then the VCS
// stamp; a build with none says so.
func TestVersionOf(t *testing.T) {
	stamped := &debug.BuildInfo{Main: debug.Module{Path: "github.com/wasmhook/wasmhook", Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "86561a9525bdd139c9822adb2b82c953f0b44863"},
		{Key: "vcs.time", Value: "2026-03-06T15:11:23Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	installed := &debug.BuildInfo{Main: debug.Module{Path: "github.com/wasmhook/wasmhook", Version: "v0.3.1"}}
	clean := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "86561a9525bdd139c9822adb2b82c953f0b44863"},
		{Key: "vcs.modified", Value: "false"},
	}}
	bare := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}

	assert.Equal(t, "v1.2.3", versionOf("v1.2.3", stamped), "-ldflags -X main.version wins")
	assert.Equal(t, "v0.3.1", versionOf("", installed), "go install ...@v0.3.1")
	assert.Equal(t, "devel-86561a9525bd (2026-03-06T15:11:23Z, with uncommitted changes)", versionOf("", stamped))
	assert.Equal(t, "devel-86561a9525bd", versionOf("", clean))
	assert.Contains(t, versionOf("", bare), "without a version or a VCS stamp")
	assert.Contains(t, versionOf("", nil), "no build information")
	bi, ok := debug.ReadBuildInfo()
	assert.True(t, ok)
	assert.NotEmpty(t, versionOf("", bi), "this very binary")
}
