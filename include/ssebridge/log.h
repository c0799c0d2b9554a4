// Leveled logging to stderr. One line per record, in one of two formats
// (--log-format): text, "<iso time> <LEVEL> <message> [key=value...]", or
// JSON, one object per line: {"time":..,"level":..,"msg":.., fields...}.
// The logger is process-global because every module logs and there is one loop.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ssebridge {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

// Parses "debug", "info", "warn", "error", "off". Returns false on anything else.
bool ParseLogLevel(std::string_view text, LogLevel* level);

// Points the process's stderr, where every log line goes, at `path` (opened
// for appending, created with mode 0640 if missing). Called at start-up and
// again on SIGHUP, after a log rotation moved the file away: the new file
// replaces the old one in a single dup2(), so no line is lost or split.
// Returns "" or the reason it could not be opened (the old stderr stays).
std::string OpenLogFile(const std::string& path);

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

enum class LogFormat : uint8_t { kText, kJson };
// Parses "text" or "json". Returns false on anything else.
bool ParseLogFormat(std::string_view text, LogFormat* format);
void SetLogFormat(LogFormat format);
LogFormat GetLogFormat();

// A named value of a structured record: text, or a number written bare.
struct LogField {
  const char* key;
  std::string value;
  bool number = false;
};

// One record with fields, whatever the level setting (the caller decides:
// the access log has its own switch). In text the fields follow the message
// as key=value, the value quoted when it is empty or holds a space, a quote,
// '=' or a control character; in JSON they are members after "msg".
void LogRecord(LogLevel level, std::string_view message, const std::vector<LogField>& fields);

// The line LogRecord writes, without the newline; `time` is the ISO 8601
// timestamp. Separate so the formats are unit-tested without stderr.
std::string FormatLogLine(LogFormat format, std::string_view time, LogLevel level, std::string_view message,
                          const std::vector<LogField>& fields);

// printf-style; formats only when the level is enabled.
void Log(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));

// Lets one kind of log line through at most once per interval, so a flood
// (of rejected connections, say) costs a line a second, not a line per event.
// The caller reports how many were held back since the last line.
class LogLimiter {
 public:
  explicit LogLimiter(uint64_t interval_ms = 1000) : interval_ms_(interval_ms) {}
  // True when a line may be written now; *suppressed then receives the number
  // of events since the previous line that were not logged.
  bool Allow(uint64_t now_ms, uint64_t* suppressed);

 private:
  uint64_t interval_ms_;
  uint64_t last_ms_ = 0;
  uint64_t suppressed_ = 0;
  bool logged_ = false;
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
