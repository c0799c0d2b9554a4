// The file of a listening Unix socket: whether a path may be taken (a stale
// file left by a process that died is removed, a live one is never stolen),
// its mode and owner once bound, and its removal when ssebridge stops
// listening (only if the file is still the one it bound: during a rolling
// restart a successor may already have bound a new socket at the same path).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace ssebridge {

// The identity of a socket file as bound, to recognise it later.
struct SocketFileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  bool known = false;
};

// Makes `path` free for bind(): nothing there is fine; a socket nobody
// accepts on (connect() is refused) is removed as stale; a socket that
// accepts, or any other kind of file, is left alone and an error naming the
// reason is returned. Returns "" when the path may be bound.
std::string ClaimSocketPath(const std::string& path);

// Sets the mode (when mode_set) and owner (-1: unchanged) of a bound socket
// file and records its identity. Returns "" or the reason.
std::string SecureSocketFile(const std::string& path, bool mode_set, uint32_t mode, int64_t uid, int64_t gid,
                             SocketFileIdentity* identity);

// Removes the socket file if it is still the one described by `identity`.
// Returns true when it was removed.
bool RemoveSocketFileIfOurs(const std::string& path, const SocketFileIdentity& identity);

}  // namespace ssebridge
