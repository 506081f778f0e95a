#pragma once
// Helpers of the TLS tests: a CA and certificates made at test time with
// OpenSSL's API (in a temporary directory removed at exit), the contexts the
// tests use, and a peer program (openssl, curl) run with pipes on its stdin
// and its output.

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/socket.hpp"
#include "io/tls_context.hpp"
#include "io/tls_stream.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

extern char** environ;

namespace tls_test {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

struct Issued {
  KeyPtr key{nullptr, EVP_PKEY_free};
  CertPtr cert{nullptr, X509_free};
};

inline void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificates: ") + what + " failed");
}

inline void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  require(ext != nullptr, "making an extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A P-256 key and a certificate for `cn`, valid from now + not_before_s to
// now + not_after_s (seconds; negative: in the past), signed by `ca` (nullptr:
// self-signed). A CA when `san` is empty, else a leaf for those names
// ("DNS:localhost,IP:127.0.0.1").
inline Issued issue(const std::string& cn, const std::string& san, const Issued* ca,
                    long not_before_s = -3600, long not_after_s = 86400) {
  static long serial = 1;
  Issued out;
  out.key.reset(EVP_EC_gen("P-256"));
  require(out.key != nullptr, "making a key");
  out.cert.reset(X509_new());
  X509* c = out.cert.get();
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), serial++);
  X509_gmtime_adj(X509_getm_notBefore(c), not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(c), not_after_s);
  X509_set_pubkey(c, out.key.get());
  X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* issuer = ca != nullptr ? ca->cert.get() : c;
  X509_set_issuer_name(c, X509_get_subject_name(issuer));
  add_ext(c, issuer, NID_subject_key_identifier, "hash");
  if (san.empty()) {
    add_ext(c, issuer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(c, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(c, issuer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(c, issuer, NID_authority_key_identifier, "keyid");
    add_ext(c, issuer, NID_subject_alt_name, san);
    add_ext(c, issuer, NID_ext_key_usage, "serverAuth,clientAuth");
  }
  require(X509_sign(c, ca != nullptr ? ca->key.get() : out.key.get(), EVP_sha256()) > 0,
          "signing");
  return out;
}

// The files of the tests, made once per process.
struct Files {
  std::string dir;
  std::string ca;           // the CA the certificates below chain to
  std::string other_ca;     // a CA that signed none of them
  std::string server, server_key;      // localhost, 127.0.0.1
  std::string expired, expired_key;    // localhost, 127.0.0.1; expired yesterday
  std::string wrong_host, wrong_host_key;  // wrong.example only
  std::string alt, alt_key;            // alt.example (SNI)
  std::string client, client_key;      // CN=client (client certificates)

  Files() {
    char tmpl[] = "/tmp/weft-tls-XXXXXX";
    require(::mkdtemp(tmpl) != nullptr, "mkdtemp");
    dir = tmpl;
    const Issued ca_ = issue("weft test CA", "", nullptr);
    const Issued other = issue("another CA", "", nullptr);
    ca = write_cert("ca.pem", ca_);
    other_ca = write_cert("other-ca.pem", other);
    write_pair("server", issue("localhost", "DNS:localhost,IP:127.0.0.1", &ca_), server, server_key);
    write_pair("expired",
               issue("localhost", "DNS:localhost,IP:127.0.0.1", &ca_, -2 * 86400, -86400),
               expired, expired_key);
    write_pair("wrong-host", issue("wrong.example", "DNS:wrong.example", &ca_), wrong_host,
               wrong_host_key);
    write_pair("alt", issue("alt.example", "DNS:alt.example", &ca_), alt, alt_key);
    write_pair("client", issue("client", "DNS:client.example", &ca_), client, client_key);
  }
  ~Files() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

 private:
  std::string write_cert(const std::string& name, const Issued& i) {
    const std::string path = dir + "/" + name;
    std::FILE* f = std::fopen(path.c_str(), "w");
    require(f != nullptr && PEM_write_X509(f, i.cert.get()) == 1, "writing a certificate");
    std::fclose(f);
    return path;
  }
  void write_pair(const std::string& name, const Issued& i, std::string& cert, std::string& key) {
    cert = write_cert(name + ".pem", i);
    key = dir + "/" + name + "-key.pem";
    std::FILE* f = std::fopen(key.c_str(), "w");
    require(f != nullptr &&
                PEM_write_PrivateKey(f, i.key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
            "writing a key");
    std::fclose(f);
  }
};

inline const Files& files() {
  static const Files f;
  return f;
}

// A server context with the localhost certificate (or the pair given).
inline weft::TlsContext server_context(std::vector<std::string> alpn = {},
                                       std::string cert = {}, std::string key = {}) {
  weft::TlsOptions o;
  o.certificate_file = cert.empty() ? files().server : cert;
  o.private_key_file = key.empty() ? files().server_key : key;
  o.alpn = std::move(alpn);
  return weft::TlsContext::server(o);
}

// A client context trusting the test CA (or `ca`).
inline weft::TlsContext client_context(std::vector<std::string> alpn = {}, std::string ca = {}) {
  weft::TlsOptions o;
  o.ca_file = ca.empty() ? files().ca : ca;
  o.alpn = std::move(alpn);
  return weft::TlsContext::client(o);
}

// A program run as a child process: its stdin on a pipe (in()), its stdout
// and stderr on another (out()). The destructor kills and reaps it.
class Peer {
 public:
  explicit Peer(const std::vector<std::string>& argv) {
    int in[2];
    int out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe2 failed");
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, out[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = ::posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    if (rc != 0) {
      ::close(in[1]);
      ::close(out[0]);
      throw std::runtime_error("cannot start " + argv[0]);
    }
    in_ = weft::Socket(in[1]);
    out_ = weft::Socket(out[0]);
  }
  ~Peer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  weft::Socket& in() { return in_; }
  // Everything printed so far.
  const std::string& output() const { return text_; }
  // Reads output until it contains `needle`; false when the output ends or
  // `patience` seconds pass first.
  bool wait_for(const std::string& needle, double patience = 10.0) {
    const auto start = weft::now();
    while (text_.find(needle) == std::string::npos) {
      const double left = patience - weft_test::since(start);
      if (left <= 0 || !more(left)) return text_.find(needle) != std::string::npos;
    }
    return true;
  }
  // Reads output until it ends (the program exited or closed it); then its exit status.
  int finish(double patience = 10.0) {
    const auto start = weft::now();
    while (more(patience - weft_test::since(start))) {
    }
    for (;;) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (weft_test::since(start) > patience) return -1;
      weft::Tasklet::sleep(0.01);
    }
  }

 private:
  bool more(double patience) {
    if (patience <= 0) return false;
    char buf[4096];
    try {
      const std::size_t n = out_.read({buf, sizeof buf}, patience);
      text_.append(buf, n);
      return n > 0;
    } catch (const weft::TimeoutError&) {
      return false;
    }
  }

  pid_t pid_ = -1;
  weft::Socket in_;
  weft::Socket out_;
  std::string text_;
};

}  // namespace tls_test
