# darkscope build.  `make` builds build/darkscope; `make test` runs every test;
# `make SAN=1 test` builds into build-san/ with AddressSanitizer + UBSan;
# `make FUZZ=1 fuzz` builds the libFuzzer targets into build-fuzz/ (clang;
# tests/fuzz/run.sh runs them).
CC      ?= cc
OPT     ?= -O2 -g
SAN     ?=
PKGS    := libmaxminddb libzstd zlib sqlite3 libpcap cairo
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
CFLAGS  += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Iinclude -Isrc -pthread \
           $(shell pkg-config --cflags $(PKGS))
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lxxhash -lpthread -lm
ifeq ($(FUZZ),1)
  B       := build-fuzz
  CC      := clang
  CFLAGS  += -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer
  LDFLAGS += -fsanitize=address,undefined
else ifeq ($(SAN),1)
  B       := build-san
  CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  LDFLAGS += -fsanitize=address,undefined
else
  B       := build
endif

LIB_SRC  := $(sort $(wildcard src/util/*.c src/capture/*.c src/decode/*.c src/classify/*.c \
              src/geo/*.c src/aggregate/*.c src/store/*.c src/analyse/*.c src/report/*.c \
              src/synth/*.c src/pipeline/*.c))
CMD_SRC  := $(sort $(wildcard src/cmd/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(B)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)

all: $(B)/darkscope $(B)/bench_pcaploop $(B)/bench_stages $(B)/bench_days $(B)/bench_keys

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/libdarkscope.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(B)/darkscope: $(CMD_OBJ) $(B)/libdarkscope.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: $(B)/tests/unit/%.o $(B)/tests/unit/unit.o $(B)/libdarkscope.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bench_pcaploop: $(B)/bench/pcaploop.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bench_stages: $(B)/bench/stages.o $(B)/libdarkscope.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bench_days: $(B)/bench/days.o $(B)/libdarkscope.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bench_keys: $(B)/bench/keys.o $(B)/libdarkscope.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/mkfixtures: $(B)/tests/tools/mkfixtures.o $(B)/libdarkscope.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

units: $(UNIT_BIN) $(B)/tests/mkfixtures

$(B)/fuzz/%: $(B)/tests/fuzz/%.o $(B)/tests/fuzz/fuzz.o $(B)/libdarkscope.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz: $(FUZZ_BIN) $(B)/tests/mkfixtures

test: all units
	B=$(B) tests/run.sh

clean:
	rm -rf build build-san build-fuzz

format:
	clang-format -i $$(git ls-files --cached --others --exclude-standard '*.c' '*.h')

.PHONY: all units fuzz test clean format
.SECONDARY:
-include $(shell find $(B) -name '*.d' 2>/dev/null)
