#include "crc32c_hardware.h"

#include <string.h>

// Per processor: whether it has the instruction, and the instruction over 8 bytes and over 1.
#if defined(__x86_64__)

#define THROUGHLINE_CRC_TARGET __attribute__((target("sse4.2")))

int throughline_crc32c_hardware_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2");
}

THROUGHLINE_CRC_TARGET static inline uint32_t crc_word(uint32_t c, uint64_t word) { return (uint32_t)__builtin_ia32_crc32di(c, word); }
THROUGHLINE_CRC_TARGET static inline uint32_t crc_byte(uint32_t c, unsigned char byte) { return __builtin_ia32_crc32qi(c, byte); }

#elif defined(__aarch64__) && defined(__linux__)

#include <sys/auxv.h>
#include <asm/hwcap.h>

#define THROUGHLINE_CRC_TARGET __attribute__((target("crc")))

int throughline_crc32c_hardware_available(void) { return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0; }

THROUGHLINE_CRC_TARGET static inline uint32_t crc_word(uint32_t c, uint64_t word) { return __builtin_arm_crc32cd(c, word); }
THROUGHLINE_CRC_TARGET static inline uint32_t crc_byte(uint32_t c, unsigned char byte) { return __builtin_arm_crc32cb(c, byte); }

#else

#define THROUGHLINE_CRC_NONE

int throughline_crc32c_hardware_available(void) { return 0; }

uint32_t throughline_crc32c_hardware(uint32_t crc, const void *bytes, size_t n) {
    (void)bytes;
    (void)n;
    return crc;
}

#endif

#ifndef THROUGHLINE_CRC_NONE

THROUGHLINE_CRC_TARGET
uint32_t throughline_crc32c_hardware(uint32_t crc, const void *bytes, size_t n) {
    const unsigned char *p = bytes;
    uint32_t c = ~crc;
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = crc_word(c, word);
        p += 8;
        n -= 8;
    }
    while (n > 0) {
        c = crc_byte(c, *p);
        p += 1;
        n -= 1;
    }
    return ~c;
}

#endif
