// ssebridge_loadgen: a single-threaded, non-blocking epoll load generator for
// Server-Sent-Events pub/sub servers (ssebridge, Nchan, ...).
//
// It opens many SSE subscriber connections, publishes sequence-numbered,
// timestamped payloads over HTTP or Redis, and checks every delivery for loss,
// duplication and ordering while measuring end-to-end latency.  It also samples
// the server's CPU time and RSS from /proc so that costs can be expressed per
// delivery and per connection.  See docs/performance.md for how the numbers are
// used and bench/compare.sh for the standard workloads.
//
// Exit status: 0 = run completed and every check passed, 1 = an integrity or
// connection check failed, 2 = bad usage, 3 = the hard timeout or a signal
// stopped the run.

#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr int kExitOk = 0;
constexpr int kExitCheckFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitTimeout = 3;

// Reads are this large so that a busy connection is drained with few system
// calls; the buffer is shared by all connections because the loop is
// single-threaded.
constexpr size_t kReadBufferBytes = 256 * 1024;
constexpr int kMaxEpollEvents = 1024;
// A partial SSE line or header block larger than this means the peer is not
// speaking the protocol we expect; we stop buffering instead of growing forever.
constexpr size_t kMaxCarryBytes = 1 << 20;
// The per-connection window used to tell duplicates from late (reordered)
// deliveries.  Older sequence numbers are classified as out-of-order.
constexpr uint64_t kSeenWindow = 256;

volatile sig_atomic_t g_interrupted = 0;

void on_interrupt(int) { g_interrupted = 1; }

uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t seconds_to_ns(double s) { return static_cast<uint64_t>(s * 1e9); }

uint64_t own_cpu_us() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<uint64_t>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000ull +
         static_cast<uint64_t>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

// ---------------------------------------------------------------------------
// Latency histogram.  Storing every sample would cost 8 bytes per delivery
// (hundreds of MB at high rates), so values are binned log-linearly: exact
// below 128 ns, then 64 bins per power of two, which bounds the relative error
// of any reported percentile to about 1%.
// ---------------------------------------------------------------------------
class LatencyHistogram {
 public:
  void record(uint64_t value_ns) {
    ++counts_[index_of(value_ns)];
    ++total_;
    max_ = std::max(max_, value_ns);
    min_ = std::min(min_, value_ns);
  }
  uint64_t total() const { return total_; }
  uint64_t max() const { return max_; }
  uint64_t min() const { return total_ > 0 ? min_ : 0; }

  // One line of text, "total min max index:count ...", listing only the
  // non-empty bins: how a broadcast child hands its histograms to the parent.
  std::string serialize() const {
    std::string text = std::to_string(total_) + " " + std::to_string(min()) + " " + std::to_string(max_);
    for (size_t i = 0; i < kBins; ++i) {
      if (counts_[i] != 0) text += " " + std::to_string(i) + ":" + std::to_string(counts_[i]);
    }
    return text;
  }
  // Adds a serialized histogram to this one; false if the text is malformed.
  bool merge_serialized(const char* text) {
    char* end = nullptr;
    const uint64_t total = std::strtoull(text, &end, 10);
    const uint64_t low = std::strtoull(end, &end, 10);
    const uint64_t high = std::strtoull(end, &end, 10);
    uint64_t counted = 0;
    while (*end == ' ') {
      const unsigned long long index = std::strtoull(end, &end, 10);
      if (*end != ':' || index >= kBins) return false;
      const uint64_t count = std::strtoull(end + 1, &end, 10);
      counts_[index] += count;
      counted += count;
    }
    if (counted != total) return false;
    if (total > 0) {
      min_ = std::min(min_, low);
      max_ = std::max(max_, high);
    }
    total_ += total;
    return true;
  }
  // Returns the value below which the fraction q of the samples lie.
  uint64_t percentile(double q) const {
    if (total_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total_)));
    if (rank == 0) rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < kBins; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(value_of(i), max_);
    }
    return max_;
  }

 private:
  static constexpr size_t kExactBelow = 128;
  static constexpr size_t kBinsPerOctave = 64;
  static constexpr size_t kBins = kExactBelow + (64 - 7) * kBinsPerOctave;

  static size_t index_of(uint64_t v) {
    if (v < kExactBelow) return static_cast<size_t>(v);
    const int exponent = 63 - __builtin_clzll(v);  // >= 7
    const int shift = exponent - 6;                  // keeps the top 7 bits
    const uint64_t top = v >> shift;                 // in [64, 127]
    return kExactBelow + static_cast<size_t>(exponent - 7) * kBinsPerOctave +
           static_cast<size_t>(top - 64);
  }
  // The midpoint of a bin, used as the reported value for samples in it.
  static uint64_t value_of(size_t index) {
    if (index < kExactBelow) return index;
    const size_t exponent = (index - kExactBelow) / kBinsPerOctave + 7;
    const uint64_t top = (index - kExactBelow) % kBinsPerOctave + 64;
    const int shift = static_cast<int>(exponent) - 6;
    return (top << shift) + ((1ull << shift) >> 1);
  }

  std::vector<uint64_t> counts_ = std::vector<uint64_t>(kBins, 0);
  uint64_t total_ = 0;
  uint64_t max_ = 0;
  uint64_t min_ = UINT64_MAX;
};

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------
enum class Mode { Latency, Throughput, Idle, Publish, FreePort, ParseBench, Broadcast };
enum class PublishVia { Http, Redis };
enum class BodyFormat { Json, Raw, Form };

struct Options {
  Mode mode = Mode::Latency;
  std::string label;
  std::string host = "127.0.0.1";
  int port = 8080;
  int subscribers = 1000;
  int channels = 1;
  std::string channel_prefix;  // Defaults to a per-run unique prefix.
  std::string subscribe_path = "/events/{channel}";
  bool subscribe_http10 = false;
  PublishVia publish_via = PublishVia::Http;
  std::string publish_path = "/publish";
  BodyFormat body_format = BodyFormat::Json;
  std::string redis_host = "127.0.0.1";
  int redis_port = 6379;
  double rate = 100;  // Messages per second; 0 means "as fast as --inflight allows".
  int inflight = 64;
  int publish_connections = 4;
  int payload_bytes = 64;
  double duration_s = 10;
  double timeout_s = 0;  // 0 derives a bound from the other durations.
  double settle_s = 1.0;
  double drain_timeout_s = 5;
  int connect_concurrency = 128;
  double connect_timeout_s = 60;
  int source_ips = 8;
  double max_rate = 0;  // Throughput mode upper bound; 0 = unbounded.
  double step_factor = 1.5;
  double step_duration_s = 3;
  double max_lag_s = 1.0;
  int coalesce_us = 0;
  // Broadcast mode.
  int processes = 0;  // 0: as few as the per-process open-file limit allows.
  int broadcasts = 3;  // through Redis PUBLISH
  int http_broadcasts = 1;  // then through the server's POST /publish
  double broadcast_interval_s = 1;
  double broadcast_timeout_s = 30;
  uint32_t run_id = 0;  // 0: chosen per process; the broadcast parent sets it for its children.
  std::vector<pid_t> server_pids;
  std::vector<pid_t> aux_pids;
  bool quiet = false;
};

void print_usage(FILE* out) {
  std::fprintf(out,
      "usage: ssebridge_loadgen --mode latency|throughput|idle|publish|broadcast|free-port|parse-bench [options]\n"
      "\n"
      "  latency      N subscribers, fixed publish rate for --duration; latency percentiles\n"
      "  throughput   step the publish rate up until deliveries lag or are lost\n"
      "  idle         hold N connections for --duration; server RSS per connection\n"
      "  publish      HTTP/Redis publish requests per second without subscribers\n"
      "  broadcast    N subscribers on one channel, spread over forked processes; a few\n"
      "               broadcasts, one at a time; per broadcast the time until the first,\n"
      "               median, 99th percentile and last stream received it\n"
      "  free-port    print a currently unused TCP port on 127.0.0.1\n"
      "  parse-bench  time the SSE/chunked parser on synthetic data (no network)\n"
      "\n"
      "target (loopback only):\n"
      "  --host IP                  server IPv4 address in 127.0.0.0/8 (default 127.0.0.1)\n"
      "  --port N                   server port (default 8080)\n"
      "subscribers:\n"
      "  --subscribers N            SSE connections to open (default 1000, <= ~19000 per process)\n"
      "  --channels K               spread subscribers over K channels (default 1)\n"
      "  --channel-prefix S         channel names are S0, S1, ... (default: unique per run)\n"
      "  --sub-path T               request path; {channel} is replaced (default /events/{channel})\n"
      "                             Nchan: /sub/{channel}\n"
      "  --http10                   subscribe with HTTP/1.0 (close-delimited stream)\n"
      "  --source-ips K             bind subscribers to 127.0.0.2..127.0.0.(K+1) (default 8)\n"
      "  --connect-concurrency P    max connects awaiting response headers (default 128)\n"
      "  --connect-timeout S        give up ramping after S seconds (default 60)\n"
      "publishing:\n"
      "  --publish-via http|redis   (default http)\n"
      "  --pub-path T               HTTP publish path; {channel} is replaced (default /publish)\n"
      "                             Nchan: /pub?id={channel}\n"
      "  --body json|raw|form       json: {\"channel\":..,\"data\":\"<payload>\"}; raw: payload as body;\n"
      "                             form: channel=..&message=.. (default json)\n"
      "  --redis-host IP --redis-port N   Redis for --publish-via redis (default 127.0.0.1:6379)\n"
      "  --rate R                   messages/s (0 = as fast as --inflight allows; default 100)\n"
      "  --inflight M               max unacknowledged publishes (default 64)\n"
      "  --pub-conns C              publisher keep-alive connections (default 4)\n"
      "  --payload-bytes B          payload size, >= 60 (default 64)\n"
      "timing:\n"
      "  --duration S               publish/hold time (default 10)\n"
      "  --settle S                 wait after all subscribers are connected (default 1)\n"
      "  --drain-timeout S          wait for outstanding deliveries (default 5)\n"
      "  --timeout S                hard limit for the whole run (default: derived)\n"
      "throughput mode:\n"
      "  --rate R is the first step; each step multiplies it by --step-factor (1.5)\n"
      "  --max-rate R, --step-duration S (3), --max-lag S (1): a step passes when every\n"
      "  delivery arrives within max-lag of the end of the step with no loss.\n"
      "  --coalesce-us U            pause U microseconds after each busy poll so that reads\n"
      "                             carry several events (cheaper; adds up to U to latency)\n"
      "broadcast mode:\n"
      "  --processes P              subscriber processes (default: N / (open-file limit - 100))\n"
      "  --broadcasts B             broadcasts through Redis PUBLISH (default 3)\n"
      "  --http-broadcasts H        then broadcasts through POST --pub-path (default 1)\n"
      "  --broadcast-interval S     pause between broadcasts (default 1)\n"
      "  --broadcast-timeout S      give up waiting for one broadcast after S (default 30)\n"
      "  (the channel is <prefix>0; --source-ips up to 250 spreads over 127.0.0.2-251)\n"
      "measurement:\n"
      "  --server-pid PID           sample CPU and RSS of PID (repeatable; summed)\n"
      "  --aux-pid PID              sample PID separately, e.g. redis-server (repeatable)\n"
      "  --label S                  copied to the RESULT line\n"
      "  --quiet                    only print the RESULT line\n");
}

bool parse_number(const char* text, double* out) {
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !(v >= 0)) return false;
  *out = v;
  return true;
}

bool is_loopback_ipv4(const std::string& ip) {
  in_addr addr{};
  if (inet_pton(AF_INET, ip.c_str(), &addr) != 1) return false;
  return (ntohl(addr.s_addr) >> 24) == 127;
}

