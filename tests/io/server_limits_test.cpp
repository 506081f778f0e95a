// The limits a server has without being asked: silent and stalled peers are
// dropped, slow peers cost nothing to the others, connections are bounded.

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "io/server.hpp"
#include "io/socket.hpp"
#include "io/stream.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/io/support.hpp"
#include "tests/support/weft_test.hpp"

using weft::Endpoint;
using weft::ServerOptions;
using weft::Socket;
using weft::Tasklet;
using weft_test::near;
using weft_test::run;
using weft_test::since;
using namespace std::chrono_literals;

namespace {

const Endpoint kAny = Endpoint::ip("127.0.0.1", 0);

// The echo handler of the examples: reads with the default timeout.
void echo(Socket& s) {
  char buf[256];
  for (;;) {
    const std::size_t n = s.read(buf);
    if (n == 0) return;
    s.write_all({buf, n});
  }
}

// Reads until the server closes the connection; returns how long that took.
double seconds_until_closed(Socket& c) {
  const auto start = weft::now();
  char buf[64];
  while (c.read(buf, 5.0) > 0) {
  }
  return since(start);
}

}  // namespace

TEST_SUITE("io") {

TEST_CASE("server defaults: a connection limit, a first-bytes and an idle timeout") {
  const ServerOptions o;
  CHECK(o.max_connections == 10'000);
  CHECK(o.first_bytes_timeout == 10s);
  CHECK(o.idle_timeout == 60s);
  run([] {
    ServerOptions bad;
    bad.idle_timeout = -1ms;
    CHECK_THROWS_AS(weft::serve(kAny, echo, bad), std::invalid_argument);
  });
}

TEST_CASE("a peer that connects and never sends is dropped after first_bytes_timeout") {
  run([] {
    ServerOptions o;
    o.first_bytes_timeout = 150ms;
    auto server = weft::serve(kAny, echo, o);
    Socket c = Socket::connect(server.endpoint(), 1.0);
    CHECK(near(seconds_until_closed(c), 0.15));
    Tasklet::sleep(0.01);
    CHECK(server.connections() == 0);
    server.stop(1.0);
  });
}

TEST_CASE("a peer that stalls after its first bytes is dropped after idle_timeout, not before") {
  run([] {
    ServerOptions o;
    o.first_bytes_timeout = 100ms;
    o.idle_timeout = 300ms;
    auto server = weft::serve(kAny, echo, o);
    Socket c = Socket::connect(server.endpoint(), 1.0);
    Tasklet::sleep(0.05);  // within first_bytes_timeout
    c.write_all("ping", 1.0);
    char buf[4];
    c.read_exactly({buf, 4}, 1.0);
    Tasklet::sleep(0.2);  // longer than first_bytes_timeout, within idle_timeout
    c.write_all("pong", 1.0);
    c.read_exactly({buf, 4}, 1.0);
    CHECK(std::string(buf, 4) == "pong");
    CHECK(near(seconds_until_closed(c), 0.3));
    server.stop(1.0);
  });
}

TEST_CASE("the read timeouts bound only reads with the default timeout; zero turns them off") {
  run([] {
    ServerOptions o;
    o.first_bytes_timeout = 50ms;
    o.idle_timeout = 50ms;
    // A handler with a timeout of its own is not bound by them.
    auto own = weft::serve(kAny, [](Socket& s) {
      char buf[8];
      s.read(buf, 0.3);
    }, o);
    Socket a = Socket::connect(own.endpoint(), 1.0);
    CHECK(near(seconds_until_closed(a), 0.3));
    own.stop(1.0);
    // Zero: no bound (the peer closes first here).
    o.first_bytes_timeout = 0ms;
    o.idle_timeout = 0ms;
    auto unbounded = weft::serve(kAny, echo, o);
    Socket b = Socket::connect(unbounded.endpoint(), 1.0);
    Tasklet::sleep(0.2);
    b.write_all("x", 1.0);
    char buf[1];
    b.read_exactly({buf, 1}, 1.0);
    CHECK(unbounded.connections() == 1);
    unbounded.stop(1.0);
  });
}

TEST_CASE("BufferedStream reads are bounded the same way (a stalled line)") {
  run([] {
    ServerOptions o;
    o.idle_timeout = 150ms;
    std::vector<std::string> lines;
    auto server = weft::serve(kAny, [&](Socket& s) {
      weft::BufferedStream io(s);
      for (;;) {
        lines.push_back(io.read_line());  // the second: "hel", then nothing
        io.write(lines.back() + "\n");
        io.flush();
      }
    }, o);
    Socket c = Socket::connect(server.endpoint(), 1.0);
    c.write_all("one\n", 1.0);
    char buf[4];
    c.read_exactly({buf, 4}, 1.0);
    c.write_all("hel", 1.0);
    CHECK(near(seconds_until_closed(c), 0.15));
    CHECK(lines == std::vector<std::string>{"one"});
    server.stop(1.0);
  });
}

TEST_CASE("500 slow peers (a byte every 50 ms) do not slow down a normal client") {
  const long rss_before = io_test::resident_kib();
  long rss_open = 0;
  run([&rss_open] {
    auto server = weft::serve(kAny, echo);
    std::vector<Socket> slow;
    for (int i = 0; i < 500; ++i) slow.push_back(Socket::connect(server.endpoint(), 1.0));
    bool done = false;
    std::vector<Tasklet> trickles;
    for (auto& s : slow) {
      trickles.push_back(Tasklet::spawn([&s, &done] {
        char buf[1];
        while (!done) {
          s.write_all("x", 1.0);
          s.read_exactly({buf, 1}, 1.0);
          Tasklet::sleep(0.05);
        }
      }));
    }
    Socket c = Socket::connect(server.endpoint(), 1.0);
    std::vector<double> rtts;
    char buf[64] = {};
    for (int i = 0; i < 100; ++i) {
      const auto start = weft::now();
      c.write_all({buf, sizeof buf}, 1.0);
      c.read_exactly({buf, sizeof buf}, 1.0);
      rtts.push_back(since(start));
      Tasklet::sleep(0.002);
    }
    done = true;
    Tasklet::join_all(trickles, 5.0);
    std::sort(rtts.begin(), rtts.end());
    MESSAGE("normal client beside 500 slow peers: p50 " << rtts[50] * 1e3 << " ms, p99 "
                                                        << rtts[99] * 1e3 << " ms");
    CHECK(rtts[99] < 0.1);  // starved, it would be seconds
    CHECK(server.connections() == 501);
    rss_open = io_test::resident_kib();
    server.stop(1.0);
  });
  // Memory, as in the 10k connections test (server_test.cpp): at most 32 KiB
  // per open connection (both ends), and once the loop has ended the heap is
  // back where it was, within 1 KiB per connection.
  io_test::check_rss_growth("501 connections open", rss_before, rss_open, 32 * 501);
  io_test::check_rss_growth("501 connections served and closed", rss_before,
                            io_test::resident_kib(), 501);
}

}  // TEST_SUITE
