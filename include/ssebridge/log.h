// Leveled logging to stderr. One line per record: "<iso time> <level> <message>".
// The logger is process-global because every module logs and there is one loop.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ssebridge {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

// Parses "debug", "info", "warn", "error", "off". Returns false on anything else.
bool ParseLogLevel(std::string_view text, LogLevel* level);

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

// printf-style; formats only when the level is enabled.
void Log(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));

// Lets one record through per interval and counts the ones it holds back, so
// a warning that a remote party can trigger at will cannot flood the log.
// The caller passes the loop's clock: the throttle itself never reads time.
class LogThrottle {
 public:
  explicit LogThrottle(uint64_t interval_ms) : interval_ms_(interval_ms) {}

  // True when a record may be written at now_ms; *suppressed then receives
  // how many were held back since the last one written.
  bool Allow(uint64_t now_ms, uint64_t* suppressed);

 private:
  uint64_t interval_ms_;
  bool written_ = false;
  uint64_t last_ms_ = 0;
  uint64_t held_back_ = 0;
};

#define SSEB_LOG(level, ...)                                   \
  do {                                                         \
    if ((level) >= ::ssebridge::GetLogLevel()) ::ssebridge::Log((level), __VA_ARGS__); \
  } while (0)
#define LOG_DEBUG(...) SSEB_LOG(::ssebridge::LogLevel::kDebug, __VA_ARGS__)
#define LOG_INFO(...) SSEB_LOG(::ssebridge::LogLevel::kInfo, __VA_ARGS__)
#define LOG_WARN(...) SSEB_LOG(::ssebridge::LogLevel::kWarn, __VA_ARGS__)
#define LOG_ERROR(...) SSEB_LOG(::ssebridge::LogLevel::kError, __VA_ARGS__)

}  // namespace ssebridge
