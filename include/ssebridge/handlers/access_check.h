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
// answering the refusal.
bool CheckAccess(Exchange& exchange, AccessAction action, const std::vector<std::string>& channels,
                 Principal* principal = nullptr);

}  // namespace ssebridge
