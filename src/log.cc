#include "ssebridge/log.h"

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ssebridge/channel.h"
#include "ssebridge/json_quote.h"

namespace ssebridge {
namespace {
LogLevel g_level = LogLevel::kInfo;
LogFormat g_format = LogFormat::kText;

const char* const kUpperNames[] = {"DEBUG", "INFO", "WARN", "ERROR", "OFF"};
const char* const kLowerNames[] = {"debug", "info", "warn", "error", "off"};

// "2026-12-03T06:38:00.123Z": UTC with milliseconds, sortable as text.
std::string Now() {
  struct timeval now;
  gettimeofday(&now, nullptr);
  struct tm utc;
  gmtime_r(&now.tv_sec, &utc);
  char stamp[40];
  size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  snprintf(stamp + n, sizeof stamp - n, ".%03dZ", static_cast<int>(now.tv_usec / 1000));
  return stamp;
}

bool NeedsQuotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return true;
    }
  }
  return false;
}

// A JSON string for a log line. Valid UTF-8 is written as it is; a string
// that is not (a client's path, say) would make the line unparseable for a
// log shipper, so each of its bytes above 0x7f is written as \u00XX: the
// line stays valid JSON and the bytes stay visible.
void AppendJsonString(std::string* out, std::string_view text) {
  if (IsValidUtf8(text)) {
    AppendJsonQuoted(out, text);
    return;
  }
  *out += '"';
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == '"' || byte == '\\') {
      *out += '\\';
      *out += c;
    } else if (byte < 0x20 || byte >= 0x7f) {
      char escaped[8];
      snprintf(escaped, sizeof escaped, "\\u%04x", byte);
      *out += escaped;
    } else {
      *out += c;
    }
  }
  *out += '"';
}

void WriteLine(std::string line) {
  line += '\n';
  // One write per record so concurrent processes sharing stderr do not interleave mid-line.
  fwrite(line.data(), 1, line.size(), stderr);
}
}  // namespace

bool ParseLogFormat(std::string_view text, LogFormat* format) {
  if (text == "text") {
    *format = LogFormat::kText;
  } else if (text == "json") {
    *format = LogFormat::kJson;
  } else {
    return false;
  }
  return true;
}

void SetLogFormat(LogFormat format) { g_format = format; }
LogFormat GetLogFormat() { return g_format; }

std::string FormatLogLine(LogFormat format, std::string_view time, LogLevel level, std::string_view message,
                          const std::vector<LogField>& fields) {
  std::string line;
  line.reserve(64 + message.size() + fields.size() * 24);
  if (format == LogFormat::kJson) {
    line += "{\"time\":\"";
    line += time;
    line += "\",\"level\":\"";
    line += kLowerNames[static_cast<int>(level)];
    line += "\",\"msg\":";
    AppendJsonString(&line, message);
    for (const LogField& field : fields) {
      line += ',';
      AppendJsonString(&line, field.key);
      line += ':';
      if (field.number) {
        line += field.value;
      } else {
        AppendJsonString(&line, field.value);
      }
    }
    line += '}';
    return line;
  }
  line += time;
  line += ' ';
  line += kUpperNames[static_cast<int>(level)];
  line += ' ';
  line += message;
  for (const LogField& field : fields) {
    line += ' ';
    line += field.key;
    line += '=';
    if (!field.number && NeedsQuotes(field.value)) {
      AppendJsonQuoted(&line, field.value);
    } else {
      line += field.value;
    }
  }
  return line;
}

void LogRecord(LogLevel level, std::string_view message, const std::vector<LogField>& fields) {
  WriteLine(FormatLogLine(g_format, Now(), level, message, fields));
}

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
  char message[2048];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  WriteLine(FormatLogLine(g_format, Now(), level, message, {}));
}

}  // namespace ssebridge