// Parses argv into *opts; returns false (after printing why) on bad usage.
bool parse_options(int argc, char** argv, Options* opts) {
  enum {
    kMode = 1000, kLabel, kHost, kPort, kSubscribers, kChannels, kChannelPrefix, kSubPath, kHttp10,
    kSourceIps, kConnectConcurrency, kConnectTimeout, kPublishVia, kPubPath, kBody, kRedisHost,
    kRedisPort, kRate, kInflight, kPubConns, kPayloadBytes, kDuration, kSettle, kDrainTimeout,
    kTimeout, kMaxRate, kStepFactor, kStepDuration, kMaxLag, kCoalesce, kServerPid, kAuxPid, kQuiet, kHelp,
    kProcesses, kBroadcasts, kHttpBroadcasts, kBroadcastInterval, kBroadcastTimeout
  };
  static const option long_options[] = {
      {"mode", required_argument, nullptr, kMode},
      {"label", required_argument, nullptr, kLabel},
      {"host", required_argument, nullptr, kHost},
      {"port", required_argument, nullptr, kPort},
      {"subscribers", required_argument, nullptr, kSubscribers},
      {"channels", required_argument, nullptr, kChannels},
      {"channel-prefix", required_argument, nullptr, kChannelPrefix},
      {"sub-path", required_argument, nullptr, kSubPath},
      {"http10", no_argument, nullptr, kHttp10},
      {"source-ips", required_argument, nullptr, kSourceIps},
      {"connect-concurrency", required_argument, nullptr, kConnectConcurrency},
      {"connect-timeout", required_argument, nullptr, kConnectTimeout},
      {"publish-via", required_argument, nullptr, kPublishVia},
      {"pub-path", required_argument, nullptr, kPubPath},
      {"body", required_argument, nullptr, kBody},
      {"redis-host", required_argument, nullptr, kRedisHost},
      {"redis-port", required_argument, nullptr, kRedisPort},
      {"rate", required_argument, nullptr, kRate},
      {"inflight", required_argument, nullptr, kInflight},
      {"pub-conns", required_argument, nullptr, kPubConns},
      {"payload-bytes", required_argument, nullptr, kPayloadBytes},
      {"duration", required_argument, nullptr, kDuration},
      {"settle", required_argument, nullptr, kSettle},
      {"drain-timeout", required_argument, nullptr, kDrainTimeout},
      {"timeout", required_argument, nullptr, kTimeout},
      {"max-rate", required_argument, nullptr, kMaxRate},
      {"step-factor", required_argument, nullptr, kStepFactor},
      {"step-duration", required_argument, nullptr, kStepDuration},
      {"max-lag", required_argument, nullptr, kMaxLag},
      {"coalesce-us", required_argument, nullptr, kCoalesce},
      {"server-pid", required_argument, nullptr, kServerPid},
      {"aux-pid", required_argument, nullptr, kAuxPid},
      {"quiet", no_argument, nullptr, kQuiet},
      {"help", no_argument, nullptr, kHelp},
      {"processes", required_argument, nullptr, kProcesses},
      {"broadcasts", required_argument, nullptr, kBroadcasts},
      {"http-broadcasts", required_argument, nullptr, kHttpBroadcasts},
      {"broadcast-interval", required_argument, nullptr, kBroadcastInterval},
      {"broadcast-timeout", required_argument, nullptr, kBroadcastTimeout},
      {nullptr, 0, nullptr, 0},
  };
  auto bad = [](const char* what, const char* value) {
    std::fprintf(stderr, "ssebridge_loadgen: invalid %s: '%s' (see --help)\n", what, value);
    return false;
  };
  int c;
  while ((c = getopt_long(argc, argv, "", long_options, nullptr)) != -1) {
    double number = 0;
    const bool numeric = optarg != nullptr && parse_number(optarg, &number);
    switch (c) {
      case kMode: {
        const std::string m = optarg;
        if (m == "latency") opts->mode = Mode::Latency;
        else if (m == "throughput") opts->mode = Mode::Throughput;
        else if (m == "idle") opts->mode = Mode::Idle;
        else if (m == "publish") opts->mode = Mode::Publish;
        else if (m == "free-port") opts->mode = Mode::FreePort;
        else if (m == "parse-bench") opts->mode = Mode::ParseBench;
        else if (m == "broadcast") opts->mode = Mode::Broadcast;
        else return bad("--mode", optarg);
        break;
      }
      case kLabel: opts->label = optarg; break;
      case kHost: opts->host = optarg; break;
      case kRedisHost: opts->redis_host = optarg; break;
      case kChannelPrefix: opts->channel_prefix = optarg; break;
      case kSubPath: opts->subscribe_path = optarg; break;
      case kPubPath: opts->publish_path = optarg; break;
      case kHttp10: opts->subscribe_http10 = true; break;
      case kQuiet: opts->quiet = true; break;
      case kPublishVia: {
        const std::string v = optarg;
        if (v == "http") opts->publish_via = PublishVia::Http;
        else if (v == "redis") opts->publish_via = PublishVia::Redis;
        else return bad("--publish-via", optarg);
        break;
      }
      case kBody: {
        const std::string v = optarg;
        if (v == "json") opts->body_format = BodyFormat::Json;
        else if (v == "raw") opts->body_format = BodyFormat::Raw;
        else if (v == "form") opts->body_format = BodyFormat::Form;
        else return bad("--body", optarg);
        break;
      }
      case kPort: if (!numeric || number < 1 || number > 65535) return bad("--port", optarg); opts->port = static_cast<int>(number); break;
      case kRedisPort: if (!numeric || number < 1 || number > 65535) return bad("--redis-port", optarg); opts->redis_port = static_cast<int>(number); break;
      case kSubscribers: if (!numeric) return bad("--subscribers", optarg); opts->subscribers = static_cast<int>(number); break;
      case kChannels: if (!numeric || number < 1) return bad("--channels", optarg); opts->channels = static_cast<int>(number); break;
      case kSourceIps: if (!numeric || number < 1 || number > 250) return bad("--source-ips", optarg); opts->source_ips = static_cast<int>(number); break;
      case kConnectConcurrency: if (!numeric || number < 1) return bad("--connect-concurrency", optarg); opts->connect_concurrency = static_cast<int>(number); break;
      case kConnectTimeout: if (!numeric) return bad("--connect-timeout", optarg); opts->connect_timeout_s = number; break;
      case kRate: if (!numeric) return bad("--rate", optarg); opts->rate = number; break;
      case kInflight: if (!numeric || number < 1) return bad("--inflight", optarg); opts->inflight = static_cast<int>(number); break;
      case kPubConns: if (!numeric || number < 1 || number > 1000) return bad("--pub-conns", optarg); opts->publish_connections = static_cast<int>(number); break;
      case kPayloadBytes: if (!numeric || number < 60 || number > 65536) return bad("--payload-bytes", optarg); opts->payload_bytes = static_cast<int>(number); break;
      case kDuration: if (!numeric) return bad("--duration", optarg); opts->duration_s = number; break;
      case kSettle: if (!numeric) return bad("--settle", optarg); opts->settle_s = number; break;
      case kDrainTimeout: if (!numeric) return bad("--drain-timeout", optarg); opts->drain_timeout_s = number; break;
      case kTimeout: if (!numeric) return bad("--timeout", optarg); opts->timeout_s = number; break;
      case kMaxRate: if (!numeric) return bad("--max-rate", optarg); opts->max_rate = number; break;
      case kStepFactor: if (!numeric || number <= 1) return bad("--step-factor", optarg); opts->step_factor = number; break;
      case kStepDuration: if (!numeric || number <= 0) return bad("--step-duration", optarg); opts->step_duration_s = number; break;
      case kMaxLag: if (!numeric) return bad("--max-lag", optarg); opts->max_lag_s = number; break;
      case kCoalesce: if (!numeric || number > 100000) return bad("--coalesce-us", optarg); opts->coalesce_us = static_cast<int>(number); break;
      case kServerPid: if (!numeric || number < 1) return bad("--server-pid", optarg); opts->server_pids.push_back(static_cast<pid_t>(number)); break;
      case kAuxPid: if (!numeric || number < 1) return bad("--aux-pid", optarg); opts->aux_pids.push_back(static_cast<pid_t>(number)); break;
      case kProcesses: if (!numeric || number > 1000) return bad("--processes", optarg); opts->processes = static_cast<int>(number); break;
      case kBroadcasts: if (!numeric || number > 1000) return bad("--broadcasts", optarg); opts->broadcasts = static_cast<int>(number); break;
      case kHttpBroadcasts: if (!numeric || number > 1000) return bad("--http-broadcasts", optarg); opts->http_broadcasts = static_cast<int>(number); break;
      case kBroadcastInterval: if (!numeric) return bad("--broadcast-interval", optarg); opts->broadcast_interval_s = number; break;
      case kBroadcastTimeout: if (!numeric || number <= 0) return bad("--broadcast-timeout", optarg); opts->broadcast_timeout_s = number; break;
      case kHelp: print_usage(stdout); std::exit(kExitOk);
      default: print_usage(stderr); return false;
    }
  }
  if (optind != argc) return bad("argument", argv[optind]);
  // The tool only ever targets this machine: a load generator pointed at the
  // wrong address by a typo should fail fast rather than flood someone else.
  if (!is_loopback_ipv4(opts->host)) return bad("--host (must be an IPv4 loopback address)", opts->host.c_str());
  if (!is_loopback_ipv4(opts->redis_host)) return bad("--redis-host (must be an IPv4 loopback address)", opts->redis_host.c_str());
  if (opts->mode == Mode::Publish) opts->subscribers = 0;
  if (opts->mode != Mode::Publish && opts->mode != Mode::FreePort && opts->subscribers < 1)
    return bad("--subscribers", "0");
  if (opts->channel_prefix.empty()) {
    // A fresh channel per run keeps messages buffered by an earlier run (Nchan
    // replays its message buffer to new subscribers) out of this run.
    opts->channel_prefix = "bench" + std::to_string(getpid()) + "x" + std::to_string(monotonic_ns() % 1000000) + "c";
  }
  if (opts->mode == Mode::Broadcast && opts->broadcasts + opts->http_broadcasts < 1)
    return bad("--broadcasts", "0 (and --http-broadcasts 0)");
  if (opts->timeout_s <= 0) {
    double publish_time = opts->duration_s;
    if (opts->mode == Mode::Broadcast)
      publish_time = (opts->broadcasts + opts->http_broadcasts) * (opts->broadcast_timeout_s + opts->broadcast_interval_s);
    if (opts->mode == Mode::Throughput) publish_time = opts->duration_s + 2 * (opts->step_duration_s + opts->max_lag_s);
    opts->timeout_s = opts->connect_timeout_s + opts->settle_s + publish_time + opts->drain_timeout_s + 30;
  }
  return true;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
  return text;
}

// ---------------------------------------------------------------------------
// /proc sampling of the server under test.
// ---------------------------------------------------------------------------
struct ProcessSample {
  uint64_t cpu_us = 0;  // user + system time, summed over the sampled processes
  uint64_t rss_kb = 0;
  bool ok = true;       // false if any process could not be read (e.g. it exited)
};

