#include "allocator_tuning.h"
#include <stdlib.h>

#if defined(__GLIBC__)
#include <malloc.h>

int throughline_allocator_keep_freed(void) {
    return mallopt(M_MMAP_THRESHOLD, 32 << 20) && mallopt(M_TRIM_THRESHOLD, 0x7fffffff) && mallopt(M_TOP_PAD, 64 << 20);
}

void throughline_allocator_return_freed(void) {
    mallopt(M_TOP_PAD, 128 << 10);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    malloc_trim(0);
}
#else
int throughline_allocator_keep_freed(void) { return 0; }
void throughline_allocator_return_freed(void) {}
#endif
