// AppAuthorizer: asks the application whether a client without a token may
// subscribe (and, with --auth-publish on, publish): --auth-url. Sites with
// session cookies rather than JWTs keep their login where it is; ssebridge
// forwards the client's Cookie and Authorization headers and the channels it
// asked for, and the answer decides:
//   200 {"subject": "alice", "channels": ["orders.*", "news"]}  allowed: the
//       channels (channel.h globs) are the grants for the action asked, the
//       subject is the principal's, as a token's "sub" would be;
//   401 or 403                       refused with that status;
//   anything else, a timeout (--auth-timeout-ms) or no answer at all
//                                    refused with 503 — never let through.
// Verdicts (but not 503s) are kept --auth-cache-seconds under a SHA-256 of
// the credentials and the question, never under the raw cookie.
//
// The pure parts (the request, the key, reading the answer) are free
// functions for the unit tests; the class adds the cache and the HTTP call.
// handlers/access_check.cc holds the request while the application answers
// and hands it to the handler again (Exchange::Suspend).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <uv.h>

#include "ssebridge/authorizer.h"
#include "ssebridge/http_client.h"

namespace ssebridge {

struct Counters;

struct AppAuthOptions {
  HttpUrl url;
  sockaddr_storage address{};  // url's resolved TCP address.
  uint64_t timeout_ms = 2000;  // --auth-timeout-ms
  uint64_t cache_ms = 5000;    // --auth-cache-seconds, in ms; 0: no cache.
  bool check_publish = false;  // --auth-publish
  size_t max_cache_entries = 10000;
};

// The application's answer, as the access check uses it.
struct AppVerdict {
  int status = 0;        // 0: allowed (grants below); else 401, 403 or 503.
  std::string message;   // For a refusal: the JSON error text.
  AccessGrants grants;   // subject, and the channels in subscribe or publish.
  // The metrics label (kAuthRequestOutcomes).
  const char* outcome = "allowed";
  bool allowed() const { return status == 0; }
};

// The application check request for `action` on `channels` from `peer`,
// with the client's Cookie and Authorization headers (either may be null).
std::string BuildAppCheckRequest(const HttpUrl& url, AccessAction action, const std::vector<std::string>& channels,
                                 const std::string& peer, const std::string* cookie,
                                 const std::string* authorization);

// The cache key: SHA-256 (hex) over the action, the credentials and the
// channels in a canonical order.
std::string AppCheckKey(AccessAction action, const std::string* cookie, const std::string* authorization,
                        const std::vector<std::string>& channels);

// What an answer means: `error` is HttpClient's (0 or a libuv error code).
AppVerdict VerdictFromResponse(AccessAction action, int error, const HttpClientResponse& response);

class AppAuthorizer {
 public:
  AppAuthorizer(uv_loop_t* loop, AppAuthOptions options, Counters* counters);
  ~AppAuthorizer();
  AppAuthorizer(const AppAuthorizer&) = delete;
  AppAuthorizer& operator=(const AppAuthorizer&) = delete;

  // Whether clients without a token are asked about `action`.
  bool Checks(AccessAction action) const {
    return action == AccessAction::kSubscribe || options_.check_publish;
  }

  // The verdict for `key` known without asking: the one just received for
  // the request being resumed, or one cached less than --auth-cache-seconds
  // ago (counted as a cache hit). Null when the application must be asked.
  // The pointer is valid until the next call on this object.
  const AppVerdict* Known(const std::string& key, uint64_t now_ms);

  // Sends `request`; connection `connection_id` waits for the answer. When
  // it comes (or the timeout, or an error), the verdict is cached and
  // `resume` runs once, from a later loop turn, with Known(key) returning
  // it meanwhile. Not run when Forget(connection_id) came first.
  void Ask(const std::string& key, AccessAction action, std::string request, uint64_t connection_id,
           std::function<void()> resume);

  // True while a request suspended for a check is handed to its handler
  // again: what the handler counted before suspending it is not counted twice.
  bool resuming() const { return handed_ != nullptr; }

  // The connection closed: its check, if any, is cancelled.
  void Forget(uint64_t connection_id);

  const HttpUrl& url() const { return options_.url; }
  size_t cached() const { return cache_.size(); }
  size_t in_flight() const { return client_.in_flight(); }

 private:
  struct Entry {
    AppVerdict verdict;
    uint64_t expires_ms = 0;
  };
  void OnAnswer(const std::string& key, AccessAction action, uint64_t connection_id, uint64_t started_ns, int error,
                const HttpClientResponse& response, const std::function<void()>& resume);
  void Remember(const std::string& key, const AppVerdict& verdict);

  uv_loop_t* loop_;
  AppAuthOptions options_;
  Counters* counters_;
  HttpClient client_;
  std::unordered_map<std::string, Entry> cache_;
  // Checks in flight, by connection: what Forget() cancels.
  std::unordered_map<uint64_t, uint64_t> calls_by_connection_;
  // The verdict being handed to a resumed request.
  const std::string* handed_key_ = nullptr;
  const AppVerdict* handed_ = nullptr;
  // Callbacks of calls cancelled by the destructor run later: they find
  // this expired and touch nothing.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace ssebridge
