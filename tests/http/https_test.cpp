// https (issue 20): the HTTP server and client over TLS, with a CA and
// certificates made at test time (tests/io/tls_support.hpp). curl --cacert
// against serve_tls() (GET, keep-alive, a POST body); weft's client against
// weft's server (keep-alive reuse, a chunked response); the client refusing
// a certificate for another host or from an unknown CA; a plain-http client
// of the https port closed at once, the failed handshake logged below error;
// a client that goes while its connection is at max_pipelined.

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "http/client.hpp"
#include "http/errors.hpp"
#include "http/pool.hpp"
#include "http/server.hpp"
#include "tests/http/support.hpp"
#include "tests/io/tls_support.hpp"

using http_test::have;
using http_test::kAny;
using http_test::shell;
using tls_test::files;
using weft::http::Request;
using weft::http::Response;
using weft_test::contains;
using weft_test::run;

namespace {

void handler(Request& req, Response& res) {
  res.set_header("Content-Type", "text/plain");
  if (req.method() == "POST") {
    const std::string body = req.read_body();
    res.send("got " + std::to_string(body.size()) + " bytes: " + body + "\n");
    return;
  }
  if (req.target() == "/chunked") {
    res.set_status(200);
    for (int i = 0; i < 5; ++i) res.write("part " + std::to_string(i) + "\n");
    res.end();
    return;
  }
  res.send("Hello over TLS " + std::string(req.target()) + "\n");
}

std::string url(const weft::Server& s, const char* path = "/") {
  return "https://localhost:" + std::to_string(s.endpoint().port()) + path;
}

weft::http::ClientOptions trusting(std::string ca = {}) {
  weft::http::ClientOptions o;
  o.tls = std::make_shared<const weft::TlsContext>(tls_test::client_context({}, std::move(ca)));
  o.connect_timeout = std::chrono::seconds(5);
  o.timeout = std::chrono::seconds(5);
  return o;
}

}  // namespace

