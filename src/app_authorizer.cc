#include "ssebridge/app_authorizer.h"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "ssebridge/json_quote.h"
#include "ssebridge/metrics.h"
#include "ssebridge/untrusted_json.h"

namespace ssebridge {
namespace {

const char* ActionName(AccessAction action) { return action == AccessAction::kSubscribe ? "subscribe" : "publish"; }

// A header value forwarded as it came; the parser has already refused
// values with line breaks, but a request we build must never be split.
void AppendHeader(std::string* out, const char* name, const std::string* value) {
  if (value == nullptr) return;
  if (value->find_first_of("\r\n") != std::string::npos) return;
  out->append(name).append(": ").append(*value).append("\r\n");
}

// The application's own words for a refusal, if it sent {"error": "..."},
// cut short and kept printable: they go into our answer and the log.
std::string RefusalMessage(const HttpClientResponse& response, const char* fallback) {
  nlohmann::ordered_json body;
  if (ParseUntrustedJsonObject(response.body, &body).empty()) {
    auto it = body.find("error");
    if (it != body.end() && it->is_string()) {
      std::string text;
      for (char c : it->get<std::string>()) {
        if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) text += c;
        if (text.size() >= 200) break;
      }
      if (!text.empty()) return "the application refused: " + text;
    }
  }
  return fallback;
}

AppVerdict Refusal(int status, std::string message, const char* outcome) {
  AppVerdict verdict;
  verdict.status = status;
  verdict.message = std::move(message);
  verdict.outcome = outcome;
  return verdict;
}

}  // namespace

std::string BuildAppCheckRequest(const HttpUrl& url, AccessAction action, const std::vector<std::string>& channels,
                                 const std::string& peer, const std::string* cookie,
                                 const std::string* authorization) {
  std::string body = "{\"action\":";
  AppendJsonQuoted(&body, ActionName(action));
  body += ",\"channels\":[";
  for (size_t i = 0; i < channels.size(); ++i) {
    if (i > 0) body += ',';
    AppendJsonQuoted(&body, channels[i]);
  }
  body += "],\"peer\":";
  AppendJsonQuoted(&body, peer);
  body += '}';
  std::string out = "POST " + url.path + " HTTP/1.1\r\nHost: " + url.host_header +
                    "\r\nContent-Type: application/json\r\nAccept: application/json\r\nConnection: close\r\n"
                    "User-Agent: ssebridge/" SSEBRIDGE_VERSION "\r\n";
  AppendHeader(&out, "Cookie", cookie);
  AppendHeader(&out, "Authorization", authorization);
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  return out;
}

std::string AppCheckKey(AccessAction action, const std::string* cookie, const std::string* authorization,
                        const std::vector<std::string>& channels) {
  std::vector<std::string> sorted = channels;
  std::sort(sorted.begin(), sorted.end());
  // Each part with its length in front, so that no two questions share a text.
  std::string text = ActionName(action);
  auto append = [&text](const std::string* part) {
    text += '\n';
    if (part == nullptr) {
      text += '-';
      return;
    }
    text += std::to_string(part->size()) + ':' + *part;
  };
  append(cookie);
  append(authorization);
  for (const std::string& channel : sorted) append(&channel);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1) return std::string();
  static const char kHex[] = "0123456789abcdef";
  std::string key;
  key.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    key += kHex[digest[i] >> 4];
    key += kHex[digest[i] & 15];
  }
  return key;
}