ProcessSample sample_processes(const std::vector<pid_t>& pids) {
  static const long ticks_per_second = sysconf(_SC_CLK_TCK);
  ProcessSample sample;
  for (pid_t pid : pids) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // The command name may contain spaces or parentheses, so fields are
    // counted from the last ')'.  utime and stime are fields 14 and 15.
    const size_t close_paren = text.rfind(')');
    if (close_paren == std::string::npos) { sample.ok = false; continue; }
    std::istringstream fields(text.substr(close_paren + 2));
    std::string field;
    uint64_t utime = 0, stime = 0;
    for (int index = 3; index <= 15 && (fields >> field); ++index) {
      if (index == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
      if (index == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
    }
    sample.cpu_us += (utime + stime) * 1000000ull / static_cast<uint64_t>(ticks_per_second);
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    bool found_rss = false;
    while (std::getline(status, line)) {
      if (line.compare(0, 6, "VmRSS:") == 0) {
        sample.rss_kb += std::strtoull(line.c_str() + 6, nullptr, 10);
        found_rss = true;
        break;
      }
    }
    if (!found_rss) sample.ok = false;
  }
  return sample;
}

// ---------------------------------------------------------------------------
// Payloads: {"seq":N,"ts":MONOTONIC_NS,"run":R,"pad":"xx.."} padded to size.
// ---------------------------------------------------------------------------
std::string make_payload(uint64_t seq, uint64_t ts_ns, uint32_t run_id, int target_bytes) {
  char head[128];
  const int n = std::snprintf(head, sizeof head, "{\"seq\":%" PRIu64 ",\"ts\":%" PRIu64 ",\"run\":%u,\"pad\":\"",
                              seq, ts_ns, run_id);
  std::string payload(head, static_cast<size_t>(n));
  const int pad = target_bytes - n - 2;
  if (pad > 0) payload.append(static_cast<size_t>(pad), 'x');
  payload += "\"}";
  return payload;
}

// Finds `"key"` followed by ':' and a decimal number.  Whitespace is tolerated
// because a server that re-serialises JSON may add it.
bool find_json_uint(const char* s, size_t n, const char* quoted_key, size_t key_len, uint64_t* out) {
  const char* p = static_cast<const char*>(memmem(s, n, quoted_key, key_len));
  if (p == nullptr) return false;
  const char* end = s + n;
  p += key_len;
  while (p < end && (*p == ' ' || *p == '\t')) ++p;
  if (p >= end || *p != ':') return false;
  ++p;
  while (p < end && (*p == ' ' || *p == '\t')) ++p;
  if (p >= end || *p < '0' || *p > '9') return false;
  uint64_t value = 0;
  while (p < end && *p >= '0' && *p <= '9') value = value * 10 + static_cast<uint64_t>(*p++ - '0');
  *out = value;
  return true;
}

std::string url_encode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

// Case-insensitive lookup of a header value inside a raw header block.
bool find_header(const char* block, size_t len, const char* name, std::string* value) {
  const size_t name_len = std::strlen(name);
  const char* p = block;
  const char* end = block + len;
  while (p < end) {
    const char* eol = static_cast<const char*>(memchr(p, '\n', static_cast<size_t>(end - p)));
    if (eol == nullptr) eol = end;
    if (static_cast<size_t>(eol - p) > name_len && strncasecmp(p, name, name_len) == 0 && p[name_len] == ':') {
      const char* v = p + name_len + 1;
      const char* v_end = eol;
      while (v < v_end && (*v == ' ' || *v == '\t')) ++v;
      while (v_end > v && (v_end[-1] == '\r' || v_end[-1] == ' ')) --v_end;
      value->assign(v, static_cast<size_t>(v_end - v));
      return true;
    }
    p = eol + 1;
  }
  return false;
}

int parse_status_code(const char* block, size_t len) {
  // "HTTP/1.1 200 OK"
  if (len < 12 || std::strncmp(block, "HTTP/1.", 7) != 0) return -1;
  return std::atoi(block + 9);
}

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

sockaddr_in make_address(const std::string& ip, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  return addr;
}

// Publisher connections are few, so a blocking connect keeps their setup
// simple; they are switched to non-blocking before any traffic.
int connect_blocking(const std::string& ip, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr = make_address(ip, port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  set_nonblocking(fd);
  return fd;
}

// ---------------------------------------------------------------------------
// Connection state
// ---------------------------------------------------------------------------
struct Subscriber {
  enum class State : uint8_t { NotStarted, Connecting, AwaitingHeaders, Streaming, Closed };
  enum class Framing : uint8_t { CloseDelimited, Chunked };
  enum class ChunkState : uint8_t { SizeLine, Data, DataEnd, Finished };

  int fd = -1;
  uint32_t channel = 0;
  State state = State::NotStarted;
  Framing framing = Framing::CloseDelimited;
  ChunkState chunk_state = ChunkState::SizeLine;
  bool event_has_data = false;
  bool event_payload_ok = false;
  uint64_t chunk_remaining = 0;
  uint64_t event_seq = 0;
  uint64_t event_ts = 0;
  uint64_t event_run = 0;
  uint64_t next_seq = 1;
  uint64_t seen_bits[kSeenWindow / 64] = {};
  // Holds the header block while waiting for it, then a partial chunk-size line.
  std::string header_or_chunk_line;
  // Holds an SSE line that was split across reads or chunks.
  std::string partial_line;

  bool seen(uint64_t seq) const { return (seen_bits[(seq % kSeenWindow) / 64] >> (seq % 64)) & 1; }
  void mark(uint64_t seq) { seen_bits[(seq % kSeenWindow) / 64] |= 1ull << (seq % 64); }
  void unmark(uint64_t seq) { seen_bits[(seq % kSeenWindow) / 64] &= ~(1ull << (seq % 64)); }
};

struct PublisherConnection {
  int fd = -1;
  bool want_write = false;
  std::string out;
  size_t out_offset = 0;
  std::string in;
  size_t in_offset = 0;
  std::deque<uint64_t> sent_at_ns;  // FIFO of send times of unacknowledged requests
};

struct Counters {
  uint64_t connect_failures = 0;
  uint64_t connect_timeouts = 0;  // of connect_failures: still connecting when --connect-timeout passed
  uint64_t bad_status = 0;
  uint64_t disconnects = 0;  // streams that ended while they should have stayed open
  uint64_t unique_delivered = 0;
  uint64_t duplicates = 0;
  uint64_t out_of_order = 0;
  uint64_t gaps = 0;  // times a subscriber skipped ahead (each is a loss unless filled later)
  uint64_t malformed = 0;
  uint64_t foreign = 0;  // events from another run or without our payload fields
  uint64_t comments = 0;  // SSE comment lines, i.e. heartbeats and stream preambles
  uint64_t published = 0;
  uint64_t publish_ok = 0;
  uint64_t publish_errors = 0;
  uint64_t redis_zero_receivers = 0;
  uint64_t publisher_disconnects = 0;
  uint64_t last_delivery_ns = 0;
};

enum : uint64_t { kTagSubscriber = 1, kTagPublisher = 2, kTagControl = 3 };

// ---------------------------------------------------------------------------
// The load generator: one epoll loop drives subscribers and publishers.
// ---------------------------------------------------------------------------
class LoadGenerator {
 public:
  explicit LoadGenerator(const Options& opts) : opts_(opts) {
    run_id_ = opts_.run_id != 0
                  ? opts_.run_id
                  : static_cast<uint32_t>((monotonic_ns() ^ static_cast<uint64_t>(getpid()) << 20) % 1000000000u);
    channel_seq_.assign(static_cast<size_t>(opts_.channels), 0);
    subscribers_per_channel_.assign(static_cast<size_t>(opts_.channels), 0);
    for (int c = 0; c < opts_.channels; ++c) channel_names_.push_back(opts_.channel_prefix + std::to_string(c));
    read_buffer_.resize(kReadBufferBytes);
    hard_deadline_ns_ = monotonic_ns() + seconds_to_ns(opts_.timeout_s);
  }

  int run() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) { std::perror("epoll_create1"); return kExitCheckFailed; }
    if (!raise_fd_limit()) return kExitUsage;
    switch (opts_.mode) {
      case Mode::Latency: return run_latency();
      case Mode::Throughput: return run_throughput();
      case Mode::Idle: return run_idle();
      case Mode::Publish: return run_publish();
      case Mode::ParseBench: return run_parse_bench();
      case Mode::FreePort:
      case Mode::Broadcast: break;  // The broadcast parent is run_broadcast(); children use run_broadcast_child().
    }
    return kExitUsage;
  }

 private:
  // ----- setup -----------------------------------------------------------
  bool raise_fd_limit() {
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    const rlim_t needed = static_cast<rlim_t>(opts_.subscribers) + static_cast<rlim_t>(opts_.publish_connections) + 32;
    if (lim.rlim_cur != RLIM_INFINITY && needed > lim.rlim_cur) {
      std::fprintf(stderr,
                   "ssebridge_loadgen: %d subscribers need %llu file descriptors but the limit is %llu; "
                   "run several loadgen processes or raise 'ulimit -n'\n",
                   opts_.subscribers, static_cast<unsigned long long>(needed),
                   static_cast<unsigned long long>(lim.rlim_cur));
      return false;
    }
    return true;
  }

  void note(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    if (opts_.quiet) return;
    va_list args;
    va_start(args, fmt);
    std::fprintf(stderr, "[loadgen %.2fs] ", static_cast<double>(monotonic_ns() - start_ns_) / 1e9);
    std::vfprintf(stderr, fmt, args);
    std::fputc('\n', stderr);
    va_end(args);
  }

  // ----- the event loop ----------------------------------------------------
  // Runs the loop until done() is true (returns true), the deadline passes
  // (returns false) or the hard timeout / a signal stops the run.
  bool loop_until(const std::function<bool()>& done, uint64_t deadline_ns) {
    epoll_event events[kMaxEpollEvents];
    for (;;) {
      if (done()) return true;
      const uint64_t now = monotonic_ns();
      if (g_interrupted || now >= hard_deadline_ns_) { aborted_ = true; return false; }
      if (now >= deadline_ns) return false;
      // While publishing, wake every millisecond so the send schedule stays smooth.
      uint64_t wait_ns = publishing_ ? 1000000ull : 50000000ull;
      wait_ns = std::min(wait_ns, deadline_ns - now);
      const int timeout_ms = static_cast<int>((wait_ns + 999999) / 1000000);
      const int n = epoll_wait(epoll_fd_, events, kMaxEpollEvents, timeout_ms);
      for (int i = 0; i < n; ++i) {
        const uint64_t tag = events[i].data.u64 >> 32;
        const uint32_t index = static_cast<uint32_t>(events[i].data.u64);
        if (tag == kTagSubscriber) on_subscriber_event(index, events[i].events);
        else if (tag == kTagPublisher) on_publisher_event(index, events[i].events);
        else if (tag == kTagControl) on_control_readable();
      }
      if (report_fd_ >= 0 && !ramping_) report_completed_broadcasts();
      if (ramping_) start_more_connects();
      if (publishing_) publisher_tick(monotonic_ns());
      if (n > 0 && opts_.coalesce_us > 0) usleep(static_cast<useconds_t>(opts_.coalesce_us));
    }
  }

  // ----- subscribers --------------------------------------------------------
  void open_subscribers() {
    subscribers_.resize(static_cast<size_t>(opts_.subscribers));
    for (size_t i = 0; i < subscribers_.size(); ++i) {
      subscribers_[i].channel = static_cast<uint32_t>(i % static_cast<size_t>(opts_.channels));
    }
    next_to_connect_ = 0;
    ramping_ = true;
    const uint64_t deadline = monotonic_ns() + seconds_to_ns(opts_.connect_timeout_s);
    start_more_connects();
    loop_until([&] { return next_to_connect_ == subscribers_.size() && pending_connects_ == 0; }, deadline);
    ramping_ = false;
    // Anything still pending after the connect timeout counts as a failure.
    for (auto& sub : subscribers_) {
      if (sub.state == Subscriber::State::Connecting || sub.state == Subscriber::State::AwaitingHeaders ||
          sub.state == Subscriber::State::NotStarted) {
        ++counters_.connect_failures;
        ++counters_.connect_timeouts;
        close_subscriber(sub);
      }
    }
    pending_connects_ = 0;
    for (const auto& sub : subscribers_) {
      if (sub.state == Subscriber::State::Streaming) ++subscribers_per_channel_[sub.channel];
    }
  }

  size_t streaming_count() const {
    size_t n = 0;
    for (size_t c : subscribers_per_channel_) n += c;
    return n;
  }

  void start_more_connects() {
    while (next_to_connect_ < subscribers_.size() &&
           pending_connects_ < static_cast<size_t>(opts_.connect_concurrency)) {
      const uint32_t index = static_cast<uint32_t>(next_to_connect_++);
      Subscriber& sub = subscribers_[index];
      if (!start_connect(index, sub)) {
        ++counters_.connect_failures;
        sub.state = Subscriber::State::Closed;
      } else {
        ++pending_connects_;
      }
    }
  }

  bool start_connect(uint32_t index, Subscriber& sub) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { note("socket: %s", std::strerror(errno)); return false; }
    // Each (source IP, destination) pair has its own ephemeral port range, so
    // spreading subscribers over several 127.0.0.x sources multiplies the
    // number of possible connections.  IP_BIND_ADDRESS_NO_PORT defers port
    // selection to connect(), which lets the kernel reuse ports across
    // destinations instead of reserving one per bind().
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    // index_offset_ makes the spread global across the processes of a broadcast run.
    const uint32_t global_index = index_offset_ + index;
    const std::string source_ip = "127.0.0." + std::to_string(2 + global_index % static_cast<uint32_t>(opts_.source_ips));
    sockaddr_in source = make_address(source_ip, 0);
    if (bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof source) != 0) {
      note("bind %s: %s", source_ip.c_str(), std::strerror(errno));
      close(fd);
      return false;
    }
    sockaddr_in server = make_address(opts_.host, opts_.port);
    if (connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0 && errno != EINPROGRESS) {
      note("connect: %s", std::strerror(errno));
      close(fd);
      return false;
    }
    sub.fd = fd;
    sub.state = Subscriber::State::Connecting;
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.u64 = (kTagSubscriber << 32) | index;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    return true;
  }

  void close_subscriber(Subscriber& sub) {
    if (sub.fd >= 0) {
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, sub.fd, nullptr);
      close(sub.fd);
      sub.fd = -1;
    }
    sub.state = Subscriber::State::Closed;
    std::string().swap(sub.header_or_chunk_line);
    std::string().swap(sub.partial_line);
  }

  // A connection failed before its stream started.
  void fail_pending(Subscriber& sub) {
    ++counters_.connect_failures;
    if (pending_connects_ > 0) --pending_connects_;
    close_subscriber(sub);
  }

  void on_subscriber_event(uint32_t index, uint32_t events) {
    Subscriber& sub = subscribers_[index];
    if (sub.state == Subscriber::State::Connecting) {
      int error = 0;
      socklen_t len = sizeof error;
      getsockopt(sub.fd, SOL_SOCKET, SO_ERROR, &error, &len);
      if (error != 0 || (events & (EPOLLERR | EPOLLHUP))) {
        if (connect_error_notes_++ < 5) note("subscriber connect failed: %s", std::strerror(error));
        fail_pending(sub);
        return;
      }
      const std::string path = replace_all(opts_.subscribe_path, "{channel}", channel_names_[sub.channel]);
      const std::string request = "GET " + path + (opts_.subscribe_http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n") +
                                  "Host: " + opts_.host + ":" + std::to_string(opts_.port) +
                                  "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n";
      // A fresh socket's send buffer always has room for a few hundred bytes,
      // so a short write here means the connection is already broken.
      if (write(sub.fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
        fail_pending(sub);
        return;
      }
      sub.state = Subscriber::State::AwaitingHeaders;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = (kTagSubscriber << 32) | index;
      epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, sub.fd, &ev);
      return;
    }
    if (sub.state != Subscriber::State::AwaitingHeaders && sub.state != Subscriber::State::Streaming) return;
    const ssize_t n = read(sub.fd, read_buffer_.data(), read_buffer_.size());
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
      if (sub.state == Subscriber::State::AwaitingHeaders) {
        fail_pending(sub);
      } else {
        on_stream_ended(sub);
      }
      return;
    }
    const uint64_t received_ns = monotonic_ns();
    const char* data = read_buffer_.data();
    size_t len = static_cast<size_t>(n);
    if (sub.state == Subscriber::State::AwaitingHeaders) {
      if (!consume_headers(sub, &data, &len)) return;
    }
    feed_body(sub, data, len, received_ns);
  }

  void on_stream_ended(Subscriber& sub) {
    ++counters_.disconnects;
    if (disconnect_notes_++ < 5) note("subscriber stream ended unexpectedly");
    close_subscriber(sub);
  }

  // Accumulates the response header block.  Returns true once the headers are
  // complete, leaving *data/*len pointing at the body bytes that followed.
  bool consume_headers(Subscriber& sub, const char** data, size_t* len) {
    std::string& buf = sub.header_or_chunk_line;
    const size_t old_size = buf.size();
    buf.append(*data, *len);
    const size_t search_from = old_size >= 3 ? old_size - 3 : 0;
    const size_t end = buf.find("\r\n\r\n", search_from);
    if (end == std::string::npos) {
      if (buf.size() > 16384) { ++counters_.bad_status; fail_pending(sub); }
      return false;
    }
    const size_t header_len = end + 4;
    const int status = parse_status_code(buf.data(), header_len);
    if (status != 200) {
      if (status_notes_++ < 5) note("subscriber got HTTP status %d", status);
      ++counters_.bad_status;
      fail_pending(sub);
      return false;
    }
    std::string value;
    sub.framing = Subscriber::Framing::CloseDelimited;
    if (find_header(buf.data(), header_len, "transfer-encoding", &value) &&
        strcasestr(value.c_str(), "chunked") != nullptr) {
      sub.framing = Subscriber::Framing::Chunked;
    }
    // The body bytes that arrived with the headers live in the caller's read
    // buffer at the same offset, so point there rather than copying.
    const size_t body_in_this_read = buf.size() - header_len;
    *data = *data + (*len - body_in_this_read);
    *len = body_in_this_read;
    buf.clear();
    sub.state = Subscriber::State::Streaming;
    --pending_connects_;
    return true;
  }

  void feed_body(Subscriber& sub, const char* p, size_t n, uint64_t received_ns) {
    if (sub.framing == Subscriber::Framing::CloseDelimited) {
      feed_sse(sub, p, n, received_ns);
      return;
    }
    while (n > 0 && sub.state == Subscriber::State::Streaming) {
      switch (sub.chunk_state) {
        case Subscriber::ChunkState::SizeLine: {
          const char* nl = static_cast<const char*>(memchr(p, '\n', n));
          if (nl == nullptr) {
            sub.header_or_chunk_line.append(p, n);
            if (sub.header_or_chunk_line.size() > 1024) { ++counters_.malformed; on_stream_ended(sub); }
            return;
          }
          sub.header_or_chunk_line.append(p, static_cast<size_t>(nl - p));
          n -= static_cast<size_t>(nl + 1 - p);
          p = nl + 1;
          char* end = nullptr;
          const uint64_t size = std::strtoull(sub.header_or_chunk_line.c_str(), &end, 16);
          if (end == sub.header_or_chunk_line.c_str()) { ++counters_.malformed; on_stream_ended(sub); return; }
          sub.header_or_chunk_line.clear();
          if (size == 0) {
            // The server finished the response: for a subscription that is a disconnect.
            sub.chunk_state = Subscriber::ChunkState::Finished;
            on_stream_ended(sub);
            return;
          }
          sub.chunk_remaining = size;
          sub.chunk_state = Subscriber::ChunkState::Data;
          break;
        }
        case Subscriber::ChunkState::Data: {
          const size_t take = static_cast<size_t>(std::min<uint64_t>(n, sub.chunk_remaining));
          feed_sse(sub, p, take, received_ns);
          p += take;
          n -= take;
          sub.chunk_remaining -= take;
          if (sub.chunk_remaining == 0) sub.chunk_state = Subscriber::ChunkState::DataEnd;
          break;
        }
        case Subscriber::ChunkState::DataEnd: {
          // Skip the CRLF that terminates the chunk data.
          const char* nl = static_cast<const char*>(memchr(p, '\n', n));
          if (nl == nullptr) return;
          n -= static_cast<size_t>(nl + 1 - p);
          p = nl + 1;
          sub.chunk_state = Subscriber::ChunkState::SizeLine;
          break;
        }
        case Subscriber::ChunkState::Finished:
          return;
      }
    }
  }

  // Splits SSE data into lines with memchr.  Complete lines are parsed in
  // place in the read buffer; only a line split across reads is copied.
  void feed_sse(Subscriber& sub, const char* p, size_t n, uint64_t received_ns) {
    while (n > 0) {
      const char* nl = static_cast<const char*>(memchr(p, '\n', n));
      if (nl == nullptr) {
        sub.partial_line.append(p, n);
        if (sub.partial_line.size() > kMaxCarryBytes) { ++counters_.malformed; sub.partial_line.clear(); }
        return;
      }
      const size_t line_len = static_cast<size_t>(nl - p);
      if (!sub.partial_line.empty()) {
        sub.partial_line.append(p, line_len);
        handle_line(sub, sub.partial_line.data(), sub.partial_line.size(), received_ns);
        sub.partial_line.clear();
      } else {
        handle_line(sub, p, line_len, received_ns);
      }
      n -= line_len + 1;
      p = nl + 1;
    }
  }

  void handle_line(Subscriber& sub, const char* line, size_t len, uint64_t received_ns) {
    if (len > 0 && line[len - 1] == '\r') --len;
    if (len == 0) {
      // A blank line dispatches the event; comment-only blocks have no data.
      if (sub.event_has_data) dispatch_event(sub, received_ns);
      sub.event_has_data = false;
      return;
    }
    if (line[0] == ':') {
      ++counters_.comments;
      return;
    }
    if (len >= 5 && std::memcmp(line, "data:", 5) == 0) {
      // Only the first data line carries our payload; a multi-line payload
      // would be someone else's message and is classified in dispatch.
      if (!sub.event_has_data) {
        sub.event_has_data = true;
        const char* payload = line + 5;
        const size_t payload_len = len - 5;
        sub.event_payload_ok = find_json_uint(payload, payload_len, "\"seq\"", 5, &sub.event_seq) &&
                               find_json_uint(payload, payload_len, "\"ts\"", 4, &sub.event_ts) &&
                               find_json_uint(payload, payload_len, "\"run\"", 5, &sub.event_run);
      }
      return;
    }
    // id:, event: and retry: lines carry nothing the checks need.
  }

  void dispatch_event(Subscriber& sub, uint64_t received_ns) {
    if (!sub.event_payload_ok) {
      ++counters_.malformed;
      return;
    }
    if (sub.event_run != run_id_ || sub.event_seq == 0) {
      ++counters_.foreign;
      return;
    }
    const uint64_t seq = sub.event_seq;
    if (seq >= sub.next_seq) {
      // In order, or skipping ahead: forget the window slots of any skipped
      // sequence numbers so that a late arrival of them is recognised.
      if (seq > sub.next_seq) {
        ++counters_.gaps;
        if (seq - sub.next_seq >= kSeenWindow) {
          std::memset(sub.seen_bits, 0, sizeof sub.seen_bits);
        } else {
          for (uint64_t s = sub.next_seq; s < seq; ++s) sub.unmark(s);
        }
      }
      sub.mark(seq);
      sub.next_seq = seq + 1;
    } else if (sub.next_seq - seq <= kSeenWindow && sub.seen(seq)) {
      ++counters_.duplicates;
      return;
    } else {
      ++counters_.out_of_order;
      if (sub.next_seq - seq > kSeenWindow) return;  // Too old to know whether it is a duplicate.
      sub.mark(seq);
    }
    ++counters_.unique_delivered;
    counters_.last_delivery_ns = received_ns;
    const uint64_t latency = received_ns > sub.event_ts ? received_ns - sub.event_ts : 0;
    latency_.record(latency);
    if (seq <= per_broadcast_.size()) per_broadcast_[seq - 1].record(latency);
  }

  // ----- publishers ---------------------------------------------------------
  bool open_publishers() {
    const int count = opts_.publish_via == PublishVia::Redis ? 1 : opts_.publish_connections;
    for (int i = 0; i < count; ++i) {
      PublisherConnection conn;
      if (!connect_publisher(conn)) return false;
      publishers_.push_back(std::move(conn));
      register_publisher(static_cast<uint32_t>(publishers_.size() - 1));
    }
    return true;
  }

  bool connect_publisher(PublisherConnection& conn) {
    const bool redis = opts_.publish_via == PublishVia::Redis;
    conn.fd = connect_blocking(redis ? opts_.redis_host : opts_.host, redis ? opts_.redis_port : opts_.port);
    if (conn.fd < 0) {
      std::fprintf(stderr, "ssebridge_loadgen: cannot connect publisher to %s:%d: %s\n",
                   redis ? opts_.redis_host.c_str() : opts_.host.c_str(), redis ? opts_.redis_port : opts_.port,
                   std::strerror(errno));
      return false;
    }
    return true;
  }

  void register_publisher(uint32_t index) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = (kTagPublisher << 32) | index;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, publishers_[index].fd, &ev);
  }

  void set_publisher_write_interest(uint32_t index, bool want_write) {
    PublisherConnection& conn = publishers_[index];
    if (conn.want_write == want_write) return;
    conn.want_write = want_write;
    epoll_event ev{};
    ev.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
    ev.data.u64 = (kTagPublisher << 32) | index;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn.fd, &ev);
  }

  void start_publishing(double rate, double seconds) {
    publishing_ = true;
    publish_rate_ = rate;
    phase_start_ns_ = monotonic_ns();
    phase_end_ns_ = phase_start_ns_ + seconds_to_ns(seconds);
    phase_sent_ = 0;
  }

  uint64_t inflight() const {
    uint64_t total = 0;
    for (const auto& conn : publishers_) total += conn.sent_at_ns.size();
    return total;
  }

  void publisher_tick(uint64_t now) {
    if (now >= phase_end_ns_) {
      publishing_ = false;
      return;
    }
    uint64_t due = UINT64_MAX;
    if (publish_rate_ > 0) {
      due = static_cast<uint64_t>(static_cast<double>(now - phase_start_ns_) * publish_rate_ / 1e9) + 1;
    }
    uint64_t in_flight = inflight();
    bool queued_any = false;
    while (phase_sent_ < due && in_flight < static_cast<uint64_t>(opts_.inflight)) {
      enqueue_publish(now);
      ++phase_sent_;
      ++in_flight;
      queued_any = true;
    }
    if (queued_any) {
      for (uint32_t i = 0; i < publishers_.size(); ++i) flush_publisher(i);
    }
  }

  void enqueue_publish(uint64_t now) {
    const uint32_t channel = static_cast<uint32_t>(counters_.published % channel_seq_.size());
    const uint64_t seq = ++channel_seq_[channel];
    ++counters_.published;
    const std::string& name = channel_names_[channel];
    const std::string payload = make_payload(seq, now, run_id_, opts_.payload_bytes);
    // HTTP only orders pipelined requests within one connection, so with
    // subscribers (whose order is checked) each channel sticks to one
    // connection; the publish-only mode spreads requests over all of them.
    const size_t conn_index =
        subscribers_.empty() ? next_publisher_++ % publishers_.size() : channel % publishers_.size();
    PublisherConnection& conn = publishers_[conn_index];
    std::string& out = conn.out;
    if (opts_.publish_via == PublishVia::Redis) {
      out += "*3\r\n$7\r\nPUBLISH\r\n$" + std::to_string(name.size()) + "\r\n" + name + "\r\n$" +
             std::to_string(payload.size()) + "\r\n" + payload + "\r\n";
    } else {
      std::string body;
      const char* content_type = "application/json";
      switch (opts_.body_format) {
        case BodyFormat::Json:
          // The payload goes in as a JSON string so the server relays it byte
          // for byte; its only special characters are double quotes.
          body = "{\"channel\":\"" + name + "\",\"data\":\"" + replace_all(payload, "\"", "\\\"") + "\"}";
          break;
        case BodyFormat::Raw:
          body = payload;
          break;
        case BodyFormat::Form:
          body = "channel=" + url_encode(name) + "&message=" + url_encode(payload);
          content_type = "application/x-www-form-urlencoded";
          break;
      }
      out += "POST " + replace_all(opts_.publish_path, "{channel}", name) + " HTTP/1.1\r\nHost: " + opts_.host +
             ":" + std::to_string(opts_.port) + "\r\nContent-Type: " + content_type +
             "\r\nAccept: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    }
    conn.sent_at_ns.push_back(now);
  }

  void flush_publisher(uint32_t index) {
    PublisherConnection& conn = publishers_[index];
    while (conn.out_offset < conn.out.size()) {
      const ssize_t n = write(conn.fd, conn.out.data() + conn.out_offset, conn.out.size() - conn.out_offset);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        on_publisher_closed(index);
        return;
      }
      conn.out_offset += static_cast<size_t>(n);
    }
    if (conn.out_offset == conn.out.size()) {
      conn.out.clear();
      conn.out_offset = 0;
    }
    set_publisher_write_interest(index, conn.out_offset < conn.out.size());
  }

  void on_publisher_event(uint32_t index, uint32_t events) {
    if (events & EPOLLOUT) flush_publisher(index);
    if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP))) return;
    PublisherConnection& conn = publishers_[index];
    const ssize_t n = read(conn.fd, read_buffer_.data(), read_buffer_.size());
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
      on_publisher_closed(index);
      return;
    }
    conn.in.append(read_buffer_.data(), static_cast<size_t>(n));
    const uint64_t now = monotonic_ns();
    if (opts_.publish_via == PublishVia::Redis) {
      parse_redis_replies(conn, now);
    } else {
      parse_http_responses(conn, now);
    }
    if (conn.in_offset > 0 && conn.in_offset == conn.in.size()) {
      conn.in.clear();
      conn.in_offset = 0;
    } else if (conn.in_offset > 65536) {
      conn.in.erase(0, conn.in_offset);
      conn.in_offset = 0;
    }
  }

  void on_publish_ack(PublisherConnection& conn, bool ok, uint64_t now) {
    if (conn.sent_at_ns.empty()) {
      ++counters_.publish_errors;  // A response nobody asked for.
      return;
    }
    publish_latency_.record(now - conn.sent_at_ns.front());
    conn.sent_at_ns.pop_front();
    if (ok) ++counters_.publish_ok;
    else ++counters_.publish_errors;
  }

  void parse_http_responses(PublisherConnection& conn, uint64_t now) {
    for (;;) {
      const char* base = conn.in.data() + conn.in_offset;
      const size_t avail = conn.in.size() - conn.in_offset;
      const char* header_end = static_cast<const char*>(memmem(base, avail, "\r\n\r\n", 4));
      if (header_end == nullptr) return;
      const size_t header_len = static_cast<size_t>(header_end - base) + 4;
      const int status = parse_status_code(base, header_len);
      std::string value;
      size_t total = header_len;
      if (find_header(base, header_len, "transfer-encoding", &value) && strcasestr(value.c_str(), "chunked")) {
        const char* last = static_cast<const char*>(memmem(base + header_len, avail - header_len, "0\r\n\r\n", 5));
        if (last == nullptr) return;
        total = static_cast<size_t>(last - base) + 5;
      } else if (find_header(base, header_len, "content-length", &value)) {
        total += std::strtoull(value.c_str(), nullptr, 10);
        if (total > avail) return;
      }
      conn.in_offset += total;
      const bool ok = status >= 200 && status < 300;
      if (!ok && status_notes_++ < 5) note("publish got HTTP status %d", status);
      on_publish_ack(conn, ok, now);
    }
  }

  void parse_redis_replies(PublisherConnection& conn, uint64_t now) {
    for (;;) {
      const char* base = conn.in.data() + conn.in_offset;
      const size_t avail = conn.in.size() - conn.in_offset;
      const char* eol = static_cast<const char*>(memmem(base, avail, "\r\n", 2));
      if (eol == nullptr) return;
      conn.in_offset += static_cast<size_t>(eol - base) + 2;
      if (base[0] == ':') {
        // PUBLISH answers with the number of Redis subscribers that got the
        // message; zero means the server under test was not subscribed.
        if (base[1] == '0' && eol == base + 2) ++counters_.redis_zero_receivers;
        on_publish_ack(conn, true, now);
      } else {
        if (status_notes_++ < 5) note("redis replied: %.*s", static_cast<int>(eol - base), base);
        on_publish_ack(conn, false, now);
      }
    }
  }

  // A closed publisher connection loses whatever it had in flight; those
  // messages count as publish errors and the connection is re-established so
  // the run can go on (the subscribers will report the gap as loss).
  void on_publisher_closed(uint32_t index) {
    PublisherConnection& conn = publishers_[index];
    ++counters_.publisher_disconnects;
    counters_.publish_errors += conn.sent_at_ns.size();
    note("publisher connection closed by peer with %zu requests in flight", conn.sent_at_ns.size());
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, conn.fd, nullptr);
    close(conn.fd);
    conn = PublisherConnection();
    if (connect_publisher(conn)) {
      register_publisher(index);
    } else {
      aborted_ = true;
      publishing_ = false;
    }
  }

  // ----- accounting ---------------------------------------------------------
  uint64_t expected_deliveries() const {
    uint64_t total = 0;
    for (size_t c = 0; c < channel_seq_.size(); ++c) total += channel_seq_[c] * subscribers_per_channel_[c];
    return total;
  }

  bool all_delivered() const {
    return !publishing_ && inflight() == 0 && counters_.unique_delivered >= expected_deliveries();
  }

  // Publishes at `rate` for `seconds`, then waits until every delivery arrived
  // or `drain_s` passed.  Returns true when everything arrived in time.
  bool publish_and_drain(double rate, double seconds, double drain_s) {
    start_publishing(rate, seconds);
    loop_until([&] { return !publishing_; }, phase_end_ns_ + seconds_to_ns(1));
    publishing_ = false;
    return loop_until([&] { return all_delivered(); }, monotonic_ns() + seconds_to_ns(drain_s));
  }

  void settle(double seconds) {
    loop_until([] { return false; }, monotonic_ns() + seconds_to_ns(seconds));
  }

  bool connect_all_subscribers() {
    const ProcessSample before = sample_processes(opts_.server_pids);
    rss_before_connect_kb_ = before.rss_kb;
    note("connecting %d subscribers to %s:%d", opts_.subscribers, opts_.host.c_str(), opts_.port);
    const uint64_t t0 = monotonic_ns();
    open_subscribers();
    connect_seconds_ = static_cast<double>(monotonic_ns() - t0) / 1e9;
    note("%zu/%d subscribers streaming after %.2fs (%" PRIu64 " failures)", streaming_count(), opts_.subscribers,
         connect_seconds_, counters_.connect_failures);
    settle(opts_.settle_s);
    rss_after_connect_kb_ = sample_processes(opts_.server_pids).rss_kb;
    return !aborted_;
  }

  // ----- result reporting ---------------------------------------------------
  // What is sampled at each end of a measurement window.
  struct WindowEdge {
    uint64_t ns = 0;
    ProcessSample server, aux;
    uint64_t own_cpu_us = 0;
    uint64_t delivered = 0;
  };
  struct Window {
    WindowEdge begin, end;
  };

  WindowEdge sample_edge() {
    WindowEdge edge;
    edge.ns = monotonic_ns();
    edge.server = sample_processes(opts_.server_pids);
    edge.aux = sample_processes(opts_.aux_pids);
    edge.own_cpu_us = own_cpu_us();
    edge.delivered = counters_.unique_delivered;
    return edge;
  }
  void window_begin(Window& w) { w.begin = sample_edge(); }
  void window_end(Window& w) { w.end = sample_edge(); }

  std::vector<std::pair<std::string, std::string>> fields_;

  void field(const std::string& key, const std::string& value) { fields_.emplace_back(key, value); }
  void field(const std::string& key, uint64_t value) { field(key, std::to_string(value)); }
  void field(const std::string& key, double value, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    field(key, std::string(buf));
  }

  // Adds cost fields: server/aux/own CPU per unit of work over the window.
  void cost_fields(const Window& w, uint64_t units, const char* unit_name) {
    const double seconds = static_cast<double>(w.end.ns - w.begin.ns) / 1e9;
    const double server_cpu_us = static_cast<double>(w.end.server.cpu_us - w.begin.server.cpu_us);
    const double aux_cpu_us = static_cast<double>(w.end.aux.cpu_us - w.begin.aux.cpu_us);
    const double own_cpu = static_cast<double>(w.end.own_cpu_us - w.begin.own_cpu_us);
    const double u = units > 0 ? static_cast<double>(units) : NAN;
    field("window_s", seconds, 3);
    if (!opts_.server_pids.empty()) {
      field(std::string("server_cpu_us_per_") + unit_name, server_cpu_us / u, 3);
      field("server_cpu_util", server_cpu_us / 1e6 / seconds, 3);
      field("server_rss_kb", w.end.server.rss_kb);
      if (!w.end.server.ok) field("server_sample_error", std::string("1"));
    }
    if (!opts_.aux_pids.empty()) {
      field(std::string("aux_cpu_us_per_") + unit_name, aux_cpu_us / u, 3);
      field("aux_rss_kb", w.end.aux.rss_kb);
    }
    field(std::string("loadgen_cpu_us_per_") + unit_name, own_cpu / u, 3);
    field("loadgen_cpu_util", own_cpu / 1e6 / seconds, 3);
  }

  void latency_fields(const LatencyHistogram& h, const char* prefix) {
    const std::string p = prefix;
    field(p + "samples", h.total());
    field(p + "p50_us", static_cast<double>(h.percentile(0.50)) / 1e3, 1);
    field(p + "p90_us", static_cast<double>(h.percentile(0.90)) / 1e3, 1);
    field(p + "p99_us", static_cast<double>(h.percentile(0.99)) / 1e3, 1);
    field(p + "max_us", static_cast<double>(h.max()) / 1e3, 1);
  }

  void connection_fields() {
    field("subscribers", static_cast<uint64_t>(opts_.subscribers));
    field("connected", static_cast<uint64_t>(streaming_count()));
    field("connect_failures", counters_.connect_failures);
    field("bad_status", counters_.bad_status);
    field("connect_s", connect_seconds_, 2);
  }

  void integrity_fields(uint64_t lost) {
    field("published", counters_.published);
    field("publish_ok", counters_.publish_ok);
    field("publish_errors", counters_.publish_errors);
    field("expected", expected_deliveries());
    field("delivered", counters_.unique_delivered);
    field("lost", lost);
    field("duplicates", counters_.duplicates);
    field("out_of_order", counters_.out_of_order);
    field("malformed", counters_.malformed);
    field("foreign", counters_.foreign);
    field("disconnects", counters_.disconnects);
    if (opts_.publish_via == PublishVia::Redis) field("redis_zero_receivers", counters_.redis_zero_receivers);
  }

  uint64_t lost() const {
    const uint64_t expected = expected_deliveries();
    return expected > counters_.unique_delivered ? expected - counters_.unique_delivered : 0;
  }

  // Prints the human-readable summary (stderr) and the RESULT line (stdout),
  // then returns the exit status.
  int finish(const std::vector<std::string>& failures) {
    const bool ok = failures.empty() && !aborted_;
    std::string reason;
    for (const auto& f : failures) reason += (reason.empty() ? "" : ",") + f;
    if (aborted_) reason += std::string(reason.empty() ? "" : ",") + (g_interrupted ? "interrupted" : "timeout");
    fields_.insert(fields_.begin(), {"status", ok ? "ok" : "fail"});
    if (!reason.empty()) fields_.insert(fields_.begin() + 1, {"failure", reason});
    static const char* kModeNames[] = {"latency", "throughput", "idle", "publish", "free-port", "parse-bench",
                                       "broadcast"};
    fields_.insert(fields_.begin(), {"mode", kModeNames[static_cast<int>(opts_.mode)]});
    if (!opts_.label.empty()) fields_.insert(fields_.begin(), {"label", opts_.label});
    if (!opts_.quiet) {
      std::fprintf(stderr, "\n=== ssebridge_loadgen %s: %s ===\n", kModeNames[static_cast<int>(opts_.mode)],
                   ok ? "PASS" : "FAIL");
      for (const auto& kv : fields_) std::fprintf(stderr, "  %-34s %s\n", kv.first.c_str(), kv.second.c_str());
    }
    std::string line = "RESULT";
    for (const auto& kv : fields_) line += " " + kv.first + "=" + kv.second;
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    for (auto& sub : subscribers_) close_subscriber(sub);
    for (auto& conn : publishers_) if (conn.fd >= 0) close(conn.fd);
    if (aborted_) return kExitTimeout;
    return ok ? kExitOk : kExitCheckFailed;
  }

  void connection_failures(std::vector<std::string>* failures) {
    if (counters_.connect_failures > 0 || counters_.bad_status > 0) failures->push_back("connect_failures");
    if (counters_.disconnects > 0) failures->push_back("disconnects");
  }

  void integrity_failures(std::vector<std::string>* failures, bool loss_is_failure) {
    if (loss_is_failure && lost() > 0) failures->push_back("loss");
    if (counters_.duplicates > 0) failures->push_back("duplicates");
    if (counters_.out_of_order > 0) failures->push_back("out_of_order");
    if (counters_.malformed > 0) failures->push_back("malformed");
    if (counters_.publish_errors > 0) failures->push_back("publish_errors");
  }

  // ----- modes ---------------------------------------------------------------
  int run_latency() {
    std::vector<std::string> failures;
    if (!connect_all_subscribers() || !open_publishers()) return finish({"setup"});
    note("publishing %.0f msg/s for %.1fs via %s", opts_.rate, opts_.duration_s,
         opts_.publish_via == PublishVia::Redis ? "redis" : "http");
    Window w;
    window_begin(w);
    const bool drained = publish_and_drain(opts_.rate, opts_.duration_s, opts_.drain_timeout_s);
    window_end(w);
    if (!drained) note("not every delivery arrived within the drain timeout");
    connection_fields();
    integrity_fields(lost());
    latency_fields(latency_, "latency_");
    const double delivery_seconds =
        counters_.last_delivery_ns > w.begin.ns ? static_cast<double>(counters_.last_delivery_ns - w.begin.ns) / 1e9 : 0;
    field("publish_rate", static_cast<double>(counters_.published) / opts_.duration_s, 1);
    field("deliveries_per_s", delivery_seconds > 0 ? static_cast<double>(counters_.unique_delivered) / delivery_seconds : 0.0, 0);
    cost_fields(w, w.end.delivered - w.begin.delivered, "delivery");
    connection_failures(&failures);
    integrity_failures(&failures, true);
    return finish(failures);
  }

  // Searches for the highest publish rate whose deliveries all arrive within
  // --max-lag: the rate grows by --step-factor per step until a step fails,
  // then up to kRefinements bisection steps narrow the bracket.
  int run_throughput() {
    constexpr int kRefinements = 2;
    std::vector<std::string> failures;
    if (!connect_all_subscribers() || !open_publishers()) return finish({"setup"});
    const uint64_t search_deadline = monotonic_ns() + seconds_to_ns(opts_.duration_s);
    double rate = opts_.rate > 0 ? opts_.rate : 10;
    double sustained_rate = 0, failed_rate = 0;  // the bracket; failed_rate 0 = none failed yet
    double best_deliveries_per_s = 0, best_rate = 0;
    Window best_window;
    int steps = 0, passed = 0, refinements = 0;
    // Why the search stopped: only "lag" means the server's limit was found;
    // the other reasons make the reported maximum a lower bound.
    const char* search_ended = "max_rate";
    while (!aborted_ && (opts_.max_rate <= 0 || rate <= opts_.max_rate * 1.0001)) {
      if (steps > 0 && monotonic_ns() + seconds_to_ns(opts_.step_duration_s + opts_.max_lag_s) > search_deadline) {
        search_ended = "time_budget";
        break;
      }
      ++steps;
      const uint64_t lost_before = lost();
      const uint64_t errors_before = counters_.duplicates + counters_.out_of_order + counters_.malformed +
                                     counters_.publish_errors + counters_.disconnects;
      Window w;
      window_begin(w);
      const uint64_t published_before = counters_.published;
      const bool drained = publish_and_drain(rate, opts_.step_duration_s, opts_.max_lag_s);
      window_end(w);
      const uint64_t errors_after = counters_.duplicates + counters_.out_of_order + counters_.malformed +
                                    counters_.publish_errors + counters_.disconnects;
      const double achieved_rate = static_cast<double>(counters_.published - published_before) / opts_.step_duration_s;
      const uint64_t delivered = w.end.delivered - w.begin.delivered;
      const double seconds = static_cast<double>(counters_.last_delivery_ns - w.begin.ns) / 1e9;
      const double deliveries_per_s = seconds > 0 ? static_cast<double>(delivered) / seconds : 0;
      const bool pass = drained && errors_after == errors_before && lost() == lost_before;
      note("step %d: target %.0f msg/s, sent %.0f msg/s, %.0f deliveries/s, %s", steps, rate, achieved_rate,
           deliveries_per_s, pass ? "sustained" : "NOT sustained (lag or loss)");
      if (pass) {
        ++passed;
        sustained_rate = rate;
        if (deliveries_per_s > best_deliveries_per_s) {
          best_deliveries_per_s = deliveries_per_s;
          best_rate = achieved_rate;
          best_window = w;
        }
        // When the publisher could not reach the target the server's publish
        // path is the limit; higher targets would measure the same thing.
        if (achieved_rate < 0.9 * rate) {
          note("publisher could not reach the target rate; stopping the search");
          search_ended = "publisher_limited";
          break;
        }
      } else {
        failed_rate = rate;
        search_ended = "lag";
        // A step that lost messages or connections leaves nothing sound to
        // refine on; one that only lagged can be retried lower once the
        // backlog has drained.
        const bool only_lagged = errors_after == errors_before &&
            loop_until([&] { return all_delivered(); }, monotonic_ns() + seconds_to_ns(opts_.drain_timeout_s));
        if (!only_lagged) search_ended = "loss";
        if (passed == 0 || !only_lagged) break;
      }
      if (failed_rate > 0) {
        if (refinements++ >= kRefinements) break;
        rate = (sustained_rate + failed_rate) / 2;
      } else {
        rate *= opts_.step_factor;
      }
    }
    // Let the backlog of a failed step arrive so late deliveries are not
    // misreported as reordering problems in the summary.
    loop_until([&] { return all_delivered(); }, monotonic_ns() + seconds_to_ns(opts_.drain_timeout_s));
    connection_fields();
    field("steps", static_cast<uint64_t>(steps));
    field("steps_sustained", static_cast<uint64_t>(passed));
    field("max_sustained_deliveries_per_s", best_deliveries_per_s, 0);
    field("max_sustained_publish_rate", best_rate, 1);
    field("first_unsustained_publish_rate", failed_rate, 1);
    field("search_ended", std::string(aborted_ ? "aborted" : search_ended));
    integrity_fields(lost());
    latency_fields(latency_, "latency_");
    if (passed > 0) cost_fields(best_window, best_window.end.delivered - best_window.begin.delivered, "delivery");
    connection_failures(&failures);
    // Loss beyond the last sustained step is how the search finds the limit,
    // so it only counts as a failure when not even the first step held.
    integrity_failures(&failures, false);
    if (passed == 0) failures.push_back("first_step_not_sustained");
    return finish(failures);
  }

  int run_idle() {
    std::vector<std::string> failures;
    if (!connect_all_subscribers()) return finish({"setup"});
    note("holding %zu connections for %.1fs", streaming_count(), opts_.duration_s);
    Window w;
    window_begin(w);
    const uint64_t comments_before = counters_.comments;
    settle(opts_.duration_s);
    window_end(w);
    connection_fields();
    field("disconnects", counters_.disconnects);
    field("comments_during_hold", counters_.comments - comments_before);
    // Events published by someone else during the hold (bench/scale.sh broadcasts).
    field("foreign", counters_.foreign);
    if (!opts_.server_pids.empty()) {
      const double connections = static_cast<double>(std::max<size_t>(1, streaming_count()));
      field("server_rss_before_kb", rss_before_connect_kb_);
      field("server_rss_connected_kb", rss_after_connect_kb_);
      field("server_rss_end_kb", w.end.server.rss_kb);
      field("rss_per_conn_kb",
            (static_cast<double>(rss_after_connect_kb_) - static_cast<double>(rss_before_connect_kb_)) / connections, 3);
      field("server_cpu_us_per_conn_s",
            static_cast<double>(w.end.server.cpu_us - w.begin.server.cpu_us) / connections / opts_.duration_s, 4);
    }
    cost_fields(w, streaming_count(), "conn");
    connection_failures(&failures);
    if (counters_.malformed > 0) failures.push_back("malformed");
    return finish(failures);
  }

  int run_publish() {
    std::vector<std::string> failures;
    if (!open_publishers()) return finish({"setup"});
    note("publishing for %.1fs with %d requests in flight over %d connections", opts_.duration_s, opts_.inflight,
         static_cast<int>(publishers_.size()));
    Window w;
    window_begin(w);
    start_publishing(opts_.rate, opts_.duration_s);
    loop_until([&] { return !publishing_; }, phase_end_ns_ + seconds_to_ns(1));
    publishing_ = false;
    const uint64_t publish_end = monotonic_ns();
    loop_until([&] { return inflight() == 0; }, monotonic_ns() + seconds_to_ns(opts_.drain_timeout_s));
    window_end(w);
    const double seconds = static_cast<double>(publish_end - w.begin.ns) / 1e9;
    field("published", counters_.published);
    field("publish_ok", counters_.publish_ok);
    field("publish_errors", counters_.publish_errors);
    field("unanswered", inflight());
    field("publisher_disconnects", counters_.publisher_disconnects);
    field("requests_per_s", static_cast<double>(counters_.publish_ok) / seconds, 0);
    latency_fields(publish_latency_, "request_latency_");
    cost_fields(w, counters_.publish_ok, "request");
    if (counters_.publish_errors > 0) failures.push_back("publish_errors");
    if (inflight() > 0) failures.push_back("unanswered_requests");
    if (counters_.publish_ok == 0) failures.push_back("nothing_published");
    return finish(failures);
  }

  // Feeds synthetic SSE streams through the same parser the network path
  // uses, once chunked and once close-delimited, cut at several slice sizes
  // so that lines and chunk headers get split across reads.  It both checks
  // the parser (every event must be accounted for) and times it.
  int run_parse_bench() {
    constexpr uint64_t kEvents = 200000;
    const uint64_t ts = monotonic_ns();
    std::string sse_events;
    std::string chunked;
    for (uint64_t seq = 1; seq <= kEvents; ++seq) {
      std::string event = "id: " + std::to_string(seq) + "\nevent: message\ndata: " +
                          make_payload(seq, ts, run_id_, opts_.payload_bytes) + "\n\n";
      if (seq % 1000 == 0) event += ": \n\n";  // a heartbeat now and then
      char size_line[32];
      std::snprintf(size_line, sizeof size_line, "%zx\r\n", event.size());
      chunked += size_line + event + "\r\n";
      sse_events += event;
    }
    struct Pass { bool chunked; size_t slice; };
    const Pass passes[] = {{true, kReadBufferBytes}, {false, kReadBufferBytes}, {true, 4093}, {false, 97}, {true, 97}};
    subscribers_.resize(1);
    subscribers_per_channel_[0] = 1;
    std::vector<std::string> failures;
    double worst_ns_per_event = 0;
    for (const Pass& pass : passes) {
      Subscriber& sub = subscribers_[0];
      sub = Subscriber();
      sub.state = Subscriber::State::Streaming;
      sub.framing = pass.chunked ? Subscriber::Framing::Chunked : Subscriber::Framing::CloseDelimited;
      const std::string& input = pass.chunked ? chunked : sse_events;
      const uint64_t delivered_before = counters_.unique_delivered;
      const uint64_t t0 = monotonic_ns();
      for (size_t offset = 0; offset < input.size(); offset += pass.slice) {
        // Copy into the read buffer as a real read() would.
        const size_t n = std::min(pass.slice, input.size() - offset);
        std::memcpy(read_buffer_.data(), input.data() + offset, n);
        feed_body(sub, read_buffer_.data(), n, monotonic_ns());
      }
      const uint64_t elapsed = monotonic_ns() - t0;
      const uint64_t delivered = counters_.unique_delivered - delivered_before;
      const double ns_per_event = static_cast<double>(elapsed) / static_cast<double>(kEvents);
      if (pass.slice == kReadBufferBytes) worst_ns_per_event = std::max(worst_ns_per_event, ns_per_event);
      note("%s, %zu-byte reads: %" PRIu64 "/%" PRIu64 " events, %.1f ns/event", pass.chunked ? "chunked" : "close-delimited",
           pass.slice, delivered, kEvents, ns_per_event);
      if (delivered != kEvents || sub.state != Subscriber::State::Streaming) failures.push_back("parser_lost_events");
    }
    field("events_per_pass", kEvents);
    field("passes", static_cast<uint64_t>(sizeof passes / sizeof passes[0]));
    field("parse_ns_per_event", worst_ns_per_event, 1);
    field("malformed", counters_.malformed);
    field("duplicates", counters_.duplicates);
    field("out_of_order", counters_.out_of_order);
    field("comments", counters_.comments);
    if (counters_.malformed > 0) failures.push_back("malformed");
    if (counters_.duplicates > 0 || counters_.out_of_order > 0) failures.push_back("ordering");
    if (counters_.comments != 5 * (kEvents / 1000)) failures.push_back("comments_miscounted");
    subscribers_.clear();
    return finish(failures);
  }

  // ----- broadcast child ------------------------------------------------------
  // The parent (run_broadcast) talks to each child over two pipes with one
  // text line per message. Child to parent: "R <streaming> <failures>
  // <connect seconds>" once its streams are open, "D <seq>" when every one of
  // its streams has broadcast <seq>, and at the end "C <counters...>", one
  // "H <seq> <histogram>" per broadcast and "E". Parent to child: "S <count>",
  // stop after <count> broadcasts. Everything else the child does is the
  // single-process code above, so each event is checked exactly as in the
  // other modes.
 public:
  int run_broadcast_child(uint32_t index_offset, int report_fd, int control_fd) {
    index_offset_ = index_offset;
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0 || !raise_fd_limit()) return kExitUsage;
    control_fd_ = control_fd;
    set_nonblocking(control_fd_);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kTagControl << 32;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, control_fd_, &ev);
    const int total = opts_.broadcasts + opts_.http_broadcasts;
    per_broadcast_.assign(static_cast<size_t>(total), LatencyHistogram());
    broadcast_reported_.assign(static_cast<size_t>(total), false);
    const uint64_t t0 = monotonic_ns();
    open_subscribers();
    connect_seconds_ = static_cast<double>(monotonic_ns() - t0) / 1e9;
    report_fd_ = report_fd;
    report("R %zu %" PRIu64 " %.3f %" PRIu64, streaming_count(), counters_.connect_failures + counters_.bad_status,
           connect_seconds_, counters_.connect_timeouts);
    loop_until([&] { return stop_after_ >= 0; }, hard_deadline_ns_);
    if (stop_after_ >= 0) {
      // The parent stops a child once every child reported every broadcast
      // or a broadcast timed out; --drain-timeout lets late events arrive.
      channel_seq_[0] = static_cast<uint64_t>(stop_after_);
      loop_until([&] { return all_delivered(); }, monotonic_ns() + seconds_to_ns(opts_.drain_timeout_s));
    }
    report("C %zu %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
           " %" PRIu64 " %" PRIu64,
           streaming_count(), counters_.connect_failures + counters_.bad_status, counters_.disconnects,
           counters_.unique_delivered, lost(), counters_.duplicates, counters_.out_of_order, counters_.malformed,
           counters_.foreign, counters_.comments, counters_.gaps);
    for (size_t i = 0; i < per_broadcast_.size(); ++i) {
      const std::string line = "H " + std::to_string(i + 1) + " " + per_broadcast_[i].serialize();
      write_all(report_fd_, line + "\n");
    }
    report("E");
    for (auto& sub : subscribers_) close_subscriber(sub);
    return aborted_ ? kExitTimeout : kExitOk;
  }

 private:
  static void write_all(int fd, const std::string& text) {
    size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = write(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // The parent is gone; nobody is left to tell.
      done += static_cast<size_t>(n);
    }
  }

  void report(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    char line[512];
    va_list args;
    va_start(args, fmt);
    const int n = std::vsnprintf(line, sizeof line - 1, fmt, args);
    va_end(args);
    if (n <= 0) return;
    write_all(report_fd_, std::string(line, std::min(static_cast<size_t>(n), sizeof line - 2)) + "\n");
  }

  void on_control_readable() {
    char buf[256];
    const ssize_t n = read(control_fd_, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
      // The parent closed its end without a stop message: it died.
      aborted_ = true;
      stop_after_ = 0;
      return;
    }
    control_in_.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = control_in_.find('\n')) != std::string::npos) {
      const std::string line = control_in_.substr(0, nl);
      control_in_.erase(0, nl + 1);
      if (line.size() > 2 && line[0] == 'S') stop_after_ = std::atoi(line.c_str() + 2);
    }
  }

  // Tells the parent about every broadcast that all of this child's streams
  // now have. Disconnected streams still count, so a lost stream keeps its
  // broadcast unreported and the parent's timeout shows the loss.
  void report_completed_broadcasts() {
    const uint64_t streams = streaming_count();
    for (size_t i = 0; i < per_broadcast_.size(); ++i) {
      if (broadcast_reported_[i] || per_broadcast_[i].total() < streams) continue;
      broadcast_reported_[i] = true;
      report("D %zu", i + 1);
    }
  }

  uint32_t index_offset_ = 0;
  int report_fd_ = -1;
  int control_fd_ = -1;
  std::string control_in_;
  int stop_after_ = -1;
  std::vector<LatencyHistogram> per_broadcast_;
  std::vector<bool> broadcast_reported_;

  const Options& opts_;
  uint64_t start_ns_ = monotonic_ns();
  uint64_t hard_deadline_ns_ = 0;
  uint32_t run_id_ = 0;
  int epoll_fd_ = -1;
  bool aborted_ = false;
  std::vector<char> read_buffer_;
  std::vector<std::string> channel_names_;
  std::vector<uint64_t> channel_seq_;             // last sequence number published per channel
  std::vector<uint64_t> subscribers_per_channel_;  // subscribers that were streaming when publishing began
  std::vector<Subscriber> subscribers_;
  size_t next_to_connect_ = 0;
  size_t pending_connects_ = 0;
  bool ramping_ = false;
  double connect_seconds_ = 0;
  uint64_t rss_before_connect_kb_ = 0;
  uint64_t rss_after_connect_kb_ = 0;
  std::vector<PublisherConnection> publishers_;
  size_t next_publisher_ = 0;
  bool publishing_ = false;
  double publish_rate_ = 0;
  uint64_t phase_start_ns_ = 0;
  uint64_t phase_end_ns_ = 0;
  uint64_t phase_sent_ = 0;
  Counters counters_;
  LatencyHistogram latency_;
  LatencyHistogram publish_latency_;
  int connect_error_notes_ = 0;
  int disconnect_notes_ = 0;
  int status_notes_ = 0;
};

