# dbaas-operator. `make` builds bin/dbaas-operator; `make test` runs everything CI runs.
# Objects go to $(BUILD); a sanitizer build uses its own folder so the two never mix.

CC       ?= cc
BUILD    ?= build/default
BIN      ?= bin
PKGS     := libcurl libcjson yaml-0.1 openssl libuv
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wno-format-nonliteral -Wvla -Wpointer-arith
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) -Ipkg-c $(PKG_CFLAGS) -MMD -MP
LDLIBS   = $(PKG_LIBS)

LIB_SRC  := $(sort $(wildcard pkg-c/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libdbaas.a
UNIT_SRC := $(sort $(wildcard test/unit/*.c))
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)
TOOL_SRC := $(sort $(wildcard test/tools/*.c))
TOOLS    := $(TOOL_SRC:test/tools/%.c=$(BIN)/%)

.PHONY: all deps test unit integration asan valgrind clang run cluster-up cluster-down clean format
.DEFAULT_GOAL := all

all: $(BIN)/dbaas-operator $(BIN)/unit-tests $(TOOLS)

deps:
	@bash hack/install-deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# Rebuilt whole: ar never drops members, so a removed source would linger and clash.
$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BIN)/dbaas-operator: $(BUILD)/cmd/dbaas-operator/main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $^ -o $@ $(LDLIBS)

$(BIN)/unit-tests: $(UNIT_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $^ -o $@ $(LDLIBS)

$(BIN)/%: $(BUILD)/test/tools/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $^ -o $@ $(LDLIBS)

unit: $(BIN)/unit-tests
	$(BIN)/unit-tests

# Unit tests under AddressSanitizer and UndefinedBehaviorSanitizer, built apart from the rest.
asan:
	$(MAKE) BUILD=build/asan BIN=build/asan/bin \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	    build/asan/bin/unit-tests
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build/asan/bin/unit-tests

valgrind: $(BIN)/unit-tests
	DBAAS_TEST_NOFORK=1 valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
	    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 $(BIN)/unit-tests

# The same sources built with clang, warnings as errors, in a folder of its own.
clang:
	$(MAKE) CC=clang BUILD=build/clang BIN=build/clang/bin all

integration: all
	bash test/integration/run.sh

test:
	@bash test/run.sh

run:
	@bash hack/run.sh

cluster-up:
	@bash hack/cluster.sh up

cluster-down:
	@bash hack/cluster.sh down

format:
	clang-format -i $(LIB_SRC) $(UNIT_SRC) $(TOOL_SRC) $(wildcard pkg-c/*/*.h cmd/*/*.c test/unit/*.h)

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)

# ---- fuzzing and the watch-stream benchmark (test/fuzz, test/bench) ----
# `make fuzz` builds the libFuzzer targets with clang, ASan and UBSan in build/fuzz and runs
# each for FUZZ_SECONDS (clang's libFuzzer runtime is Debian's libclang-rt-14-dev).
# `make bench-stream` measures pkg-c/wstream on one core, built with -O2.
FUZZ_SECONDS ?= 30
FUZZ_DIR     := build/fuzz
FUZZ_TARGETS := $(patsubst test/fuzz/%.c,$(FUZZ_DIR)/%,$(wildcard test/fuzz/fuzz_*.c))

.PHONY: fuzz bench-stream

fuzz:
	$(MAKE) CC=clang BUILD=$(FUZZ_DIR) CFLAGS="-O1 -g -fno-omit-frame-pointer \
	    -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" $(FUZZ_TARGETS)
	bash test/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

# Keeps the kubeconfig target's file reads inside its own temporary folder.
$(FUZZ_DIR)/fuzz_kubeconfig: FUZZ_LDFLAGS := -Wl,--wrap=core_read_file
$(FUZZ_DIR)/fuzz_%: test/fuzz/fuzz_%.c $(LIB)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer $< $(LIB) -o $@ $(LDLIBS) $(FUZZ_LDFLAGS)

bench-stream:
	$(MAKE) BUILD=build/bench CFLAGS="-O2 -g" build/bench/bench_wstream
	build/bench/bench_wstream

build/bench/bench_wstream: test/bench/bench_wstream.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(LIB) -o $@ $(LDLIBS)

# `make bench-informer`: watches per connection and cache memory against a cluster of its own
# (test/bench/bench-informer.sh writes test/bench/RESULTS-runtime.md).
.PHONY: bench-informer
bench-informer:
	bash test/bench/bench-informer.sh

# `make bench`: the operator at N = 100 and 1000 DBInstances (BENCH_N=5000 adds one more size)
# against the lower bound and the Zalando postgres-operator, on a cluster of its own
# (test/bench/bench.sh writes test/bench/RESULTS.md and test/bench/results.json).
.PHONY: bench
bench:
	bash test/bench/bench.sh

# ---- builder tests as data (test/golden, test/tools/golden.c) ----
# `make golden-check` compares what the real builders make with test/golden; `make golden`
# rewrites the expected files after an intended change: read the diff before committing it.
.PHONY: golden golden-check
golden: $(BIN)/golden
	$(BIN)/golden --update test/golden

golden-check: $(BIN)/golden
	$(BIN)/golden test/golden

# `make health`: the Argo CD health scripts (deploy/health/<group>/<Kind>/health.lua) against their
# health_test.yaml in Argo CD's argocd-cm sandbox, on Debian's lua5.1 (test/health/run.sh).
# `make argocd-health` rewrites deploy/argocd-cm-health.yaml from those scripts.
.PHONY: health argocd-health
health:
	bash test/health/run.sh

argocd-health:
	bash hack/gen-argocd-health.sh
