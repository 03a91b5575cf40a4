#ifndef THROUGHLINE_ALLOCATOR_TUNING_H
#define THROUGHLINE_ALLOCATOR_TUNING_H

/// Has the C allocator keep what is freed for the next allocations: large blocks from its heap
/// (up to 32 MiB, not mapped afresh each time), its heap never shrunk, grown 64 MiB at a time.
/// A rebuild allocates and frees tens of MiB per range of accounts; every page the allocator
/// gives back and maps again is a page fault and a page zeroed by the kernel.
/// Returns 0 when the allocator is not glibc's (nothing then changes).
int throughline_allocator_keep_freed(void);

/// Back to returning memory: the heap shrunk when 64 MiB lie free at its top, and what lies
/// free now given back to the system.
void throughline_allocator_return_freed(void);

#endif
