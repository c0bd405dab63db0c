package main_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// toolchain finds a program the way the Makefile names it: the variable
// name in the environment (make passes its command-line variables on),
// else def on PATH. skip is set when the environment names a program
// that does not exist: a run that is deliberately without the guest
// toolchains (.ci/run's first step); missing is set when def is absent.
func toolchain(env, def string) (path string, skip, missing bool) {
	if v := os.Getenv(env); v != "" {
		if _, err := exec.LookPath(v); err != nil {
			return "", true, false
		}
		return v, false, false
	}
	p, err := exec.LookPath(def)
	return p, false, err != nil
}

// TestNewSkeletons: every skeleton that wasmhook new writes builds with
// its documented toolchain (its Makefile) and passes its own fixtures
// (make test runs wasmhook test). A language whose toolchain is missing
// fails the test under CI (CI installs them all) and is skipped elsewhere.
func TestNewSkeletons(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("the skeletons build with make")
	}
	sdk, err := filepath.Abs("../../guest-sdk")
	require.NoError(t, err)
	asModules, err := filepath.Abs("../../examples/assemblyscript/node_modules")
	require.NoError(t, err)
	cases := []struct {
		lang  string
		tools [][2]string // Makefile variable, default program
	}{
		{"wat", [][2]string{{"WAT2WASM", "wat2wasm"}}},
		{"go", [][2]string{{"GO", "go"}}},
		{"c", [][2]string{{"CLANG", "clang"}}},
		{"rust", [][2]string{{"RUSTC", "/usr/bin/rustc"}}},
		{"assemblyscript", [][2]string{{"NPX", "npx"}}},
	}
	for _, tc := range cases {
		t.Run(tc.lang, func(t *testing.T) {
			t.Parallel()
			for _, tool := range tc.tools {
				_, skip, missing := toolchain(tool[0], tool[1])
				switch {
				case skip:
					t.Skipf("%s=%s names no program: a run without guest toolchains", tool[0], os.Getenv(tool[0]))
				case missing && os.Getenv("CI") != "":
					t.Fatalf("%s (%s) is not installed; CI installs every guest toolchain (make tools)", tool[1], tool[0])
				case missing:
					t.Skipf("%s is not installed (make tools installs it; CI runs this)", tool[1])
				}
			}
			dir := filepath.Join(t.TempDir(), "my-"+tc.lang)
			name := filepath.Base(dir)
			args := []string{"new", tc.lang, name, "--dir", dir}
			if tc.lang == "go" {
				// The default: the clone this binary was built from.
			} else if tc.lang != "wat" {
				args = append(args, "--sdk", filepath.Dir(sdk))
			}
			r := wasmhook(t, "", args...)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Equal(t, "wrote a "+map[string]string{"wat": "WAT (WebAssembly text, by hand)", "go": "Go", "c": "C", "rust": "Rust",
				"assemblyscript": "AssemblyScript"}[tc.lang]+" plugin in "+dir+": cd "+dir+" && make test\n", r.stdout)

			if tc.lang == "assemblyscript" {
				// npm install would fetch assemblyscript; the copy that make
				// wasm (CI) or npm ci installed for the example stands in,
				// and the package.json that npm would read is checked.
				if _, err := os.Stat(filepath.Join(asModules, "assemblyscript")); err != nil {
					if os.Getenv("CI") != "" {
						t.Fatalf("no %s: make wasm installs it", asModules)
					}
					t.Skipf("no %s (npm ci in examples/assemblyscript)", asModules)
				}
				var pkg struct{ DevDependencies map[string]string }
				b, err := os.ReadFile(filepath.Join(dir, "package.json"))
				require.NoError(t, err)
				require.NoError(t, json.Unmarshal(b, &pkg))
				assert.Equal(t, map[string]string{"assemblyscript": "0.28.20", "@wasmhook/guest-sdk": "file:" + sdk + "/assemblyscript"}, pkg.DevDependencies)
				nm := filepath.Join(dir, "node_modules")
				require.NoError(t, os.MkdirAll(filepath.Join(nm, "@wasmhook"), 0o755))
				for _, m := range []string{"assemblyscript", "binaryen", "long", ".bin"} {
					require.NoError(t, os.Symlink(filepath.Join(asModules, m), filepath.Join(nm, m)))
				}
				require.NoError(t, os.Symlink(filepath.Join(sdk, "assemblyscript"), filepath.Join(nm, "@wasmhook", "guest-sdk")))
				future := time.Now().Add(time.Minute)
				require.NoError(t, os.Chtimes(nm, future, future)) // newer than package.json: make does not run npm
			}

			mk := command("make", "-C", dir, "WASMHOOK="+binary, "test")
			out, err := mk.CombinedOutput()
			require.NoError(t, err, "make test in %s:\n%s", dir, out)
			assert.Contains(t, string(out), "ok    site-updated.json\n")
			assert.Contains(t, string(out), "2 passed, 0 failed\n")

			r = wasmhook(t, "", "run", filepath.Join(dir, name+".wasm"), "--json")
			require.Equal(t, 0, r.code, r.stderr)
			assert.Contains(t, r.stdout, `"context": {`+"\n"+`      "`+name+`": {`, "the plugin's result is under its name")
			if tc.lang == "go" {
				b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
				require.NoError(t, err)
				assert.Contains(t, string(b), "=> "+sdk+"/go\n", "the SDK of the clone this binary was built from")
			}
			if strings.Contains(tc.lang, "wat") {
				assert.NoFileExists(t, filepath.Join(dir, "package.json"))
			}
		})
	}
}

// TestNewRefuses: a bad language or name, a directory in use, an SDK
// that is not one.
func TestNewRefuses(t *testing.T) {
	dir := t.TempDir()
	assertOneLineError(t, wasmhook(t, "", "new", "cobol", "x"), 2, `no language "cobol"; want one of assemblyscript, c, go, rust, wat`)
	assertOneLineError(t, wasmhook(t, "", "new", "go", "9lives"), 2, `name "9lives": want letters`)
	assertOneLineError(t, wasmhook(t, "", "new", "go"), 2, "want a language and a name")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x"), nil, 0o644))
	assertOneLineError(t, wasmhook(t, "", "new", "wat", "p", "--dir", dir), 2, dir+" exists and is not empty")
	assertOneLineError(t, wasmhook(t, "", "new", "c", "p", "--dir", filepath.Join(dir, "p"), "--sdk", dir), 2, "--sdk "+dir+": no guest-sdk/ of a wasmhook clone there")
}
