// Test helpers that mint tokens with libjwt itself and make key pairs with
// OpenSSL at test time, so no key or token is a fixture that could go stale.
#pragma once

#include <string>

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace ssebridge {
namespace testing_jwt {

struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

inline std::string BioText(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<size_t>(length));
  BIO_free(bio);
  return text;
}

inline KeyPair PemPair(EVP_PKEY* key) {
  KeyPair pair;
  BIO* private_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(private_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  pair.private_pem = BioText(private_bio);
  BIO* public_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(public_bio, key);
  pair.public_pem = BioText(public_bio);
  EVP_PKEY_free(key);
  return pair;
}

// A fresh 2048-bit RSA key pair (about 0.1 s: tests make one per suite).
inline KeyPair RsaKeyPair() { return PemPair(EVP_RSA_gen(2048)); }

// A fresh EC key pair on `curve` ("P-256", "P-384", "P-521").
inline KeyPair EcKeyPair(const char* curve) { return PemPair(EVP_EC_gen(curve)); }

// A token over `claims_json` signed with `alg` and `key` (a secret, or a
// private key PEM); JWT_ALG_NONE with an empty key makes an unsigned one.
inline std::string Mint(jwt_alg_t alg, const std::string& key, const std::string& claims_json) {
  jwt_t* jwt = nullptr;
  jwt_new(&jwt);
  jwt_add_grants_json(jwt, claims_json.c_str());
  jwt_set_alg(jwt, alg, key.empty() ? nullptr : reinterpret_cast<const unsigned char*>(key.data()),
              static_cast<int>(key.size()));
  char* encoded = jwt_encode_str(jwt);
  std::string token = encoded != nullptr ? encoded : "";
  free(encoded);
  jwt_free(jwt);
  return token;
}

}  // namespace testing_jwt
}  // namespace ssebridge
