#include "ssebridge/access_log.h"

#include "ssebridge/authorizer.h"

namespace ssebridge {

std::vector<LogField> StreamAccessFields(const StreamAccess& access) {
  return {
      {"peer", access.peer},
      {"channels", access.channels},
      {"channel_count", std::to_string(access.channel_count), true},
      {"duration_ms", std::to_string(access.duration_ms), true},
      {"events", std::to_string(access.events), true},
      {"bytes", std::to_string(access.bytes), true},
      {"reason", access.reason},
  };
}

std::vector<LogField> RejectedRequestFields(const RejectedRequest& request) {
  // A token in the query (access_token=..., for EventSource, which cannot
  // send headers) is a credential: it never reaches the log.
  return {
      {"status", std::to_string(request.status), true},
      {"reason", request.reason},
      {"peer", request.peer},
      {"method", request.method.empty() ? "-" : request.method},
      {"path", request.target.empty() ? "-" : TargetForLog(request.target)},
  };
}

void LogStreamEnded(const StreamAccess& access) {
  LogRecord(LogLevel::kInfo, "stream ended", StreamAccessFields(access));
}

void LogRequestRejected(const RejectedRequest& request) {
  LogRecord(LogLevel::kInfo, "request rejected", RejectedRequestFields(request));
}

}  // namespace ssebridge
