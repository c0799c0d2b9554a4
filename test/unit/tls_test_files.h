// Certificates for the TLS unit tests, made with OpenSSL's API in a private
// temporary directory: a self-signed P-256 certificate per common name, so a
// test can tell which certificate a handshake was served with.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace ssebridge {
namespace testing_tls {

class TempFiles {
 public:
  TempFiles() {
    char pattern[] = "/tmp/ssebridge-tls-XXXXXX";
    if (mkdtemp(pattern) != nullptr) dir_ = pattern;
  }
  ~TempFiles() {
    if (!dir_.empty()) {
      std::string command = "rm -rf '" + dir_ + "'";
      if (system(command.c_str()) != 0) {
      }
    }
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

inline bool WriteText(const std::string& path, const std::string& text) {
  FILE* file = fopen(path.c_str(), "w");
  if (file == nullptr) return false;
  const bool ok = fwrite(text.data(), 1, text.size(), file) == text.size();
  return fclose(file) == 0 && ok;
}

// Writes a key and a self-signed certificate for `common_name` (also its
// subjectAltName) as PEM files. False when anything failed.
inline bool WriteSelfSigned(const std::string& common_name, const std::string& cert_path,
                            const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* certificate = X509_new();
  bool ok = key != nullptr && certificate != nullptr;
  if (ok) {
    X509_set_version(certificate, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1);
    X509_gmtime_adj(X509_getm_notBefore(certificate), -60);
    X509_gmtime_adj(X509_getm_notAfter(certificate), 24 * 3600);
    X509_set_pubkey(certificate, key);
    X509_NAME* name = X509_get_subject_name(certificate);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                               -1, -1, 0);
    X509_set_issuer_name(certificate, name);
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
    const std::string san = "DNS:" + common_name;
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, san.c_str());
    ok = extension != nullptr && X509_add_ext(certificate, extension, -1) == 1;
    X509_EXTENSION_free(extension);
    ok = ok && X509_sign(certificate, key, EVP_sha256()) > 0;
  }
  if (ok) {
    FILE* file = fopen(cert_path.c_str(), "w");
    ok = file != nullptr && PEM_write_X509(file, certificate) == 1;
    if (file != nullptr) ok = fclose(file) == 0 && ok;
    file = fopen(key_path.c_str(), "w");
    ok = ok && file != nullptr && PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    if (file != nullptr) ok = fclose(file) == 0 && ok;
  }
  X509_free(certificate);
  EVP_PKEY_free(key);
  return ok;
}

}  // namespace testing_tls
}  // namespace ssebridge
