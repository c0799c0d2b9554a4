#include "ssebridge/jwt_verifier.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

#include <jwt.h>
#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ssebridge/channel.h"
#include "ssebridge/untrusted_json.h"

namespace ssebridge {
namespace {

int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Reads the key's type with OpenSSL; kNone when it is not a supported public key.
JwtVerifier::KeyKind ReadKeyKind(const std::string& pem, std::string* error) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) {
    *error = "out of memory reading the public key";
    return JwtVerifier::KeyKind::kNone;
  }
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) {
    *error = "not a PEM public key (expected -----BEGIN PUBLIC KEY-----)";
    return JwtVerifier::KeyKind::kNone;
  }
  JwtVerifier::KeyKind kind = JwtVerifier::KeyKind::kNone;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
    kind = JwtVerifier::KeyKind::kRsa;
  } else if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    char group[64] = {0};
    size_t length = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof(group), &length) == 1) {
      if (strcmp(group, "prime256v1") == 0) kind = JwtVerifier::KeyKind::kEcP256;
      if (strcmp(group, "secp384r1") == 0) kind = JwtVerifier::KeyKind::kEcP384;
      if (strcmp(group, "secp521r1") == 0) kind = JwtVerifier::KeyKind::kEcP521;
    }
    if (kind == JwtVerifier::KeyKind::kNone) *error = "EC key on a curve JWT does not use (need P-256, P-384 or P-521)";
  } else {
    *error = "public key is neither RSA nor EC";
  }
  EVP_PKEY_free(key);
  return kind;
}

// The one algorithm family a key verifies. An HS algorithm always takes the
// secret and RS/ES always the public key, so a token can never have the
// public key text used as an HMAC secret.
bool AlgorithmFitsKey(jwt_alg_t alg, JwtVerifier::KeyKind kind) {
  switch (alg) {
    case JWT_ALG_RS256:
    case JWT_ALG_RS384:
    case JWT_ALG_RS512:
      return kind == JwtVerifier::KeyKind::kRsa;
    case JWT_ALG_ES256:
      return kind == JwtVerifier::KeyKind::kEcP256;
    case JWT_ALG_ES384:
      return kind == JwtVerifier::KeyKind::kEcP384;
    case JWT_ALG_ES512:
      return kind == JwtVerifier::KeyKind::kEcP521;
    default:
      return false;
  }
}

bool IsHmac(jwt_alg_t alg) { return alg == JWT_ALG_HS256 || alg == JWT_ALG_HS384 || alg == JWT_ALG_HS512; }

TokenCheck Fail(TokenFault fault, std::string description) {
  TokenCheck check;
  check.fault = fault;
  check.description = std::move(description);
  return check;
}

// A NumericDate (RFC 7519 §2): a JSON number of seconds, possibly with a fraction.
bool ReadNumericDate(const nlohmann::ordered_json& value, int64_t* out) {
  if (value.is_number_integer()) {
    *out = value.get<int64_t>();
    return true;
  }
  if (value.is_number_unsigned()) {
    uint64_t seconds = value.get<uint64_t>();
    if (seconds > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(seconds);
    return true;
  }
  if (value.is_number_float()) {
    double seconds = value.get<double>();
    if (!std::isfinite(seconds) || seconds > 9.2e18 || seconds < -9.2e18) return false;
    *out = static_cast<int64_t>(std::floor(seconds));
    return true;
  }
  return false;
}

// Reads one list of channel globs; "" or what is wrong.
std::string ReadGlobs(const nlohmann::ordered_json& grants, const char* name, std::vector<std::string>* out) {
  auto it = grants.find(name);
  if (it == grants.end()) return "";
  if (!it->is_array()) return std::string("\"") + name + "\" is not an array";
  for (const auto& entry : *it) {
    if (!entry.is_string()) return std::string("\"") + name + "\" holds a non-string";
    const std::string& glob = entry.get_ref<const std::string&>();
    if (!ValidateChannelName(glob).empty()) return std::string("\"") + name + "\" holds an invalid channel name";
    out->push_back(glob);
  }
  return "";
}

TokenCheck CheckClaims(const JwtOptions& options, const std::string& json, int64_t now) {
  nlohmann::ordered_json claims;
  if (ParseUntrustedJson(json, &claims) != JsonParseStatus::kOk || !claims.is_object()) {
    return Fail(TokenFault::kMalformed, "the claims are not a JSON object");
  }
  TokenCheck check;
  const int64_t leeway = options.leeway_seconds;
  if (auto it = claims.find("exp"); it != claims.end()) {
    int64_t exp = 0;
    if (!ReadNumericDate(*it, &exp)) return Fail(TokenFault::kClaims, "exp is not a number");
    if (exp > INT64_MAX - leeway) exp = INT64_MAX - leeway;
    if (now > exp + leeway) return Fail(TokenFault::kExpired, "the token has expired");
    check.grants.valid_until = exp + leeway;
  }
  if (auto it = claims.find("nbf"); it != claims.end()) {
    int64_t nbf = 0;
    if (!ReadNumericDate(*it, &nbf)) return Fail(TokenFault::kClaims, "nbf is not a number");
    if (nbf > now && nbf - now > leeway) return Fail(TokenFault::kNotYetValid, "the token is not valid yet (nbf)");
  }
  if (!options.audience.empty()) {
    auto it = claims.find("aud");
    bool found = false;
    if (it != claims.end() && it->is_string()) found = it->get_ref<const std::string&>() == options.audience;
    if (it != claims.end() && it->is_array()) {
      for (const auto& entry : *it) found = found || (entry.is_string() && entry.get_ref<const std::string&>() == options.audience);
    }
    if (!found) return Fail(TokenFault::kAudience, "the token is not for this audience");
  }
  if (!options.issuer.empty()) {
    auto it = claims.find("iss");
    if (it == claims.end() || !it->is_string() || it->get_ref<const std::string&>() != options.issuer) {
      return Fail(TokenFault::kIssuer, "the token is not from the expected issuer");
    }
  }
  if (auto it = claims.find("sub"); it != claims.end()) {
    if (!it->is_string()) return Fail(TokenFault::kClaims, "sub is not a string");
    check.grants.subject = it->get<std::string>();
  }
  if (auto it = claims.find(options.claims_key); it != claims.end()) {
    if (!it->is_object()) return Fail(TokenFault::kClaims, "claim \"" + options.claims_key + "\" is not an object");
    std::string error = ReadGlobs(*it, "subscribe", &check.grants.subscribe);
    if (error.empty()) error = ReadGlobs(*it, "publish", &check.grants.publish);
    if (!error.empty()) return Fail(TokenFault::kClaims, "claim \"" + options.claims_key + "\": " + error);
  }
  return check;
}

}  // namespace

