#include "ssebridge/pid_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ssebridge {

PidFile::~PidFile() {
  if (fd_ >= 0) close(fd_);
}

std::string PidFile::Lock(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot open pid file '" + path + "': " + strerror(errno);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    std::string message;
    if (error == EWOULDBLOCK) {
      // The holder wrote its id once listening; it may not have yet.
      char text[32] = {0};
      ssize_t n = pread(fd, text, sizeof text - 1, 0);
      std::string pid = n > 0 ? std::string(text, static_cast<size_t>(n)) : std::string();
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      message = "another running process" + (pid.empty() ? std::string() : " (pid " + pid + ")") +
                " holds the pid file '" + path + "'";
    } else {
      message = "cannot lock pid file '" + path + "': " + strerror(error);
    }
    close(fd);
    return message;
  }
  path_ = path;
  fd_ = fd;
  return "";
}

std::string PidFile::Write() {
  if (fd_ < 0) return "pid file not locked";
  const std::string text = std::to_string(getpid()) + "\n";
  if (ftruncate(fd_, 0) != 0 || pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    return "cannot write pid file '" + path_ + "': " + strerror(errno);
  }
  return "";
}

void PidFile::Remove() {
  if (fd_ < 0) return;
  // Only the file this process locked: if the path now names another file
  // (replaced by hand, or by a process started after ours was removed), it is
  // not ours to delete.
  struct stat held;
  struct stat named;
  if (fstat(fd_, &held) == 0 && stat(path_.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
      held.st_ino == named.st_ino) {
    unlink(path_.c_str());
  }
  close(fd_);
  fd_ = -1;
}

}  // namespace ssebridge
