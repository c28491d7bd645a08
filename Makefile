# kmemsim - a discrete-event simulator of kernel memory allocators.
#
#   make          build ./kmemsim
#   make demo     install missing packages, build, run the default study
#   make test     sanitizer build and every test; last line "N passed, N failed"
#   make bench    speed figures (events per second)
#   make plots    draw figures from results.db into plots/out/
#   make deps     install missing Debian packages (as root) or say how

CC      ?= cc
PKGS    := luajit libluajit-5.1-dev libsqlite3-dev sqlite3 gnuplot-nox xz-utils zstd pkg-config
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wwrite-strings -Wundef -Wformat=2 -Wvla \
           -Wno-missing-field-initializers -Werror=implicit-function-declaration
LUA_CFLAGS := $(shell pkg-config --cflags luajit 2>/dev/null)
LUA_LIBS   := $(shell pkg-config --libs luajit 2>/dev/null)
CPPFLAGS += -D_GNU_SOURCE $(LUA_CFLAGS)
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 $(WARN) -MMD -MP
# -Wl,-E exports the kmemsim API to LuaJIT's FFI (ffi.C).
LDFLAGS += -Wl,-E
LDLIBS  += -lsqlite3 $(LUA_LIBS) -lm -lpthread
# The git commit every run records (runs.git_commit): `git describe` of the
# tree built, "unknown" outside git. build/git-commit changes only when the
# commit does, and rebuilds the one file that uses it (sim/base.c).
GIT_COMMIT := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
$(shell mkdir -p build && (test "$$(cat build/git-commit 2>/dev/null)" = '$(GIT_COMMIT)' || echo '$(GIT_COMMIT)' > build/git-commit))
CPPFLAGS += -DKMEMSIM_GIT='"$(GIT_COMMIT)"'
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

SRC     := $(wildcard sim/*.c allocators/*.c)
OBJ     := $(SRC:%.c=build/rel/%.o)
TOBJ    := $(SRC:%.c=build/test/%.o)
LIBTOBJ := $(filter-out build/test/sim/main.o,$(TOBJ))
TESTSRC := $(wildcard tests/t_*.c)
TESTBIN := $(TESTSRC:tests/%.c=build/test/%) tests/buddy_slides

.PHONY: all deps demo test bench plots clean check-warnings
all: kmemsim

kmemsim: $(OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

build/rel/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

build/rel/sim/base.o build/test/sim/base.o: build/git-commit

build/test/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -O1 $(SAN) -DKMS_TEST -c -o $@ $<

build/test/kmemsim: $(TOBJ)
	$(CC) $(CFLAGS) $(SAN) $(LDFLAGS) -o $@ $^ $(LDLIBS)

build/test/t_%: build/test/tests/t_%.o $(LIBTOBJ)
	$(CC) $(CFLAGS) $(SAN) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tests/buddy_slides: build/test/tests/buddy_slides.o $(LIBTOBJ)
	$(CC) $(CFLAGS) $(SAN) $(LDFLAGS) -o $@ $^ $(LDLIBS)

deps:
	@missing=""; for p in $(PKGS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	    echo "make deps: installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	else \
	    echo "make deps: missing Debian packages:$$missing"; \
	    echo "run:  sudo apt-get install$$missing"; exit 1; \
	fi

test: deps
	@$(MAKE) --no-print-directory build/test/kmemsim $(TESTBIN)
	@KMEMSIM=build/test/kmemsim tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory kmemsim
	@./tests/demo.sh

bench: deps
	@$(MAKE) --no-print-directory kmemsim build/bench_replay
	@./tests/bench.sh

# the in-process figures of make bench (engine alone, native replay, parser alone)
build/bench_replay: build/rel/tests/bench_replay.o $(filter-out build/rel/sim/main.o,$(OBJ))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

plots: deps
	@$(MAKE) --no-print-directory kmemsim
	./kmemsim plot --db results.db --out plots/out

# Both compilers, warnings as errors: what CI means by "no warnings".
check-warnings:
	@for cc in gcc clang; do command -v $$cc >/dev/null || continue; \
	    for f in $(SRC) $(TESTSRC) tests/buddy_slides.c tests/bench_replay.c; do \
	        $$cc $(CPPFLAGS) -std=c11 $(WARN) -Werror -O2 -c -o /dev/null $$f || exit 1; done; \
	    echo "$$cc: no warnings"; done

clean:
	rm -rf build kmemsim tests/buddy_slides

-include $(OBJ:.o=.d) $(TOBJ:.o=.d) $(wildcard build/test/tests/*.d build/rel/tests/*.d)
