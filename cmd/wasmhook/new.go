package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	goruntime "runtime"
	"slices"
	"strings"
	"text/template"
)

//go:embed templates
var templates embed.FS

const newUsage = `usage: wasmhook new [flags] LANGUAGE NAME

Writes a plugin skeleton in directory NAME (or --dir): the plugin, a
Makefile ('make' builds NAME.wasm, 'make test' runs 'wasmhook test .'), a
README, and fixtures in testdata/ that the plugin passes. LANGUAGE is one
of go, c, rust, assemblyscript, wat:

LANGS
NAME is letters, digits, '_' and '-', starting with a letter: the module's
file and callback name, and the key the plugin puts its result under.

The SDKs are read from a clone of the wasmhook repository (they are not
published yet): the one this command was built from, else the one the
current directory is in, else --sdk.

examples:
  wasmhook new go geo && cd geo && make test
  wasmhook new rust branch --sdk ~/src/wasmhook

flags:
`

// language is what a skeleton needs to know about a language.
type language struct {
	Title, Source, Toolchain, Build string
	sdk                             bool // whether it uses the SDK of a clone
}

var languages = map[string]language{
	"go": {Title: "Go", Source: "main.go", sdk: true,
		Toolchain: "Go 1.25 or later; nothing else (standard Go builds WASI modules)",
		Build:     "GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o NAME.wasm ."},
	"c": {Title: "C", Source: "NAME.c", sdk: true,
		Toolchain: "clang 14 with the WASI sysroot (Debian: `apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32`)",
		Build:     "clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-all -I$SDK/c -o NAME.wasm NAME.c"},
	"rust": {Title: "Rust", Source: "NAME.rs", sdk: true,
		Toolchain: "Debian's rustc 1.63 (`apt-get install rustc libstd-rust-dev-wasm32 lld-14`), as /usr/bin/rustc",
		Build:     "/usr/bin/rustc --target wasm32-wasi --crate-type cdylib ... (the SDK as an rlib first)"},
	"assemblyscript": {Title: "AssemblyScript", Source: "NAME.ts", sdk: true,
		Toolchain: "node 20 or later and npm; `make` runs `npm install` (assemblyscript 0.28.20 and the SDK)",
		Build:     "npx asc NAME.ts -O3 --use abort=~lib/@wasmhook/guest-sdk/assembly/index/wasmhookAbort --outFile NAME.wasm"},
	"wat": {Title: "WAT (WebAssembly text, by hand)", Source: "NAME.wat",
		Toolchain: "wabt (Debian: `apt-get install wabt`)",
		Build:     "wat2wasm NAME.wat -o NAME.wasm"},
}

var validName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

