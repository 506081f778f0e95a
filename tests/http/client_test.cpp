// The HTTP client: against the module's server (keep-alive reuse, POST,
// chunked responses, HEAD, timeouts, redirects off by default, the pool) and
// against Python's http.server, a peer no one here wrote.

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "http/client.hpp"
#include "http/errors.hpp"
#include "http/pool.hpp"
#include "http/server.hpp"
#include "tests/http/support.hpp"
#include "tests/io/support.hpp"

using http_test::kAny;
using weft::http::ClientResponse;
using weft::http::Connection;
using weft::http::Pool;
using weft::http::Request;
using weft::http::Response;
using weft::Tasklet;
using weft_test::run;

namespace {

void routes(Request& req, Response& res) {
  if (req.target() == "/chunked") {
    res.write("alpha ");
    res.write("beta");
    return;
  }
  if (req.target() == "/slow") Tasklet::sleep(1.0);
  if (req.target() == "/moved") {
    res.set_header("Location", "/");
    res.send(302, "");
    return;
  }
  if (req.method() == "POST") {
    res.send("posted " + req.read_body());
    return;
  }
  res.send("root");
}

std::string base(const weft::Server& s) { return "http://" + s.endpoint().to_string(); }

}  // namespace

TEST_SUITE("http") {

TEST_CASE("http client: requests on one kept-alive connection, POST, chunked response, HEAD") {
  run([] {
    auto server = weft::http::serve(kAny, routes);
    Connection c = Connection::connect("127.0.0.1", server.endpoint().port());
    ClientResponse r = c.get("/");
    CHECK(r.status == 200);
    CHECK(r.reason == "OK");
    CHECK(r.body == "root");
    CHECK(r.keep_alive);
    r = c.post("/p", "data", "text/plain");
    CHECK(r.body == "posted data");
    r = c.get("/chunked");
    CHECK(r.body == "alpha beta");
    CHECK(r.header("Transfer-Encoding") == "chunked");
    r = c.request("HEAD", "/");
    CHECK(r.status == 200);
    CHECK(r.body.empty());
    CHECK(r.header("Content-Length") == "4");
    r = c.get("/");  // the HEAD left nothing behind
    CHECK(r.body == "root");
    CHECK(c.requests() == 5);
    CHECK(server.accepted() == 1);
    weft::http::Headers close;
    close.set("Connection", "close");
    c.request("GET", "/", close);
    CHECK_FALSE(c.is_open());
    CHECK_THROWS_AS(c.get("/"), std::logic_error);
  });
}

TEST_CASE("http client: a request past its timeout throws TimeoutError and closes the connection") {
  run([] {
    auto server = weft::http::serve(kAny, routes);
    weft::http::ClientOptions o;
    o.timeout = std::chrono::milliseconds(200);
    Connection c = Connection::connect("127.0.0.1", server.endpoint().port(), o);
    CHECK_THROWS_AS(c.get("/slow"), weft::TimeoutError);
    CHECK_FALSE(c.is_open());
    Connection d = Connection::connect("127.0.0.1", server.endpoint().port());
    CHECK_THROWS_AS(d.get("/slow", 0.1), weft::TimeoutError);  // the call's own, shorter
  });
}

TEST_CASE("http client: redirects are not followed by default; the pool follows them when asked") {
  run([] {
    auto server = weft::http::serve(kAny, routes);
    Pool pool;
    ClientResponse r = pool.get(base(server) + "/moved");
    CHECK(r.status == 302);
    CHECK(r.header("Location") == "/");
    weft::http::ClientOptions o;
    o.max_redirects = 3;
    Pool follow(o);
    r = follow.get(base(server) + "/moved");
    CHECK(r.status == 200);
    CHECK(r.body == "root");
  });
}

TEST_CASE("http client: the pool reuses kept-alive connections per host:port") {
  run([] {
    auto server = weft::http::serve(kAny, routes);
    Pool pool;
    for (int i = 0; i < 3; ++i) CHECK(pool.get(base(server) + "/").body == "root");
    CHECK(pool.post(base(server) + "/x", "1").body == "posted 1");
    CHECK(pool.opened() == 1);
    CHECK(pool.idle() == 1);
    CHECK(server.accepted() == 1);
    CHECK_THROWS_AS(pool.get("ftp://127.0.0.1/"), std::invalid_argument);
    const weft::http::Url u = weft::http::Url::parse("https://localhost/x");  // https: tests/http/https_test
    CHECK(u.https);
    CHECK(u.port == 443);
  });
}

TEST_CASE("http client: against Python's http.server") {
  if (::access("/usr/bin/python3", X_OK) != 0) {
    MESSAGE("/usr/bin/python3 missing: skipped");
    return;
  }
  run([] {
    const std::string dir = "/tmp/weft-http-py-" + std::to_string(::getpid());
    ::mkdir(dir.c_str(), 0700);
    std::ofstream(dir + "/hello.txt") << "hello from python\n";
    std::uint16_t port = 0;
    {
      weft::Socket probe = weft::Socket::listen(kAny);
      port = probe.local_endpoint().port();
    }
    io_test::Child py({"/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1",
                       "--directory", dir, std::to_string(port)});
    Pool pool;
    const std::string at = "http://127.0.0.1:" + std::to_string(port);
    ClientResponse r;
    for (int i = 0; i < 500; ++i) {  // until it listens
      try {
        r = pool.get(at + "/hello.txt");
        break;
      } catch (const weft::IoError&) {
        Tasklet::sleep(0.02);
      }
    }
    CHECK(r.status == 200);
    CHECK(r.body == "hello from python\n");
    CHECK(r.header("Content-Length") == "18");
    CHECK(pool.get(at + "/missing").status == 404);
    r = pool.request("HEAD", at + "/hello.txt");
    CHECK(r.status == 200);
    CHECK(r.body.empty());
    ::unlink((dir + "/hello.txt").c_str());
    ::rmdir(dir.c_str());
  });
}

}  // TEST_SUITE
