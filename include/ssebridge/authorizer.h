// Authorizer: the one place that decides who may subscribe and who may
// publish. Every route that subscribes or publishes (streams and long polls,
// POST /publish, GET publish, the /clients endpoints, /stats) asks it, in two
// steps: Identify() finds and checks the request's credential, Decide() says
// whether that principal may do one action on every channel named.
//
// Today the credential is a JWT (jwt_verifier.h) from the Authorization
// header, the access_token query parameter or a cookie, and the rest is the
// anonymous policy (--anonymous-subscribe, --anonymous-publish). Another
// source of grants (an application asked over HTTP, a per-user rule) fills
// the same Principal and keeps Decide() as it is.
//
// Pure: no clock (the caller passes the time), no I/O, no logging; the
// handlers answer, count and log what it decides (handlers/access_check).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ssebridge/config.h"
#include "ssebridge/http_request.h"
#include "ssebridge/jwt_verifier.h"

namespace ssebridge {

struct AccessPolicy {
  bool anonymous_subscribe = true;                            // --anonymous-subscribe
  AnonymousPublish anonymous_publish = AnonymousPublish::kLocal;  // --anonymous-publish
  std::string cookie_name;                                    // --jwt-cookie; empty: no cookie source.
};

// Who is asking.
struct Principal {
  // Presented a token that verified; grants says what it allows.
  bool authenticated = false;
  // The client is this host (loopback), not relayed by an untrusted proxy.
  bool local = false;
  // The token came from the --jwt-cookie cookie. A browser attaches cookies
  // to requests other sites make it send (a form POST, a link), so such a
  // token allows subscribing only, never publishing.
  bool from_cookie = false;
  AccessGrants grants;
};

enum class AccessAction { kSubscribe, kPublish };

struct AccessDecision {
  int status = 0;  // 0: allowed; else 401 or 403.
  std::string message;          // The JSON error text; never contains the token.
  std::string www_authenticate; // For a 401: the WWW-Authenticate value.
  // The metrics label: "missing_token", "forbidden", or a TokenFaultLabel.
  const char* reason = "";
  bool allowed() const { return status == 0; }
};

// The query parameter that may carry a token.
inline constexpr std::string_view kAccessTokenParameter = "access_token";

class Authorizer {
 public:
  // `verifier` may be null: no token is accepted, every client is anonymous.
  Authorizer(AccessPolicy policy, std::unique_ptr<JwtVerifier> verifier);
  ~Authorizer();

  // Finds the credential (Authorization: Bearer, then access_token in the
  // query, then the cookie: the explicit sources before the ambient one) and
  // checks it at `now_seconds`. No credential: an anonymous principal. A bad
  // credential is refused (401) even where anonymous access would be allowed:
  // a client that sent a token expects it to count, and must learn that it
  // does not. `local` is whether the client is on this host.
  AccessDecision Identify(const HttpRequest& request, std::string_view query, bool local, int64_t now_seconds,
                          Principal* out) const;

  // Whether `principal` may do `action` on every name in `channels`. A token
  // only adds rights: what anonymous clients may do, token holders may too.
  // A literal channel is allowed when a granted glob matches it; a pattern
  // (subscriptions only) when the same pattern or "*" is granted.
  AccessDecision Decide(const Principal& principal, AccessAction action, const std::vector<std::string>& channels) const;

  bool accepts_tokens() const { return verifier_ != nullptr; }
  const AccessPolicy& policy() const { return policy_; }

 private:
  AccessDecision Unauthenticated(const std::string& message) const;
  // The rule for user channels (user_channel.h), which holds whatever the
  // anonymous policy says: `user:<sub>` and `user:me` are open to the
  // principal whose subject is <sub>; any other user channel or user
  // pattern needs a subscribe grant that starts with "user:" and allows it
  // ("*" does not). Subscriptions only: publishing to a user is a publish.
  AccessDecision DecideUserChannels(const Principal& principal, const std::vector<std::string>& channels) const;

  AccessPolicy policy_;
  std::unique_ptr<JwtVerifier> verifier_;
};

// True when `grants` (a token's subscribe or publish list) allow `channel`
// under the rules of Decide().
bool GrantsAllow(const std::vector<std::string>& grants, const std::string& channel);

// True when `channel` is `principal`'s own user channel: `user:<sub>` or
// the alias `user:me`, for an authenticated principal with a subject.
bool OwnsUserChannel(const Principal& principal, const std::string& channel);
// True when a subscribe grant that names user channels ("user:...")
// allows `channel`, under the rules of GrantsAllow().
bool UserGrantsAllow(const std::vector<std::string>& grants, const std::string& channel);

// The request target for a log line: the access_token parameter's value
// replaced by "REDACTED", so no token reaches the log.
std::string TargetForLog(std::string_view target);

// The policy the configuration describes.
AccessPolicy AccessPolicyFrom(const Config& config);

// The Authorizer the configuration describes: reads --jwt-secret-file and
// --jwt-public-key through `read_file` and checks the keys. Without any
// --jwt-* key, an Authorizer that accepts no token. Returns nullptr and sets
// *error (naming the option) when a file cannot be read or a key is unusable.
std::unique_ptr<Authorizer> MakeAuthorizer(const Config& config,
                                           const std::function<std::optional<std::string>(const std::string&)>& read_file,
                                           std::string* error);

}  // namespace ssebridge
