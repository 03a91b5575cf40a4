#ifndef THROUGHLINE_CRC32C_HARDWARE_H
#define THROUGHLINE_CRC32C_HARDWARE_H

#include <stddef.h>
#include <stdint.h>

/// Whether this processor has a CRC-32C instruction (SSE 4.2 on x86-64, CRC on ARMv8).
int throughline_crc32c_hardware_available(void);

/// Continues the running CRC-32C `crc` (start with 0) over `n` bytes with that instruction.
/// Only to be called when `throughline_crc32c_hardware_available()` says so.
uint32_t throughline_crc32c_hardware(uint32_t crc, const void *bytes, size_t n);

#endif
