// Deterministic fan-out workload for instruction counting (no timing, no
// Google Benchmark, no randomness, no clock, no I/O in the measured part):
//
//   fanout_callgrind [messages=200] [subscribers=1000]
//
// Subscribes `subscribers` write-queue sinks (see fanout_fixture.h) to one
// channel, then publishes `messages` messages through
// PubsubRegistry::Publish — each encoded once and fanned out to every
// subscriber — draining all queues after every 8 messages and at the end.
// Prints "deliveries=<n>" and exits non-zero if anything was not delivered.
//
// The publish/drain loop runs inside RunFanOutWorkload(), so callgrind can
// restrict counting to it with --toggle-collect=RunFanOutWorkload;
// bench/callgrind_check.sh additionally subtracts a messages=0 run.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fanout_fixture.h"

struct Totals {
  size_t deliveries = 0;
  size_t bytes_sent = 0;
};

namespace {

constexpr unsigned kDrainEvery = 8;  // Same cadence as BM_FanOut in micro_bench.cc.

unsigned long ParseCount(const char* text, const char* what) {
  char* end = nullptr;
  unsigned long value = std::strtoul(text, &end, 10);
  if (end == text || *end != '\0') {
    std::fprintf(stderr, "fanout_callgrind: bad %s '%s'\n", what, text);
    std::exit(2);
  }
  return value;
}

}  // namespace

// extern "C" and noinline so the symbol name is stable for --toggle-collect.
extern "C" __attribute__((noinline)) void RunFanOutWorkload(ssebridge_bench::FanOutFixture* fixture,
                                                            unsigned long messages, Totals* totals) {
  ssebridge::PubsubRegistry& registry = fixture->registry();
  uint64_t sequence = 1700000000000000;  // Fixed: the id's decimal length affects the frame size.
  for (unsigned long i = 0; i < messages; ++i) {
    ssebridge::Message message = ssebridge_bench::MakeMessage(++sequence);
    ssebridge::PubsubRegistry::LazyFrame frame([&message] { return ssebridge::EncodeMessageFrame(message); });
    totals->deliveries += registry.Publish(fixture->channel(), frame);
    if ((i + 1) % kDrainEvery == 0) totals->bytes_sent += fixture->DrainAll();
  }
  totals->bytes_sent += fixture->DrainAll();
}

int main(int argc, char** argv) {
  if (argc > 3) {
    std::fprintf(stderr, "usage: %s [messages=200] [subscribers=1000]\n", argv[0]);
    return 2;
  }
  const unsigned long messages = argc > 1 ? ParseCount(argv[1], "message count") : 200;
  const unsigned long subscribers = argc > 2 ? ParseCount(argv[2], "subscriber count") : 1000;

  Totals totals;
  {
    ssebridge_bench::FanOutFixture fixture(subscribers, "prices");
    RunFanOutWorkload(&fixture, messages, &totals);
    if (fixture.OverLimitCount() != 0) {
      std::fprintf(stderr, "fanout_callgrind: %zu queues hit their limit\n", fixture.OverLimitCount());
      return 1;
    }
  }
  std::printf("messages=%lu subscribers=%lu deliveries=%zu bytes=%zu\n", messages, subscribers,
              totals.deliveries, totals.bytes_sent);
  if (totals.deliveries != messages * subscribers) {
    std::fprintf(stderr, "fanout_callgrind: expected %lu deliveries\n", messages * subscribers);
    return 1;
  }
  return 0;
}
