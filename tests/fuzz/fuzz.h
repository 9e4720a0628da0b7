/* fuzz.h - what the fuzz targets share: inputs as files. */
#ifndef DARKSCOPE_TESTS_FUZZ_H
#define DARKSCOPE_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* The libFuzzer entry point each target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A path that reads as data[0..size) (a memory file, rewritten per input):
 * darkscope's readers take paths. */
const char *fuzz_file(const uint8_t *data, size_t size);

/* The same in memory file `slot` (0 or 1), for targets that read two. */
const char *fuzz_file_in(unsigned slot, const uint8_t *data, size_t size);

#endif
