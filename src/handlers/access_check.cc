#include "ssebridge/handlers/access_check.h"

#include <ctime>

#include "ssebridge/bridge_context.h"
#include "ssebridge/exchange.h"
#include "ssebridge/json_quote.h"
#include "ssebridge/log.h"
#include "ssebridge/loop_scheduler.h"
#include "ssebridge/metrics.h"

namespace ssebridge {

bool CheckAccess(Exchange& exchange, AccessAction action, const std::vector<std::string>& channels,
                 Principal* principal) {
  BridgeContext& context = exchange.context();
  Principal local_principal;
  Principal* who = principal != nullptr ? principal : &local_principal;
  // Token times are wall-clock seconds (exp, nbf), unlike the loop's clock.
  const int64_t now_seconds = static_cast<int64_t>(time(nullptr));
  AccessDecision decision =
      context.authorizer->Identify(exchange.request(), exchange.query(), exchange.ClientIsLocal(), now_seconds, who);
  if (decision.allowed()) decision = context.authorizer->Decide(*who, action, channels);
  if (decision.allowed()) return true;
  CountAuthFailure(context.counters, decision.reason);
  uint64_t suppressed = 0;
  if (context.limit_log->Allow(context.scheduler->now_ms(), &suppressed)) {
    // The reason and the subject (quoted: it is the token's text), never the token.
    const std::string subject = who->authenticated ? " with a token for " + JsonQuote(who->grants.subject) : "";
    LOG_WARN("refusing %s from %s%s: %d %s (%llu similar line(s) suppressed)",
             action == AccessAction::kSubscribe ? "a subscription" : "a publish",
             exchange.ClientAddress().ToString().c_str(), subject.c_str(), decision.status, decision.message.c_str(),
             static_cast<unsigned long long>(suppressed));
  }
  HeaderList extra;
  if (!decision.www_authenticate.empty()) extra.emplace_back("WWW-Authenticate", decision.www_authenticate);
  // Counted above and logged here; RespondError would log the target again.
  ++context.counters->http_errors;
  exchange.Respond(decision.status, "application/json", JsonErrorBody(decision.message), std::move(extra));
  return false;
}

}  // namespace ssebridge
