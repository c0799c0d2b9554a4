#include "ssebridge/handlers/access_check.h"

#include <ctime>

#include "ssebridge/app_authorizer.h"
#include "ssebridge/bridge_context.h"
#include "ssebridge/exchange.h"
#include "ssebridge/json_quote.h"
#include "ssebridge/log.h"
#include "ssebridge/loop_scheduler.h"
#include "ssebridge/metrics.h"

namespace ssebridge {
namespace {

enum class AppAnswer { kDecided, kSuspended };

// A client without a token, with --auth-url: the application decides. Its
// verdict is either known (cached, or just received for this very request,
// which is being handed to its handler again) or asked for while the
// request is suspended. On kDecided, *decision is the refusal or *who holds
// the grants the application gave.
AppAnswer AskApplication(Exchange& exchange, AppAuthorizer& app, AccessAction action,
                         const std::vector<std::string>& channels, Principal* who, AccessDecision* decision) {
  BridgeContext& context = exchange.context();
  const HttpRequest& request = exchange.request();
  const std::string* cookie = request.Header("cookie");
  const std::string* authorization = request.Header("authorization");
  const std::string key = AppCheckKey(action, cookie, authorization, channels);
  const AppVerdict* verdict = app.Known(key, context.scheduler->now_ms());
  if (verdict == nullptr) {
    // Built first: Suspend() moves the request (its headers included) away.
    std::string check = BuildAppCheckRequest(app.url(), action, channels, exchange.ClientAddress().ToString(),
                                             cookie, authorization);
    uint64_t connection_id = 0;
    if (!exchange.Suspend(&connection_id)) {
      decision->status = 503;
      decision->message = "the access check cannot wait on this connection";
      decision->reason = "application_unavailable";
      return AppAnswer::kDecided;
    }
    ConnectionOwner* owner = context.owner;
    app.Ask(key, action, std::move(check), connection_id,
            [owner, connection_id] { owner->ResumeRequest(connection_id); });
    return AppAnswer::kSuspended;
  }
  if (!verdict->allowed()) {
    decision->status = verdict->status;
    decision->message = verdict->message;
    decision->reason = verdict->status == 503 ? "application_unavailable" : "application";
    return AppAnswer::kDecided;
  }
  who->authenticated = true;
  who->grants = verdict->grants;
  return AppAnswer::kDecided;
}

}  // namespace

bool CheckAccess(Exchange& exchange, AccessAction action, const std::vector<std::string>& channels,
                 Principal* principal) {
  BridgeContext& context = exchange.context();
  Principal local_principal;
  Principal* who = principal != nullptr ? principal : &local_principal;
  // Token times are wall-clock seconds (exp, nbf), unlike the loop's clock.
  const int64_t now_seconds = static_cast<int64_t>(time(nullptr));
  AccessDecision decision =
      context.authorizer->Identify(exchange.request(), exchange.query(), exchange.ClientIsLocal(), now_seconds, who);
  // A valid token decides (and a bad one was refused above); without one,
  // the application does when --auth-url names one.
  AppAuthorizer* app = context.app_authorizer;
  bool from_app = false;
  if (decision.allowed() && !who->authenticated && app != nullptr && app->Checks(action)) {
    if (AskApplication(exchange, *app, action, channels, who, &decision) == AppAnswer::kSuspended) return false;
    from_app = who->authenticated;
  }
  if (decision.allowed()) decision = context.authorizer->Decide(*who, action, channels);
  if (decision.allowed()) return true;
  // Decide() speaks of tokens; these grants came from the application.
  constexpr std::string_view kTokenWords = "the token ";
  if (from_app && decision.message.compare(0, kTokenWords.size(), kTokenWords) == 0) {
    decision.message.replace(0, kTokenWords.size(), "the application ");
  }
  CountAuthFailure(context.counters, decision.reason);
  uint64_t suppressed = 0;
  if (context.limit_log->Allow(context.scheduler->now_ms(), &suppressed)) {
    // The reason and the subject (quoted: it is the token's text), never the token.
    const std::string subject =
        who->authenticated ? (from_app ? " for the application's subject " : " with a token for ") +
                                 JsonQuote(who->grants.subject)
                           : "";
    LOG_WARN("refusing %s from %s%s: %d %s (%llu similar line(s) suppressed)",
             action == AccessAction::kSubscribe ? "a subscription" : "a publish",
             exchange.ClientAddress().ToString().c_str(), subject.c_str(), decision.status, decision.message.c_str(),
             static_cast<unsigned long long>(suppressed));
  }
  HeaderList extra;
  if (decision.status == 503) extra.emplace_back("Retry-After", "1");
  if (!decision.www_authenticate.empty()) extra.emplace_back("WWW-Authenticate", decision.www_authenticate);
  // Counted above and logged here; RespondError would log the target again.
  ++context.counters->http_errors;
  exchange.Respond(decision.status, "application/json", JsonErrorBody(decision.message), std::move(extra));
  return false;
}

}  // namespace ssebridge
