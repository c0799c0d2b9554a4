// BridgeContext: the loop-wide services a connection (and what it runs:
// handlers, event streams) uses. Server owns every object named here and
// fills the context once; connections hold one pointer to it instead of
// knowing Server, so nothing below Server includes server.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ssebridge/http_request.h"

namespace ssebridge {

class AppAuthorizer;
class Authorizer;
class Broker;
class ClientLimits;
class ClientRegistry;
class Connection;
class CorsPolicy;
class LogLimiter;
class LoopScheduler;
class PollHolds;
class PubsubRegistry;
class StreamExpiries;
struct CidrRange;
struct Config;
struct Counters;

// What a connection reports to, and asks of, whoever keeps the registry of
// open connections (Server).
class ConnectionOwner {
 public:
  virtual ~ConnectionOwner() = default;
  // Asynchronous callbacks carry a connection id, never a pointer: the
  // connection may be gone when they run.
  virtual Connection* FindConnection(uint64_t id) const = 0;
  // Close() has been called: the connection leaves the registry.
  virtual void OnConnectionClosing(Connection* connection) = 0;
  // Its handle is closed; its memory is freed right after this returns.
  virtual void OnConnectionClosed(Connection* connection) = 0;
  // Hands a deferred answer to its slot on connection `id`. False when the
  // connection is gone.
  virtual bool CompleteAnswer(uint64_t id, uint64_t sequence, std::string response) = 0;
  // Hands the request connection `id` suspended (Exchange::Suspend) to its
  // handler again. False when the connection is gone.
  virtual bool ResumeRequest(uint64_t id) {
    (void)id;
    return false;
  }
  // For /metrics: connections open, and the bytes queued on them.
  virtual size_t open_connections() const = 0;
  virtual size_t queued_bytes() const = 0;
};

struct BridgeContext {
  const Config* config = nullptr;
  Counters* counters = nullptr;
  PubsubRegistry* registry = nullptr;
  // What long-polling clients miss between polls (null: no holds).
  PollHolds* poll_holds = nullptr;
  Broker* broker = nullptr;
  ClientLimits* client_limits = nullptr;
  // Registered streams by client id (null: the /clients endpoints find none).
  ClientRegistry* clients = nullptr;
  const std::vector<CidrRange>* trusted_proxies = nullptr;
  // Shared by every connection for lines a flood could repeat (429s, say).
  LogLimiter* limit_log = nullptr;
  LoopScheduler* scheduler = nullptr;
  const CorsPolicy* cors = nullptr;
  // Who may subscribe and publish; every subscribing or publishing route asks it.
  const Authorizer* authorizer = nullptr;
  // Asks the application about clients without a token (--auth-url); null
  // when none is configured.
  AppAuthorizer* app_authorizer = nullptr;
  // Streams whose token expires, ended by the sweep (null: streams never expire).
  StreamExpiries* expiries = nullptr;
  ConnectionOwner* owner = nullptr;
  // One read buffer for the whole loop: input is parsed before the read
  // callback returns, so idle streams cost no read buffer at all.
  char* read_buffer = nullptr;
  size_t read_buffer_size = 0;
  // Parsed requests are swapped with this spare so that their strings and
  // header vector are reused rather than allocated per request.
  HttpRequest spare_request;
  bool shutting_down = false;
};

}  // namespace ssebridge
