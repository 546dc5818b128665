// Only the header matters: this target declares libFuzzer's driver for the Swift harnesses.
#include "FuzzDriver.h"