// ---------------------------------------------------------------------------
// Broadcast mode, parent side: forks the subscriber processes (each stays
// under the per-process open-file limit), publishes the broadcasts one at a
// time, and merges what the children measured.
// ---------------------------------------------------------------------------

// The kernel's share of the streams: slab memory from /proc/meminfo and TCP
// socket figures from /proc/net/sockstat. Both cover the whole machine, so
// they include the client ends of the connections (this process's children).
struct KernelSample {
  uint64_t slab_kb = 0;
  uint64_t tcp_inuse = 0;
  uint64_t tcp_mem_pages = 0;  // memory queued in TCP socket buffers
};

KernelSample sample_kernel() {
  KernelSample sample;
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    if (line.compare(0, 5, "Slab:") == 0) sample.slab_kb = std::strtoull(line.c_str() + 5, nullptr, 10);
  }
  std::ifstream sockstat("/proc/net/sockstat");
  while (std::getline(sockstat, line)) {
    if (line.compare(0, 4, "TCP:") != 0) continue;
    std::istringstream words(line.substr(4));
    std::string key, value;
    while (words >> key >> value) {
      if (key == "inuse") sample.tcp_inuse = std::strtoull(value.c_str(), nullptr, 10);
      if (key == "mem") sample.tcp_mem_pages = std::strtoull(value.c_str(), nullptr, 10);
    }
  }
  return sample;
}