bool DecodeBase64Url(std::string_view text, std::string* out) {
  out->clear();
  if (text.size() % 4 == 1) return false;
  out->reserve(text.size() * 3 / 4);
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    const int value = Base64UrlValue(c);
    if (value < 0) return false;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out->push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  return true;
}

const char* TokenFaultLabel(TokenFault fault) {
  switch (fault) {
    case TokenFault::kNone:
      return "none";
    case TokenFault::kExpired:
      return "expired";
    case TokenFault::kNotYetValid:
      return "not_yet_valid";
    case TokenFault::kAlgorithm:
      return "algorithm";
    case TokenFault::kSignature:
      return "signature";
    case TokenFault::kAudience:
    case TokenFault::kIssuer:
      return "audience_or_issuer";
    case TokenFault::kMalformed:
    case TokenFault::kClaims:
      return "malformed";
  }
  return "malformed";
}

std::unique_ptr<JwtVerifier> JwtVerifier::Create(JwtOptions options, std::string* error) {
  if (options.secret.empty() && options.public_key_pem.empty()) {
    *error = "no key: give --jwt-secret, --jwt-secret-file or --jwt-public-key";
    return nullptr;
  }
  std::unique_ptr<JwtVerifier> verifier(new JwtVerifier(std::move(options)));
  if (!verifier->options_.public_key_pem.empty()) {
    verifier->key_kind_ = ReadKeyKind(verifier->options_.public_key_pem, error);
    if (verifier->key_kind_ == KeyKind::kNone) return nullptr;
  }
  return verifier;
}

JwtVerifier::~JwtVerifier() = default;

TokenCheck JwtVerifier::Verify(std::string_view token, int64_t now_seconds) const {
  if (token.empty() || token.size() > kMaxTokenBytes) return Fail(TokenFault::kMalformed, "the token is empty or too long");
  const size_t first_dot = token.find('.');
  const size_t second_dot = first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != std::string_view::npos) {
    return Fail(TokenFault::kMalformed, "the token is not three dot-separated parts");
  }
  // The header is read before libjwt sees the token, to pick the key by the
  // algorithm: libjwt 1.10 would use whatever key it is given with whatever
  // algorithm the token names.
  std::string header_text;
  if (!DecodeBase64Url(token.substr(0, first_dot), &header_text)) {
    return Fail(TokenFault::kMalformed, "the token header is not base64url");
  }
  nlohmann::ordered_json header;
  if (ParseUntrustedJson(header_text, &header) != JsonParseStatus::kOk || !header.is_object()) {
    return Fail(TokenFault::kMalformed, "the token header is not a JSON object");
  }
  auto alg_field = header.find("alg");
  if (alg_field == header.end() || !alg_field->is_string()) return Fail(TokenFault::kAlgorithm, "the token names no algorithm");
  const std::string& alg_name = alg_field->get_ref<const std::string&>();
  // jwt_str_alg is case-insensitive; JWS algorithm names are not.
  const jwt_alg_t alg = jwt_str_alg(alg_name.c_str());
  if (alg == JWT_ALG_INVAL || alg == JWT_ALG_NONE || alg_name != jwt_alg_str(alg)) {
    return Fail(TokenFault::kAlgorithm, "algorithm not accepted");
  }
  const std::string* key = nullptr;
  if (IsHmac(alg)) {
    if (!options_.secret.empty()) key = &options_.secret;
  } else if (AlgorithmFitsKey(alg, key_kind_)) {
    key = &options_.public_key_pem;
  }
  if (key == nullptr) return Fail(TokenFault::kAlgorithm, "algorithm " + alg_name + " does not match the configured key");

  const std::string terminated(token);
  jwt_t* decoded = nullptr;
  int rc = jwt_decode(&decoded, terminated.c_str(), reinterpret_cast<const unsigned char*>(key->data()),
                      static_cast<int>(key->size()));
  if (rc != 0 || decoded == nullptr) {
    if (decoded != nullptr) jwt_free(decoded);
    return Fail(TokenFault::kSignature, "the signature does not verify");
  }
  // What libjwt verified with must be what we chose the key for.
  if (jwt_get_alg(decoded) != alg) {
    jwt_free(decoded);
    return Fail(TokenFault::kAlgorithm, "algorithm not accepted");
  }
  char* grants = jwt_get_grants_json(decoded, nullptr);
  jwt_free(decoded);
  if (grants == nullptr) return Fail(TokenFault::kMalformed, "the token has no claims");
  std::string grants_json(grants);
  free(grants);
  return CheckClaims(options_, grants_json, now_seconds);
}

}  // namespace ssebridge
