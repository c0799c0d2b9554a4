// Config: every runtime option and its default. The option table
// (config_options) says how each is set from text; the loader (config_loader)
// merges flags, environment and file into one Config.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ssebridge/listen_address.h"
#include "ssebridge/log.h"
#include "ssebridge/redis_address.h"

namespace ssebridge {

// --anonymous-publish: who may publish without a token.
enum class AnonymousPublish {
  kOff,
  kOn,
  kLocal,  // Only clients on this host (loopback).
};

struct Config {
  // Where clients connect: --listen, repeatable; TCP and Unix sockets.
  std::vector<ListenAddress> listen = {ListenAddress()};
  bool reuse_port = false;               // SO_REUSEPORT on TCP listeners.
  // TLS listeners ("tls:" addresses): certificate chain and private key,
  // PEM, read at start-up and again on SIGHUP.
  std::string tls_cert_file;
  std::string tls_key_file;
  bool unix_socket_mode_set = false;     // Else the socket file keeps the mode the umask gives it.
  uint32_t unix_socket_mode = 0;
  int64_t unix_socket_uid = -1;          // -1: the file keeps the process's user (group).
  int64_t unix_socket_gid = -1;
  std::string redis_url;                 // Empty: embedded in-process broker.
  RedisAddress redis_address;            // redis_url as the option table parsed it.
  std::string base_path;                 // "" or "/prefix" without a trailing slash.
  uint32_t heartbeat_seconds = 15;
  uint32_t write_delay_ms = 0;           // >0: live messages wait up to this long to share a write.
  uint32_t retry_ms = 3000;
  std::vector<std::string> cors_origins; // "*" allows every origin.
  uint32_t max_connections = 0;          // 0: derived from the open-file limit.
  uint64_t max_body_bytes = 1 << 20;
  uint64_t client_buffer_bytes = 1 << 20;
  uint64_t max_header_bytes = 16 << 10;
  uint32_t max_channels_per_publish = 100;     // Distinct channels one publish may name.
  uint32_t max_channels_per_subscribe = 1000;  // Distinct channels and patterns one stream may name.
  uint32_t header_timeout_seconds = 10;
  LogLevel log_level = LogLevel::kInfo;
  bool redis_envelope = true;            // Recognise {"event":..,"data":..} from Redis.
  uint32_t history_size = 1000;          // Messages kept per channel; 0 disables resume.
  uint32_t history_ttl_seconds = 3600;
  uint64_t history_max_bytes = 64ull << 20;  // Local memory for history, all channels.
  uint32_t max_streams_per_ip = 0;       // Open streams per client address; 0: unlimited.
  uint32_t max_publish_rate_per_ip = 0;  // Publish requests per second per client; 0: unlimited.
  uint32_t publish_burst_per_ip = 0;     // Bucket size for the rate above; 0: equal to the rate.
  std::vector<std::string> trusted_proxies;  // Addresses/CIDR ranges whose X-Forwarded-For is believed.
  uint32_t history_max_channels = 100000;    // Channels with local history; least recently used evicted.
  uint32_t max_replay_messages = 10000;      // Messages one resume may replay (the newest); a gap says the rest.
  // W3C SSE-Server compatibility (docs/compat.md), all off by default.
  bool empty_subscribe_all = false;  // GET /events without a channel subscribes to "*".
  bool allow_get_publish = false;    // GET /publish/a/b?type=data and GET /events/a/b?type=data publish.
  bool allow_commands = false;       // "status" and "halt" lines on the control port and the FIFO.
  bool control_enabled = false;      // --control-port or --control-listen was given.
  std::string control_host = "127.0.0.1";
  uint16_t control_port = 0;         // 0 picks a free port (logged).
  std::string fifo_path;             // Empty: no FIFO.
  uint32_t poll_timeout_seconds = 25;        // Longest a long poll waits before it is answered with a heartbeat.
  uint32_t drain_seconds = 5;               // SIGTERM: streams are ended spread over this long.
  std::string log_file;                     // Empty: log to stderr as inherited.
  // Logs (docs/operations.md#logs): the line format, the access log's
  // switch, and the pid file written once listening (empty: none).
  LogFormat log_format = LogFormat::kText;
  bool access_log = true;
  std::string pidfile;
  uint32_t poll_hold_seconds = 15;           // How long messages are held for a poller between polls; 0: no hold.
  // Alfresco SSE's session lifetime (docs/compat.md): a stream ends after
  // this many seconds, jittered 90-110%, and the client reconnects. 0: never.
  uint32_t max_stream_age_seconds = 0;
  // Access (docs/security.md). Key files are read when the Authorizer is built (MakeAuthorizer).
  std::string jwt_secret;                    // HS256/384/512 secret.
  std::string jwt_secret_file;               // ... or a file holding it (one trailing newline dropped).
  std::string jwt_public_key_file;           // PEM RSA or EC public key for RS*/ES* tokens.
  uint32_t jwt_leeway_seconds = 0;           // Clock skew allowed on exp and nbf.
  std::string jwt_audience;                  // Non-empty: tokens must name it in "aud".
  std::string jwt_issuer;                    // Non-empty: tokens must have this "iss".
  std::string jwt_cookie;                    // Cookie that may carry the token; empty: none.
  std::string jwt_claims_key = "ssebridge";  // Claim holding {"subscribe":[...],"publish":[...]}.
  bool anonymous_subscribe = true;           // Streams without a token.
  AnonymousPublish anonymous_publish = AnonymousPublish::kLocal;
  // Redis connections and failover (docs/configuration.md, docs/deployment.md "Redis Sentinel").
  uint32_t redis_connect_timeout_ms = 1000;  // Connect plus handshake (AUTH, SELECT, ROLE, PING).
  uint32_t redis_command_timeout_ms = 5000;  // A command connection stuck this long is dropped.
  std::vector<RedisAddress> redis_sentinels; // --redis-sentinel; empty: --redis names the server.
  std::string redis_master;                  // --redis-master: the master name Sentinel monitors.
  std::string redis_sentinel_password;       // AUTH to the sentinels.
  uint32_t redis_wait_replicas = 0;          // WAIT for this many replicas before answering 200.
  // Per-user messages (user_channel.h, user_queue.h): a message to a user
  // with no open stream anywhere is kept this long, at most this many per user.
  uint32_t user_queue_ttl_seconds = 1000;  // Alfresco's sse.queued.message.lifetime.seconds; 0: no queue.
  uint32_t user_queue_size = 100;          // 0: no queue.

  // Asking the application (app_authorizer.h, docs/security.md).
  std::string auth_url;                // Empty: no application is asked.
  bool auth_publish = false;           // Publishes without a token are asked too.
  uint32_t auth_timeout_ms = 2000;     // No answer by then: 503.
  uint32_t auth_cache_seconds = 5;     // Verdicts kept this long; 0: none.
};

// True when messages go through Redis (--redis or --redis-sentinel).
inline bool UsesRedis(const Config& config) { return !config.redis_url.empty() || !config.redis_sentinels.empty(); }

}  // namespace ssebridge