// The whole machine's CPU time from the first line of /proc/stat, in
// seconds: busy (everything but idle and iowait) and the part of it spent in
// softirq handlers (loopback TCP receive runs there, on whichever process or
// ksoftirqd thread happens to be on the CPU).
struct MachineCpu {
  double busy_s = 0;
  double softirq_s = 0;
  double idle_s = 0;
};

MachineCpu sample_machine_cpu() {
  static const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  MachineCpu cpu;
  std::ifstream stat("/proc/stat");
  std::string label;
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(stat >> label >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) || label != "cpu") return cpu;
  cpu.busy_s = static_cast<double>(user + nice + system + irq + softirq + steal) / ticks_per_second;
  cpu.softirq_s = static_cast<double>(softirq) / ticks_per_second;
  cpu.idle_s = static_cast<double>(idle + iowait) / ticks_per_second;
  return cpu;
}

class BroadcastRun {
 public:
  explicit BroadcastRun(const Options& opts) : opts_(opts) {}

  int run() {
    hard_deadline_ns_ = monotonic_ns() + seconds_to_ns(opts_.timeout_s);
    total_broadcasts_ = opts_.broadcasts + opts_.http_broadcasts;
    if (!plan_processes()) return kExitUsage;
    before_ = sample_processes(opts_.server_pids);
    kernel_before_ = sample_kernel();
    const uint64_t t0 = monotonic_ns();
    if (!fork_children()) return kExitCheckFailed;
    note("%zu processes opening %d streams to %s:%d", children_.size(), opts_.subscribers, opts_.host.c_str(),
         opts_.port);
    // Children give up ramping after --connect-timeout; the margin covers
    // their last connects and the report.
    pump_until([&] { return count_children([](const Child& c) { return c.ready; }) == children_.size(); },
               t0 + seconds_to_ns(opts_.connect_timeout_s + 30));
    connect_seconds_ = static_cast<double>(monotonic_ns() - t0) / 1e9;
    for (const Child& child : children_) {
      streaming_ += child.streaming;
      connect_failures_ += child.failures;
      connect_timeouts_ += child.timeouts;
    }
    note("%" PRIu64 "/%d streams open after %.1fs (%" PRIu64 " failures); settling %.1fs", streaming_,
         opts_.subscribers, connect_seconds_, connect_failures_, opts_.settle_s);
    // The settle window is also where the cost of holding the streams
    // (heartbeats) is measured, on both sides.
    ramped_ = sample_processes(opts_.server_pids);
    const ProcessSample loadgen_ramped = sample_processes(child_pids());
    const uint64_t settle_start = monotonic_ns();
    pump_until([] { return false; }, settle_start + seconds_to_ns(opts_.settle_s));
    connected_ = sample_processes(opts_.server_pids);
    settle_seconds_ = static_cast<double>(monotonic_ns() - settle_start) / 1e9;
    loadgen_idle_cpu_us_ = sample_processes(child_pids()).cpu_us - loadgen_ramped.cpu_us;
    kernel_connected_ = sample_kernel();
    loadgen_rss_kb_ = sample_processes(child_pids()).rss_kb;
    for (int k = 1; k <= total_broadcasts_ && !aborted(); ++k) {
      broadcast(k);
      if (k < total_broadcasts_) pump_until([] { return false; }, monotonic_ns() + seconds_to_ns(opts_.broadcast_interval_s));
    }
    end_ = sample_processes(opts_.server_pids);
    stop_children();
    return report();
  }

