// Micro-benchmarks of ssebridge's hot path (Google Benchmark):
//   BM_EncodeEvent               one message -> SSE event -> sealed chunked frame
//   BM_FanOut/N                  embedded publish to N queued connections
//   BM_FanOutRedisNotification/N the same fan-out via a Redis notification
//   BM_ParseRequest              llhttp-based HttpParser on typical requests
//   BM_ParsePublishJson          POST /publish JSON body -> PublishRequest
//
// Build a Release tree and run, e.g.
//   cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DSSEBRIDGE_TESTS=OFF
//   cmake --build build-bench --target micro_bench
//   build-bench/bench/micro_bench --benchmark_min_time=0.2
// Fan-out rows: Time is per published message (N deliveries); items = deliveries,
// so items_per_second is deliveries/s and per_delivery is the time of one delivery.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <string_view>

#include "fanout_fixture.h"
#include "ssebridge/message_frame.h"
#include "ssebridge/frame.h"
#include "ssebridge/http_parser.h"
#include "ssebridge/publish_request.h"
#include "ssebridge/pubsub_registry.h"
#include "ssebridge/sse.h"

namespace {

using ssebridge::FrameRef;
using ssebridge::PubsubRegistry;
using ssebridge_bench::FanOutFixture;
using ssebridge_bench::MakeMessage;

// ---------------------------------------------------------------- encoding

constexpr std::string_view kJson64 = R"({"type":"tick","symbol":"ACME","price":1234.56,"seq":1234567890})";
static_assert(kJson64.size() == 64, "the encoding benchmark is specified for a 64-byte payload");

// Same size, five lines with mixed line endings: exercises the data-line split.
constexpr std::string_view kMultiline64 = "line one of the event\nline two\r\nline three\rline four\nend........";
static_assert(kMultiline64.size() == 64, "keep the multi-line payload comparable to the JSON one");

void BM_EncodeEvent(benchmark::State& state, std::string_view payload) {
  uint64_t sequence = 1700000000000000;
  const std::string id = std::to_string(sequence);
  for (auto _ : state) {
    std::string buffer = ssebridge::Frame::StartBuffer();
    ssebridge::SseEvent event;
    event.id = id;
    event.data = payload;
    ssebridge::AppendSseEvent(&buffer, event);
    FrameRef frame = ssebridge::Frame::Seal(std::move(buffer), ++sequence);
    benchmark::DoNotOptimize(frame.get());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(payload.size()));
}
BENCHMARK_CAPTURE(BM_EncodeEvent, json64, kJson64);
BENCHMARK_CAPTURE(BM_EncodeEvent, multiline64, kMultiline64);

// The broker's real entry point, with a std::string Message (what a publish builds).
void BM_EncodeMessageFrame(benchmark::State& state) {
  ssebridge::Message message = MakeMessage(1700000000000000);
  for (auto _ : state) {
    FrameRef frame = ssebridge::EncodeMessageFrame(message);
    benchmark::DoNotOptimize(frame.get());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeMessageFrame);

// ---------------------------------------------------------------- fan-out

// The "socket" drains every queue after this many messages, like a loop turn
// that accumulated a few publishes before the flush pass. With ~110-byte
// frames the queues stay far below the 1 MiB limit.
constexpr int kDrainEvery = 8;

// One iteration = one published message (encoded once via LazyFrame, as the
// embedded broker does) delivered to every subscriber, plus 1/kDrainEvery of
// a drain pass that releases the frame references again.
template <bool kRedisPath>
void FanOutBenchmark(benchmark::State& state) {
  const size_t subscribers = static_cast<size_t>(state.range(0));
  FanOutFixture fixture(subscribers, "prices");
  PubsubRegistry& registry = fixture.registry();
  const std::string& channel = fixture.channel();
  uint64_t sequence = 1700000000000000;
  int64_t deliveries = 0;
  int since_drain = 0;
  for (auto _ : state) {
    ssebridge::Message message = MakeMessage(++sequence);
    PubsubRegistry::LazyFrame frame([&message] { return ssebridge::EncodeMessageFrame(message); });
    size_t delivered = kRedisPath ? registry.DeliverNotification(channel, false, channel, frame)
                                  : registry.Publish(channel, frame);
    deliveries += static_cast<int64_t>(delivered);
    if (++since_drain == kDrainEvery) {
      since_drain = 0;
      fixture.DrainAll();
    }
  }
  fixture.DrainAll();
  if (deliveries != static_cast<int64_t>(state.iterations() * subscribers)) {
    state.SkipWithError("fan-out delivered to fewer subscribers than subscribed");
  } else if (fixture.OverLimitCount() != 0) {
    state.SkipWithError("a queue hit its limit: drain more often");
  }
  state.SetItemsProcessed(deliveries);
  // Seconds per delivery (shown as e.g. "18.2n"): the inverse of items_per_second.
  state.counters["per_delivery"] = benchmark::Counter(static_cast<double>(deliveries),
                                                      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_FanOut(benchmark::State& state) { FanOutBenchmark<false>(state); }
void BM_FanOutRedisNotification(benchmark::State& state) { FanOutBenchmark<true>(state); }
BENCHMARK(BM_FanOut)->Arg(1)->Arg(100)->Arg(1000)->Arg(10000);
BENCHMARK(BM_FanOutRedisNotification)->Arg(1)->Arg(100)->Arg(1000)->Arg(10000);

// ---------------------------------------------------------------- HTTP parsing

constexpr std::string_view kGetEvents =
    "GET /events?channel=a HTTP/1.1\r\n"
    "Host: sse.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
    "Accept: text/event-stream\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br, zstd\r\n"
    "Referer: https://app.example.com/dashboard\r\n"
    "Origin: https://app.example.com\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=3f1c0a9e5b7d4e2f8a6c1b0d9e7f5a3c; theme=dark\r\n"
    "Sec-Fetch-Dest: empty\r\n"
    "Sec-Fetch-Mode: cors\r\n"
    "Sec-Fetch-Site: same-site\r\n"
    "Pragma: no-cache\r\n"
    "Cache-Control: no-cache\r\n"
    "\r\n";

constexpr std::string_view kPostPublish =
    "POST /publish HTTP/1.1\r\n"
    "Host: sse.example.com\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 55\r\n"
    "\r\n"
    R"({"channel":"a","event":"tick","data":{"price":1234.56}})";

// A keep-alive connection's parser handling one request after another:
// Feed, TakeRequest, Resume — exactly what HttpSession::Consume does.
void BM_ParseRequest(benchmark::State& state, std::string_view request) {
  ssebridge::HttpParser parser(ssebridge::HttpParser::Limits{});
  for (auto _ : state) {
    auto result = parser.Feed(request.data(), request.size());
    if (result.status != ssebridge::HttpParser::Status::kRequest || result.consumed != request.size()) {
      state.SkipWithError(("parse failed: " + parser.error_message()).c_str());
      break;
    }
    ssebridge::HttpRequest taken = parser.TakeRequest();
    benchmark::DoNotOptimize(taken.headers.data());
    parser.Resume();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(request.size()));
}
BENCHMARK_CAPTURE(BM_ParseRequest, get_events, kGetEvents);
BENCHMARK_CAPTURE(BM_ParseRequest, post_publish, kPostPublish);

// object_data takes the full JSON parser (data re-serialized in key order);
// string_data takes the fast path.
void BM_ParsePublishJson(benchmark::State& state, std::string_view kBody) {
  for (auto _ : state) {
    ssebridge::PublishRequest out;
    ssebridge::PublishParseResult result = ssebridge::ParsePublishRequest("application/json", kBody, 100, &out);
    if (result.status != 200) {
      state.SkipWithError(result.error.c_str());
      break;
    }
    benchmark::DoNotOptimize(out.data.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_ParsePublishJson, object_data,
                  std::string_view(R"({"channel":"a","event":"tick","data":{"price":1234.56}})"));
BENCHMARK_CAPTURE(BM_ParsePublishJson, string_data,
                  std::string_view(R"({"channel":"a","event":"tick","data":"{\"seq\":1,\"ts\":123456789,\"pad\":\"xxxxxxxx\"}"})"));

}  // namespace

BENCHMARK_MAIN();
