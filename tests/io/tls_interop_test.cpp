// TLS with peers no one here wrote: openssl s_client against weft's server,
// weft's client against openssl s_server, curl against a weft HTTPS server.

#include <string>

#include "io/server.hpp"
#include "io/stream.hpp"
#include "io/tls_stream.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/io/support.hpp"
#include "tests/io/tls_support.hpp"
#include "tests/support/weft_test.hpp"

using tls_test::client_context;
using tls_test::files;
using tls_test::Peer;
using tls_test::server_context;
using weft::BufferedStream;
using weft::Socket;
using weft::Tasklet;
using weft::TlsStream;
using weft_test::contains;
using weft_test::run;

TEST_SUITE("tls") {

TEST_CASE("openssl s_client against weft's TLS echo server") {
  run([] {
    const weft::TlsContext sctx = server_context({"http/1.1"});
    std::string seen_name;
    bool clean_end = false;
    weft::Server server = weft::serve(weft::Endpoint::ip("127.0.0.1", 0), [&](Socket& conn) {
      TlsStream tls = TlsStream::accept(conn, sctx, 5.0);
      seen_name = tls.server_name();
      BufferedStream stream(tls);
      stream.write("echo: " + stream.read_line(5.0) + "\n");
      stream.flush();
      char c;
      clean_end = tls.read({&c, 1}, 5.0) == 0 && tls.peer_closed();
      tls.close(5.0);
    });
    Peer client({"openssl", "s_client", "-connect", server.endpoint().to_string(), "-servername",
                 "localhost", "-verify_hostname", "localhost", "-CAfile", files().ca,
                 "-verify_return_error", "-alpn", "http/1.1"});
    client.in().write_all("ping\n", 5.0);
    CHECK(client.wait_for("echo: ping"));
    client.in().close();  // s_client sends close_notify and quits at the end of its input
    CHECK(client.finish() == 0);
    const std::string& out = client.output();
    CHECK(contains(out, "Verify return code: 0 (ok)"));
    CHECK(contains(out, "ALPN protocol: http/1.1"));
    CHECK(seen_name == "localhost");
    CHECK(clean_end);
    server.stop(1.0);
  });
}

TEST_CASE("weft's TLS client against openssl s_server") {
  run([] {
    Peer server({"openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", files().server, "-key",
                 files().server_key, "-alpn", "http/1.1", "-rev", "-naccept", "1"});
    REQUIRE(server.wait_for("ACCEPT 127.0.0.1:"));
    REQUIRE(server.wait_for("\n"));
    const std::string& out = server.output();
    const std::size_t at = out.find("ACCEPT 127.0.0.1:") + 17;
    const int port = std::stoi(out.substr(at));
    Socket s = Socket::connect(weft::Endpoint::ip("127.0.0.1", static_cast<std::uint16_t>(port)),
                               5.0);
    TlsStream tls = TlsStream::connect(s, client_context({"http/1.1"}), "localhost", 5.0);
    CHECK(tls.alpn_protocol() == "http/1.1");
    CHECK(tls.peer_subject() == "CN=localhost");
    BufferedStream stream(tls);
    stream.write("hello\n");
    stream.flush();
    CHECK(stream.read_line(5.0) == "olleh");  // -rev: each line comes back reversed
    tls.close(5.0);
    CHECK(server.wait_for("CONNECTION CLOSED"));
    CHECK(server.finish() == 0);
  });
}

namespace {

// A minimal HTTPS responder: one request, one response, then close_notify.
void hello_over_tls(Socket& conn, const weft::TlsContext& ctx, std::string& alpn) {
  TlsStream tls = TlsStream::accept(conn, ctx, 5.0);
  alpn = tls.alpn_protocol();
  BufferedStream stream(tls);
  const std::string request_line = stream.read_line(5.0);
  while (!stream.read_line(5.0).empty()) {
  }
  const std::string body = "hello over TLS: " + request_line + "\n";
  stream.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
               "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  stream.flush();
  tls.close(5.0);
}

}  // namespace

TEST_CASE("curl against a weft HTTPS server; without the CA curl refuses it") {
  run([] {
    const weft::TlsContext sctx = server_context({"http/1.1"});
    std::string alpn;
    int handled = 0;
    std::string refused;
    weft::Server server = weft::serve(weft::Endpoint::ip("127.0.0.1", 0), [&](Socket& conn) {
      try {
        hello_over_tls(conn, sctx, alpn);
        ++handled;
      } catch (const weft::TlsError& e) {
        refused = e.what();
      }
    });
    const std::string port = std::to_string(server.endpoint().port());
    const std::string url = "https://localhost:" + port + "/hello";
    const std::string resolve = "localhost:" + port + ":127.0.0.1";
    {
      Peer curl({"curl", "-sS", "--cacert", files().ca, "--resolve", resolve, url});
      CHECK(curl.finish() == 0);
      CHECK(curl.output() == "hello over TLS: GET /hello HTTP/1.1\n");
    }
    {
      Peer curl({"curl", "-sS", "--resolve", resolve, url});  // the system's CAs only
      CHECK(curl.finish() == 60);  // CURLE_PEER_FAILED_VERIFICATION
      CHECK(contains(curl.output(), "certificate"));
    }
    for (int i = 0; i < 100 && refused.empty(); ++i) Tasklet::sleep(0.01);
    CHECK(handled == 1);
    CHECK(alpn == "http/1.1");
    CHECK(contains(refused, "weft: TLS handshake with 127.0.0.1:"));
    CHECK(contains(refused, "unknown ca (an alert from the peer)"));
    server.stop(1.0);
  });
}

}  // TEST_SUITE
