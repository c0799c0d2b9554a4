#include "ssebridge/redis_sentinel.h"

#include <algorithm>

#include "ssebridge/log.h"
#include "ssebridge/redis_sentinel_reply.h"

namespace ssebridge {
namespace {

constexpr const char kSwitchMaster[] = "+switch-master";

}  // namespace

// One Resolve(): answered exactly once.
struct RedisSentinel::Query {
  RedisClient::AddressCallback done;
  // The order when the question was asked: answers may reorder the list.
  std::vector<std::shared_ptr<Sentinel>> order;
};

RedisSentinel::RedisSentinel(uv_loop_t* loop, Options options) : loop_(loop), options_(std::move(options)) {
  for (const RedisAddress& address : options_.sentinels) {
    auto sentinel = std::make_shared<Sentinel>();
    sentinel->address = address;
    const std::string where = EndpointText(address);
    RedisClient::Options client;
    client.address = address;
    client.name = "redis-sentinel " + where;
    client.connect_timeout_ms = options_.connect_timeout_ms;
    client.command_timeout_ms = options_.command_timeout_ms;
    client.backoff_max_ms = 2000;
    sentinel->commands = std::make_unique<RedisClient>(loop_, client);
    client.name = "redis-sentinel-events " + where;
    client.command_timeout_ms = 0;  // It only ever waits for pushes.
    sentinel->events = std::make_unique<RedisSubscriber>(
        loop_, client,
        [this](std::string_view, bool, std::string_view channel, std::string_view payload) {
          if (channel == kSwitchMaster) OnSwitchMessage(payload);
        });
    sentinel->events->Want(kSwitchMaster, false);
    sentinels_.push_back(std::move(sentinel));
  }
}

RedisSentinel::~RedisSentinel() { Stop(); }

void RedisSentinel::Start() {
  for (const auto& sentinel : sentinels_) {
    sentinel->commands->Start();
    sentinel->events->Start();
  }
}

void RedisSentinel::Stop() {
  if (stopped_) return;
  // Set first: the stops below answer pending questions with nullptr, and
  // Ask() must not go on to the next sentinel then.
  stopped_ = true;
  for (const auto& sentinel : sentinels_) {
    sentinel->commands->Stop();
    sentinel->events->Stop();
  }
}

size_t RedisSentinel::sentinels_up() const {
  size_t up = 0;
  for (const auto& sentinel : sentinels_) up += sentinel->commands->ready();
  return up;
}

bool RedisSentinel::Resolve(RedisClient::AddressCallback done) {
  if (stopped_ || sentinels_up() == 0) return false;
  auto query = std::make_shared<Query>();
  query->done = std::move(done);
  query->order = sentinels_;
  // At least one sentinel is up, so the first question goes out in this
  // call and `done` runs from a reply, never from here.
  Ask(query, 0);
  return true;
}

void RedisSentinel::Ask(const std::shared_ptr<Query>& query, size_t next) {
  for (size_t i = next; i < query->order.size(); ++i) {
    if (stopped_) break;
    std::shared_ptr<Sentinel> sentinel = query->order[i];
    const bool sent = sentinel->commands->Command(
        {"SENTINEL", "get-master-addr-by-name", options_.master_name},
        [this, query, i, sentinel](const redisReply* reply) {
          if (stopped_) {
            query->done(nullptr);
            return;
          }
          RedisAddress master;
          if (!ParseMasterAddressReply(reply, &master)) {
            LOG_WARN("redis-sentinel: %s does not name a master '%s'%s; asking the next sentinel",
                     EndpointText(sentinel->address).c_str(), options_.master_name.c_str(),
                     reply == nullptr ? " (no answer)" : "");
            Ask(query, i + 1);
            return;
          }
          // The client rules: the sentinel that answered is asked first
          // next time.
          auto at = std::find(sentinels_.begin(), sentinels_.end(), sentinel);
          if (at != sentinels_.end()) std::rotate(sentinels_.begin(), at, at + 1);
          Learn(master, "named by a sentinel");
          query->done(&master);
        });
    if (sent) return;
  }
  // Nobody left to ask. Only reached from a reply (Resolve() checked that
  // one connection was up, and a ready connection sends), so `done` runs
  // outside Resolve().
  query->done(nullptr);
}

void RedisSentinel::Learn(const RedisAddress& master, const char* how) {
  const bool moved = known_ && (master.host != master_.host || master.port != master_.port);
  if (known_ && !moved) return;
  if (moved) {
    ++failovers_;
    LOG_WARN("redis-sentinel: master '%s' moved from %s to %s (%s)", options_.master_name.c_str(),
             EndpointText(master_).c_str(), EndpointText(master).c_str(), how);
  } else {
    LOG_INFO("redis-sentinel: master '%s' is at %s", options_.master_name.c_str(), EndpointText(master).c_str());
  }
  known_ = true;
  master_.host = master.host;
  master_.port = master.port;
  if (moved && on_switch) on_switch(master_);
}

void RedisSentinel::OnSwitchMessage(std::string_view payload) {
  std::string name;
  RedisAddress to;
  if (!ParseSwitchMaster(payload, &name, &to)) {
    LOG_WARN("redis-sentinel: ignored a malformed +switch-master message: '%.*s'", static_cast<int>(payload.size()),
             payload.data());
    return;
  }
  if (name != options_.master_name) return;
  // Every sentinel announces the same switch: Learn() acts on the first.
  Learn(to, "+switch-master");
}

}  // namespace ssebridge
