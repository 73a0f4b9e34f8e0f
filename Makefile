# Bazaar: build, run and test the whole system.
# `make run` and `make test` are the two commands; both install what is missing first.

BUILD     ?= build
CC        ?= cc
OPT       ?= -O2 -g
CFLAGS    += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(OPT) -MMD -MP \
             -Ibus -Ischemas -Icatalog -Ifrontend -Iorder -Iclient
LDLIBS    += -lczmq -lzmq -lmsgpackc -lsqlite3 -ljansson -lcivetweb -lcurl -lpthread -lm
ifeq ($(SANITIZE),1)
CFLAGS    += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS   += -fsanitize=address,undefined
endif

# Shared code (bus/bz_*.c, schemas/) goes into libcommon.a; each service directory into
# lib<dir>.a, so a service links only its own code. Every <name>_main.c is a program
# build/bazaar-<name>; tests/test_<dir>_*.c links lib<dir>.a, tests/test_bz_*.c only libcommon.a.
DIRS      := bus catalog frontend order client
COMMON_SRC:= $(wildcard bus/bz_*.c schemas/*.c)
COMMON_OBJ:= $(COMMON_SRC:%.c=$(BUILD)/obj/%.o)
dir_src    = $(filter-out %_main.c bus/bz_%,$(wildcard $(1)/*.c))
MAIN_SRC  := $(foreach d,$(DIRS),$(wildcard $(d)/*_main.c))
PROGRAMS  := $(foreach m,$(MAIN_SRC),$(BUILD)/bazaar-$(notdir $(m:_main.c=)))
TEST_SRC  := $(wildcard tests/test_*.c)
TESTS     := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
ALL_OBJ   := $(COMMON_OBJ) $(foreach d,$(DIRS),$(patsubst %.c,$(BUILD)/obj/%.o,$(call dir_src,$(d))))

DEB_PKGS  := build-essential pkg-config libzmq3-dev libczmq-dev libmsgpack-dev libcivetweb-dev \
             libsqlite3-dev sqlite3 libjansson-dev libcmocka-dev libcurl4-openssl-dev \
             bats curl jq gnuplot-nox wrk procps psmisc clang

.PHONY: all deps run test test-unit test-e2e clean tsan fuzz bench lint
all: $(PROGRAMS) $(TESTS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

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

define program
$(BUILD)/bazaar-$(notdir $(1:_main.c=)): $(1) $(BUILD)/lib$(patsubst %/,%,$(dir $(1))).a $(BUILD)/libcommon.a
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

run: deps
	@$(MAKE) --no-print-directory all
	@exec scripts/cluster run

# The whole suite runs on a sanitized build (ASan + UBSan) in build/asan.
test: deps
	@$(MAKE) --no-print-directory BUILD=build/asan SANITIZE=1 OPT="-O1 -g" all
	@BAZAAR_BIN=build/asan scripts/run-tests

clean:
	rm -rf build

-include $(ALL_OBJ:.o=.d)
