#include "tests/support/test_pki.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "tests/support/command_runner.h"

namespace agentgate::testing {

namespace fs = std::filesystem;

namespace {

constexpr const char* kOpenssl = "/usr/bin/openssl";
constexpr const char* kValidDays = "30";

// Our own config, so neither the system openssl.cnf nor OPENSSL_CONF changes what is made. Each
// leaf section is a set of X.509 v3 extensions, named by make_leaf's `extensions`.
constexpr const char* kConfig = R"([req]
distinguished_name = dn
prompt = no

[dn]
CN = unused

[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[localhost_leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[wrong_host_leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
)";

// Makes the files in one directory with the openssl CLI; the first failure is kept in `error`.
class PkiBuilder {
 public:
  explicit PkiBuilder(std::string directory) : directory_(std::move(directory)) {}

  std::string path(const std::string& file) const { return directory_ + "/" + file; }
  const std::string& error() const { return error_; }

  bool write_config() {
    std::ofstream out(path("pki.cnf"), std::ios::binary);
    out << kConfig;
    out.close();
    if (!out) error_ = "cannot write " + path("pki.cnf");
    return error_.empty();
  }

  // `name`.pem (self-signed) and `name`.key.
  bool make_ca(const std::string& name, const std::string& common_name) {
    return openssl("self-signed CA " + name,
                   {"req", "-x509", "-config", path("pki.cnf"), "-extensions", "ca", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", path(name + ".key"), "-out", path(name + ".pem"),
                    "-days", kValidDays, "-sha256", "-subj", "/CN=" + common_name});
  }

  // `name`.pem signed by the CA `ca_name`, with the config section `extensions`, and `name`.key.
  bool make_leaf(const std::string& name, const std::string& common_name, const std::string& extensions,
                 const std::string& ca_name) {
    return openssl("request for " + name,
                   {"req", "-new", "-config", path("pki.cnf"), "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", path(name + ".key"), "-out", path(name + ".csr"), "-subj",
                    "/CN=" + common_name}) &&
           openssl("signing " + name + " by " + ca_name,
                   {"x509", "-req", "-in", path(name + ".csr"), "-CA", path(ca_name + ".pem"), "-CAkey",
                    path(ca_name + ".key"), "-CAcreateserial", "-out", path(name + ".pem"), "-days", kValidDays,
                    "-sha256", "-extfile", path("pki.cnf"), "-extensions", extensions});
  }

 private:
  bool openssl(const std::string& step, std::vector<std::string> args) {
    args.insert(args.begin(), kOpenssl);
    auto result = run_command(args);
    if (result.exit_code != 0) {
      error_ = "openssl failed (" + step + ", exit " + std::to_string(result.exit_code) + "): " + result.err;
    }
    return result.exit_code == 0;
  }

  std::string directory_;
  std::string error_;
};

}  // namespace

TestPki::TestPki() {
  std::string pattern = "/tmp/agentgate-pki-XXXXXX";
  if (!mkdtemp(pattern.data())) {
    error_ = "mkdtemp failed for " + pattern;
    return;
  }
  directory_ = pattern;
  PkiBuilder builder(directory_);
  bool made = builder.write_config() && builder.make_ca("ca", "agentgate test CA") &&
              builder.make_leaf("server", "localhost", "localhost_leaf", "ca") &&
              builder.make_leaf("wrong_host", "wrong.example", "wrong_host_leaf", "ca") &&
              builder.make_ca("other_ca", "agentgate other test CA") &&
              builder.make_leaf("untrusted", "localhost", "localhost_leaf", "other_ca");
  if (!made) {
    error_ = builder.error();
    return;
  }
  ca_cert_ = builder.path("ca.pem");
  server_cert_ = builder.path("server.pem");
  server_key_ = builder.path("server.key");
  wrong_host_cert_ = builder.path("wrong_host.pem");
  wrong_host_key_ = builder.path("wrong_host.key");
  other_ca_cert_ = builder.path("other_ca.pem");
  untrusted_cert_ = builder.path("untrusted.pem");
  untrusted_key_ = builder.path("untrusted.key");
}

TestPki::~TestPki() {
  if (directory_.empty()) return;
  std::error_code ec;
  fs::remove_all(directory_, ec);
}

}  // namespace agentgate::testing
