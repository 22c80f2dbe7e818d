#pragma once
// Real X.509 material for TLS tests, made by the openssl command-line tool (/usr/bin/openssl):
// two unrelated EC P-256 certificate authorities and leaf certificates they signed, valid 30 days.
#include <string>

namespace agentgate::testing {

// A test certificate authority and certificates it signed, made by the openssl CLI in a temp dir
// (mkdtemp under /tmp) removed on destruction. ok() is false (and error() says why) when openssl
// failed; the paths are then empty. Construction takes ~100 ms; build one per test or suite.
// Immutable once built, so any thread may read it.
class TestPki {
 public:
  TestPki();
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& directory() const { return directory_; }

  // Every accessor below is the absolute path of a PEM file in directory(); keys are unencrypted
  // PKCS#8. Leaves carry basicConstraints CA:FALSE, extendedKeyUsage serverAuth and the SANs named.
  const std::string& ca_cert() const { return ca_cert_; }          // the test CA (what --extra-ca-file gets)
  const std::string& server_cert() const { return server_cert_; }  // DNS:localhost, IP:127.0.0.1, IP:::1; by the CA
  const std::string& server_key() const { return server_key_; }
  const std::string& wrong_host_cert() const { return wrong_host_cert_; }  // DNS:wrong.example only; by the CA
  const std::string& wrong_host_key() const { return wrong_host_key_; }
  const std::string& other_ca_cert() const { return other_ca_cert_; }  // unrelated CA, never trusted by the server
  const std::string& untrusted_cert() const { return untrusted_cert_; }  // localhost/127.0.0.1/::1; by the other CA
  const std::string& untrusted_key() const { return untrusted_key_; }

 private:
  std::string directory_;
  std::string error_;
  std::string ca_cert_, server_cert_, server_key_, wrong_host_cert_, wrong_host_key_;
  std::string other_ca_cert_, untrusted_cert_, untrusted_key_;
};

}  // namespace agentgate::testing
