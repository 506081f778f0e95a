// Pipelining: handlers of one connection run concurrently, responses leave in
// request order, the requests read ahead are bounded, and when the client
// goes its handlers are killed and its fd freed, also while the server reads
// nothing because the connection is at max_pipelined.

#include <sys/socket.h>

#include <string>

#include "http/server.hpp"
#include "sync/event.hpp"
#include "tests/http/support.hpp"
#include "tests/io/support.hpp"

using http_test::get;
using http_test::kAny;
using http_test::Raw;
using weft::http::Request;
using weft::http::Response;
using weft::Tasklet;
using weft_test::run;

namespace {

// Counts the handlers running now, the most at once, and those that unwound.
struct Gauge {
  int running = 0;
  int most = 0;
  int unwound = 0;
  struct Scope {
    Gauge& g;
    explicit Scope(Gauge& gauge) : g(gauge) {
      if (++g.running > g.most) g.most = g.running;
    }
    ~Scope() {
      --g.running;
      ++g.unwound;
    }
  };
};

}  // namespace

TEST_SUITE("http") {

TEST_CASE("http pipelining: responses leave in request order whatever order the handlers end in") {
  run([] {
    std::string ended;
    auto server = weft::http::serve(kAny, [&](Request& req, Response& res) {
      if (req.target() == "/slow") Tasklet::sleep(0.2);
      if (req.target() == "/stream") {
        res.write("a");  // buffered until the slow response before it has left
        Tasklet::yield_();
        res.write("b");
        ended += "x";
        return;
      }
      ended += req.target().substr(1, 1);
      res.send(req.target());
    });
    Raw c(server.endpoint());
    c.send(get("/slow") + get("/fast") + get("/stream") + get("/quick"));
    CHECK(c.read().body == "/slow");
    CHECK(c.read().body == "/fast");
    CHECK(c.read().body == "ab");
    CHECK(c.read().body == "/quick");
    CHECK(ended.size() == 4);
    CHECK(ended.back() == 's');  // the slow one ended last, its response left first
  });
}

TEST_CASE("http pipelining: the handlers of one connection run concurrently") {
  run([] {
    Gauge g;
    weft::Event go;
    auto server = weft::http::serve(kAny, [&](Request& req, Response& res) {
      Gauge::Scope s(g);
      go.wait(5.0);
      res.send(req.target());
    });
    Raw c(server.endpoint());
    c.send(get("/1") + get("/2") + get("/3"));
    while (g.running < 3) Tasklet::sleep(0.01);  // all three wait at once
    go.set();
    for (const char* t : {"/1", "/2", "/3"}) CHECK(c.read().body == t);
    CHECK(g.most == 3);
  });
}

TEST_CASE("http pipelining: requests read ahead of their responses are bounded (max_pipelined)") {
  run([] {
    Gauge g;
    weft::Event go;
    weft::http::ServerOptions o;
    o.max_pipelined = 2;
    auto server = weft::http::serve(kAny, [&](Request& req, Response& res) {
      Gauge::Scope s(g);
      go.wait(5.0);
      res.send(req.target());
    }, o);
    Raw c(server.endpoint());
    c.send(get("/1") + get("/2") + get("/3") + get("/4") + get("/5"));
    Tasklet::sleep(0.2);
    CHECK(g.running == 2);  // the other three wait in the buffer, unparsed
    go.set();
    for (const char* t : {"/1", "/2", "/3", "/4", "/5"}) CHECK(c.read().body == t);
    CHECK(g.most == 2);
  });
}

TEST_CASE("http pipelining: when the client goes, its pending handlers are killed and its fd freed") {
  run([] {
    Gauge g;
    auto server = weft::http::serve(kAny, [&](Request&, Response& res) {
      Gauge::Scope s(g);
      Tasklet::sleep(30);  // slow: the client will not wait
      res.send("late");
    });
    const int fds_before = io_test::open_fds();
    {
      Raw c(server.endpoint());
      c.send(get("/a") + get("/b") + get("/c") + get("/d"));
      while (g.running < 4) Tasklet::sleep(0.01);
      CHECK(server.connections() == 1);
    }  // the client closes
    const auto start = weft::now();
    while ((g.unwound < 4 || server.connections() > 0) && weft_test::since(start) < 2.0) {
      Tasklet::sleep(0.01);
    }
    CHECK(g.unwound == 4);  // each handler unwound (killed), long before its 30 s
    CHECK(server.connections() == 0);
    CHECK(io_test::open_fds() == fds_before);  // the server's end of the connection is closed
  });
}

namespace {

// Waits up to `bound` seconds for every handler of `n` to have unwound and
// the server to hold no connection; true when they did.
bool all_gone(const Gauge& g, int n, const weft::Server& server, double bound) {
  const auto start = weft::now();
  while ((g.unwound < n || server.connections() > 0) && weft_test::since(start) < bound) {
    Tasklet::sleep(0.01);
  }
  return g.unwound == n && server.connections() == 0;
}

// A client fills the connection's pipeline (max_pipelined slow handlers, and
// `more` bytes of requests beyond, which the server does not read), then
// leaves: with a FIN, or with a reset. The server notices although it reads
// nothing at the limit: the handlers are killed and the fd freed at once.
void leave_at_the_limit(bool reset, std::size_t more) {
  run([reset, more] {
    Gauge g;
    weft::http::ServerOptions o;  // max_pipelined: 16 by default
    auto server = weft::http::serve(kAny, [&](Request&, Response& res) {
      Gauge::Scope s(g);
      Tasklet::sleep(30);  // slow: the client will not wait
      res.send("late");
    }, o);
    const int n = static_cast<int>(o.max_pipelined);
    const int fds_before = io_test::open_fds();
    {
      Raw c(server.endpoint());
      std::string all;
      for (int i = 0; i < n + 4; ++i) all += get("/" + std::to_string(i));
      c.send(all);
      while (g.running < n) Tasklet::sleep(0.01);
      // Requests the server does not read (its buffer is 8 KiB): they wait in the kernel.
      const std::string pad = get("/more", "X-Pad: " + std::string(1000, 'p') + "\r\n");
      std::string extra;
      while (extra.size() < more) extra += pad;
      if (!extra.empty()) c.send(extra);
      Tasklet::sleep(0.05);
      CHECK(g.running == n);  // at the limit: no request beyond it started
      CHECK(server.connections() == 1);
      if (reset) c.socket().close_with_reset();
    }  // the client closes
    CHECK(all_gone(g, n, server, 2.0));  // each handler killed long before its 30 s
    CHECK(g.unwound == n);
    CHECK(server.connections() == 0);
    CHECK(io_test::open_fds() == fds_before);  // the server's end of the connection is closed
  });
}

}  // namespace

TEST_CASE("http pipelining: a client that goes while at max_pipelined has its handlers killed") {
  SUBCASE("it closes") { leave_at_the_limit(false, 0); }
  SUBCASE("it resets") { leave_at_the_limit(true, 0); }
  SUBCASE("it closes with unread requests in the kernel's buffer") { leave_at_the_limit(false, 32 * 1024); }
  SUBCASE("it resets with unread requests in the kernel's buffer") { leave_at_the_limit(true, 32 * 1024); }
}

TEST_CASE("http pipelining: at max_pipelined, quick handlers still answer a client that half-closed") {
  run([] {
    weft::http::ServerOptions o;
    o.max_pipelined = 2;
    auto server = weft::http::serve(kAny, [](Request& req, Response& res) { res.send(req.target()); }, o);
    Raw c(server.endpoint());
    c.send(get("/1") + get("/2") + get("/3") + get("/4") + get("/5"));
    c.socket().shutdown(weft::Shutdown::write);
    for (const char* t : {"/1", "/2", "/3", "/4", "/5"}) CHECK(c.read().body == t);
    CHECK(c.at_eof());
  });
}

TEST_CASE("http pipelining: a client that half-closes after its requests still gets quick answers") {
  run([] {
    auto server = weft::http::serve(kAny, [](Request& req, Response& res) { res.send(req.target()); });
    Raw c(server.endpoint());
    c.send(get("/1") + get("/2"));
    c.socket().shutdown(weft::Shutdown::write);
    CHECK(c.read().body == "/1");
    CHECK(c.read().body == "/2");
    CHECK(c.at_eof());
  });
}

}  // TEST_SUITE
