# dbaas-operator. `make` builds bin/dbaas-operator; `make test` runs everything CI runs.
# Objects go to $(BUILD); a sanitizer build uses its own folder so the two never mix.

CC       ?= cc
BUILD    ?= build/default
BIN      ?= bin
PKGS     := libcurl libcjson yaml-0.1 openssl libuv libzstd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wno-format-nonliteral -Wvla -Wpointer-arith
CFLAGS   ?= -O2 -g
# $(call cflags_with,OPT): the compiler flags of every object, with OPT in place of $(CFLAGS).
cflags_with = -std=c11 -D_GNU_SOURCE $(WARN) $(1) $(EXTRA_CFLAGS) -Ipkg-c $(PKG_CFLAGS) -MMD -MP
ALL_CFLAGS = $(call cflags_with,$(CFLAGS))
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
	$(CLANG_FORMAT) -i $(FORMAT_SRC)

clean:
	rm -rf build bin

# Only this build's dependency files: another build (make clang, asan, fuzz) may be writing
# its own at the same time (test/run.sh runs them beside the integration tests).
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- fuzzing and the watch-stream benchmark (test/fuzz, test/bench) ----
# `make fuzz` builds the libFuzzer targets with clang, ASan and UBSan in build/fuzz and runs
# each for FUZZ_SECONDS (clang's libFuzzer runtime is Debian's libclang-rt-14-dev), or with
# FUZZ_RUNS set for that many executions each, however long it takes (issue 16 asks 10
# million: make fuzz FUZZ_RUNS=10000000); FUZZ_TARGETS_RUN="cron wstream" picks targets.
# `make bench-stream` measures pkg-c/wstream on one core, built with -O2.
FUZZ_SECONDS ?= 30
FUZZ_DIR     := build/fuzz
FUZZ_TARGETS := $(patsubst test/fuzz/%.c,$(FUZZ_DIR)/%,$(wildcard test/fuzz/fuzz_*.c))
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
                -fno-sanitize-recover=all

.PHONY: fuzz bench-stream bench-tlsca

fuzz:
	$(MAKE) CC=clang BUILD=$(FUZZ_DIR) CFLAGS="$(FUZZ_CFLAGS)" $(FUZZ_TARGETS)
	FUZZ_RUNS=$(FUZZ_RUNS) bash test/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS_RUN)

# Keeps the kubeconfig target's file reads inside its own temporary folder.
$(FUZZ_DIR)/fuzz_kubeconfig: FUZZ_LDFLAGS := -Wl,--wrap=core_read_file
$(FUZZ_DIR)/fuzz_%: test/fuzz/fuzz_%.c $(LIB)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer $< $(LIB) -o $@ $(LDLIBS) $(FUZZ_LDFLAGS)

bench-stream:
	$(MAKE) BUILD=build/bench CFLAGS="-O2 -g" build/bench/bench_wstream
	build/bench/bench_wstream

# `make bench-tlsca`: microseconds per server certificate (pkg-c/tlsca), -O2, one core.
bench-tlsca:
	$(MAKE) BUILD=build/bench CFLAGS="-O2 -g" build/bench/bench_tlsca
	build/bench/bench_tlsca

# `make bench-zdict ZDICT_FILES="sts.jsonl ..." ZDICT_LEVELS="1 -1"`: zstd's levels on the
# caches' objects (test/bench/bench_zdict.c says how to make the files), -O2, one core.
ZDICT_LEVELS ?= 1 -1 -3
.PHONY: bench-zdict
bench-zdict:
	@[ -n "$(ZDICT_FILES)" ] || { echo "bench-zdict: set ZDICT_FILES (one object a line)" >&2; exit 2; }
	$(MAKE) BUILD=build/bench CFLAGS="-O2 -g" build/bench/bench_zdict
	for f in $(ZDICT_FILES); do build/bench/bench_zdict $$f $(ZDICT_LEVELS) || exit $$?; done

build/bench/bench_%: test/bench/bench_%.c $(LIB)
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

