// ServiceNotifier: tells a service manager (systemd, Type=notify) how the
// process is doing, through libsystemd's sd_notify: READY=1 once it serves
// (listening and, in Redis mode, connected), STOPPING=1 when a drain begins,
// and WATCHDOG=1 at half the WatchdogSec interval. The pings are sent from
// the loop's sweep, so a loop that is stuck stops pinging and systemd
// restarts the process. Without NOTIFY_SOCKET in the environment (not run by
// systemd) every call does nothing.
#pragma once

#include <cstdint>
#include <string>

namespace ssebridge {

class ServiceNotifier {
 public:
  // Reads NOTIFY_SOCKET and WATCHDOG_USEC (honouring WATCHDOG_PID) once.
  ServiceNotifier();

  bool enabled() const { return enabled_; }
  // 0 when systemd asked for no watchdog.
  uint64_t watchdog_interval_ms() const { return watchdog_ms_; }

  // READY=1 with a STATUS line; sent once, later calls do nothing.
  void Ready(const std::string& status);
  bool ready_sent() const { return ready_sent_; }
  // STOPPING=1 with a STATUS line; sent once.
  void Stopping(const std::string& status);
  // WATCHDOG=1 if half the watchdog interval passed since the last ping.
  // `now_ms` is the loop's clock.
  void MaybePing(uint64_t now_ms);

 private:
  void Send(const std::string& state);

  bool enabled_ = false;
  bool ready_sent_ = false;
  bool stopping_sent_ = false;
  uint64_t watchdog_ms_ = 0;
  uint64_t last_ping_ms_ = 0;
  bool pinged_ = false;
};

}  // namespace ssebridge
