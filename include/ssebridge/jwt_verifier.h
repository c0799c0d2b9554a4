// JwtVerifier: checks a JSON Web Token against the configured keys and
// returns the access it grants. The signature is verified by libjwt (Debian's
// libjwt 1.10, which offers jwt_decode with one key); what that version does
// not check is done here on the decoded claims: the algorithm must match the
// kind of key (so "alg":"none" and an HS token signed with the public key
// text as its secret are refused), exp and nbf with a leeway, aud and iss.
// The PEM key's type is read with OpenSSL. No cryptography is written here.
//
// Pure apart from the library calls: no clock of its own (the caller passes
// the time), no I/O (the caller reads key files), so every rule is unit-tested
// with tokens minted by libjwt in the test.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ssebridge {

struct JwtOptions {
  std::string secret;          // HS256/384/512 key; empty: HS tokens are refused.
  std::string public_key_pem;  // RSA or EC public key (PEM); empty: RS/ES tokens are refused.
  uint32_t leeway_seconds = 0; // Clock skew allowed on exp and nbf.
  std::string audience;        // Non-empty: "aud" must be or contain it.
  std::string issuer;          // Non-empty: "iss" must equal it.
  std::string claims_key = "ssebridge";  // The claim holding {"subscribe":[...],"publish":[...]}.
};

// What a valid token allows.
struct AccessGrants {
  std::string subject;                 // "sub", or "" when absent.
  std::vector<std::string> subscribe;  // Channel globs (channel.h syntax).
  std::vector<std::string> publish;
  // Seconds since the epoch after which the token is no longer accepted
  // (exp plus the leeway); 0 when the token has no exp.
  int64_t valid_until = 0;
};

// Why a token was refused, for the metrics label and the answer.
enum class TokenFault {
  kNone,
  kMalformed,   // Not three base64url parts with a JSON header, too long, ...
  kAlgorithm,   // "none", unknown, or not matching a configured key.
  kSignature,   // libjwt did not verify it.
  kExpired,     // now > exp + leeway.
  kNotYetValid, // now < nbf - leeway.
  kAudience,
  kIssuer,
  kClaims,      // exp/nbf/sub/namespace of the wrong type, a bad channel glob.
};

struct TokenCheck {
  TokenFault fault = TokenFault::kNone;
  // For the error_description of WWW-Authenticate and the JSON body: never
  // contains the token or parts of it.
  std::string description;
  AccessGrants grants;  // Filled when fault is kNone.
  bool ok() const { return fault == TokenFault::kNone; }
};

// Tokens longer than this are refused before any parsing (the request head
// is bounded too, but a cookie or query may be most of it).
constexpr size_t kMaxTokenBytes = 8192;

class JwtVerifier {
 public:
  // Reads the key material. Returns nullptr and sets *error when the public
  // key is not a PEM RSA or EC (P-256/384/521) public key, or when neither a
  // secret nor a public key is given.
  static std::unique_ptr<JwtVerifier> Create(JwtOptions options, std::string* error);
  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  // Verifies `token` at `now_seconds` (Unix time).
  TokenCheck Verify(std::string_view token, int64_t now_seconds) const;

  const JwtOptions& options() const { return options_; }

  // The public key's kind, which decides the algorithms it verifies.
  enum class KeyKind { kNone, kRsa, kEcP256, kEcP384, kEcP521 };
  KeyKind key_kind() const { return key_kind_; }

 private:
  explicit JwtVerifier(JwtOptions options) : options_(std::move(options)) {}

  JwtOptions options_;
  KeyKind key_kind_ = KeyKind::kNone;
};

// The metrics label of a fault ("invalid", "expired", ...).
const char* TokenFaultLabel(TokenFault fault);

// Decodes unpadded base64url (RFC 4648 §5) as JWTs use it; false on any
// other character or an impossible length. Exposed for its unit test.
bool DecodeBase64Url(std::string_view text, std::string* out);

}  // namespace ssebridge
