// The handlers' side of the access policy: identifies the client through the
// Authorizer, asks it about one action on a list of channels and, when it
// says no, answers (401 with WWW-Authenticate, or 403, both with a JSON
// body), counts the refusal in ssebridge_auth_failures_total and logs it
// without the token. Every subscribing or publishing route calls it before
// doing anything on the client's behalf.
#pragma once

#include <string>
#include <vector>

#include "ssebridge/authorizer.h"

namespace ssebridge {

class Exchange;

// True when allowed; *principal (optional) is who asked. False after
// answering the refusal — or after suspending the request while the
// application (--auth-url) is asked about a client without a token: the
// handler then returns, and runs again from the start once the answer is
// in, so everything it does before this call must be safe to repeat.
bool CheckAccess(Exchange& exchange, AccessAction action, const std::vector<std::string>& channels,
                 Principal* principal = nullptr);

}  // namespace ssebridge