AppVerdict VerdictFromResponse(AccessAction action, int error, const HttpClientResponse& response) {
  if (error == UV_ETIMEDOUT) return Refusal(503, "the application did not answer the access check in time", "timeout");
  if (error != 0) {
    return Refusal(503, std::string("the application could not be asked: ") + uv_strerror(error), "unavailable");
  }
  if (response.status == 401) {
    return Refusal(401, RefusalMessage(response, "the application did not recognise the client"), "unauthorized");
  }
  if (response.status == 403) {
    return Refusal(403, RefusalMessage(response, "the application does not allow this"), "forbidden");
  }
  if (response.status != 200) {
    return Refusal(503, "the application answered the access check with " + std::to_string(response.status),
                   "unavailable");
  }
  nlohmann::ordered_json body;
  if (!ParseUntrustedJsonObject(response.body, &body).empty()) {
    return Refusal(503, "the application's answer to the access check is not a JSON object", "invalid");
  }
  AppVerdict verdict;
  auto subject = body.find("subject");
  if (subject != body.end() && !subject->is_null()) {
    if (!subject->is_string()) return Refusal(503, "the application's \"subject\" is not a string", "invalid");
    verdict.grants.subject = subject->get<std::string>();
  }
  auto channels = body.find("channels");
  if (channels == body.end() || !channels->is_array()) {
    return Refusal(503, "the application's answer lists no \"channels\"", "invalid");
  }
  std::vector<std::string>& grants =
      action == AccessAction::kSubscribe ? verdict.grants.subscribe : verdict.grants.publish;
  for (const auto& channel : *channels) {
    if (!channel.is_string()) return Refusal(503, "the application's \"channels\" are not all strings", "invalid");
    grants.push_back(channel.get<std::string>());
  }
  return verdict;
}

AppAuthorizer::AppAuthorizer(uv_loop_t* loop, AppAuthOptions options, Counters* counters)
    : loop_(loop), options_(std::move(options)), counters_(counters), client_(loop) {}

AppAuthorizer::~AppAuthorizer() = default;

const AppVerdict* AppAuthorizer::Known(const std::string& key, uint64_t now_ms) {
  if (handed_ != nullptr && *handed_key_ == key) return handed_;
  auto it = cache_.find(key);
  if (it == cache_.end()) return nullptr;
  if (it->second.expires_ms <= now_ms) {
    cache_.erase(it);
    return nullptr;
  }
  ++counters_->auth_cache_hits;
  return &it->second.verdict;
}

void AppAuthorizer::Ask(const std::string& key, AccessAction action, std::string request, uint64_t connection_id,
                        std::function<void()> resume) {
  const uint64_t started_ns = uv_hrtime();
  std::weak_ptr<int> alive = alive_;
  const uint64_t call = client_.Send(
      options_.url, options_.address, std::move(request), options_.timeout_ms,
      [this, alive, key, action, connection_id, started_ns, resume = std::move(resume)](
          int error, HttpClientResponse response) {
        if (alive.expired()) return;
        OnAnswer(key, action, connection_id, started_ns, error, response, resume);
      });
  calls_by_connection_[connection_id] = call;
}

void AppAuthorizer::Forget(uint64_t connection_id) {
  auto it = calls_by_connection_.find(connection_id);
  if (it == calls_by_connection_.end()) return;
  const uint64_t call = it->second;
  calls_by_connection_.erase(it);
  client_.Cancel(call);
}

void AppAuthorizer::OnAnswer(const std::string& key, AccessAction action, uint64_t connection_id, uint64_t started_ns, int error,
                             const HttpClientResponse& response, const std::function<void()>& resume) {
  // Cancelled because the client left: nobody waits, and nothing is known.
  auto waiting = calls_by_connection_.find(connection_id);
  if (error == UV_ECANCELED || waiting == calls_by_connection_.end()) {
    CountAuthRequest(counters_, "cancelled", uv_hrtime() - started_ns);
    return;
  }
  calls_by_connection_.erase(waiting);
  const AppVerdict verdict = VerdictFromResponse(action, error, response);
  CountAuthRequest(counters_, verdict.outcome, uv_hrtime() - started_ns);
  Remember(key, verdict);
  // Handed over for the one synchronous call that resumes the request, so
  // that it is decided even with the cache off or the entry evicted.
  handed_key_ = &key;
  handed_ = &verdict;
  resume();
  handed_key_ = nullptr;
  handed_ = nullptr;
}

void AppAuthorizer::Remember(const std::string& key, const AppVerdict& verdict) {
  if (options_.cache_ms == 0 || verdict.status == 503) return;
  const uint64_t now_ms = uv_now(loop_);
  if (cache_.size() >= options_.max_cache_entries) {
    for (auto it = cache_.begin(); it != cache_.end();) {
      it = it->second.expires_ms <= now_ms ? cache_.erase(it) : std::next(it);
    }
    // Still full of live entries: one goes, whichever; a miss only costs a request.
    if (cache_.size() >= options_.max_cache_entries) cache_.erase(cache_.begin());
  }
  cache_[key] = Entry{verdict, now_ms + options_.cache_ms};
}

}  // namespace ssebridge