func cmdNew(ctx context.Context, args []string, io stdio) error {
	var langs strings.Builder
	for _, l := range slices.Sorted(mapKeys(languages)) {
		fmt.Fprintf(&langs, "  %-15s %s\n", l, languages[l].Toolchain)
	}
	fs := newFlags("new", strings.Replace(newUsage, "LANGS\n", langs.String()+"\n", 1), io)
	dir := fs.String("dir", "", "the directory to write (default NAME); it must not exist or be empty")
	sdkFlag := fs.String("sdk", "", "a clone of the wasmhook repository, whose guest-sdk/ the plugin builds with")
	if err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return hintErr("new", errors.New("want a language and a name: wasmhook new go geo"))
	}
	lang, name := fs.Arg(0), fs.Arg(1)
	l, ok := languages[lang]
	if !ok {
		return hintErr("new", fmt.Errorf("no language %q; want one of %s", lang, strings.Join(slices.Sorted(mapKeys(languages)), ", ")))
	}
	if !validName.MatchString(name) {
		return hintErr("new", fmt.Errorf("name %q: want letters, digits, '_' and '-', starting with a letter", name))
	}
	if *dir == "" {
		*dir = name
	}
	if entries, err := os.ReadDir(*dir); err == nil && len(entries) > 0 {
		return usageErr(fmt.Errorf("new: %s exists and is not empty", *dir))
	}
	data := skeleton{language: l, Lang: lang, Name: name, Ident: strings.ReplaceAll(name, "-", "_")}
	data.Source = strings.ReplaceAll(l.Source, "NAME", name)
	data.Build = strings.ReplaceAll(l.Build, "NAME", name)
	if l.sdk {
		sdk, err := findSDK(*sdkFlag)
		if err != nil {
			return usageErr(fmt.Errorf("new %s: %w", lang, err))
		}
		data.SDK = sdk
		data.Build = strings.ReplaceAll(data.Build, "$SDK", sdk)
	}
	data.Output = fmt.Sprintf(`{"%s":{"hello":"world"}}`, name)
	data.OutputWAT = strings.ReplaceAll(data.Output, `"`, `\"`)

	files, err := data.render()
	if err != nil {
		return err
	}
	for _, f := range files {
		file := filepath.Join(*dir, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(file, f.body, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(io.out, "wrote a %s plugin in %s: cd %s && make test\n", l.Title, *dir, *dir)
	return nil
}

// skeleton is what the templates are executed with.
type skeleton struct {
	language
	Lang, Name string
	// Ident is Name as an identifier ('-' as '_').
	Ident string
	// SDK is the guest-sdk directory of a clone, "" for WAT.
	SDK string
	// Output is the WAT plugin's output; OutputWAT the same as a WAT
	// string's contents.
	Output, OutputWAT string
}

type file struct {
	name string // slash-separated, in the skeleton
	body []byte
}

// render executes the common templates and the language's.
func (s skeleton) render() ([]file, error) {
	var out []file
	for _, root := range []string{"templates/common", "templates/" + s.Lang} {
		err := fs.WalkDir(templates, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			body, err := templates.ReadFile(p)
			if err != nil {
				return err
			}
			name := strings.TrimPrefix(p, root+"/")
			if tmpl, ok := strings.CutSuffix(name, ".tmpl"); ok {
				t, err := template.New(p).Option("missingkey=error").Parse(string(body))
				if err != nil {
					return err
				}
				var b bytes.Buffer
				if err := t.Execute(&b, s); err != nil {
					return err
				}
				body, name = b.Bytes(), tmpl
			}
			if name == "gitignore" {
				name = ".gitignore" // embed leaves dotfiles out
			}
			dir, base := path.Split(name)
			out = append(out, file{name: dir + strings.ReplaceAll(base, "NAME", s.Name), body: body})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("new: template: %w", err)
		}
	}
	return out, nil
}

// sdkModule is the first line of the Go SDK's go.mod: it tells a clone's
// guest-sdk directory from any other.
const sdkModule = "module github.com/wasmhook/wasmhook/guest-sdk/go"

// findSDK returns the absolute guest-sdk directory of a wasmhook clone:
// the one named (the clone or its guest-sdk directory), else the clone
// this command was built from, else the one the current directory is in.
func findSDK(named string) (string, error) {
	isSDK := func(dir string) bool {
		b, err := os.ReadFile(filepath.Join(dir, "go", "go.mod"))
		return err == nil && bytes.HasPrefix(b, []byte(sdkModule+"\n"))
	}
	var candidates []string
	if named != "" {
		candidates = []string{filepath.Join(named, "guest-sdk"), named}
	} else {
		// The source path compiled in: the clone that go install or go
		// build ran in (unless it built with -trimpath).
		if _, src, _, ok := goruntime.Caller(0); ok && filepath.IsAbs(src) {
			candidates = append(candidates, filepath.Join(filepath.Dir(src), "..", "..", "guest-sdk"))
		}
		if wd, err := os.Getwd(); err == nil {
			for d := wd; ; d = filepath.Dir(d) {
				candidates = append(candidates, filepath.Join(d, "guest-sdk"))
				if filepath.Dir(d) == d {
					break
				}
			}
		}
	}
	for _, c := range candidates {
		if isSDK(c) {
			return filepath.Abs(c)
		}
	}
	if named != "" {
		return "", fmt.Errorf("--sdk %s: no guest-sdk/ of a wasmhook clone there", named)
	}
	return "", errors.New("cannot find the SDKs (guest-sdk/ of a clone of the wasmhook repository): give --sdk /path/to/wasmhook")
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
