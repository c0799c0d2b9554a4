// MakeBroker: the broker the configuration asks for — embedded without
// --redis-url, Redis with it — with its history and replay limits. Called from
// main(), so that Server knows only the Broker interface and neither it nor
// main.cc pulls in hiredis.
#pragma once

#include <cstdint>
#include <memory>

#include <uv.h>

namespace ssebridge {

class Broker;
class CompletionQueue;
class PubsubRegistry;
struct Config;
struct Counters;

// `completions`, `registry` and `counters` must outlive the broker (Server
// owns them; see Server::AttachBroker).
// The clock MakeBroker gives the brokers for history ages, in milliseconds
// since an arbitrary start (libuv's monotonic clock). Server passes the same
// clock's reading to Broker::Maintain.
uint64_t MonotonicMillis();

std::unique_ptr<Broker> MakeBroker(uv_loop_t* loop, const Config& config, CompletionQueue* completions,
                                   PubsubRegistry* registry, Counters* counters);

}  // namespace ssebridge