 private:
  struct Child {
    pid_t pid = -1;
    int report_fd = -1;   // read end of the child's report pipe
    int control_fd = -1;  // write end of the child's control pipe
    std::string in;
    bool ready = false;
    bool ended = false;  // sent "E"
    bool exited = false;
    uint64_t streaming = 0;
    uint64_t failures = 0;
    uint64_t timeouts = 0;
    std::vector<bool> done;  // done[k - 1]: every stream of this child has broadcast k
    std::vector<uint64_t> counters;  // the "C" line
  };
  struct Broadcast {
    const char* via = "";
    uint64_t sent_ns = 0;
    double complete_s = -1;  // when the last child reported it; -1 = timed out
    std::string reply;       // Redis receiver count or HTTP status
    double server_cpu_s = 0;
    double loadgen_cpu_s = 0;
    uint64_t peak_tcp_mem_pages = 0;
    double machine_busy_s = 0;  // all CPUs, every process, while the broadcast was out
    double machine_softirq_s = 0;
    double machine_idle_s = 0;
    LatencyHistogram latency;
  };

  void note(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    if (opts_.quiet) return;
    va_list args;
    va_start(args, fmt);
    std::fprintf(stderr, "[broadcast %.1fs] ", static_cast<double>(monotonic_ns() - start_ns_) / 1e9);
    std::vfprintf(stderr, fmt, args);
    std::fputc('\n', stderr);
    va_end(args);
  }