# `make profile-restart`: callgrind over one restart with PROFILE_N DBInstances, for each binary
# of PROFILE_BINS (copy an older build aside to compare; test/bench/profile-restart.sh).
PROFILE_N    ?= 300
PROFILE_BINS ?= bin/dbaas-operator
.PHONY: profile-restart
profile-restart: all
	bash test/bench/profile-restart.sh $(PROFILE_N) $(PROFILE_BINS)

# `make profile-create`: PROFILE_CREATE_N DBInstances created to Ready, under callgrind and
# natively, PROFILE_ROUNDS times for each binary of PROFILE_BINS (test/bench/profile-create.sh).
# PROFILE_PERF=1 splits the native run's CPU by layer (perf), PROFILE_REQUESTS=1 counts its API
# requests by verb and resource, PROFILE_CALLGRIND=0 skips callgrind.
PROFILE_CREATE_N ?= 100
.PHONY: profile-create
profile-create: all
	bash test/bench/profile-create.sh $(PROFILE_CREATE_N) $(PROFILE_BINS)

# `make profile-apiserver`: the API server's CPU profile while PROFILE_API_N DBInstances are
# made without and with the operator, and the shares of its kinds of work
# (test/bench/profile-apiserver.sh).
PROFILE_API_N ?= 1000
.PHONY: profile-apiserver
profile-apiserver: all
	bash test/bench/profile-apiserver.sh $(PROFILE_API_N)

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

