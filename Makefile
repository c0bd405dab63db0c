# wasmhook.
#
#   make demo    enrich a bundled NetBox event with the example plugins (needs only Go)
#   make test    vet, gofmt check and every Go test under the race detector, then the
#                slowest tests (needs only Go)
#   make tools   install the guest toolchains, redis-server and Chromium (Debian packages and npm, pinned)
#   make wasm    rebuild every committed .wasm from its source (needs make tools)
#   make test-sdks  the C, Rust and AssemblyScript SDKs' own tests (needs make tools)
#   make fuzz    run every fuzz target for FUZZTIME each

GO        ?= go
WAT2WASM  ?= wat2wasm
CLANG     ?= clang
RUSTC     ?= /usr/bin/rustc
NPM       ?= npm
NPX       ?= npx
BIN       := bin
WASMHOOK  := $(BIN)/wasmhook

# Go modules of their own (guest code and the benchmark harness): vetted and
# tested by `make test` beside the main module.
GO_SUBMODULES := guest-sdk/go examples/go/site_status examples/go/site_status_scan examples/go/netbox_tenant examples/go/command examples/go/testdata

# Committed modules and their sources.
WAT_SRC   := $(wildcard testdata/wat/*.wat testdata/hostile/*.wat examples/wat/*.wat examples/wat/scan/*.wat)
WAT_WASM  := $(WAT_SRC:.wat=.wasm)
C_WASM    := $(patsubst %.c,%.wasm,$(wildcard examples/c/*.c))
RUST_WASM := $(patsubst %.rs,%.wasm,$(wildcard examples/rust/*.rs))
AS_WASM   := $(patsubst %.ts,%.wasm,$(wildcard examples/assemblyscript/*.ts))

# Pinned toolchain versions (Debian 12), the redis-server the Redis queue's
# tests start (internal/redistest) and the Chromium the console's browser
# tests drive (cmd/wasmhook/console_test.go names the same version).
APT_PACKAGES := wabt=1.0.32-1 clang-14=1:14.0.6-12 lld-14=1:14.0.6-12 clang=1:14.0-55.7~deb12u1 lld=1:14.0-55.7~deb12u1 \
	wasi-libc=0.0~git20220510.9886d3d-2 libclang-rt-14-dev-wasm32=1:14.0.6-12 \
	rustc=1.63.0+dfsg1-2 libstd-rust-dev-wasm32=1.63.0+dfsg1-2 \
	redis-server=5:7.0.15-1~deb12u10 chromium=156.0.8078.129-1~deb12u1

# An iteration count rather than a duration: with a duration, a fuzz worker still
# busy when the time is up fails the run with "context deadline exceeded". New
# inputs are minimized for at most 2000 runs (the default, 60 s each, stalled CI).
FUZZTIME ?= 200000x
# package:target pairs, one per fuzz target.
FUZZ_TARGETS := .:FuzzEventJSON .:FuzzPayload \
	./internal/jsonraw:FuzzValidate ./internal/jsonraw:FuzzAppendString ./internal/jsonraw:FuzzMerge \
	./internal/jsonindex:FuzzLookup ./internal/jsonindex:FuzzBuildValidate ./runtime:FuzzInstrument ./runtime:FuzzResetData

DEMO_DIR  := $(BIN)/demo-modules

.PHONY: all test vet demo serve-demo build wasm tools test-sdks clean fuzz

all: vet test

# A hung test fails at TEST_TIMEOUT with every goroutine's stack (go test's
# default is 10 minutes); it is far above what the suite needs on 2 CPUs.
# SLOWEST: how many of the slowest tests make test lists at the end.
TEST_TIMEOUT ?= 20m
SLOWEST      ?= 10

## test: vet, gofmt check and the race-enabled tests of every Go module
# The main module's tests run last, through testreport, which prints what
# go test prints, then the slowest tests (and fails when a test failed).
test: vet
	@for m in $(GO_SUBMODULES); do \
		echo "go test $$m"; \
		(cd $$m && $(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...) || exit 1; \
	done
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) -json ./... | $(GO) run ./internal/testmod/testreport -n $(SLOWEST)

vet:
	$(GO) vet ./...
	@for m in $(GO_SUBMODULES); do \
		(cd $$m && $(GO) vet ./... && GOOS=wasip1 GOARCH=wasm $(GO) vet ./...) || exit 1; \
	done
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './*/node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

build: $(WASMHOOK)

$(WASMHOOK): $(shell find . -name '*.go' -not -path './testdata/*' -not -path './examples/*' -not -path './guest-sdk/*' -not -path './bench/*') go.mod
	$(GO) build -o $@ ./cmd/wasmhook

## demo: run the enricher over the example plugins, every language, on a bundled NetBox event
DEMO_MODULES := $(DEMO_DIR)/10-active_branch.wasm $(DEMO_DIR)/20-wat.wasm $(DEMO_DIR)/30-c.wasm \
	$(DEMO_DIR)/40-rust.wasm $(DEMO_DIR)/50-assemblyscript.wasm $(DEMO_DIR)/60-go.wasm \
	$(DEMO_DIR)/70-go-command.wasm $(DEMO_DIR)/wasmhook.yaml

demo: $(WASMHOOK) $(DEMO_MODULES)
	$(WASMHOOK) run --modules $(DEMO_DIR) --event testdata/netbox/site-updated.json --indent -v

$(DEMO_DIR)/10-active_branch.wasm: examples/wat/active_branch.wasm
$(DEMO_DIR)/20-wat.wasm: examples/wat/site_status.wasm
$(DEMO_DIR)/30-c.wasm: examples/c/site_status.wasm
$(DEMO_DIR)/40-rust.wasm: examples/rust/site_status.wasm
$(DEMO_DIR)/50-assemblyscript.wasm: examples/assemblyscript/site_status.wasm
$(DEMO_DIR)/wasmhook.yaml: examples/demo/wasmhook.yaml
$(DEMO_DIR)/10-active_branch.wasm $(DEMO_DIR)/20-wat.wasm $(DEMO_DIR)/30-c.wasm $(DEMO_DIR)/40-rust.wasm \
		$(DEMO_DIR)/50-assemblyscript.wasm $(DEMO_DIR)/wasmhook.yaml:
	@mkdir -p $(DEMO_DIR)
	cp $< $@

$(DEMO_DIR)/60-go.wasm: $(wildcard examples/go/site_status/*.go guest-sdk/go/*.go)
	@mkdir -p $(DEMO_DIR)
	GOOS=wasip1 GOARCH=wasm $(GO) build -C examples/go/site_status -buildmode=c-shared -o $(abspath $@) .

$(DEMO_DIR)/70-go-command.wasm: $(wildcard examples/go/command/*.go)
	@mkdir -p $(DEMO_DIR)
	GOOS=wasip1 GOARCH=wasm $(GO) build -C examples/go/command -o $(abspath $@) .

## serve-demo: start wasmhook serve on the example plugins, post a NetBox event, show the delivery
serve-demo: $(WASMHOOK) $(DEMO_MODULES)
	$(GO) run ./examples/serve-demo --wasmhook $(WASMHOOK) --modules $(DEMO_DIR)

## wasm: rebuild every committed .wasm from its source
# The rules that build a committed module from its source exist only inside
# `make wasm`. Git writes a clone's files in its own order, so a source (say
# guest-sdk/c/wasmhook.h) can be newer than the module committed beside it,
# and the Rust and AssemblyScript rules depend on bin/ and node_modules that
# a clone never has: with the rules always defined, `make demo` would call
# clang on a machine that has only Go. Outside `make wasm` a committed module
# is a plain file, used as it is.
wasm:
	$(MAKE) WASM_REBUILD=1 wasm-modules
	$(MAKE) -C bench wasm

ifeq ($(WASM_REBUILD),1)
.PHONY: wasm-modules
wasm-modules: $(WAT_WASM) $(C_WASM) $(RUST_WASM) $(AS_WASM)

%.wasm: %.wat
	$(WAT2WASM) $< -o $@

examples/c/%.wasm: examples/c/%.c guest-sdk/c/wasmhook.h
	$(CLANG) --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-all -Iguest-sdk/c -o $@ $<
	chmod 644 $@

RUST_SDK   := $(BIN)/rust/libwasmhook.rlib
RUST_FLAGS := --edition 2021 --target wasm32-wasi -C opt-level=s --remap-path-prefix=$(CURDIR)/=

$(RUST_SDK): $(wildcard guest-sdk/rust/src/*.rs)
	@mkdir -p $(dir $@)
	$(RUSTC) $(RUST_FLAGS) --crate-type rlib --crate-name wasmhook -o $@ guest-sdk/rust/src/lib.rs

examples/rust/%.wasm: examples/rust/%.rs $(RUST_SDK)
	$(RUSTC) $(RUST_FLAGS) --crate-type cdylib -C lto -C strip=symbols --extern wasmhook=$(RUST_SDK) -o $@ $<
	chmod 644 $@

examples/assemblyscript/%.wasm: examples/assemblyscript/%.ts $(wildcard guest-sdk/assemblyscript/assembly/*.ts) examples/assemblyscript/node_modules
	cd examples/assemblyscript && $(NPX) asc $*.ts -O3 --use abort=../../guest-sdk/assemblyscript/assembly/index/wasmhookAbort --outFile $*.wasm

examples/assemblyscript/node_modules: examples/assemblyscript/package-lock.json
	cd examples/assemblyscript && $(NPM) ci --no-audit --no-fund
	@touch $@
endif

guest-sdk/assemblyscript/node_modules: guest-sdk/assemblyscript/package-lock.json
	cd guest-sdk/assemblyscript && $(NPM) ci --no-audit --no-fund
	@touch $@

## test-sdks: the C, Rust and AssemblyScript SDKs' own tests
test-sdks: guest-sdk/assemblyscript/node_modules
	@mkdir -p $(BIN)
	gcc -std=c99 -Wall -Wextra -Werror -o $(BIN)/test_json guest-sdk/c/test/test_json.c && $(BIN)/test_json
	$(RUSTC) --edition 2021 --test guest-sdk/rust/src/lib.rs -o $(BIN)/wasmhook-rust-test && $(BIN)/wasmhook-rust-test
	cd guest-sdk/assemblyscript && $(NPM) test

## tools: install the guest toolchains and the console tests' browser, pinned
tools:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES)

## fuzz: run every fuzz target for FUZZTIME each (crashers land in testdata/fuzz)
fuzz:
	@for pt in $(FUZZ_TARGETS); do \
		pkg=$${pt%%:*}; target=$${pt##*:}; \
		echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$target$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=2000x $$pkg || exit 1; \
	done

clean:
	rm -rf $(BIN)
