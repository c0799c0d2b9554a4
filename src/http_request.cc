#include "ssebridge/http_request.h"

namespace ssebridge {

const std::string* HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& header : headers) {
    if (header.first == lower_name) return &header.second;
  }
  return nullptr;
}

void HttpRequest::Clear() {
  method.clear();
  target.clear();
  headers.clear();
  body.clear();
  http_major = 1;
  http_minor = 1;
  keep_alive = true;
}

}  // namespace ssebridge
