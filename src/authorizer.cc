#include "ssebridge/authorizer.h"

#include "ssebridge/channel.h"
#include "ssebridge/uri.h"
#include "ssebridge/user_channel.h"

namespace ssebridge {
namespace {

constexpr char kChallenge[] = "Bearer realm=\"ssebridge\"";

// A quoted-string for WWW-Authenticate: our own sentences, with the
// characters a quoted-string would need escaped left out.
std::string QuotedDescription(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\'';
    } else if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) {
      out += c;
    }
  }
  out += '"';
  return out;
}

// The token of "Authorization: Bearer <token>"; empty for another scheme
// (the header may belong to someone else, a proxy's Basic credentials say).
std::string_view BearerToken(std::string_view header) {
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size() || !EqualsIgnoreCase(header.substr(0, kScheme.size()), kScheme) ||
      header[kScheme.size()] != ' ') {
    return {};
  }
  header.remove_prefix(kScheme.size());
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  return header;
}

std::string DescribeChannel(const std::string& channel) {
  return (IsPattern(channel) ? "pattern '" : "channel '") + channel + "'";
}

}  // namespace

AccessPolicy AccessPolicyFrom(const Config& config) {
  AccessPolicy policy;
  policy.anonymous_subscribe = config.anonymous_subscribe;
  policy.anonymous_publish = config.anonymous_publish;
  policy.cookie_name = config.jwt_cookie;
  return policy;
}

std::unique_ptr<Authorizer> MakeAuthorizer(const Config& config,
                                           const std::function<std::optional<std::string>(const std::string&)>& read_file,
                                           std::string* error) {
  JwtOptions options;
  options.secret = config.jwt_secret;
  if (!config.jwt_secret_file.empty()) {
    if (!config.jwt_secret.empty()) {
      *error = "--jwt-secret-file: give either --jwt-secret or --jwt-secret-file, not both";
      return nullptr;
    }
    std::optional<std::string> text = read_file(config.jwt_secret_file);
    if (!text) {
      *error = "--jwt-secret-file: cannot read '" + config.jwt_secret_file + "'";
      return nullptr;
    }
    // `echo secret > file` leaves a newline that is not part of the secret.
    if (!text->empty() && text->back() == '\n') text->pop_back();
    if (!text->empty() && text->back() == '\r') text->pop_back();
    if (text->empty()) {
      *error = "--jwt-secret-file: '" + config.jwt_secret_file + "' is empty";
      return nullptr;
    }
    options.secret = std::move(*text);
  }
  if (!config.jwt_public_key_file.empty()) {
    std::optional<std::string> text = read_file(config.jwt_public_key_file);
    if (!text) {
      *error = "--jwt-public-key: cannot read '" + config.jwt_public_key_file + "'";
      return nullptr;
    }
    options.public_key_pem = std::move(*text);
  }
  options.leeway_seconds = config.jwt_leeway_seconds;
  options.audience = config.jwt_audience;
  options.issuer = config.jwt_issuer;
  options.claims_key = config.jwt_claims_key;
  std::unique_ptr<JwtVerifier> verifier;
  if (!options.secret.empty() || !options.public_key_pem.empty()) {
    std::string key_error;
    verifier = JwtVerifier::Create(std::move(options), &key_error);
    if (!verifier) {
      *error = "--jwt-public-key: " + key_error;
      return nullptr;
    }
  }
  return std::make_unique<Authorizer>(AccessPolicyFrom(config), std::move(verifier));
}

bool GrantsAllow(const std::vector<std::string>& grants, const std::string& channel) {
  const bool pattern = IsPattern(channel);
  for (const std::string& grant : grants) {
    if (grant == channel || grant == "*") return true;
    // A pattern is a set of channels; a granted glob that happens to match
    // the pattern's text says nothing about that set, so only the same
    // pattern (or everything) allows it.
    if (!pattern && GlobMatch(grant, channel)) return true;
  }
  return false;
}

