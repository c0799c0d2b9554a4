#include "ssebridge/log.h"

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ssebridge {
namespace {
LogLevel g_level = LogLevel::kInfo;
}  // namespace

bool ParseLogLevel(std::string_view text, LogLevel* level) {
  static const struct { const char* name; LogLevel level; } kLevels[] = {
      {"debug", LogLevel::kDebug}, {"info", LogLevel::kInfo}, {"warn", LogLevel::kWarn},
      {"error", LogLevel::kError}, {"off", LogLevel::kOff}};
  for (const auto& entry : kLevels) {
    if (text == entry.name) {
      *level = entry.level;
      return true;
    }
  }
  return false;
}

std::string OpenLogFile(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return "cannot open log file '" + path + "': " + strerror(errno);
  fflush(stderr);
  const int rc = fd == STDERR_FILENO ? 0 : dup2(fd, STDERR_FILENO);
  const int error = errno;
  if (fd != STDERR_FILENO) close(fd);
  if (rc < 0) return "cannot redirect the log to '" + path + "': " + strerror(error);
  return "";
}

void SetLogLevel(LogLevel level) { g_level = level; }
LogLevel GetLogLevel() { return g_level; }

bool LogLimiter::Allow(uint64_t now_ms, uint64_t* suppressed) {
  if (logged_ && now_ms - last_ms_ < interval_ms_) {
    ++suppressed_;
    return false;
  }
  *suppressed = suppressed_;
  suppressed_ = 0;
  last_ms_ = now_ms;
  logged_ = true;
  return true;
}

void Log(LogLevel level, const char* format, ...) {
  static const char* const kNames[] = {"DEBUG", "INFO", "WARN", "ERROR", "OFF"};
  struct timeval now;
  gettimeofday(&now, nullptr);
  struct tm utc;
  gmtime_r(&now.tv_sec, &utc);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);

  char message[2048];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  // One fprintf per record so concurrent processes sharing stderr do not interleave mid-line.
  fprintf(stderr, "%s.%03dZ %s %s\n", stamp, static_cast<int>(now.tv_usec / 1000),
          kNames[static_cast<int>(level)], message);
}

}  // namespace ssebridge
