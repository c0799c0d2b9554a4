// libFuzzer target: arbitrary bytes, split at arbitrary points, through the
// HTTP parser and the request-level parsers behind it. Must never crash,
// hang or read out of bounds (run under ASan); limits must always hold.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ssebridge/handlers/route_table.h"
#include "ssebridge/http_parser.h"
#include "ssebridge/publish_request.h"
#include "ssebridge/router.h"
#include "ssebridge/subscribe_request.h"
#include "ssebridge/uri.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte chooses where the input is split into two reads.
  const size_t split = size > 1 ? data[0] % size : 0;
  const char* bytes = reinterpret_cast<const char*>(data + 1);
  const size_t length = size - 1;

  ssebridge::HttpParser::Limits limits{512, 2048};
  ssebridge::HttpParser parser(limits);
  size_t offset = 0;
  const size_t pieces[2] = {split < length ? split : length, length};
  for (size_t end : pieces) {
    while (offset < end) {
      ssebridge::HttpParser::FeedResult result = parser.Feed(bytes + offset, end - offset);
      if (result.status == ssebridge::HttpParser::Status::kError) {
        if (parser.error_status() < 400 || parser.error_status() > 431) abort();
        return 0;
      }
      if (result.status == ssebridge::HttpParser::Status::kNeedMore) {
        offset = end;
        break;
      }
      offset += result.consumed;
      ssebridge::HttpRequest request = parser.TakeRequest();
      parser.Resume();
      if (request.body.size() > limits.max_body_bytes) abort();
      std::string_view path;
      std::string_view query;
      ssebridge::SplitTarget(request.target, &path, &query);
      ssebridge::RouteMatch route = ssebridge::MatchRoute(ssebridge::BridgeRoutes(), "/base", request.method, path);
      ssebridge::SubscribeRequest subscribe;
      ssebridge::ParseSubscribeRequest(route.rest, query, request, 1000, &subscribe);
      const std::string* type = request.Header("content-type");
      ssebridge::PublishRequest publish;
      ssebridge::ParsePublishRequest(type ? *type : "application/json", request.body, 100, &publish);
    }
  }
  return 0;
}
