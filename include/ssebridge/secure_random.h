// Unpredictable bytes from the kernel, for tokens a client must not be able
// to derive from the ones it was given (poll cursors, client ids).
#pragma once

#include <cstddef>

namespace ssebridge {

// Fills `out` with `size` bytes from getrandom(2). False only if the kernel
// refuses (no getrandom, or its pool not yet initialised at early boot);
// callers then fall back to something unique but guessable, and say so.
bool SecureRandomBytes(void* out, size_t size);

}  // namespace ssebridge