# ---- lint, format and the compilation database ----
# `make lint`: (a) every C source and header is as clang-format 14 lays it out (.clang-format),
# (b) no C file calls a banned function (hack/lint-banned.sh, STYLE.md), (c) shellcheck passes
# on every shell script (.shellcheckrc). All three run; it fails if any fails.
# `make format` rewrites the same C files in place.
# `make compile_commands.json`: one entry per C source with the flags its rule compiles it with
# (test/fuzz as `make fuzz` builds them), for clangd and other tools. No bear needed.
CLANG_FORMAT ?= clang-format
SHELLCHECK   ?= shellcheck
FORMAT_SRC   := $(sort $(wildcard pkg-c/*/*.[ch] cmd/*/*.[ch] test/unit/*.[ch] test/tools/*.[ch] \
                   test/fuzz/*.[ch] test/bench/*.[ch]))
SHELL_SRC    := $(sort $(shell find hack test -name '*.sh')) .ci/run

.PHONY: lint compile_commands.json

lint:
	@$(CLANG_FORMAT) --version | grep -q ' version 14\.' || \
	    { echo "lint: needs clang-format 14 (Debian's clang-format-14; make deps)" >&2; exit 1; }
	@rc=0; \
	echo "lint: clang-format on $(words $(FORMAT_SRC)) C files"; \
	$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_SRC) || { rc=1; echo "lint: not formatted; run make format" >&2; }; \
	echo "lint: banned functions"; \
	bash hack/lint-banned.sh $(FORMAT_SRC) || rc=1; \
	echo "lint: shellcheck on $(words $(SHELL_SRC)) scripts"; \
	$(SHELLCHECK) -x $(SHELL_SRC) || rc=1; \
	if [ $$rc -eq 0 ]; then echo "lint: ok"; else echo "lint: FAILED" >&2; fi; \
	exit $$rc

comma    := ,
json_str  = "$(subst ",\",$(subst \,\\,$(strip $(1))))"
CC_DB_SRC = $(LIB_SRC) cmd/dbaas-operator/main.c $(UNIT_SRC) $(TOOL_SRC) $(wildcard test/bench/*.c) \
            $(wildcard test/fuzz/fuzz_*.c)
# $(call cc_cmd,FILE): the compiler command line of FILE's rule, as an object-only compile.
cc_cmd    = $(if $(filter test/fuzz/%,$(1)), \
                clang $(call cflags_with,$(FUZZ_CFLAGS)) -fsanitize=fuzzer -c $(1) -o $(FUZZ_DIR)/$(1:.c=.o), \
                $(CC) $(ALL_CFLAGS) -c $(1) -o $(BUILD)/$(1:.c=.o))
cc_entry  = {"directory": $(call json_str,$(CURDIR)), "file": $(call json_str,$(1)), "command": $(call json_str,$(call cc_cmd,$(1)))}

compile_commands.json:
	$(file >$@,[)
	$(foreach f,$(filter-out $(lastword $(CC_DB_SRC)),$(CC_DB_SRC)),$(file >>$@,  $(call cc_entry,$(f))$(comma)))
	$(file >>$@,  $(call cc_entry,$(lastword $(CC_DB_SRC))))
	$(file >>$@,])
	@echo "compile_commands.json: $(words $(CC_DB_SRC)) entries"

# ---- crash at every write (issue 16): every write of every scenario, both variants, on a
# control plane of its own; prints the matrix. `make test` runs the smoke part.
FAILPOINTS_CLUSTER ?= $(HOME)/.cache/dbaas-operator/cluster-failpoints
.PHONY: failpoints
failpoints: all
	@export DBAAS_CLUSTER_DIR=$(FAILPOINTS_CLUSTER); bash hack/cluster.sh up >/dev/null && \
	    FAILPOINTS=all INTEGRATION_TIMEOUT=10800 INTEGRATION_VERBOSE=1 bash test/integration/run.sh failpoints; \
	    rc=$$?; bash hack/cluster.sh down >/dev/null; exit $$rc

# ---- faults between the operator and the API server (issue 16): every fault of test-
# apiserver-faults.sh with 50 DBInstances, on a control plane of its own. `make test` runs `cut`.
.PHONY: faults
faults: all
	@export DBAAS_CLUSTER_DIR=$(FAILPOINTS_CLUSTER); CLUSTER_PV_COUNT=120 bash hack/cluster.sh up >/dev/null && \
	    FAULTS="cut cutafter stall refuse etcd apiserver" FAULT_INSTANCES=50 INTEGRATION_TIMEOUT=3600 \
	    INTEGRATION_VERBOSE=1 bash test/integration/run.sh apiserver-faults; \
	    rc=$$?; bash hack/cluster.sh down >/dev/null; exit $$rc

# ---- spec fuzzing against the real server (issue 16): SPEC_FUZZ_COUNT (500) generated
# DBInstances (test/fuzz/specgen.py, seed SPEC_FUZZ_SEED) on a control plane of its own;
# every outcome in build/spec-fuzz.jsonl. `make test` runs 60 (test-spec-fuzz.sh).
SPEC_FUZZ_CLUSTER ?= $(HOME)/.cache/dbaas-operator/cluster-spec-fuzz
SPEC_FUZZ_COUNT   ?= 500
SPEC_FUZZ_SEED    ?= 1
.PHONY: spec-fuzz
spec-fuzz: all
	@mkdir -p build; export DBAAS_CLUSTER_DIR=$(SPEC_FUZZ_CLUSTER); \
	    CLUSTER_PV_COUNT=$$(($(SPEC_FUZZ_COUNT) + 50)) bash hack/cluster.sh up >/dev/null && \
	    SPEC_FUZZ_COUNT=$(SPEC_FUZZ_COUNT) SPEC_FUZZ_SEED=$(SPEC_FUZZ_SEED) SPEC_FUZZ_TIMEOUT=1800 \
	    SPEC_FUZZ_REPORT=$(CURDIR)/build/spec-fuzz.jsonl INTEGRATION_TIMEOUT=3600 \
	    INTEGRATION_VERBOSE=1 bash test/integration/run.sh spec-fuzz; \
	    rc=$$?; bash hack/cluster.sh down >/dev/null; exit $$rc

# ---- soak (issue 16): SOAK_MINUTES (60) of churn; RSS curve in build/soak/. Not in CI.
.PHONY: soak soak-valgrind
soak: all
	bash test/soak/soak.sh
soak-valgrind: all
	SOAK_VALGRIND=1 SOAK_MINUTES=$${SOAK_MINUTES:-5} SOAK_OBJECTS=$${SOAK_OBJECTS:-40} SOAK_START_WAIT=20 bash test/soak/soak.sh

# ---- kubectl dbaas (issue 15): the plugin, a second binary on the same library ----
# `make install PREFIX=/usr/local` installs both binaries into $(PREFIX)/bin; kubectl finds
# kubectl-dbaas on PATH, and kubectl_complete-dbaas (a link to it) completes `kubectl dbaas`. deploy/krew/dbaas.yaml is the krew manifest template.
PREFIX       ?= /usr/local
DESTDIR      ?=
PLUGIN_SRC   := $(sort $(wildcard cmd/kubectl-dbaas/*.c))
PLUGIN_OBJ   := $(PLUGIN_SRC:%.c=$(BUILD)/%.o)
PLUGIN_VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)

all: $(BIN)/kubectl-dbaas

$(BUILD)/cmd/kubectl-dbaas/main.o: EXTRA_CFLAGS += -DKUBECTL_DBAAS_VERSION='"$(PLUGIN_VERSION)"'

$(BIN)/kubectl-dbaas: $(PLUGIN_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $^ -o $@ $(LDLIBS)

.PHONY: install
install: $(BIN)/dbaas-operator $(BIN)/kubectl-dbaas
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN)/dbaas-operator $(BIN)/kubectl-dbaas $(DESTDIR)$(PREFIX)/bin/
	ln -sf kubectl-dbaas $(DESTDIR)$(PREFIX)/bin/kubectl_complete-dbaas

# ---- the operator image (issue 14): `make image` builds build/image/dbaas-operator.oci.tar,
# image dbaas-operator:<version>, offline with Debian's buildah (hack/image.sh, root) from the
# root filesystem hack/image-rootfs.sh assembles; deploy/image/Containerfile builds the same
# image where a container engine can pull Debian. Rebuilt only when its inputs change.
IMAGE_ARCHIVE := build/image/dbaas-operator.oci.tar
.PHONY: image
image: $(IMAGE_ARCHIVE)
$(IMAGE_ARCHIVE): $(BIN)/dbaas-operator hack/image.sh hack/image-rootfs.sh deploy/image/Containerfile
	@bash hack/install-deps.sh image
	IMAGE_BIN=$(BIN)/dbaas-operator bash hack/image.sh

# ---- the Helm chart (deploy/helm/dbaas-operator, issue 14) ----
# `make helm-crds` rewrites the chart's copies of crds/ and deploy/ (its crds/, files/ and
# appVersion; hack/gen-helm-chart.sh); `make test` fails when they are not up to date.
# `make helm` builds Helm 3 and 4 at the versions of hack/versions.env into the cache.
.PHONY: helm-crds helm
helm-crds:
	bash hack/gen-helm-chart.sh

helm:
	bash hack/build-helm.sh

# ---- GitOps with a real Argo CD (issue 17): every scenario of test/integration/test-gitops.sh
# (change, bad spec, prune with Retain, sync waves with a DBSnapshot, stopped, server-side
# apply, a HACluster) on a control plane of its own with the CSI stack. `make test` runs its short sync-and-health check. Argo CD's
# application controller and repo server are built once by hack/build-argocd.sh (cached).
GITOPS_CLUSTER ?= $(HOME)/.cache/dbaas-operator/cluster-gitops
.PHONY: gitops
gitops: all
	@export DBAAS_CLUSTER_DIR=$(GITOPS_CLUSTER); bash hack/build-argocd.sh >/dev/null && \
	    CLUSTER_CSI=1 bash hack/cluster.sh up >/dev/null && \
	    GITOPS=all INTEGRATION_TIMEOUT=1800 INTEGRATION_VERBOSE=1 bash test/integration/run.sh gitops; \
	    rc=$$?; bash hack/cluster.sh down >/dev/null; exit $$rc