  bool aborted() const { return g_interrupted || monotonic_ns() >= hard_deadline_ns_; }

  bool plan_processes() {
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    // 100 descriptors of headroom per child for epoll, pipes and stdio.
    const uint64_t per_process =
        lim.rlim_max == RLIM_INFINITY || lim.rlim_max > 1000000 ? 1000000 - 100 : lim.rlim_max - 100;
    size_t processes = opts_.processes > 0
                           ? static_cast<size_t>(opts_.processes)
                           : static_cast<size_t>((static_cast<uint64_t>(opts_.subscribers) + per_process - 1) / per_process);
    processes = std::max<size_t>(1, std::min<size_t>(processes, static_cast<size_t>(opts_.subscribers)));
    const uint64_t largest = (static_cast<uint64_t>(opts_.subscribers) + processes - 1) / processes;
    if (largest > per_process) {
      std::fprintf(stderr, "ssebridge_loadgen: %zu processes would hold %" PRIu64 " streams each, over the open-file "
                   "limit of %llu; use more --processes\n", processes, largest,
                   static_cast<unsigned long long>(lim.rlim_max));
      return false;
    }
    for (size_t i = 0; i < processes; ++i) {
      shares_.push_back(static_cast<int>(static_cast<uint64_t>(opts_.subscribers) / processes +
                                         (i < static_cast<uint64_t>(opts_.subscribers) % processes ? 1 : 0)));
    }
    return true;
  }

  bool fork_children() {
    const pid_t parent = getpid();
    uint32_t offset = 0;
    for (size_t i = 0; i < shares_.size(); ++i) {
      int report_pipe[2], control_pipe[2];
      if (pipe(report_pipe) != 0 || pipe(control_pipe) != 0) { std::perror("pipe"); return false; }
      std::fflush(nullptr);
      const pid_t pid = fork();
      if (pid < 0) { std::perror("fork"); return false; }
      if (pid == 0) {
        // A child must not outlive a parent that was killed: its streams
        // would hold the server's connections open.
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(kExitTimeout);
        // Only this child's own pipe ends stay open, so each report pipe
        // reaches end-of-file when its child exits.
        for (const Child& other : children_) { close(other.report_fd); close(other.control_fd); }
        close(report_pipe[0]);
        close(control_pipe[1]);
        Options child_opts = opts_;
        child_opts.subscribers = shares_[i];
        child_opts.settle_s = 0;
        child_opts.quiet = opts_.quiet || i != 0;  // One child's progress notes are enough.
        alarm(static_cast<unsigned>(opts_.timeout_s) + 15);
        LoadGenerator generator(child_opts);
        _exit(generator.run_broadcast_child(offset, report_pipe[1], control_pipe[0]));
      }
      close(report_pipe[1]);
      close(control_pipe[0]);
      Child child;
      child.pid = pid;
      child.report_fd = report_pipe[0];
      child.control_fd = control_pipe[1];
      child.done.assign(static_cast<size_t>(total_broadcasts_), false);
      children_.push_back(std::move(child));
      offset += static_cast<uint32_t>(shares_[i]);
    }
    return true;
  }

  std::vector<pid_t> child_pids() const {
    std::vector<pid_t> pids;
    for (const Child& child : children_) {
      if (!child.exited) pids.push_back(child.pid);
    }
    return pids;
  }

  template <typename Pred>
  size_t count_children(Pred pred) const {
    size_t n = 0;
    for (const Child& child : children_) n += pred(child) ? 1 : 0;
    return n;
  }

  // Reads the children's reports until done() holds or the deadline passes;
  // returns done(). Wakes at least every 100 ms so the caller's samples
  // (peak socket memory) stay fresh.
  bool pump_until(const std::function<bool()>& done, uint64_t deadline_ns) {
    std::vector<pollfd> fds;
    std::vector<size_t> owners;
    for (;;) {
      if (done()) return true;
      const uint64_t now = monotonic_ns();
      if (now >= deadline_ns || aborted()) return false;
      fds.clear();
      owners.clear();
      for (size_t i = 0; i < children_.size(); ++i) {
        if (children_[i].report_fd < 0) continue;
        fds.push_back(pollfd{children_[i].report_fd, POLLIN, 0});
        owners.push_back(i);
      }
      const uint64_t wait_ms = std::min<uint64_t>(100, (deadline_ns - now + 999999) / 1000000);
      const int n = poll(fds.data(), fds.size(), static_cast<int>(wait_ms));
      if (on_tick_) on_tick_();
      if (n <= 0) continue;
      for (size_t f = 0; f < fds.size(); ++f) {
        if (fds[f].revents == 0) continue;
        Child& child = children_[owners[f]];
        char buf[65536];
        const ssize_t got = read(child.report_fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
          close(child.report_fd);
          child.report_fd = -1;
          continue;
        }
        child.in.append(buf, static_cast<size_t>(got));
        size_t nl;
        while ((nl = child.in.find('\n')) != std::string::npos) {
          handle_line(child, child.in.substr(0, nl));
          child.in.erase(0, nl + 1);
        }
      }
    }
  }

  void handle_line(Child& child, const std::string& line) {
    if (line.size() < 1) return;
    const char* rest = line.c_str() + std::min<size_t>(2, line.size());
    switch (line[0]) {
      case 'R': {
        double seconds = 0;
        unsigned long long streaming = 0, failures = 0, timeouts = 0;
        if (std::sscanf(rest, "%llu %llu %lf %llu", &streaming, &failures, &seconds, &timeouts) == 4) {
          child.streaming = streaming;
          child.failures = failures;
          child.timeouts = timeouts;
        }
        child.ready = true;
        break;
      }
      case 'D': {
        const long k = std::atol(rest);
        if (k >= 1 && k <= total_broadcasts_) child.done[static_cast<size_t>(k - 1)] = true;
        break;
      }
      case 'C': {
        std::istringstream words(rest);
        uint64_t value;
        while (words >> value) child.counters.push_back(value);
        break;
      }
      case 'H': {
        char* end = nullptr;
        const long k = std::strtol(rest, &end, 10);
        if (k < 1 || k > total_broadcasts_ || !broadcasts_[static_cast<size_t>(k - 1)].latency.merge_serialized(end)) {
          ++malformed_reports_;
        }
        break;
      }
      case 'E': child.ended = true; break;
      default: ++malformed_reports_; break;
    }
  }

