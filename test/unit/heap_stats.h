// Live heap bytes for memory-bound unit tests, read from the allocator rather
// than by replacing operator new (which would switch off ASan's new/delete
// checks for the whole binary).
#pragma once

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define SSEBRIDGE_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SSEBRIDGE_TEST_UNDER_ASAN 1
#endif
#endif

#if defined(SSEBRIDGE_TEST_UNDER_ASAN)
// Declared here: GCC does not always ship <sanitizer/allocator_interface.h>.
extern "C" size_t __sanitizer_get_current_allocated_bytes(void);
#elif defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>
#define SSEBRIDGE_TEST_GLIBC_HEAP_STATS 1
#endif

namespace ssebridge::test {

// glibc's count of heap bytes in use, chunk overhead included (what the
// process's resident size pays); 0 when the allocator is not glibc's.
inline size_t GlibcHeapBytes() {
#if defined(SSEBRIDGE_TEST_GLIBC_HEAP_STATS)
  struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;  // Heap chunks in use plus mmapped chunks.
#else
  return 0;
#endif
}

// Bytes allocated and not yet freed, from ASan's allocator or glibc's; 0 when
// neither can tell.
inline size_t LiveHeapBytes() {
#if defined(SSEBRIDGE_TEST_UNDER_ASAN)
  return __sanitizer_get_current_allocated_bytes();
#else
  return GlibcHeapBytes();
#endif
}

}  // namespace ssebridge::test
