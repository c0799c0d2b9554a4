// PidFile: --pidfile. The file is opened and locked (flock) before the
// server listens, so a second process with the same pid file refuses to
// start while the first one runs; the process id is written once the
// listeners are up, and the file is removed on a clean exit. Liveness is
// the lock, not the number in the file: a process that died left no lock,
// so its stale file is simply taken over, and a recycled pid cannot make a
// dead process look alive.
#pragma once

#include <string>

namespace ssebridge {

class PidFile {
 public:
  PidFile() = default;
  ~PidFile();  // Releases the lock (and closes) without removing the file.
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;

  // Opens (creating, mode 0644) and locks `path`. Returns "" or why not:
  // "another running process (pid N) holds the pid file PATH", or the
  // system's error.
  std::string Lock(const std::string& path);
  // Replaces the file's contents with this process's id and a newline.
  std::string Write();
  // Removes the file if it is still the one this process locked (an
  // administrator may have replaced it), then releases the lock.
  void Remove();

  bool locked() const { return fd_ >= 0; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace ssebridge
