# Bazaar: build, run and test the whole system.
# `make run` and `make test` are the two commands; both install what is missing first.

BUILD     ?= build
CC        ?= cc
OPT       ?= -O2 -g
CFLAGS    += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(OPT) \
             -Ibus -Ibus/lib -Ischemas -Icatalog -Ifrontend -Iorder -Iclient
LDLIBS    += -lczmq -lzmq -lmsgpackc -lsqlite3 -ljansson -lcivetweb -lcurl -lpthread -lm
ifeq ($(SANITIZE),1)
CFLAGS    += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS   += -fsanitize=address,undefined
endif

# The library every service links to talk on the bus (bus/lib/) and schemas/ go into
# libcommon.a; each service directory into lib<dir>.a (bus/: the broker and its tools),
# so a service links only its own code. Every <dir>/<name>_main.c is a program
# build/bazaar-<name> linking lib<dir>.a; tests/tools/<name>_main.c, the test-only programs,
# link only libcommon.a. tests/test_<dir>_*.c links lib<dir>.a, tests/test_bz_*.c only
# libcommon.a.
DIRS      := bus catalog frontend order client
COMMON_SRC:= $(wildcard bus/lib/*.c schemas/*.c)
COMMON_OBJ:= $(COMMON_SRC:%.c=$(BUILD)/obj/%.o)
dir_src    = $(filter-out %_main.c,$(wildcard $(1)/*.c))
MAIN_SRC  := $(foreach d,$(DIRS),$(wildcard $(d)/*_main.c)) $(wildcard tests/tools/*_main.c)
PROGRAMS  := $(foreach m,$(MAIN_SRC),$(BUILD)/bazaar-$(notdir $(m:_main.c=)))
TEST_SRC  := $(wildcard tests/test_*.c)
TESTS     := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
ALL_OBJ   := $(COMMON_OBJ) $(foreach d,$(DIRS),$(patsubst %.c,$(BUILD)/obj/%.o,$(call dir_src,$(d))))

# The version --version prints: `git describe` in a git tree, else VERSION.
VERSION   := 0.11.0
BZ_VERSION:= $(or $(shell git describe --tags --always --dirty 2>/dev/null),$(VERSION))

DEB_PKGS  := build-essential pkg-config libzmq3-dev libczmq-dev libmsgpack-dev libcivetweb-dev \
             libsqlite3-dev sqlite3 libjansson-dev libcmocka-dev libcurl4-openssl-dev \
             bats curl jq gnuplot-nox wrk nginx-light procps psmisc clang iproute2 nftables systemd \
             chromium iptables libnetfilter-queue-dev

.PHONY: all deps run test test-unit test-e2e clean tsan fuzz bench lint
# Test tools that are not programs of the system: scripts/netns-test's delay (no netem here).
TOOLS     := $(BUILD)/tests/nfqdelay
all: $(PROGRAMS) $(TESTS) $(TOOLS)

$(BUILD)/tests/nfqdelay: tests/netns/nfqdelay.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $< -lnetfilter_queue -lnfnetlink -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# bz_cli.o carries the version; the stamp changes only when the version does.
$(BUILD)/obj/bus/lib/bz_cli.o: CFLAGS += -DBZ_VERSION='"$(BZ_VERSION)"'
$(BUILD)/obj/bus/lib/bz_cli.o: $(BUILD)/version.stamp
$(BUILD)/version.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(BZ_VERSION)' | cmp -s - $@ || echo '$(BZ_VERSION)' > $@
.PHONY: FORCE

$(BUILD)/libcommon.a: $(COMMON_OBJ)
	@rm -f $@
	ar rcs $@ $^

define dir_lib
$(BUILD)/lib$(1).a: $(patsubst %.c,$(BUILD)/obj/%.o,$(call dir_src,$(1))) $(BUILD)/obj/.keep
	@rm -f $$@
	ar rcs $$@ $$^
endef
$(foreach d,$(DIRS),$(eval $(call dir_lib,$(d))))
$(BUILD)/obj/.keep:
	@mkdir -p $(dir $@) && printf '' | $(CC) -x c -c - -o $@

main_lib   = $(if $(filter tests/tools/%,$(1)),,$(BUILD)/lib$(patsubst %/,%,$(dir $(1))).a)
define program
$(BUILD)/bazaar-$(notdir $(1:_main.c=)): $(1) $(call main_lib,$(1)) $(BUILD)/libcommon.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $$(LDFLAGS) $$^ $$(LDLIBS) -o $$@
endef
$(foreach m,$(MAIN_SRC),$(eval $(call program,$(m))))

test_lib = $(if $(filter $(word 2,$(subst _, ,$(1))),$(DIRS)),$(BUILD)/lib$(word 2,$(subst _, ,$(1))).a)
define unit_test
$(BUILD)/tests/$(1): tests/$(1).c $(call test_lib,$(1)) $(BUILD)/libcommon.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $$(LDFLAGS) $$^ -lcmocka $$(LDLIBS) -o $$@
endef
$(foreach t,$(TEST_SRC:tests/%.c=%),$(eval $(call unit_test,$(t))))

# Installs only the Debian packages that are missing; apt-get update runs once, only if needed.
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	    | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "installing:" $$missing; \
	    if [ "$$(id -u)" != 0 ]; then echo "make deps needs root to install:" $$missing; exit 1; fi; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; }; \
	fi

# The builds behind the two commands use every core (a sanitized build alone takes
# minutes on one).
BUILD_JOBS := -j$(shell nproc 2>/dev/null || echo 2)

run: deps
	@$(MAKE) --no-print-directory $(BUILD_JOBS) all
	@exec scripts/cluster run

# The whole suite runs on a sanitized build (ASan + UBSan) in build/asan.
test: deps
	@$(MAKE) --no-print-directory $(BUILD_JOBS) BUILD=build/asan SANITIZE=1 OPT="-O1 -g" all
	@BAZAAR_BIN=build/asan scripts/run-tests

# The evaluation (docs/evaluation.md): scripts/bench on the optimised build, into docs/bench
# (about 20 minutes; `scripts/bench --quick` for a short run).
bench: deps
	@$(MAKE) --no-print-directory all
	@scripts/bench

clean:
	rm -rf build

-include $(ALL_OBJ:.o=.d)

# ---------------------------------------------------------------------------------------
# Hardening. tests/fuzz/fuzz_<what>.c are libFuzzer targets; `make all` also builds each
# as $(BUILD)/fuzz-replay-<what> (normal CC and sanitizers, tests/fuzz/replay_main.c), and
# tests/e2e/fuzz_replay.bats replays tests/fuzz/corpus + regressions through them.
# `make fuzz` builds them with clang + libFuzzer into build/fuzz and runs each for
# FUZZ_SECONDS; `make tsan` runs a cluster built with ThreadSanitizer under load.
FUZZ_TARGETS  := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAYS  := $(FUZZ_TARGETS:%=$(BUILD)/fuzz-replay-%)
#   The service library each target needs besides libcommon, and its largest input.
FUZZ_LIB_catalog := catalog
FUZZ_LIB_json    := frontend
FUZZ_LIB_route   := frontend
FUZZ_MAXLEN_msg     := 1100
FUZZ_MAXLEN_catalog := 8192
FUZZ_MAXLEN_json    := 4200
FUZZ_MAXLEN_route   := 1200
fuzz_libs      = $(if $(FUZZ_LIB_$(1)),$(2)/lib$(FUZZ_LIB_$(1)).a) $(2)/libcommon.a

all: $(FUZZ_REPLAYS)

define fuzz_replay
$(BUILD)/fuzz-replay-$(1): tests/fuzz/fuzz_$(1).c tests/fuzz/replay_main.c $(call fuzz_libs,$(1),$(BUILD))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) -Itests/fuzz $$(LDFLAGS) $$(filter %.c %.a,$$^) $$(LDLIBS) -o $$@
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_replay,$(t))))
-include $(FUZZ_REPLAYS:=.d)

FUZZ_BUILD    := build/fuzz
FUZZ_SECONDS  ?= 60
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
define fuzz_binary
$(BUILD)/fuzz-$(1): tests/fuzz/fuzz_$(1).c $(call fuzz_libs,$(1),$(BUILD))
	$$(CC) $$(CFLAGS) -Itests/fuzz -fsanitize=fuzzer $$(filter %.c %.a,$$^) $$(LDLIBS) -o $$@
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_binary,$(t))))

#   Everything is built with clang and coverage (fuzzer-no-link) in build/fuzz; each
#   target runs over a scratch corpus seeded from tests/fuzz/corpus and regressions.
#   Any crash, leak, UB or broken property fails the run and names the saved input.
fuzz:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang SANITIZE= \
	    OPT="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" LDFLAGS="$(FUZZ_SAN)" \
	    $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz-%)
	@failed=; for spec in $(foreach t,$(FUZZ_TARGETS),$(t):$(or $(FUZZ_MAXLEN_$(t)),4096)); do \
	    t=$${spec%%:*}; len=$${spec#*:}; \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts tests/fuzz/regressions/$$t; \
	    echo "=== fuzz $$t: $(FUZZ_SECONDS) s, max_len $$len"; \
	    if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	        $(FUZZ_BUILD)/fuzz-$$t -max_len=$$len -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	        -rss_limit_mb=1024 -malloc_limit_mb=256 -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t- \
	        $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t tests/fuzz/regressions/$$t \
	        > $(FUZZ_BUILD)/fuzz-$$t.log 2>&1; then \
	        grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+.*DONE' $(FUZZ_BUILD)/fuzz-$$t.log; \
	    else \
	        tail -n 40 $(FUZZ_BUILD)/fuzz-$$t.log; failed="$$failed $$t"; \
	        echo "fuzz $$t FAILED: the input is in $(FUZZ_BUILD)/artifacts/$$t-*;" \
	             "add it to tests/fuzz/regressions/$$t/"; \
	    fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: failures in:$$failed"; exit 1; fi; echo "fuzz: no failure"

TSAN_BUILD    := build/tsan
TSAN_SECONDS  ?= 5
#   gcc's ThreadSanitizer; tests/fuzz/tsan-run says what it checks and why each
#   suppression in tests/fuzz/tsan.supp exists.
tsan:
	@$(MAKE) --no-print-directory BUILD=$(TSAN_BUILD) SANITIZE= \
	    OPT="-O1 -g -fsanitize=thread -fno-omit-frame-pointer" LDFLAGS="-fsanitize=thread" all
	@TSAN_SECONDS=$(TSAN_SECONDS) BAZAAR_BIN=$(TSAN_BUILD) tests/fuzz/tsan-run

# ---------------------------------------------------------------------------------------
# Installation: `make install PREFIX=/usr DESTDIR=/tmp/stage`. The programs a user runs
# (not the test tools), the catalog CSV, an example config (and /etc/bazaar/bazaar.cfg if
# there is none), and systemd units with the paths substituted (scripts/deploy/systemd).
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
DATADIR    ?= $(PREFIX)/share
DOCDIR     ?= $(DATADIR)/doc/bazaar
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR    ?= $(PREFIX)/lib/systemd/system
INSTALL_PROGRAMS := bus catalog order frontend busctl busmon client keys lag
UNITS      := $(wildcard scripts/deploy/systemd/*.service scripts/deploy/systemd/*.target)

.PHONY: install
install: $(INSTALL_PROGRAMS:%=$(BUILD)/bazaar-%)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/bazaar $(DESTDIR)$(DOCDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/bazaar $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DATADIR)/bazaar/www
	install -m 0755 $^ $(DESTDIR)$(BINDIR)/
	install -m 0644 data/catalog.csv $(DESTDIR)$(DATADIR)/bazaar/catalog.csv
	install -m 0644 frontend/www/* $(DESTDIR)$(DATADIR)/bazaar/www/
	install -m 0644 data/bazaar.cfg $(DESTDIR)$(DATADIR)/bazaar/bazaar.cfg.example
	[ -e $(DESTDIR)$(SYSCONFDIR)/bazaar/bazaar.cfg ] || \
	    install -m 0644 data/bazaar.cfg $(DESTDIR)$(SYSCONFDIR)/bazaar/bazaar.cfg
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	for unit in $(UNITS); do \
	    sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' \
	        -e 's|@DOCDIR@|$(DOCDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $$unit \
	        > $(DESTDIR)$(UNITDIR)/$$(basename $$unit) && \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename $$unit) || exit 1; \
	done

# Containers: scripts/test-deploy builds the image with podman and runs the six services
# in their own containers (scripts/deploy/). Separate from `make test`: it needs root,
# about a gigabyte and a few minutes.
DEPLOY_PKGS := podman runc podman-compose debootstrap
.PHONY: test-deploy
test-deploy: deps
	@$(MAKE) --no-print-directory deps DEB_PKGS="$(DEPLOY_PKGS)"
	@scripts/test-deploy

# Network faults on seven namespaces (scripts/netns-test, root): all eleven, 4 s each, about
# 4 minutes. `make test` runs them too, 3 s each (tests/e2e/netns.bats).
.PHONY: test-netns
test-netns: deps
	@$(MAKE) --no-print-directory all
	@scripts/netns-test
