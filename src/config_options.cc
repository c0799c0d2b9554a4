#include "ssebridge/config_options.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "ssebridge/client_limits.h"
#include "ssebridge/http_client.h"
#include "ssebridge/listen_address.h"
#include "ssebridge/redis_address.h"
#include "ssebridge/redis_sentinel_reply.h"

namespace ssebridge {
namespace {

std::string ParseUnsigned(const std::string& text, uint64_t min, uint64_t max, uint64_t* out) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
    return "expected a non-negative integer, got '" + text + "'";
  }
  errno = 0;
  unsigned long long value = strtoull(text.c_str(), nullptr, 10);
  if (errno == ERANGE || value < min || value > max) {
    return "value " + text + " is out of range [" + std::to_string(min) + ", " +
           std::to_string(max) + "]";
  }
  *out = value;
  return "";
}

template <typename T>
std::function<std::string(Config&, const std::string&)> UnsignedSetter(T Config::*field,
                                                                       uint64_t min,
                                                                       uint64_t max) {
  return [field, min, max](Config& config, const std::string& text) {
    uint64_t value = 0;
    std::string error = ParseUnsigned(text, min, max, &value);
    if (error.empty()) config.*field = static_cast<T>(value);
    return error;
  };
}

std::string ParseBasePath(const std::string& text, Config& config) {
  std::string path = text;
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (!path.empty() && path[0] != '/') return "must start with '/', got '" + text + "'";
  for (char c : path) {
    if (c == '?' || c == '#' || c == '%' || static_cast<unsigned char>(c) <= 0x20) {
      return "must be a plain path without '?', '#', '%' or spaces, got '" + text + "'";
    }
  }
  config.base_path = path;
  return "";
}

std::string ParseOnOff(const std::string& text, bool* out) {
  if (text == "on" || text == "true" || text == "1" || text == "yes") {
    *out = true;
  } else if (text == "off" || text == "false" || text == "0" || text == "no") {
    *out = false;
  } else {
    return "expected on or off, got '" + text + "'";
  }
  return "";
}

// "on", "off" or "local" for --anonymous-publish.
bool ParseAnonymousPublish(std::string_view text, AnonymousPublish* out) {
  if (text == "on" || text == "true" || text == "1" || text == "yes") {
    *out = AnonymousPublish::kOn;
  } else if (text == "off" || text == "false" || text == "0" || text == "no") {
    *out = AnonymousPublish::kOff;
  } else if (text == "local") {
    *out = AnonymousPublish::kLocal;
  } else {
    return false;
  }
  return true;
}

}  // namespace