  // Sends one request and waits for its whole answer (Redis: one line; HTTP:
  // headers plus Content-Length bytes). Returns the Redis reply line or the
  // HTTP status line, or "" on failure.
  std::string request(int fd, const std::string& out, bool http) {
    if (write(fd, out.data(), out.size()) != static_cast<ssize_t>(out.size())) return "";
    std::string in;
    // A process busy fanning out (or starved of CPU) answers late; the
    // broadcast's own timeout is the patience it deserves.
    const uint64_t deadline = monotonic_ns() + seconds_to_ns(opts_.broadcast_timeout_s);
    while (monotonic_ns() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) return "";
      in.append(buf, static_cast<size_t>(n));
      if (!http) {
        const size_t eol = in.find("\r\n");
        if (eol != std::string::npos) return in.substr(0, eol);
        continue;
      }
      const size_t header_end = in.find("\r\n\r\n");
      if (header_end == std::string::npos) continue;
      std::string length;
      size_t body = 0;
      if (find_header(in.data(), header_end + 4, "content-length", &length)) body = std::strtoull(length.c_str(), nullptr, 10);
      if (in.size() >= header_end + 4 + body) return in.substr(0, in.find("\r\n"));
    }
    return "";
  }

  void broadcast(int k) {
    Broadcast& b = broadcasts_[static_cast<size_t>(k - 1)];
    const bool http = k > opts_.broadcasts;
    b.via = http ? "http" : "redis";
    int& fd = http ? http_fd_ : redis_fd_;
    if (fd < 0) fd = http ? connect_blocking(opts_.host, opts_.port) : connect_blocking(opts_.redis_host, opts_.redis_port);
    const std::string channel = opts_.channel_prefix + "0";
    const ProcessSample server_before = sample_processes(opts_.server_pids);
    const ProcessSample loadgen_before = sample_processes(child_pids());
    const MachineCpu machine_before = sample_machine_cpu();
    b.sent_ns = monotonic_ns();
    const std::string payload = make_payload(static_cast<uint64_t>(k), b.sent_ns, opts_.run_id, opts_.payload_bytes);
    std::string out;
    if (http) {
      const std::string body = "{\"channel\":\"" + channel + "\",\"data\":\"" + replace_all(payload, "\"", "\\\"") + "\"}";
      out = "POST " + replace_all(opts_.publish_path, "{channel}", channel) + " HTTP/1.1\r\nHost: " + opts_.host +
            "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    } else {
      out = "*3\r\n$7\r\nPUBLISH\r\n$" + std::to_string(channel.size()) + "\r\n" + channel + "\r\n$" +
            std::to_string(payload.size()) + "\r\n" + payload + "\r\n";
    }
    b.reply = fd >= 0 ? request(fd, out, http) : "";
    if (b.reply.empty()) ++publish_errors_;
    on_tick_ = [&b] { b.peak_tcp_mem_pages = std::max(b.peak_tcp_mem_pages, sample_kernel().tcp_mem_pages); };
    const bool complete = pump_until(
        [&] { return count_children([k](const Child& c) { return c.done[static_cast<size_t>(k - 1)]; }) == children_.size(); },
        b.sent_ns + seconds_to_ns(opts_.broadcast_timeout_s));
    on_tick_ = nullptr;
    if (complete) b.complete_s = static_cast<double>(monotonic_ns() - b.sent_ns) / 1e9;
    b.server_cpu_s = static_cast<double>(sample_processes(opts_.server_pids).cpu_us - server_before.cpu_us) / 1e6;
    b.loadgen_cpu_s = static_cast<double>(sample_processes(child_pids()).cpu_us - loadgen_before.cpu_us) / 1e6;
    const MachineCpu machine_after = sample_machine_cpu();
    b.machine_busy_s = machine_after.busy_s - machine_before.busy_s;
    b.machine_softirq_s = machine_after.softirq_s - machine_before.softirq_s;
    b.machine_idle_s = machine_after.idle_s - machine_before.idle_s;
    note("broadcast %d via %s (reply %s): %s", k, b.via, b.reply.c_str(),
         complete ? ("every stream after " + std::to_string(b.complete_s) + " s").c_str() : "TIMED OUT");
  }

  void stop_children() {
    const std::string stop = "S " + std::to_string(broadcasts_sent()) + "\n";
    for (Child& child : children_) {
      if (write(child.control_fd, stop.data(), stop.size()) < 0) { /* The child is gone; its report says so. */ }
    }
    pump_until([&] { return count_children([](const Child& c) { return c.report_fd < 0; }) == children_.size(); },
               std::min(hard_deadline_ns_, monotonic_ns() + seconds_to_ns(opts_.drain_timeout_s + 30)));
    for (Child& child : children_) {
      close(child.control_fd);
      if (child.report_fd >= 0) {
        kill(child.pid, SIGKILL);
        close(child.report_fd);
        child.report_fd = -1;
      }
      int status = 0;
      waitpid(child.pid, &status, 0);
      child.exited = true;
      if (!WIFEXITED(status) || WEXITSTATUS(status) != kExitOk) ++failed_children_;
    }
  }

  int broadcasts_sent() const {
    int n = 0;
    for (const Broadcast& b : broadcasts_) n += b.sent_ns != 0 ? 1 : 0;
    return n;
  }

  int report() {
    // The "C" line: streaming failures disconnects delivered lost duplicates
    // out_of_order malformed foreign comments gaps.
    uint64_t sums[11] = {};
    for (const Child& child : children_) {
      if (!child.ended || child.counters.size() != 11) { ++missing_reports_; continue; }
      for (size_t i = 0; i < 11; ++i) sums[i] += child.counters[i];
    }
    std::vector<std::pair<std::string, std::string>> fields;
    auto field = [&](const std::string& key, const std::string& value) { fields.emplace_back(key, value); };
    auto num = [](double v, int decimals) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
      return std::string(buf);
    };
    const uint64_t expected = streaming_ * static_cast<uint64_t>(broadcasts_sent());
    field("subscribers", std::to_string(opts_.subscribers));
    field("processes", std::to_string(children_.size()));
    field("connected", std::to_string(streaming_));
    field("connect_failures", std::to_string(connect_failures_));
    field("connect_timeouts", std::to_string(connect_timeouts_));
    field("connect_s", num(connect_seconds_, 1));
    field("broadcasts", std::to_string(broadcasts_sent()));
    field("expected", std::to_string(expected));
    field("delivered", std::to_string(sums[3]));
    field("lost", std::to_string(sums[4]));
    field("duplicates", std::to_string(sums[5]));
    field("out_of_order", std::to_string(sums[6]));
    field("malformed", std::to_string(sums[7]));
    field("foreign", std::to_string(sums[8]));
    field("disconnects", std::to_string(sums[2]));
    field("heartbeats", std::to_string(sums[9]));
    field("publish_errors", std::to_string(publish_errors_));
    field("missing_reports", std::to_string(missing_reports_ + malformed_reports_));
    for (size_t i = 0; i < broadcasts_.size(); ++i) {
      const Broadcast& b = broadcasts_[i];
      if (b.sent_ns == 0) continue;
      const std::string p = "b" + std::to_string(i + 1) + "_";
      field(p + "via", b.via);
      field(p + "reply", replace_all(b.reply, " ", "_"));
      field(p + "received", std::to_string(b.latency.total()));
      field(p + "first_ms", num(static_cast<double>(b.latency.min()) / 1e6, 1));
      field(p + "p50_ms", num(static_cast<double>(b.latency.percentile(0.50)) / 1e6, 1));
      field(p + "p99_ms", num(static_cast<double>(b.latency.percentile(0.99)) / 1e6, 1));
      field(p + "last_ms", num(static_cast<double>(b.latency.max()) / 1e6, 1));
      field(p + "complete", b.complete_s >= 0 ? "yes" : "no");
      field(p + "server_cpu_s", num(b.server_cpu_s, 2));
      field(p + "loadgen_cpu_s", num(b.loadgen_cpu_s, 2));
      field(p + "peak_tcp_mem_kb", std::to_string(b.peak_tcp_mem_pages * 4));
      field(p + "machine_busy_s", num(b.machine_busy_s, 2));
      field(p + "machine_softirq_s", num(b.machine_softirq_s, 2));
      field(p + "machine_idle_s", num(b.machine_idle_s, 2));
    }
    if (!opts_.server_pids.empty()) {
      const double streams = static_cast<double>(std::max<uint64_t>(1, streaming_));
      field("server_rss_before_kb", std::to_string(before_.rss_kb));
      field("server_rss_connected_kb", std::to_string(connected_.rss_kb));
      field("server_rss_per_stream_kb",
            num((static_cast<double>(connected_.rss_kb) - static_cast<double>(before_.rss_kb)) / streams, 3));
      field("server_cpu_connect_s", num(static_cast<double>(connected_.cpu_us - before_.cpu_us) / 1e6, 1));
      field("server_cpu_total_s", num(static_cast<double>(end_.cpu_us - before_.cpu_us) / 1e6, 1));
      field("server_cpu_idle_util",
            num(static_cast<double>(connected_.cpu_us - ramped_.cpu_us) / 1e6 / std::max(settle_seconds_, 0.001), 3));
    }
    field("kernel_slab_before_kb", std::to_string(kernel_before_.slab_kb));
    field("kernel_slab_connected_kb", std::to_string(kernel_connected_.slab_kb));
    field("kernel_slab_per_connection_kb",
          num((static_cast<double>(kernel_connected_.slab_kb) - static_cast<double>(kernel_before_.slab_kb)) /
                  static_cast<double>(std::max<uint64_t>(1, streaming_)), 3));
    field("tcp_sockets_connected", std::to_string(kernel_connected_.tcp_inuse));
    field("tcp_mem_connected_kb", std::to_string(kernel_connected_.tcp_mem_pages * 4));
    field("loadgen_rss_kb", std::to_string(loadgen_rss_kb_));
    field("loadgen_cpu_idle_util", num(static_cast<double>(loadgen_idle_cpu_us_) / 1e6 / std::max(settle_seconds_, 0.001), 3));
    rusage children_usage{};
    getrusage(RUSAGE_CHILDREN, &children_usage);
    field("loadgen_cpu_s", num(static_cast<double>(children_usage.ru_utime.tv_sec + children_usage.ru_stime.tv_sec) +
                                   static_cast<double>(children_usage.ru_utime.tv_usec + children_usage.ru_stime.tv_usec) / 1e6, 1));

    std::vector<std::string> failures;
    if (connect_failures_ > 0 || streaming_ < static_cast<uint64_t>(opts_.subscribers)) failures.push_back("connect_failures");
    if (sums[4] > 0) failures.push_back("loss");
    if (sums[5] > 0) failures.push_back("duplicates");
    if (sums[6] > 0) failures.push_back("out_of_order");
    if (sums[7] > 0) failures.push_back("malformed");
    if (sums[2] > 0) failures.push_back("disconnects");
    if (publish_errors_ > 0) failures.push_back("publish_errors");
    if (missing_reports_ + malformed_reports_ > 0 || failed_children_ > 0) failures.push_back("child_failed");
    for (const Broadcast& b : broadcasts_) {
      if (b.sent_ns != 0 && b.complete_s < 0) { failures.push_back("broadcast_timeout"); break; }
    }
    if (broadcasts_sent() < total_broadcasts_ || aborted()) failures.push_back(g_interrupted ? "interrupted" : "timeout");
    const bool ok = failures.empty();
    std::string reason;
    for (const auto& f : failures) reason += (reason.empty() ? "" : ",") + f;
    fields.insert(fields.begin(), {"status", ok ? "ok" : "fail"});
    if (!ok) fields.insert(fields.begin() + 1, {"failure", reason});
    fields.insert(fields.begin(), {"mode", "broadcast"});
    if (!opts_.label.empty()) fields.insert(fields.begin(), {"label", opts_.label});
    if (!opts_.quiet) {
      std::fprintf(stderr, "\n=== ssebridge_loadgen broadcast: %s ===\n", ok ? "PASS" : "FAIL");
      for (const auto& kv : fields) std::fprintf(stderr, "  %-34s %s\n", kv.first.c_str(), kv.second.c_str());
    }
    std::string line = "RESULT";
    for (const auto& kv : fields) line += " " + kv.first + "=" + kv.second;
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    if (redis_fd_ >= 0) close(redis_fd_);
    if (http_fd_ >= 0) close(http_fd_);
    if (aborted()) return kExitTimeout;
    return ok ? kExitOk : kExitCheckFailed;
  }

  const Options& opts_;
  uint64_t start_ns_ = monotonic_ns();
  uint64_t hard_deadline_ns_ = 0;
  int total_broadcasts_ = 0;
  std::vector<int> shares_;
  std::vector<Child> children_;
  std::vector<Broadcast> broadcasts_ = std::vector<Broadcast>(static_cast<size_t>(opts_.broadcasts + opts_.http_broadcasts));
  std::function<void()> on_tick_;
  int redis_fd_ = -1;
  int http_fd_ = -1;
  double connect_seconds_ = 0;
  uint64_t streaming_ = 0;
  uint64_t connect_failures_ = 0;
  uint64_t connect_timeouts_ = 0;
  uint64_t publish_errors_ = 0;
  uint64_t missing_reports_ = 0;
  uint64_t malformed_reports_ = 0;
  uint64_t failed_children_ = 0;
  uint64_t loadgen_rss_kb_ = 0;
  ProcessSample before_, ramped_, connected_, end_;
  double settle_seconds_ = 0;
  uint64_t loadgen_idle_cpu_us_ = 0;
  KernelSample kernel_before_, kernel_connected_;
};

// Prints a TCP port on 127.0.0.1 that is free right now, for scripts that
// need to start servers without colliding with anything already running.
int print_free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = make_address("127.0.0.1", 0);
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("free-port");
    return kExitCheckFailed;
  }
  std::printf("%d\n", ntohs(addr.sin_port));
  close(fd);
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  Options opts;
  if (!parse_options(argc, argv, &opts)) return kExitUsage;
  if (opts.mode == Mode::FreePort) return print_free_port();
  signal(SIGPIPE, SIG_IGN);
  signal(SIGINT, on_interrupt);
  signal(SIGTERM, on_interrupt);
  // Last line of defence for the "every run stops by itself" rule: if the
  // event loop were ever stuck, SIGALRM's default action ends the process.
  alarm(static_cast<unsigned>(opts.timeout_s) + 15);
  if (opts.mode == Mode::Broadcast) {
    // Every child checks payloads against one run id, so the parent picks it.
    if (opts.run_id == 0) opts.run_id = static_cast<uint32_t>((monotonic_ns() ^ static_cast<uint64_t>(getpid()) << 20) % 1000000000u) + 1;
    return BroadcastRun(opts).run();
  }
  LoadGenerator generator(opts);
  return generator.run();
}