std::string TargetForLog(std::string_view target) {
  const size_t question = target.find('?');
  if (question == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, question + 1));
  std::string_view query = target.substr(question + 1);
  bool first = true;
  while (true) {
    const size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    if (!first) out += '&';
    first = false;
    const size_t equals = part.find('=');
    std::optional<std::string> key = PercentDecode(part.substr(0, equals), true);
    if (equals != std::string_view::npos && key && *key == kAccessTokenParameter) {
      out.append(part.substr(0, equals + 1));
      out += "REDACTED";
    } else {
      out.append(part);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

Authorizer::Authorizer(AccessPolicy policy, std::unique_ptr<JwtVerifier> verifier)
    : policy_(std::move(policy)), verifier_(std::move(verifier)) {}

Authorizer::~Authorizer() = default;

AccessDecision Authorizer::Identify(const HttpRequest& request, std::string_view query, bool local,
                                    int64_t now_seconds, Principal* out) const {
  *out = Principal();
  out->local = local;
  AccessDecision decision;
  if (verifier_ == nullptr) return decision;
  std::string token;
  if (const std::string* header = request.Header("authorization")) token = std::string(BearerToken(*header));
  if (token.empty()) {
    for (auto& [key, value] : ParseQuery(query)) {
      if (key == kAccessTokenParameter && !value.empty()) {
        token = std::move(value);
        break;
      }
    }
  }
  if (token.empty() && !policy_.cookie_name.empty()) {
    if (const std::string* cookie = request.Header("cookie")) {
      if (auto value = CookieValue(*cookie, policy_.cookie_name)) {
        token = std::string(*value);
        out->from_cookie = true;
      }
    }
  }
  if (token.empty()) return decision;
  TokenCheck check = verifier_->Verify(token, now_seconds);
  if (!check.ok()) {
    decision.status = 401;
    decision.message = "invalid token: " + check.description;
    decision.www_authenticate = std::string(kChallenge) + ", error=\"invalid_token\", error_description=" +
                                QuotedDescription(check.description);
    decision.reason = TokenFaultLabel(check.fault);
    return decision;
  }
  out->authenticated = true;
  out->grants = std::move(check.grants);
  return decision;
}

AccessDecision Authorizer::Unauthenticated(const std::string& message) const {
  AccessDecision decision;
  decision.reason = "missing_token";
  if (verifier_ == nullptr) {
    // No token could ever help: say what would, without a challenge.
    decision.status = 403;
    decision.message = message + "; no token key is configured (--jwt-secret or --jwt-public-key)";
    return decision;
  }
  // RFC 6750 §3.1: no error code when the request carried no credential.
  decision.status = 401;
  decision.message = message;
  decision.www_authenticate = kChallenge;
  return decision;
}

// --- User channels (per-user messages) ---

bool OwnsUserChannel(const Principal& principal, const std::string& channel) {
  if (!principal.authenticated || principal.grants.subject.empty() || !IsUserChannel(channel)) return false;
  if (IsOwnUserAlias(channel)) return true;
  return channel.size() == kUserChannelPrefix.size() + principal.grants.subject.size() &&
         channel.compare(kUserChannelPrefix.size(), std::string::npos, principal.grants.subject) == 0;
}

bool UserGrantsAllow(const std::vector<std::string>& grants, const std::string& channel) {
  const bool pattern = IsPattern(channel);
  for (const std::string& grant : grants) {
    // Only a grant that itself names user channels counts: "*" means every
    // shared channel, not everyone's private one.
    if (!IsUserChannel(grant)) continue;
    if (grant == channel || (!pattern && GlobMatch(grant, channel))) return true;
  }
  return false;
}

AccessDecision Authorizer::DecideUserChannels(const Principal& principal,
                                              const std::vector<std::string>& channels) const {
  AccessDecision decision;
  for (const std::string& channel : channels) {
    if (!IsUserChannel(channel) || OwnsUserChannel(principal, channel)) continue;
    if (principal.authenticated && UserGrantsAllow(principal.grants.subscribe, channel)) continue;
    if (!principal.authenticated) {
      // Anonymous subscribing (--anonymous-subscribe on) never covers user
      // channels: the only way in is a credential.
      return Unauthenticated("a token is required to subscribe to the user " + DescribeChannel(channel));
    }
    decision.status = 403;
    decision.reason = "forbidden";
    decision.message = "the token does not allow subscribing to " + DescribeChannel(channel) +
                       (IsOwnUserAlias(channel) ? ": the token has no subject (sub)"
                                                : ": a user channel is open to its own subject and to tokens "
                                                  "whose subscribe claim names it");
    return decision;
  }
  return decision;
}

// --- end of user channels ---

AccessDecision Authorizer::Decide(const Principal& principal, AccessAction action,
                                  const std::vector<std::string>& channels) const {
  AccessDecision decision;
  const bool subscribe = action == AccessAction::kSubscribe;
  if (subscribe) {
    decision = DecideUserChannels(principal, channels);
    if (!decision.allowed()) return decision;
  }
  const bool anonymous_allowed =
      subscribe ? policy_.anonymous_subscribe
                : policy_.anonymous_publish == AnonymousPublish::kOn ||
                      (policy_.anonymous_publish == AnonymousPublish::kLocal && principal.local);
  if (anonymous_allowed) return decision;
  if (!subscribe && principal.authenticated && principal.from_cookie) {
    // Cross-site requests carry the cookie too: publishing from it would be a
    // request forgery waiting to happen.
    return Unauthenticated("a token in a cookie does not allow publishing: send it as Authorization: Bearer");
  }
  if (!principal.authenticated) {
    if (subscribe) return Unauthenticated("a token is required to subscribe");
    return Unauthenticated(policy_.anonymous_publish == AnonymousPublish::kLocal
                               ? "a token is required to publish from another host"
                               : "a token is required to publish");
  }
  const std::vector<std::string>& grants = subscribe ? principal.grants.subscribe : principal.grants.publish;
  for (const std::string& channel : channels) {
    if (subscribe && IsUserChannel(channel)) continue;  // Decided above.
    if (GrantsAllow(grants, channel)) continue;
    decision.status = 403;
    decision.reason = "forbidden";
    decision.message = std::string("the token does not allow ") + (subscribe ? "subscribing to " : "publishing to ") +
                       DescribeChannel(channel);
    return decision;
  }
  return decision;
}

}  // namespace ssebridge
