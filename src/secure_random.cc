#include "ssebridge/secure_random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdint>

namespace ssebridge {

bool SecureRandomBytes(void* out, size_t size) {
  auto* bytes = static_cast<uint8_t*>(out);
  size_t filled = 0;
  while (filled < size) {
    // GRND_NONBLOCK: a server must not hang at start because the entropy
    // pool is not ready; the caller falls back instead.
    ssize_t got = getrandom(bytes + filled, size - filled, GRND_NONBLOCK);
    if (got < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    filled += static_cast<size_t>(got);
  }
  return true;
}

}  // namespace ssebridge
