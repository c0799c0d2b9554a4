#include "ssebridge/log.h"

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <sys/time.h>

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

void SetLogLevel(LogLevel level) { g_level = level; }
LogLevel GetLogLevel() { return g_level; }

bool LogThrottle::Allow(uint64_t now_ms, uint64_t* suppressed) {
  if (written_ && now_ms - last_ms_ < interval_ms_) {
    ++held_back_;
    return false;
  }
  written_ = true;
  last_ms_ = now_ms;
  *suppressed = held_back_;
  held_back_ = 0;
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
