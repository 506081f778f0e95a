// The TLS benchmarks' certificate (tls, https): made at run time, like the
// tests' (tests/io/tls_support.hpp), with the openssl program.
#pragma once

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace bench {

// A self-signed ECDSA P-256 certificate for "localhost" and its key, PEM
// files in a temporary directory that the destructor removes (in the process
// that made it: server children leave with _exit).
class TempCertificate {
 public:
  // Exits with a message naming `who` when openssl fails.
  explicit TempCertificate(const char* who) {
    char tmpl[] = "/tmp/weft-bench-tls-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      std::fprintf(stderr, "bench %s: mkdtemp failed\n", who);
      std::exit(1);
    }
    dir_ = tmpl;
    cert_ = dir_ + "/cert.pem";
    key_ = dir_ + "/key.pem";
    const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                            "-subj /CN=localhost -days 1 -keyout " + key_ + " -out " + cert_ +
                            " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      std::fprintf(stderr, "bench %s: '%s' failed (is openssl installed?)\n", who, cmd.c_str());
      remove();
      std::exit(1);
    }
  }
  ~TempCertificate() { remove(); }
  TempCertificate(const TempCertificate&) = delete;
  TempCertificate& operator=(const TempCertificate&) = delete;

  const std::string& cert() const { return cert_; }
  const std::string& key() const { return key_; }

 private:
  void remove() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string dir_, cert_, key_;
};

}  // namespace bench
