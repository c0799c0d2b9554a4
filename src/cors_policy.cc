#include "ssebridge/cors_policy.h"

#include <cctype>

namespace ssebridge {
namespace {

bool IsHeaderToken(const std::string& text) {
  for (char c : text) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ',' || c == ' ')) return false;
  }
  return true;
}

// Response headers a cross-origin page may read besides the safelisted ones.
// A 401 says in WWW-Authenticate why a token was refused (invalid_token,
// expired, with a description); without this a page on another origin sees
// the status and the JSON body but cannot tell a page to fetch a new token.
constexpr const char kExposedHeaders[] = "WWW-Authenticate";

}  // namespace

HeaderList CorsPolicy::Headers(const HttpRequest& request) const {
  HeaderList headers;
  if (origins_.empty()) return headers;
  const std::string* origin = request.Header("origin");
  if (origin == nullptr) return headers;
  for (const std::string& allowed : origins_) {
    if (allowed == "*") {
      headers.emplace_back("Access-Control-Allow-Origin", "*");
      headers.emplace_back("Access-Control-Expose-Headers", kExposedHeaders);
      return headers;
    }
    if (allowed == *origin) {
      // An explicitly listed origin may also send cookies (withCredentials).
      headers.emplace_back("Access-Control-Allow-Origin", *origin);
      headers.emplace_back("Access-Control-Allow-Credentials", "true");
      headers.emplace_back("Vary", "Origin");
      headers.emplace_back("Access-Control-Expose-Headers", kExposedHeaders);
      return headers;
    }
  }
  return headers;
}

HeaderList CorsPolicy::PreflightHeaders(const HttpRequest& request) const {
  HeaderList headers;
  if (Headers(request).empty()) return headers;
  headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
  // Echo what the browser asks for when it is plainly a header list; a
  // fixed list otherwise, so no request text is reflected into our headers.
  const std::string* requested = request.Header("access-control-request-headers");
  headers.emplace_back("Access-Control-Allow-Headers", requested && IsHeaderToken(*requested)
                                                           ? *requested
                                                           : "Content-Type, Last-Event-ID, Cache-Control");
  headers.emplace_back("Access-Control-Max-Age", "600");
  return headers;
}

}  // namespace ssebridge
