// Unit tests for JwtVerifier (include/ssebridge/jwt_verifier.h): tokens
// minted by libjwt in the test, keys made by OpenSSL at test time.

#include "ssebridge/jwt_verifier.h"

#include <gtest/gtest.h>

#include "jwt_mint.h"

namespace ssebridge {
namespace {

using testing_jwt::EcKeyPair;
using testing_jwt::KeyPair;
using testing_jwt::Mint;
using testing_jwt::RsaKeyPair;

constexpr int64_t kNow = 1700000000;
const std::string kSecret = "a-secret-of-at-least-thirty-two-bytes!!";
const std::string kClaims =
    R"({"sub":"alice","exp":1700000600,"ssebridge":{"subscribe":["orders.*","news"],"publish":["orders.*"]}})";

std::unique_ptr<JwtVerifier> Verifier(JwtOptions options) {
  std::string error;
  std::unique_ptr<JwtVerifier> verifier = JwtVerifier::Create(std::move(options), &error);
  EXPECT_NE(verifier, nullptr) << error;
  return verifier;
}

std::unique_ptr<JwtVerifier> SecretVerifier() {
  JwtOptions options;
  options.secret = kSecret;
  return Verifier(options);
}

const KeyPair& Rsa() {
  static const KeyPair pair = RsaKeyPair();
  return pair;
}

const KeyPair& EcP256() {
  static const KeyPair pair = EcKeyPair("P-256");
  return pair;
}

std::unique_ptr<JwtVerifier> PublicKeyVerifier(const std::string& pem) {
  JwtOptions options;
  options.public_key_pem = pem;
  return Verifier(options);
}

TEST(JwtVerifierTest, AcceptsEveryHmacAlgorithmAndReadsTheGrants) {
  auto verifier = SecretVerifier();
  for (jwt_alg_t alg : {JWT_ALG_HS256, JWT_ALG_HS384, JWT_ALG_HS512}) {
    TokenCheck check = verifier->Verify(Mint(alg, kSecret, kClaims), kNow);
    ASSERT_TRUE(check.ok()) << jwt_alg_str(alg) << ": " << check.description;
    EXPECT_EQ(check.grants.subject, "alice");
    EXPECT_EQ(check.grants.subscribe, (std::vector<std::string>{"orders.*", "news"}));
    EXPECT_EQ(check.grants.publish, std::vector<std::string>{"orders.*"});
    EXPECT_EQ(check.grants.valid_until, 1700000600);
  }
}

TEST(JwtVerifierTest, AcceptsRs256AndEs256WithTheMatchingPublicKey) {
  TokenCheck rsa = PublicKeyVerifier(Rsa().public_pem)->Verify(Mint(JWT_ALG_RS256, Rsa().private_pem, kClaims), kNow);
  EXPECT_TRUE(rsa.ok()) << rsa.description;
  TokenCheck ec =
      PublicKeyVerifier(EcP256().public_pem)->Verify(Mint(JWT_ALG_ES256, EcP256().private_pem, kClaims), kNow);
  EXPECT_TRUE(ec.ok()) << ec.description;
  EXPECT_EQ(ec.grants.subject, "alice");
}

TEST(JwtVerifierTest, RefusesAWrongSecretOrATamperedToken) {
  auto verifier = SecretVerifier();
  EXPECT_EQ(verifier->Verify(Mint(JWT_ALG_HS256, "another-secret-another-secret-another", kClaims), kNow).fault,
            TokenFault::kSignature);
  std::string token = Mint(JWT_ALG_HS256, kSecret, kClaims);
  // A different payload under the original signature (claims granting "*").
  const std::string other = Mint(JWT_ALG_HS256, kSecret, R"({"sub":"alice","ssebridge":{"subscribe":["*"]}})");
  const std::string forged = other.substr(0, other.rfind('.')) + token.substr(token.rfind('.'));
  EXPECT_EQ(verifier->Verify(forged, kNow).fault, TokenFault::kSignature);
  // One changed signature character.
  token.back() = token.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(verifier->Verify(token, kNow).fault, TokenFault::kSignature);
}

TEST(JwtVerifierTest, RefusesAlgNone) {
  const std::string unsigned_token = Mint(JWT_ALG_NONE, "", kClaims);
  ASSERT_FALSE(unsigned_token.empty());
  EXPECT_EQ(SecretVerifier()->Verify(unsigned_token, kNow).fault, TokenFault::kAlgorithm);
  EXPECT_EQ(PublicKeyVerifier(Rsa().public_pem)->Verify(unsigned_token, kNow).fault, TokenFault::kAlgorithm);
  // "none" with a signature part appended is still "none".
  EXPECT_EQ(SecretVerifier()->Verify(unsigned_token + "c2ln", kNow).fault, TokenFault::kAlgorithm);
}

TEST(JwtVerifierTest, RefusesAnHmacTokenSignedWithThePublicKeyText) {
  // The classic confusion: the attacker knows the public key and uses its
  // PEM text as an HMAC secret. libjwt would verify it if handed that key.
  const std::string forged = Mint(JWT_ALG_HS256, Rsa().public_pem, kClaims);
  EXPECT_EQ(PublicKeyVerifier(Rsa().public_pem)->Verify(forged, kNow).fault, TokenFault::kAlgorithm);
  // With a secret configured too, HS tokens take the secret, never the key.
  JwtOptions both;
  both.secret = kSecret;
  both.public_key_pem = Rsa().public_pem;
  EXPECT_EQ(Verifier(both)->Verify(forged, kNow).fault, TokenFault::kSignature);
  EXPECT_TRUE(Verifier(both)->Verify(Mint(JWT_ALG_HS256, kSecret, kClaims), kNow).ok());
  EXPECT_TRUE(Verifier(both)->Verify(Mint(JWT_ALG_RS256, Rsa().private_pem, kClaims), kNow).ok());
}

TEST(JwtVerifierTest, TheAlgorithmMustMatchTheKeyKind) {
  // An RS token against an EC key, ES against RSA, ES256 against a P-384 key,
  // RS with only a secret configured.
  EXPECT_EQ(PublicKeyVerifier(EcP256().public_pem)->Verify(Mint(JWT_ALG_RS256, Rsa().private_pem, kClaims), kNow).fault,
            TokenFault::kAlgorithm);
  EXPECT_EQ(PublicKeyVerifier(Rsa().public_pem)->Verify(Mint(JWT_ALG_ES256, EcP256().private_pem, kClaims), kNow).fault,
            TokenFault::kAlgorithm);
  const KeyPair p384 = EcKeyPair("P-384");
  EXPECT_EQ(PublicKeyVerifier(p384.public_pem)->Verify(Mint(JWT_ALG_ES256, EcP256().private_pem, kClaims), kNow).fault,
            TokenFault::kAlgorithm);
  EXPECT_TRUE(PublicKeyVerifier(p384.public_pem)->Verify(Mint(JWT_ALG_ES384, p384.private_pem, kClaims), kNow).ok());
  EXPECT_EQ(SecretVerifier()->Verify(Mint(JWT_ALG_RS256, Rsa().private_pem, kClaims), kNow).fault,
            TokenFault::kAlgorithm);
  // A token signed by another RSA key.
  const KeyPair other = RsaKeyPair();
  EXPECT_EQ(PublicKeyVerifier(Rsa().public_pem)->Verify(Mint(JWT_ALG_RS256, other.private_pem, kClaims), kNow).fault,
            TokenFault::kSignature);
}

TEST(JwtVerifierTest, AlgorithmNamesAreCaseSensitive) {
  // {"alg":"hs256","typ":"JWT"}: libjwt's own lookup ignores case; JWS does not.
  std::string token = Mint(JWT_ALG_HS256, kSecret, kClaims);
  std::string header;
  ASSERT_TRUE(DecodeBase64Url(token.substr(0, token.find('.')), &header));
  EXPECT_NE(header.find("HS256"), std::string::npos);
  const std::string lower = "eyJhbGciOiJoczI1NiIsInR5cCI6IkpXVCJ9";  // {"alg":"hs256","typ":"JWT"}
  EXPECT_EQ(SecretVerifier()->Verify(lower + token.substr(token.find('.')), kNow).fault, TokenFault::kAlgorithm);
}

TEST(JwtVerifierTest, ExpAndNbfHonourTheLeeway) {
  const std::string token =
      Mint(JWT_ALG_HS256, kSecret, R"({"sub":"a","nbf":1700000000,"exp":1700000100})");
  auto strict = SecretVerifier();
  EXPECT_TRUE(strict->Verify(token, 1700000000).ok());
  EXPECT_TRUE(strict->Verify(token, 1700000100).ok());
  EXPECT_EQ(strict->Verify(token, 1700000101).fault, TokenFault::kExpired);
  EXPECT_EQ(strict->Verify(token, 1699999999).fault, TokenFault::kNotYetValid);
  JwtOptions lenient;
  lenient.secret = kSecret;
  lenient.leeway_seconds = 30;
  auto verifier = Verifier(lenient);
  EXPECT_TRUE(verifier->Verify(token, 1700000130).ok());
  EXPECT_EQ(verifier->Verify(token, 1700000130).grants.valid_until, 1700000130);
  EXPECT_EQ(verifier->Verify(token, 1700000131).fault, TokenFault::kExpired);
  EXPECT_TRUE(verifier->Verify(token, 1699999970).ok());
  EXPECT_EQ(verifier->Verify(token, 1699999969).fault, TokenFault::kNotYetValid);
  // No exp: valid without end.
  EXPECT_EQ(strict->Verify(Mint(JWT_ALG_HS256, kSecret, R"({"sub":"a"})"), kNow).grants.valid_until, 0);
  // exp of the wrong type is refused, not ignored.
  EXPECT_EQ(strict->Verify(Mint(JWT_ALG_HS256, kSecret, R"({"exp":"tomorrow"})"), kNow).fault, TokenFault::kClaims);
}

TEST(JwtVerifierTest, AudienceAndIssuer) {
  JwtOptions options;
  options.secret = kSecret;
  options.audience = "ssebridge.example";
  options.issuer = "https://auth.example";
  auto verifier = Verifier(options);
  auto check = [&](const std::string& claims) { return verifier->Verify(Mint(JWT_ALG_HS256, kSecret, claims), kNow).fault; };
  EXPECT_EQ(check(R"({"aud":"ssebridge.example","iss":"https://auth.example"})"), TokenFault::kNone);
  EXPECT_EQ(check(R"({"aud":["other","ssebridge.example"],"iss":"https://auth.example"})"), TokenFault::kNone);
  EXPECT_EQ(check(R"({"aud":"other","iss":"https://auth.example"})"), TokenFault::kAudience);
  EXPECT_EQ(check(R"({"iss":"https://auth.example"})"), TokenFault::kAudience);
  EXPECT_EQ(check(R"({"aud":"ssebridge.example","iss":"https://evil.example"})"), TokenFault::kIssuer);
  EXPECT_EQ(check(R"({"aud":"ssebridge.example"})"), TokenFault::kIssuer);
}

TEST(JwtVerifierTest, ClaimsUnderAConfigurableKeyAndOfTheRightShape) {
  JwtOptions options;
  options.secret = kSecret;
  options.claims_key = "https://example.com/sse";
  auto verifier = Verifier(options);
  TokenCheck check =
      verifier->Verify(Mint(JWT_ALG_HS256, kSecret, R"({"https://example.com/sse":{"subscribe":["a"]},"ssebridge":{"publish":["*"]}})"), kNow);
  ASSERT_TRUE(check.ok()) << check.description;
  EXPECT_EQ(check.grants.subscribe, std::vector<std::string>{"a"});
  EXPECT_TRUE(check.grants.publish.empty());  // The default key means nothing here.
  auto bad = [&](const std::string& claims) { return SecretVerifier()->Verify(Mint(JWT_ALG_HS256, kSecret, claims), kNow).fault; };
  EXPECT_EQ(bad(R"({"ssebridge":["a"]})"), TokenFault::kClaims);
  EXPECT_EQ(bad(R"({"ssebridge":{"subscribe":"a"}})"), TokenFault::kClaims);
  EXPECT_EQ(bad(R"({"ssebridge":{"publish":[1]}})"), TokenFault::kClaims);
  EXPECT_EQ(bad(R"({"ssebridge":{"subscribe":[""]}})"), TokenFault::kClaims);
  EXPECT_EQ(bad(R"({"sub":42})"), TokenFault::kClaims);
}

TEST(JwtVerifierTest, MalformedTokensNeverReachTheLibrary) {
  auto verifier = SecretVerifier();
  for (const std::string& token : {std::string(""), std::string("abc"), std::string("a.b"), std::string("a.b.c.d"),
                                  std::string("!!!.e30.x"), std::string("e30.e30.x"), std::string(9000, 'a')}) {
    TokenCheck check = verifier->Verify(token, kNow);
    EXPECT_FALSE(check.ok()) << token;
    EXPECT_NE(check.fault, TokenFault::kSignature) << token;
  }
}

TEST(JwtVerifierTest, CreateChecksTheKeys) {
  std::string error;
  EXPECT_EQ(JwtVerifier::Create(JwtOptions{}, &error), nullptr);
  EXPECT_NE(error.find("no key"), std::string::npos);
  JwtOptions garbage;
  garbage.public_key_pem = "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n";
  EXPECT_EQ(JwtVerifier::Create(garbage, &error), nullptr);
  JwtOptions private_key;
  private_key.public_key_pem = Rsa().private_pem;  // A private key is not what the option takes.
  EXPECT_EQ(JwtVerifier::Create(private_key, &error), nullptr);
  EXPECT_EQ(PublicKeyVerifier(Rsa().public_pem)->key_kind(), JwtVerifier::KeyKind::kRsa);
  EXPECT_EQ(PublicKeyVerifier(EcP256().public_pem)->key_kind(), JwtVerifier::KeyKind::kEcP256);
}

TEST(Base64UrlTest, DecodesUnpaddedAndRefusesOtherAlphabets) {
  std::string out;
  EXPECT_TRUE(DecodeBase64Url("eyJhIjoxfQ", &out));
  EXPECT_EQ(out, "{\"a\":1}");
  EXPECT_TRUE(DecodeBase64Url("-_8", &out));
  EXPECT_EQ(out, "\xfb\xff");
  EXPECT_FALSE(DecodeBase64Url("+/8", &out));
  EXPECT_FALSE(DecodeBase64Url("eyJ=", &out));
  EXPECT_FALSE(DecodeBase64Url("a", &out));
}

}  // namespace
}  // namespace ssebridge
