#include "ssebridge/service_notifier.h"

#include <cstdlib>
#include <cstring>

#include <systemd/sd-daemon.h>

#include "ssebridge/log.h"

namespace ssebridge {

ServiceNotifier::ServiceNotifier() {
  const char* socket = getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && socket[0] != '\0';
  uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is ours.
  if (enabled_ && sd_watchdog_enabled(0, &usec) > 0) watchdog_ms_ = usec / 1000;
}

void ServiceNotifier::Send(const std::string& state) {
  if (!enabled_) return;
  int rc = sd_notify(0, state.c_str());
  if (rc < 0) LOG_WARN("cannot notify the service manager: %s", strerror(-rc));
}

void ServiceNotifier::Ready(const std::string& status) {
  if (ready_sent_) return;
  ready_sent_ = true;
  Send("READY=1\nSTATUS=" + status);
  if (enabled_) {
    LOG_INFO("told the service manager: ready%s", watchdog_ms_ == 0 ? "" : " (watchdog pings on)");
  }
}

void ServiceNotifier::Stopping(const std::string& status) {
  if (stopping_sent_) return;
  stopping_sent_ = true;
  Send("STOPPING=1\nSTATUS=" + status);
}

void ServiceNotifier::MaybePing(uint64_t now_ms) {
  if (!enabled_ || watchdog_ms_ == 0) return;
  if (pinged_ && now_ms - last_ping_ms_ < watchdog_ms_ / 2) return;
  pinged_ = true;
  last_ping_ms_ = now_ms;
  Send("WATCHDOG=1");
}

}  // namespace ssebridge
