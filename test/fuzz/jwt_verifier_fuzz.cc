// libFuzzer target: the token path. The first byte picks where the rest of
// the input goes:
//   0  JwtVerifier::Verify with an HS secret;
//   1  JwtVerifier::Verify with an EC P-256 public key;
//   2  Authorizer::Identify with the bytes as the Authorization header value;
//   3  Authorizer::Identify with the bytes as the Cookie header value.
// Properties: nothing crashes or leaks; a refused token has a fault and a
// description that does not echo the token; an accepted one has none; an
// Identify answer is "allowed" or a 401 with a challenge, and no message or
// challenge contains the token. The seed corpus (corpus/jwt_verifier) holds
// tokens signed with the secret and the EC key below, valid until 2096.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "ssebridge/authorizer.h"
#include "ssebridge/http_request.h"
#include "ssebridge/jwt_verifier.h"

namespace {

// A fixed time before the seeds' exp (4000000000) and after their nbf.
constexpr int64_t kNow = 1700000000;

constexpr const char kSecret[] = "fuzz-secret-0123456789abcdef";

// The public half of the key that signed the ES256 seeds. Only a public key:
// the fuzzer never needs to sign.
constexpr const char kEcPublicKey[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEa8iG7Z7iwW+v30cTRGVrLIAFTmu6\n"
    "jrSmEf0Ys43Swp7AbsBw0rVUIj6B573cD0mGnbKajQF00PdoKCZi5f6Cmw==\n"
    "-----END PUBLIC KEY-----\n";

std::unique_ptr<ssebridge::JwtVerifier> MakeVerifier(bool with_key) {
  ssebridge::JwtOptions options;
  if (with_key) {
    options.public_key_pem = kEcPublicKey;
  } else {
    options.secret = kSecret;
  }
  options.leeway_seconds = 30;
  std::string error;
  std::unique_ptr<ssebridge::JwtVerifier> verifier = ssebridge::JwtVerifier::Create(options, &error);
  if (verifier == nullptr) abort();
  return verifier;
}

const ssebridge::JwtVerifier& HsVerifier() {
  static const std::unique_ptr<ssebridge::JwtVerifier> verifier = MakeVerifier(false);
  return *verifier;
}

const ssebridge::JwtVerifier& EcVerifier() {
  static const std::unique_ptr<ssebridge::JwtVerifier> verifier = MakeVerifier(true);
  return *verifier;
}

// Accepts tokens signed with the secret, from the header or the "token" cookie.
const ssebridge::Authorizer& TheAuthorizer() {
  static const ssebridge::Authorizer* authorizer = [] {
    ssebridge::AccessPolicy policy;
    policy.cookie_name = "token";
    return new ssebridge::Authorizer(policy, MakeVerifier(false));
  }();
  return *authorizer;
}

// Whether `text` repeats `secret`. Only secrets shaped like a token (two
// dots, 16 bytes or more) are looked for: a shorter or dotless input may well
// be a piece of our own fixed sentences (`Bearer realm="s` is the start of
// the challenge), which is no leak.
bool Echoes(const std::string& text, std::string_view secret) {
  size_t dots = 0;
  for (char c : secret) dots += c == '.' ? 1 : 0;
  return secret.size() >= 16 && dots >= 2 && text.find(secret) != std::string::npos;
}

void CheckVerify(const ssebridge::JwtVerifier& verifier, std::string_view token) {
  ssebridge::TokenCheck check = verifier.Verify(token, kNow);
  if (check.ok()) {
    if (!check.description.empty()) abort();
    return;
  }
  if (check.description.empty()) abort();
  if (Echoes(check.description, token)) abort();
  if (ssebridge::TokenFaultLabel(check.fault) == nullptr) abort();
}

void CheckIdentify(const char* header, std::string_view value) {
  ssebridge::HttpRequest request;
  request.method = "GET";
  request.target = "/events?channel=a";
  request.headers.emplace_back(header, std::string(value));
  ssebridge::Principal principal;
  ssebridge::AccessDecision decision = TheAuthorizer().Identify(request, "channel=a", false, kNow, &principal);
  if (decision.allowed()) return;
  if (decision.status != 401 || decision.www_authenticate.empty()) abort();
  // The credential: after the scheme in Authorization, the whole header for
  // Cookie (a token inside it is then part of it).
  std::string_view credential = value;
  if (std::string_view(header) == "authorization" && value.find(' ') != std::string_view::npos) {
    credential = value.substr(value.find(' ') + 1);
  }
  if (Echoes(decision.message, credential) || Echoes(decision.www_authenticate, credential)) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] & 3) {
    case 0:
      CheckVerify(HsVerifier(), input);
      break;
    case 1:
      CheckVerify(EcVerifier(), input);
      break;
    case 2:
      CheckIdentify("authorization", input);
      break;
    default:
      CheckIdentify("cookie", input);
      break;
  }
  return 0;
}
