# darkscope build.  `make` builds build/darkscope; `make test` runs every test;
# `make SAN=1 test` builds into build-san/ with AddressSanitizer + UBSan.
CC      ?= cc
OPT     ?= -O2 -g
SAN     ?=
PKGS    := libmaxminddb libzstd zlib sqlite3 libpcap cairo
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
CFLAGS  += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Iinclude -Isrc -pthread \
           $(shell pkg-config --cflags $(PKGS))
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lxxhash -lpthread -lm
ifeq ($(SAN),1)
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

all: $(B)/darkscope $(B)/bench_pcaploop $(B)/bench_stages

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

$(B)/tests/mkfixtures: $(B)/tests/tools/mkfixtures.o $(B)/libdarkscope.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

units: $(UNIT_BIN) $(B)/tests/mkfixtures

test: all units
	B=$(B) tests/run.sh

clean:
	rm -rf build build-san

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

.PHONY: all units test clean format
.SECONDARY:
-include $(shell find $(B) -name '*.d' 2>/dev/null)
