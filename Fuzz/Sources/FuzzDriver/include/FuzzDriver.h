#ifndef FEDSIM_FUZZ_DRIVER_H
#define FEDSIM_FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (in clang's libclang_rt.fuzzer, linked by -sanitize=fuzzer). SwiftPM on
/// Linux links an executable's `main` to `<Module>_main`, so each harness defines that and hands
/// its arguments and its test function to the driver, as libFuzzer's own `main` would.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
