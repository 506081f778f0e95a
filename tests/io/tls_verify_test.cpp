// What a TLS handshake refuses, each with a clear error on both sides and
// nothing left behind: a certificate from an unknown CA, an expired one, one
// for another host, a peer that speaks plain text; and files that cannot be
// used.

#include <string>

#include "io/stream.hpp"
#include "io/tls_stream.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/io/support.hpp"
#include "tests/io/tls_support.hpp"
#include "tests/support/weft_test.hpp"

using io_test::loopback_listener;
using io_test::open_fds;
using tls_test::client_context;
using tls_test::files;
using tls_test::server_context;
using weft::Socket;
using weft::Tasklet;
using weft::TlsStream;
using weft_test::contains;
using weft_test::run;

namespace {

struct Outcome {
  std::string client;  // the client's error ("" when its handshake succeeded)
  std::string server;  // the server's
};

// One handshake between a server with `sctx` and a client with `cctx`
// connecting to `host`; each side's error message.
Outcome handshake(const weft::TlsContext& sctx, const weft::TlsContext& cctx,
                  const std::string& host) {
  Outcome out;
  Socket listener = loopback_listener();
  auto server = Tasklet::spawn([&] {
    Socket conn = listener.accept(5.0);
    try {
      TlsStream tls = TlsStream::accept(conn, sctx, 5.0);
      tls.close(5.0);
    } catch (const weft::IoError& e) {
      out.server = e.what();
    }
  });
  Socket s = Socket::connect(listener.local_endpoint(), 5.0);
  try {
    TlsStream tls = TlsStream::connect(s, cctx, host, 5.0);
    char c;
    tls.read({&c, 1}, 5.0);  // TLS 1.3: the server's refusal of our certificate shows here
  } catch (const weft::IoError& e) {
    out.client = e.what();
  }
  s.close();
  server.join(5.0);
  return out;
}

}  // namespace