TEST_SUITE("http") {

TEST_CASE("https with curl --cacert: GET, two URLs on one kept-alive connection, a POST body") {
  if (!have("curl")) {
    MESSAGE("curl is not installed: skipped (make deps installs it)");
    return;
  }
  run([] {
    auto server = weft::http::serve_tls(kAny, tls_test::server_context(), handler);
    const std::string curl = "curl -sS --max-time 5 --cacert " + files().ca + " ";
    int status = -1;
    CHECK(shell(curl + url(server, "/a") + " 2>&1", &status) == "Hello over TLS /a\n");
    CHECK(status == 0);

    const std::size_t before = server.accepted();
    const std::string two = shell(curl + "-v " + url(server, "/a") + " " + url(server, "/b") + " 2>&1",
                                  &status);
    CHECK(status == 0);
    CHECK(contains(two, "Hello over TLS /a\n"));
    CHECK(contains(two, "Hello over TLS /b\n"));
    CHECK(server.accepted() == before + 1);  // one connection, one handshake

    const std::string post =
        shell(curl + "--data-binary 'name=weft&tls=yes' " + url(server, "/form") + " 2>&1", &status);
    CHECK(status == 0);
    CHECK(post == "got 17 bytes: name=weft&tls=yes\n");
  });
}

TEST_CASE("https: weft's client against weft's server, kept alive, chunked, through the pool") {
  run([] {
    auto server = weft::http::serve_tls(kAny, tls_test::server_context(), handler);
    weft::http::Pool pool(trusting());
    auto r = pool.get(url(server, "/one"));
    CHECK(r.status == 200);
    CHECK(r.body == "Hello over TLS /one\n");
    r = pool.get(url(server, "/chunked"));
    CHECK(r.status == 200);
    CHECK(r.header("Transfer-Encoding") == std::optional<std::string_view>("chunked"));
    CHECK(r.body == "part 0\npart 1\npart 2\npart 3\npart 4\n");
    r = pool.post(url(server, "/p"), "abc");
    CHECK(r.body == "got 3 bytes: abc\n");
    CHECK(pool.opened() == 1);  // one connection kept alive for all three
    CHECK(server.accepted() == 1);

    // A Connection by hand, by IP address (verified against the certificate's IP SAN).
    auto c = weft::http::Connection::connect_https("127.0.0.1", server.endpoint().port(), trusting());
    CHECK(c.get("/x").body == "Hello over TLS /x\n");
    CHECK(c.get("/y").body == "Hello over TLS /y\n");
    CHECK(c.requests() == 2);
    CHECK(server.accepted() == 2);
  });
}

TEST_CASE("https: the client refuses a certificate for another host, or from an unknown CA") {
  run([] {
    SUBCASE("another host") {
      auto server = weft::http::serve_tls(
          kAny, tls_test::server_context({}, files().wrong_host, files().wrong_host_key), handler);
      weft::http::Pool pool(trusting());
      try {
        pool.get(url(server));
        FAIL("the request succeeded");
      } catch (const weft::TlsError& e) {
        CHECK(contains(e.what(), "weft: TLS handshake with 127.0.0.1:"));
        CHECK(contains(e.what(), "hostname mismatch"));
      }
    }
    SUBCASE("an unknown CA") {
      auto server = weft::http::serve_tls(kAny, tls_test::server_context(), handler);
      weft::http::Pool pool(trusting(files().other_ca));
      try {
        pool.get(url(server));
        FAIL("the request succeeded");
      } catch (const weft::TlsError& e) {
        CHECK(contains(e.what(), "weft: TLS handshake with 127.0.0.1:"));
        CHECK(contains(e.what(), "certificate verify failed"));
      }
    }
    SUBCASE("the system's store (the default) does not know the test CA") {
      auto server = weft::http::serve_tls(kAny, tls_test::server_context(), handler);
      weft::http::Pool pool;
      CHECK_THROWS_AS(pool.get(url(server), 5.0), weft::TlsError);
    }
  });
}

TEST_CASE("https: a plain-http client of the https port is closed at once, logged below error") {
  std::vector<std::pair<weft::LogLevel, std::string>> logged;
  weft::DispatchOptions options;
  options.log = [&](weft::LogLevel l, std::string_view m) { logged.emplace_back(l, std::string(m)); };
  run(
      [] {
        auto server = weft::http::serve_tls(kAny, tls_test::server_context(), handler);
        const auto start = weft::now();
        auto c = weft::http::Connection::connect("127.0.0.1", server.endpoint().port());
        CHECK_THROWS_AS(c.get("/", 5.0), weft::IoError);  // the connection ends: no response
        CHECK(weft_test::since(start) < 3.0);            // and no hang until a timeout

        http_test::Raw raw(server.endpoint());
        raw.send(http_test::get("/"));
        CHECK(raw.at_eof(5.0));  // closed without a byte: no TLS alert, no HTTP
        for (int i = 0; i < 50 && server.connections() > 0; ++i) weft::Tasklet::sleep(0.01);
        CHECK(server.connections() == 0);
        // the server still serves TLS clients
        weft::http::Pool pool(trusting());
        CHECK(pool.get(url(server)).status == 200);
      },
      options);
  bool handshake_logged = false;
  for (const auto& [level, message] : logged) {
    CHECK_MESSAGE(level < weft::LogLevel::warning, message);
    handshake_logged |= contains(message, "does not speak TLS");
  }
  CHECK(handshake_logged);
}

TEST_CASE("https: the server ends a connection with close_notify") {
  run([] {
    auto server = weft::http::serve_tls(kAny, tls_test::server_context(), handler);
    weft::Socket s = weft::Socket::connect(server.endpoint(), 5.0);
    weft::TlsStream tls = weft::TlsStream::connect(s, tls_test::client_context(), "localhost", 5.0);
    tls.write_all("GET /bye HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 5.0);
    std::string got;
    char buf[4096];
    // Without close_notify the read at the TCP close throws EofError.
    while (std::size_t n = tls.read({buf, sizeof buf}, 5.0)) got.append(buf, n);
    CHECK(tls.peer_closed());
    CHECK(contains(got, "Hello over TLS /bye\n"));
    tls.close(1.0);
  });
}

TEST_CASE("https: a client that goes while at max_pipelined has its handlers killed") {
  run([] {
    int running = 0;
    int unwound = 0;
    weft::http::ServerOptions o;
    o.max_pipelined = 4;
    auto server = weft::http::serve_tls(kAny, tls_test::server_context(), [&](Request&, Response& res) {
      struct Count {
        int& running;
        int& unwound;
        ~Count() {
          --running;
          ++unwound;
        }
      } count{++running, unwound};
      weft::Tasklet::sleep(30);  // slow: the client will not wait
      res.send("late");
    }, o);
    {
      weft::Socket s = weft::Socket::connect(server.endpoint(), 5.0);
      weft::TlsStream tls = weft::TlsStream::connect(s, tls_test::client_context(), "localhost", 5.0);
      std::string requests;
      for (int i = 0; i < 8; ++i) requests += "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
      tls.write_all(requests, 5.0);
      while (running < 4) weft::Tasklet::sleep(0.01);
      weft::Tasklet::sleep(0.05);
      CHECK(running == 4);  // at the limit: the server reads no more
      tls.close(1.0);       // close_notify, then the TCP close
    }
    const auto start = weft::now();
    while ((unwound < 4 || server.connections() > 0) && weft_test::since(start) < 2.0) {
      weft::Tasklet::sleep(0.01);
    }
    CHECK(unwound == 4);  // killed long before their 30 s
    CHECK(server.connections() == 0);
  });
}

TEST_CASE("https: serve_tls() refuses a client context") {
  run([] {
    CHECK_THROWS_AS(weft::http::serve_tls(kAny, tls_test::client_context(), handler),
                    std::invalid_argument);
  });
}

}  // TEST_SUITE
