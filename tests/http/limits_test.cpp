// Every limit of the HTTP server, answered with its status before the
// connection closes cleanly (the client reads the response, then EOF), and a
// client that sends its head one byte at a time.

#include <string>

#include "http/errors.hpp"
#include "http/server.hpp"
#include "tests/http/support.hpp"

using http_test::get;
using http_test::kAny;
using http_test::Raw;
using http_test::Reply;
using weft::http::Request;
using weft::http::Response;
using weft::Tasklet;
using weft_test::run;

namespace {

int g_calls = 0;

void echo(Request& req, Response& res) {
  ++g_calls;
  res.send(req.read_body());
}

// Sends `bytes` and checks the answer is `status` with Connection: close, then EOF.
void check_refused(Raw& c, std::string_view bytes, int status) {
  if (!bytes.empty()) c.send(bytes);
  const Reply r = c.read();
  CHECK(r.status == status);
  CHECK(r.has("Connection", "close"));
  CHECK(c.at_eof());
}

}  // namespace

TEST_SUITE("http") {

TEST_CASE("http limits: a head over max_header_bytes is answered 431") {
  run([] {
    g_calls = 0;
    auto server = weft::http::serve(kAny, echo);
    Raw c(server.endpoint());
    check_refused(c, get("/", "X-Big: " + std::string(20'000, 'a') + "\r\n"), 431);
    Raw d(server.endpoint());  // a long target counts too
    check_refused(d, get("/" + std::string(17'000, 'b')), 431);
    CHECK(g_calls == 0);
  });
}

TEST_CASE("http limits: more header fields than max_headers is answered 431") {
  run([] {
    weft::http::ServerOptions o;
    o.max_headers = 10;
    auto server = weft::http::serve(kAny, echo, o);
    std::string fields;
    for (int i = 0; i < 10; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
    Raw ok(server.endpoint());
    ok.send(get("/", fields.substr(fields.find('\n') + 1)));  // 9 fields and Host: 10
    CHECK(ok.read().status == 200);
    Raw c(server.endpoint());
    check_refused(c, get("/", fields), 431);
  });
}

TEST_CASE("http limits: a Content-Length over max_body_bytes is answered 413 before the handler runs") {
  run([] {
    g_calls = 0;
    weft::http::ServerOptions o;
    o.max_body_bytes = 1000;
    auto server = weft::http::serve(kAny, echo, o);
    Raw c(server.endpoint());
    // The client sends part of its body anyway: the server reads it off
    // (linger) so that the response is read, not lost to a reset.
    check_refused(c, "POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n" + std::string(3000, 'x'), 413);
    CHECK(g_calls == 0);
  });
}

TEST_CASE("http limits: a chunked body that grows past max_body_bytes makes the read throw 413") {
  run([] {
    weft::http::ServerOptions o;
    o.max_body_bytes = 1000;
    auto server = weft::http::serve(kAny, echo, o);
    Raw c(server.endpoint());
    std::string body = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 4; ++i) body += "1f4\r\n" + std::string(500, 'y') + "\r\n";
    check_refused(c, body + "0\r\n\r\n", 413);
  });
}

TEST_CASE("http limits: a head that stops arriving is answered 408 (header_timeout)") {
  run([] {
    weft::http::ServerOptions o;
    o.header_timeout = std::chrono::milliseconds(200);
    auto server = weft::http::serve(kAny, echo, o);
    Raw c(server.endpoint());
    c.send("GET / HTTP/1.1\r\nHost: x\r\n");  // no blank line: the head never ends
    check_refused(c, "", 408);
    // A slow drip does not reset the bound: it is from the head's first byte.
    Raw d(server.endpoint());
    const auto start = weft::now();
    const std::string head = get("/", "X-Slow: " + std::string(100, 's') + "\r\n");
    auto drip = Tasklet::spawn([&] {
      try {
        for (char ch : head) {
          d.send(std::string_view(&ch, 1));
          Tasklet::sleep(0.02);
        }
      } catch (const weft::IoError&) {
        // the server closed while the drip went on
      }
    });
    CHECK(d.read().status == 408);  // read while the drip writes
    CHECK(weft_test::since(start) < 1.5);
    drip.kill();
  });
}

TEST_CASE("http limits: a body that stops arriving is answered 408 (body_timeout)") {
  run([] {
    weft::http::ServerOptions o;
    o.body_timeout = std::chrono::milliseconds(200);
    auto server = weft::http::serve(kAny, echo, o);
    Raw c(server.endpoint());
    check_refused(c, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", 408);
  });
}

TEST_CASE("http limits: a malformed request is answered 400") {
  run([] {
    auto server = weft::http::serve(kAny, echo);
    Raw c(server.endpoint());
    check_refused(c, "GARBAGE\r\n\r\n", 400);
    Raw d(server.endpoint());
    check_refused(d, "GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400);
    Raw e(server.endpoint());  // after a good request on the same connection
    e.send(get("/"));
    CHECK(e.read().status == 200);
    check_refused(e, "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400);
  });
}

TEST_CASE("http limits: a kept-alive connection idle past idle_timeout closes without a response") {
  run([] {
    weft::http::ServerOptions o;
    o.idle_timeout = std::chrono::milliseconds(200);
    auto server = weft::http::serve(kAny, echo, o);
    Raw c(server.endpoint());
    c.send(get("/"));
    CHECK(c.read().status == 200);
    const auto start = weft::now();
    CHECK(c.at_eof(2.0));
    CHECK(weft_test::since(start) < 1.0);
    CHECK(server.connections() == 0);
  });
}

TEST_CASE("http limits: a client that sends its head one byte at a time is served") {
  run([] {
    auto server = weft::http::serve(kAny, [](Request& req, Response& res) {
      res.send(req.target() + " " + std::string(*req.header("X-A")) + " " + req.read_body());
    });
    Raw c(server.endpoint());
    const std::string req = "POST /one HTTP/1.1\r\nHost: t\r\nX-A: b c\r\nContent-Length: 3\r\n\r\nxyz";
    for (int round = 0; round < 2; ++round) {
      for (char ch : req) {
        c.send(std::string_view(&ch, 1));
        Tasklet::sleep(0.001);
      }
      CHECK(c.read().body == "/one b c xyz");
    }
  });
}

}  // TEST_SUITE
