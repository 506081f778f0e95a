// The HTTP server against a raw client: keep-alive, HTTP/1.0, HEAD, chunked
// bodies both ways, Expect: 100-continue, and what a failing handler sends.

#include <stdexcept>
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
using weft_test::run;

namespace {

void hello(Request& req, Response& res) {
  res.set_header("Content-Type", "text/plain");
  res.send("Hello " + req.target() + "\n");
}

}  // namespace

TEST_SUITE("http") {

TEST_CASE("http server: keep-alive carries several requests on one connection") {
  run([] {
    auto server = weft::http::serve(kAny, hello);
    Raw c(server.endpoint());
    for (int i = 0; i < 3; ++i) {
      c.send(get("/" + std::to_string(i)));
      const Reply r = c.read();
      CHECK(r.status == 200);
      CHECK(r.body == "Hello /" + std::to_string(i) + "\n");
      CHECK(r.has("Content-Length", std::to_string(r.body.size())));
      CHECK_FALSE(r.headers.has("Connection"));
    }
    CHECK(server.accepted() == 1);
    c.send(get("/last", "Connection: close\r\n"));
    const Reply r = c.read();
    CHECK(r.has("Connection", "close"));
    CHECK(c.at_eof());
  });
}

TEST_CASE("http server: HTTP/1.0 closes after the response unless it asks for keep-alive") {
  run([] {
    auto server = weft::http::serve(kAny, hello);
    {
      Raw c(server.endpoint());
      c.send(get("/a", "", "HTTP/1.0"));
      const Reply r = c.read();
      CHECK(r.status == 200);
      CHECK(r.has("Connection", "close"));
      CHECK(c.at_eof());
    }
    {
      // ab -k: a 1.0 client that asks to keep the connection must be told it was kept.
      Raw c(server.endpoint());
      for (int i = 0; i < 2; ++i) {
        c.send(get("/k", "Connection: keep-alive\r\n", "HTTP/1.0"));
        const Reply r = c.read();
        CHECK(r.status == 200);
        CHECK(r.has("Connection", "keep-alive"));
        CHECK(r.has("Content-Length", "9"));
      }
    }
  });
}

TEST_CASE("http server: HEAD gets the head (Content-Length of the body) and no body") {
  run([] {
    auto server = weft::http::serve(kAny, hello);
    Raw c(server.endpoint());
    c.send("HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n" + get("/y"));
    const Reply h = c.read(/*head=*/true);
    CHECK(h.status == 200);
    CHECK(h.has("Content-Length", "9"));
    // The GET's response follows at once: no body bytes came after the HEAD's head.
    const Reply r = c.read();
    CHECK(r.status_line == "HTTP/1.1 200 OK");
    CHECK(r.body == "Hello /y\n");
  });
}

TEST_CASE("http server: a streamed response is chunked to 1.1 and delimited by the close to 1.0") {
  run([] {
    auto server = weft::http::serve(kAny, [](Request&, Response& res) {
      res.write("one ");
      weft::Tasklet::yield_();
      res.write("two ");
      res.write("three");
      res.end();
    });
    Raw c(server.endpoint());
    c.send(get("/"));
    Reply r = c.read();
    CHECK(r.has("Transfer-Encoding", "chunked"));
    CHECK(r.body == "one two three");
    c.send(get("/"));
    CHECK(c.read().body == "one two three");  // still kept alive
    Raw old(server.endpoint());
    old.send(get("/", "Connection: keep-alive\r\n", "HTTP/1.0"));
    r = old.read();
    CHECK(r.has("Connection", "close"));
    CHECK_FALSE(r.headers.has("Transfer-Encoding"));
    CHECK(r.body == "one two three");
  });
}

TEST_CASE("http server: request bodies by length and chunked, read as a stream") {
  run([] {
    auto server = weft::http::serve(kAny, [](Request& req, Response& res) {
      std::string body;
      char buf[3];
      while (std::size_t n = req.read(buf)) body.append(buf, n);
      CHECK(req.body_complete());
      res.send(req.method() + " " + std::to_string(req.body_received()) + " " + body);
    });
    Raw c(server.endpoint());
    c.send("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world");
    CHECK(c.read().body == "POST 11 hello world");
    c.send("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    CHECK(c.read().body == "POST 11 hello world");
    c.send(get("/"));  // no body: read() returns 0 at once
    CHECK(c.read().body == "GET 0 ");
  });
}

TEST_CASE("http server: a body the handler did not read is skipped, the connection goes on") {
  run([] {
    auto server = weft::http::serve(kAny, [](Request& req, Response& res) { res.send(req.target()); });
    Raw c(server.endpoint());
    c.send("POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloPOST /b HTTP/1.1\r\n"
           "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" + get("/c"));
    CHECK(c.read().body == "/a");
    CHECK(c.read().body == "/b");
    CHECK(c.read().body == "/c");
  });
}

TEST_CASE("http server: Expect: 100-continue gets 100 Continue when the body is read") {
  run([] {
    auto server = weft::http::serve(kAny, [](Request& req, Response& res) {
      if (req.target() == "/no") {
        res.send(403, "no\n");  // refused unread: no 100, and the connection closes
        return;
      }
      res.send(req.read_body());
    });
    Raw c(server.endpoint());
    c.send("PUT /yes HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    const Reply interim = c.read();
    CHECK(interim.status_line == "HTTP/1.1 100 Continue");
    c.send("data");
    CHECK(c.read().body == "data");
    c.send("PUT /no HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    const Reply refused = c.read();
    CHECK(refused.status == 403);
    CHECK(refused.has("Connection", "close"));
    CHECK(c.at_eof());
  });
}

TEST_CASE("http server: a handler's exception is answered (HttpError's status, else 500); silence is 200") {
  weft_test::LogCapture log;
  weft_test::run_logged(log, [] {
    auto server = weft::http::serve(kAny, [](Request& req, Response& res) {
      if (req.target() == "/forbidden") throw weft::http::HttpError(403, "not yours");
      if (req.target() == "/bug") throw std::runtime_error("a bug");
      if (req.target() == "/half") {
        res.write("part");
        throw std::runtime_error("after the start");
      }
      // "/silent": returns without a word
    });
    Raw c(server.endpoint());
    c.send(get("/forbidden"));
    Reply r = c.read();
    CHECK(r.status == 403);
    CHECK(r.body == "not yours\n");
    c.send(get("/bug"));
    r = c.read();
    CHECK(r.status == 500);
    c.send(get("/silent"));
    r = c.read();
    CHECK(r.status == 200);
    CHECK(r.has("Content-Length", "0"));
    c.send(get("/half"));
    // Half a response is out: the connection ends (the chunked body never ends).
    CHECK_THROWS(c.read());
  });
  CHECK(log.count("a bug") == 1);
}

}  // TEST_SUITE