const std::vector<OptionSpec>& Options() {
  static const std::vector<OptionSpec> kOptions = {
      {"listen", true, true,
       "[tls:]HOST:PORT or [tls:]unix:/PATH to listen on, repeatable; tls: needs --tls-cert and --tls-key "
       "(default 127.0.0.1:8080; port 0 picks a free one)",
       [](Config& c, const std::string& v) {
         ListenAddress address;
         std::string error = ParseListenAddress(v, &address);
         if (!error.empty()) return error;
         for (const ListenAddress& existing : c.listen) {
           if (existing == address && (address.is_unix() || address.port != 0)) {
             return "'" + v + "' is given twice";
           }
         }
         c.listen.push_back(address);
         return std::string();
       },
       [](Config& c) { c.listen.clear(); }},
      {"reuse-port", false, false,
       "set SO_REUSEPORT on TCP listeners so several processes share one port (default off)",
       [](Config& c, const std::string& v) { return ParseOnOff(v, &c.reuse_port); }},
      {"tls-cert", true, false, "PEM certificate chain (leaf first) for tls: listeners; reread on SIGHUP",
       [](Config& c, const std::string& v) {
         if (v.empty()) return std::string("must not be empty");
         c.tls_cert_file = v;
         return std::string();
       }},
      {"tls-key", true, false, "PEM private key for --tls-cert; reread on SIGHUP",
       [](Config& c, const std::string& v) {
         if (v.empty()) return std::string("must not be empty");
         c.tls_key_file = v;
         return std::string();
       }},
      {"unix-socket-mode", true, false, "octal mode of unix:/PATH socket files, e.g. 0660 (default: from the umask)",
       [](Config& c, const std::string& v) {
         std::string error = ParseSocketMode(v, &c.unix_socket_mode);
         if (error.empty()) c.unix_socket_mode_set = true;
         return error;
       }},
      {"unix-socket-owner", true, false, "USER[:GROUP] or :GROUP owning unix:/PATH socket files (default: the process's)",
       [](Config& c, const std::string& v) { return ParseSocketOwner(v, &c.unix_socket_uid, &c.unix_socket_gid); }},
      {"redis", true, false,
       "Redis URL: redis://[user:password@]host[:port][/db] or unix:///path.sock (default: embedded broker)",
       [](Config& c, const std::string& v) {
         if (v.empty()) {
           c.redis_url.clear();
           c.redis_address = RedisAddress();
           return std::string();
         }
         RedisAddress address;
         std::string error = ParseRedisAddress(v, &address);
         if (error.empty()) {
           c.redis_url = v;
           c.redis_address = address;
         }
         return error;
       }},
      {"base-path", true, false, "prefix for every route, e.g. /sse (default none)",
       [](Config& c, const std::string& v) { return ParseBasePath(v, c); }},
      {"heartbeat", true, false, "seconds without writes before a comment heartbeat (default 15)",
       UnsignedSetter(&Config::heartbeat_seconds, 1, 86400)},
      {"write-delay", true, false,
       "ms a live message may wait so that several share one socket write (default 0: none)",
       UnsignedSetter(&Config::write_delay_ms, 0, 1000)},
      {"retry", true, false, "reconnect delay sent to EventSource clients in ms (default 3000)",
       UnsignedSetter(&Config::retry_ms, 0, 86400000)},
      {"cors-origin", true, true, "allowed CORS origin, repeatable; * allows any (default none)",
       [](Config& c, const std::string& v) {
         if (v.empty()) return std::string("must not be empty");
         c.cors_origins.push_back(v);
         return std::string();
       },
       [](Config& c) { c.cors_origins.clear(); }},
      {"max-connections", true, false, "maximum open client connections (default: open-file limit - 64)",
       UnsignedSetter(&Config::max_connections, 1, 10000000)},
      {"max-body-bytes", true, false, "largest accepted request body (default 1048576)",
       UnsignedSetter(&Config::max_body_bytes, 1, 1ull << 32)},
      {"client-buffer-bytes", true, false,
       "bytes queued to one stream before it is cut off as a slow consumer (default 1048576)",
       UnsignedSetter(&Config::client_buffer_bytes, 1024, 1ull << 34)},
      {"max-header-bytes", true, false, "largest accepted request line plus headers (default 16384)",
       UnsignedSetter(&Config::max_header_bytes, 256, 1 << 24)},
      {"max-channels-per-publish", true, false, "most distinct channels one POST /publish may name (default 100)",
       UnsignedSetter(&Config::max_channels_per_publish, 1, 1000000)},
      {"max-channels-per-subscribe", true, false,
       "most distinct channels and patterns one event stream may name (default 1000)",
       UnsignedSetter(&Config::max_channels_per_subscribe, 1, 1000000)},
      {"header-timeout", true, false, "seconds a client has to send a complete request head (default 10)",
       UnsignedSetter(&Config::header_timeout_seconds, 1, 3600)},
      {"log-level", true, false, "debug, info, warn, error or off (default info)",
       [](Config& c, const std::string& v) {
         return ParseLogLevel(v, &c.log_level) ? std::string()
                                               : "expected debug, info, warn, error or off, got '" + v + "'";
       }},
      {"redis-envelope", true, false,
       "on/off: treat {\"event\":..,\"data\":..} payloads from Redis as named events (default on)",
       [](Config& c, const std::string& v) { return ParseOnOff(v, &c.redis_envelope); }},
      {"history-size", true, false, "messages kept per channel for Last-Event-ID resume; 0 disables (default 1000)",
       UnsignedSetter(&Config::history_size, 0, 100000000)},
      {"history-ttl", true, false, "seconds a message stays resumable (default 3600)",
       UnsignedSetter(&Config::history_ttl_seconds, 1, 365u * 86400)},
      {"history-max-bytes", true, false, "memory for local history across channels (default 67108864)",
       UnsignedSetter(&Config::history_max_bytes, 1024, 1ull << 40)},
      {"max-streams-per-ip", true, false,
       "event streams one client address may hold open; 0 = unlimited (default 0)",
       UnsignedSetter(&Config::max_streams_per_ip, 0, 10000000)},
      {"max-publish-rate-per-ip", true, false,
       "POST /publish requests per second per client address, 429 above it; 0 = unlimited (default 0)",
       UnsignedSetter(&Config::max_publish_rate_per_ip, 0, 1000000)},
      {"publish-burst-per-ip", true, false,
       "publishes a client may send at once before the rate applies; 0 = the rate (default 0)",
       UnsignedSetter(&Config::publish_burst_per_ip, 0, 10000000)},
      {"trusted-proxy", true, true,
       "address or CIDR range of a proxy whose X-Forwarded-For is believed, repeatable (default none)",
       [](Config& c, const std::string& v) {
         CidrRange range;
         std::string error = ParseCidrRange(v, &range);
         if (error.empty()) c.trusted_proxies.push_back(v);
         return error;
       },
       [](Config& c) { c.trusted_proxies.clear(); }},
      {"history-max-channels", true, false,
       "channels with local history; beyond it the least recently published one is dropped (default 100000)",
       UnsignedSetter(&Config::history_max_channels, 1, 100000000)},
      {"max-replay-messages", true, false,
       "messages one resume may replay, the newest ones; older ones are reported by a gap event (default 10000)",
       UnsignedSetter(&Config::max_replay_messages, 1, 100000000)},
      // W3C SSE-Server compatibility (docs/compat.md). The switches take no
      // value as flags (--allow-commands); on/off from the environment or file.
      {"empty-subscribe-all", false, false,
       "GET /events without a channel subscribes to every channel instead of 400 (default off)",
       [](Config& c, const std::string& v) { return ParseOnOff(v, &c.empty_subscribe_all); }},
      {"allow-get-publish", false, false,
       "publish with GET /publish/CHANNEL...?TYPE=DATA and GET /events/CHANNEL...?TYPE=DATA (default off)",
       [](Config& c, const std::string& v) { return ParseOnOff(v, &c.allow_get_publish); }},
      {"control-port", true, false,
       "port on 127.0.0.1 taking 'channel/type = data' lines (default none; 0 picks a free port)",
       [](Config& c, const std::string& v) {
         uint64_t port = 0;
         std::string error = ParseUnsigned(v, 0, 65535, &port);
         if (!error.empty()) return error;
         c.control_enabled = true;
         c.control_port = static_cast<uint16_t>(port);
         return std::string();
       }},
      {"control-listen", true, false, "HOST:PORT for the control port instead of 127.0.0.1:--control-port",
       [](Config& c, const std::string& v) {
         std::string host;
         uint16_t port = 0;
         std::string error = ParseHostPort(v, &host, &port);
         if (!error.empty()) return error;
         IpAddress address;
         if (!ParseIpAddress(host, &address)) return "expected an IP address as the host, got '" + host + "'";
         c.control_host = host;
         c.control_port = port;
         c.control_enabled = true;
         return std::string();
       }},
      {"fifo", true, false, "FIFO taking the control port's lines, created if missing (default none)",
       [](Config& c, const std::string& v) {
         if (v.empty()) return std::string("must not be empty");
         c.fifo_path = v;
         return std::string();
       }},
      {"allow-commands", false, false,
       "accept the commands 'status' and 'halt' on the control port and the FIFO (default off)",
       [](Config& c, const std::string& v) { return ParseOnOff(v, &c.allow_commands); }},
      {"drain-seconds", true, false,
       "on SIGTERM, seconds over which open streams are ended, each told to reconnect after a jittered delay "
       "(default 5; 0 ends them at once, like SIGINT)",
       UnsignedSetter(&Config::drain_seconds, 0, 3600)},
      {"log-file", true, false, "append log lines to this file instead of stderr; SIGHUP reopens it (default none)",
       [](Config& c, const std::string& v) {
         c.log_file = v;
         return std::string();
       }},
      {"poll-timeout", true, false,
       "seconds a long poll waits for a message before it is answered with a heartbeat (default 25)",
       UnsignedSetter(&Config::poll_timeout_seconds, 1, 3600)},
      {"poll-hold", true, false,
       "seconds messages are kept for a long-polling client between its polls; 0 = none (default 15)",
       UnsignedSetter(&Config::poll_hold_seconds, 0, 3600)},
      // At most 30 days: AgeBuckets' jitter arithmetic stays in 64 bits.
      {"max-stream-age", true, false,
       "seconds after which a stream ends (jittered 90-110%) so its client reconnects; 0 = never (default 0)",
       UnsignedSetter(&Config::max_stream_age_seconds, 0, 30u * 86400)},
      // Access: tokens and the anonymous policy (docs/security.md).
      {"jwt-secret", true, false, "HMAC secret for HS256/384/512 tokens (prefer --jwt-secret-file: flags are visible in ps)",
       [](Config& c, const std::string& v) {
         c.jwt_secret = v;
         return std::string();
       }},
      {"jwt-secret-file", true, false, "file holding the HMAC secret for HS256/384/512 tokens",
       [](Config& c, const std::string& v) {
         if (v.empty()) return std::string("must not be empty");
         c.jwt_secret_file = v;
         return std::string();
       }},
      {"jwt-public-key", true, false, "PEM file with the RSA or EC public key for RS*/ES* tokens",
       [](Config& c, const std::string& v) {
         if (v.empty()) return std::string("must not be empty");
         c.jwt_public_key_file = v;
         return std::string();
       }},
      {"jwt-leeway", true, false, "seconds of clock skew allowed on a token's exp and nbf (default 0)",
       UnsignedSetter(&Config::jwt_leeway_seconds, 0, 86400)},
      {"jwt-audience", true, false, "tokens must name this in their aud claim (default: aud not checked)",
       [](Config& c, const std::string& v) {
         c.jwt_audience = v;
         return std::string();
       }},
      {"jwt-issuer", true, false, "tokens must have this iss claim (default: iss not checked)",
       [](Config& c, const std::string& v) {
         c.jwt_issuer = v;
         return std::string();
       }},
      {"jwt-cookie", true, false, "name of a cookie that may carry the token (default none)",
       [](Config& c, const std::string& v) {
         if (v.find_first_of("=; \t\r\n,") != std::string::npos) return "not a cookie name: '" + v + "'";
         c.jwt_cookie = v;
         return std::string();
       }},
      {"jwt-claims-key", true, false, "claim holding a token's subscribe and publish lists (default ssebridge)",
       [](Config& c, const std::string& v) {
         if (v.empty()) return std::string("must not be empty");
         c.jwt_claims_key = v;
         return std::string();
       }},
      {"anonymous-subscribe", true, false, "on/off: clients without a token may subscribe (default on)",
       [](Config& c, const std::string& v) { return ParseOnOff(v, &c.anonymous_subscribe); }},
      {"anonymous-publish", true, false,
       "on, off or local: who may publish without a token; local = clients on loopback (default local)",
       [](Config& c, const std::string& v) {
         return ParseAnonymousPublish(v, &c.anonymous_publish) ? std::string()
                                                               : "expected on, off or local, got '" + v + "'";
       }},
      // Logs and the pid file (docs/operations.md#logs).
      {"log-format", true, false, "text or json: one line per record, json as one object per line (default text)",
       [](Config& c, const std::string& v) {
         return ParseLogFormat(v, &c.log_format) ? std::string() : "expected text or json, got '" + v + "'";
       }},
      {"access-log", true, false,
       "on/off: a log line per ended event stream and per rejected request (default on)",
       [](Config& c, const std::string& v) { return ParseOnOff(v, &c.access_log); }},
      {"pidfile", true, false,
       "write the process id here once listening, remove it on a clean exit; refuse to start while a running "
       "process holds it (default none)",
       [](Config& c, const std::string& v) {
         if (v.empty()) return std::string("must not be empty");
         c.pidfile = v;
         return std::string();
       }},
      // Redis connections and failover (docs/deployment.md "Redis Sentinel").
      {"redis-connect-timeout", true, false,
       "ms to connect to Redis and finish the handshake before retrying with backoff (default 1000)",
       UnsignedSetter(&Config::redis_connect_timeout_ms, 10, 600000)},
      {"redis-command-timeout", true, false,
       "ms a Redis command may take before its connection is dropped and re-established (default 5000)",
       UnsignedSetter(&Config::redis_command_timeout_ms, 10, 600000)},
      {"redis-sentinel", true, true,
       "HOST:PORT[,HOST:PORT...] of Redis Sentinels to find the master through, repeatable (default none)",
       [](Config& c, const std::string& v) { return ParseSentinelList(v, "", &c.redis_sentinels); },
       [](Config& c) { c.redis_sentinels.clear(); }},
      {"redis-master", true, false, "master name the sentinels monitor (required with --redis-sentinel)",
       [](Config& c, const std::string& v) {
         if (v.empty()) return std::string("must not be empty");
         c.redis_master = v;
         return std::string();
       }},
      {"redis-sentinel-password", true, false, "password for AUTH to the sentinels (default none)",
       [](Config& c, const std::string& v) {
         c.redis_sentinel_password = v;
         return std::string();
       }},
      {"redis-wait-replicas", true, false,
       "answer a publish 200 only once this many replicas have it (WAIT), else 503 (default 0: no wait)",
       UnsignedSetter(&Config::redis_wait_replicas, 0, 1000)},
      // Per-user messages and the offline queue (docs/security.md, docs/compat.md).
      {"user-queue-ttl", true, false,
       "seconds a message to a user with no open stream is kept for that user's next stream; 0 = no queue "
       "(default 1000)",
       UnsignedSetter(&Config::user_queue_ttl_seconds, 0, 30u * 86400)},
      {"user-queue-size", true, false,
       "messages kept per user while away, the oldest dropped first with a gap event; 0 = no queue (default 100)",
       UnsignedSetter(&Config::user_queue_size, 0, 100000)},
      // Asking the application (docs/security.md, "Ask the application").
      {"auth-url", true, false,
       "ask this application (http://HOST:PORT/PATH or http://unix:/SOCKET:/PATH) about clients without a token",
       [](Config& c, const std::string& v) {
         if (v.empty()) {
           c.auth_url.clear();
           return std::string();
         }
         HttpUrl url;
         std::string error = ParseHttpUrl(v, &url);
         if (!error.empty()) return error;
         c.auth_url = v;
         return std::string();
       }},
      {"auth-publish", true, false, "on/off: publishes without a token are checked at --auth-url too (default off)",
       [](Config& c, const std::string& v) { return ParseOnOff(v, &c.auth_publish); }},
      {"auth-timeout-ms", true, false,
       "milliseconds to wait for --auth-url's answer before refusing with 503 (default 2000)",
       UnsignedSetter(&Config::auth_timeout_ms, 1, 60000)},
      {"auth-cache-seconds", true, false,
       "seconds an --auth-url verdict is reused for the same credentials and channels; 0 = never (default 5)",
       UnsignedSetter(&Config::auth_cache_seconds, 0, 3600)},
  };
  return kOptions;
}

std::string CheckRedisOptions(const Config& config) {
  if (!config.redis_sentinels.empty() && config.redis_master.empty()) {
    return "--redis-sentinel needs --redis-master (the master name the sentinels monitor)";
  }
  if (config.redis_sentinels.empty() && !config.redis_master.empty()) {
    return "--redis-master needs --redis-sentinel (where to ask for it)";
  }
  if (config.redis_wait_replicas > 0 && !UsesRedis(config)) {
    return "--redis-wait-replicas needs --redis or --redis-sentinel";
  }
  return "";
}

const OptionSpec* FindOption(const std::string& name) {
  for (const auto& option : Options()) {
    if (name == option.name) return &option;
  }
  return nullptr;
}

std::string EnvName(const std::string& option) {
  std::string name = "SSEBRIDGE_";
  for (char c : option) name += (c == '-') ? '_' : static_cast<char>(toupper(c));
  return name;
}

}  // namespace ssebridge