TEST_SUITE("tls") {

TEST_CASE("a refused certificate fails the client's handshake saying why, and leaks nothing") {
  run([] {
    files();  // made before the fds are counted
    const int fds_before = open_fds();
    struct Case {
      const char* what;
      weft::TlsContext sctx;
      weft::TlsContext cctx;
      std::string host;
      std::string why;
    };
    const Case cases[] = {
        {"an unknown CA", server_context(), client_context({}, files().other_ca), "localhost",
         "certificate verify failed (unable to get local issuer certificate)"},
        {"the system's store", server_context(), weft::TlsContext::client(), "localhost",
         "certificate verify failed (unable to get local issuer certificate)"},
        {"an expired certificate", server_context({}, files().expired, files().expired_key),
         client_context(), "localhost", "certificate verify failed (certificate has expired)"},
        {"another host's certificate", server_context({}, files().wrong_host,
                                                      files().wrong_host_key),
         client_context(), "localhost", "certificate verify failed (hostname mismatch)"},
        {"another address's certificate", server_context(), client_context(), "127.0.0.2",
         "certificate verify failed (IP address mismatch)"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.what);
      const Outcome o = handshake(c.sctx, c.cctx, c.host);
      CHECK(contains(o.client, "weft: TLS handshake with 127.0.0.1:"));
      CHECK(contains(o.client, " failed: " + c.why));
      CHECK(contains(o.server, "weft: TLS handshake with 127.0.0.1:"));
      CHECK(contains(o.server, "an alert from the peer"));
    }
    CHECK(open_fds() == fds_before);
  });
}

TEST_CASE("verification can be turned off (tests only): the same certificates then pass") {
  run([] {
    weft::TlsOptions o;
    o.verify_peer = false;
    const weft::TlsContext lax = weft::TlsContext::client(o);
    for (const auto& [cert, key] : {std::pair{files().expired, files().expired_key},
                                    std::pair{files().wrong_host, files().wrong_host_key}}) {
      const Outcome out = handshake(server_context({}, cert, key), lax, "localhost");
      CHECK(out.client == "");
    }
  });
}

TEST_CASE("a plain-text peer fails the handshake: the peer does not speak TLS") {
  run([] {
    const int fds_before = open_fds();
    SUBCASE("a plain-text client of a TLS server") {
      io_test::Pair p = io_test::tcp_pair();
      p.client.write_all("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", 1.0);
      try {
        TlsStream::accept(p.server, server_context(), 5.0);
        FAIL("the handshake succeeded");
      } catch (const weft::TlsError& e) {
        CHECK(contains(e.what(), "weft: TLS handshake with 127.0.0.1:"));
        CHECK(contains(e.what(), "failed: http request (the peer does not speak TLS)"));
      }
    }
    SUBCASE("a TLS client of a plain-text server") {
      io_test::Pair p = io_test::tcp_pair();
      auto server = Tasklet::spawn([&] {
        char buf[512];
        p.server.read({buf, sizeof buf}, 5.0);
        p.server.write_all("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 1.0);
      });
      try {
        TlsStream::connect(p.client, client_context(), "localhost", 5.0);
        FAIL("the handshake succeeded");
      } catch (const weft::TlsError& e) {
        CHECK(contains(e.what(), "weft: TLS handshake with 127.0.0.1:"));
        CHECK(contains(e.what(), "(the peer does not speak TLS)"));
      }
      server.join(5.0);
    }
    SUBCASE("a client that closes during the handshake") {
      io_test::Pair p = io_test::tcp_pair();
      p.client.write_all(std::string("\x16\x03\x01\x00\x80", 5), 1.0);  // half a ClientHello
      p.client.close();
      try {
        TlsStream::accept(p.server, server_context(), 5.0);
        FAIL("the handshake succeeded");
      } catch (const weft::TlsError& e) {
        CHECK(contains(e.what(), "weft: TLS handshake with 127.0.0.1:"));
        CHECK(contains(e.what(), "the peer closed the connection"));
      }
    }
    CHECK(open_fds() == fds_before);
  });
}

TEST_CASE("client certificates: a server that requires one refuses a client without it") {
  run([] {
    weft::TlsOptions so;
    so.certificate_file = files().server;
    so.private_key_file = files().server_key;
    so.ca_file = files().ca;
    so.require_client_certificate = true;
    const weft::TlsContext sctx = weft::TlsContext::server(so);
    const Outcome without = handshake(sctx, client_context(), "localhost");
    CHECK(contains(without.server, "peer did not return a certificate"));
    CHECK(contains(without.client, "an alert from the peer"));

    weft::TlsOptions co;
    co.ca_file = files().ca;
    co.certificate_file = files().client;
    co.private_key_file = files().client_key;
    const weft::TlsContext cctx = weft::TlsContext::client(co);
    Socket listener = loopback_listener();
    std::string subject;
    auto server = Tasklet::spawn([&] {
      Socket conn = listener.accept(5.0);
      TlsStream tls = TlsStream::accept(conn, sctx, 5.0);
      subject = tls.peer_subject();
      tls.close(5.0);
    });
    Socket s = Socket::connect(listener.local_endpoint(), 5.0);
    TlsStream tls = TlsStream::connect(s, cctx, "localhost", 5.0);
    char c;
    CHECK(tls.read({&c, 1}, 5.0) == 0);
    server.join(5.0);
    CHECK(subject == "CN=client");
  });
}

TEST_CASE("contexts: files that cannot be used are named in the error") {
  run([] {
    weft::TlsOptions o;
    o.certificate_file = files().dir + "/missing.pem";
    o.private_key_file = files().server_key;
    try {
      weft::TlsContext::server(o);
      FAIL("no error");
    } catch (const weft::TlsError& e) {
      CHECK(contains(e.what(), "weft: loading the TLS certificate " + o.certificate_file +
                                   " failed: No such file or directory"));
    }
    o.certificate_file = files().server;
    o.private_key_file = files().alt_key;
    try {
      weft::TlsContext::server(o);
      FAIL("no error");
    } catch (const weft::TlsError& e) {
      CHECK(contains(e.what(), "weft: loading the TLS private key " + o.private_key_file));
      CHECK(contains(e.what(), "key values mismatch"));
    }
    weft::TlsOptions c;
    c.ca_file = files().dir + "/no-ca.pem";
    try {
      weft::TlsContext::client(c);
      FAIL("no error");
    } catch (const weft::TlsError& e) {
      CHECK(contains(e.what(), "weft: loading the TLS CA file " + c.ca_file + " failed: "));
    }
    c.ca_file.clear();
    c.alpn = {""};
    CHECK_THROWS_AS(weft::TlsContext::client(c), weft::TlsError);
    CHECK_THROWS_AS(weft::TlsContext::server({}), std::invalid_argument);
    Socket unconnected;
    CHECK_THROWS_AS(TlsStream::connect(unconnected, client_context(), "", 1.0),
                    std::invalid_argument);
    CHECK_THROWS_AS(TlsStream::accept(unconnected, client_context(), 1.0), std::invalid_argument);
  });
}

}  // TEST_SUITE
