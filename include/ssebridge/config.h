// Config: every runtime option, its default, and the loader that merges
// command-line flags, SSEBRIDGE_* environment variables and a JSON file.
// Precedence is flag > env > file > default. Loading never exits the process:
// it returns an error message naming the offending option, and main() decides.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ssebridge/log.h"

namespace ssebridge {

struct Config {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  std::string redis_url;                 // Empty: embedded in-process broker.
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
};

struct ConfigLoadResult {
  Config config;
  std::string error;  // Non-empty: invalid input; the process should exit with status 2.
  bool show_help = false;
  bool show_version = false;
};

// Looks up an environment variable; returns nullopt when unset. Injected so tests
// can run without touching the real environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Reads a whole file; returns nullopt when it cannot be read. Injected for tests.
using FileReader = std::function<std::optional<std::string>(const std::string& path)>;

ConfigLoadResult LoadConfig(const std::vector<std::string>& args, const EnvLookup& env,
                            const FileReader& read_file);

// Convenience for main(): real environment and filesystem.
ConfigLoadResult LoadConfigFromProcess(int argc, char** argv);

// The --help text.
std::string ConfigUsage();

}  // namespace ssebridge
