#include "ssebridge/unix_socket_file.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ssebridge {

std::string ClaimSocketPath(const std::string& path) {
  struct stat status;
  if (lstat(path.c_str(), &status) != 0) {
    if (errno == ENOENT) return "";
    return std::string("cannot inspect it: ") + strerror(errno);
  }
  if (!S_ISSOCK(status.st_mode)) return "the path exists and is not a socket; remove it or choose another path";
  // Something is listening if a connection is accepted into its backlog. A
  // non-blocking connect to a Unix socket completes (or fails) at once, so
  // this never waits: ECONNREFUSED means no process has the socket open for
  // listening any more; EAGAIN means one has, but its backlog is full.
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("cannot create a socket to probe it: ") + strerror(errno);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const int rc = connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  const int error = errno;
  close(fd);
  if (rc == 0 || error == EAGAIN || error == EINPROGRESS) {
    return "another process is accepting connections on it; stop that process first (ssebridge never takes "
           "over a live socket)";
  }
  if (error != ECONNREFUSED) return std::string("cannot probe it: ") + strerror(error);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return std::string("cannot remove the stale socket file: ") + strerror(errno);
  }
  return "";
}

std::string SecureSocketFile(const std::string& path, bool mode_set, uint32_t mode, int64_t uid, int64_t gid,
                             SocketFileIdentity* identity) {
  if (mode_set && chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) {
    return std::string("cannot set its mode: ") + strerror(errno);
  }
  if ((uid >= 0 || gid >= 0) &&
      chown(path.c_str(), uid >= 0 ? static_cast<uid_t>(uid) : static_cast<uid_t>(-1),
            gid >= 0 ? static_cast<gid_t>(gid) : static_cast<gid_t>(-1)) != 0) {
    return std::string("cannot set its owner: ") + strerror(errno);
  }
  struct stat status;
  if (lstat(path.c_str(), &status) != 0) return std::string("cannot inspect it: ") + strerror(errno);
  identity->device = status.st_dev;
  identity->inode = status.st_ino;
  identity->known = true;
  return "";
}

bool RemoveSocketFileIfOurs(const std::string& path, const SocketFileIdentity& identity) {
  if (!identity.known) return false;
  struct stat status;
  if (lstat(path.c_str(), &status) != 0) return false;
  if (status.st_dev != identity.device || status.st_ino != identity.inode) return false;
  return unlink(path.c_str()) == 0;
}

}  // namespace ssebridge
