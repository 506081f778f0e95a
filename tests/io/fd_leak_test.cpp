// No path through the io layer leaks a file descriptor: every failure, timeout,
// kill and stop below ends with the process holding exactly the fds it held
// before (counted in /proc/self/fd).

#include <unistd.h>

#include <string>
#include <vector>

#include "io/server.hpp"
#include "io/socket.hpp"
#include "io/stream.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/io/support.hpp"
#include "tests/support/weft_test.hpp"

using weft::Endpoint;
using weft::Socket;
using weft::Tasklet;
using weft::TimeoutError;
using weft_test::run;

namespace {

// Runs `body` in a tasklet and kills it once it has parked.
template <class F>
void kill_parked(F body) {
  auto t = Tasklet::spawn(std::move(body));
  Tasklet::sleep(0.02);
  REQUIRE_FALSE(t.has_finished());
  t.kill();
  CHECK(t.has_finished());
}

}  // namespace

TEST_SUITE("io") {

TEST_CASE("no fd leaks: failed, timed-out and killed calls, closed sockets and stopped servers") {
  // Warm-up: the loop's own fds and the resolver's worker thread exist once created.
  run([] { (void)Socket::connect("localhost", io_test::loopback_listener().local_endpoint().port(), 5.0); });
  const int before = io_test::open_fds();
  REQUIRE(before > 0);
  run([] {
    const int in_loop = io_test::open_fds();
    // Refused connect, and a listen on a busy port.
    std::uint16_t port = 0;
    {
      Socket l = io_test::loopback_listener();
      port = l.local_endpoint().port();
      CHECK_THROWS_AS(Socket::listen(l.local_endpoint(), {.reuseaddr = false}), weft::IoError);
    }
    CHECK_THROWS_AS(Socket::connect(Endpoint::ip("127.0.0.1", port), 1.0), weft::IoError);
    CHECK_THROWS_AS(Socket::connect("localhost", port, 5.0), weft::IoError);
    CHECK_THROWS_AS(Socket::connect(Endpoint::unix_path("/nonexistent/weft.sock"), 1.0),
                    weft::IoError);
    CHECK(io_test::open_fds() == in_loop);

    // Timed-out and killed connects (a listener whose backlog is full).
    {
      Socket full = io_test::loopback_listener({.backlog = 0});
      std::vector<Socket> queued;
      for (int i = 0; i < 8; ++i) {
        try {
          queued.push_back(Socket::connect(full.local_endpoint(), 0.1));
        } catch (const TimeoutError&) {
          break;
        }
      }
      const int held = io_test::open_fds();
      CHECK_THROWS_AS(Socket::connect(full.local_endpoint(), 0.05), TimeoutError);
      kill_parked([&] { Socket::connect(full.local_endpoint(), 10.0); });
      CHECK(io_test::open_fds() == held);
    }
    CHECK(io_test::open_fds() == in_loop);

    // Timed-out and killed reads, accepts and stream calls; close from another tasklet.
    {
      auto [c, s] = io_test::tcp_pair();
      Socket listener = io_test::loopback_listener();
      char buf[4];
      CHECK_THROWS_AS(c.read(buf, 0.02), TimeoutError);
      CHECK_THROWS_AS(listener.accept(0.02), TimeoutError);
      kill_parked([&c = c] {
        char b[4];
        c.read(b, 10.0);
      });
      kill_parked([&] { listener.accept(10.0); });
      kill_parked([&c = c] {
        weft::BufferedStream in(c);
        in.read_line(10.0);
      });
      auto parked = Tasklet::spawn([&c = c] {
        char b[4];
        CHECK_THROWS_AS(c.read(b, 10.0), weft::SocketClosedError);
      });
      Tasklet::sleep(0.01);
      c.close();
      parked.join(1.0);
      s.close_with_reset();
    }
    CHECK(io_test::open_fds() == in_loop);

    // A server with open connections, stopped with handlers killed after the grace.
    {
      auto server = weft::serve(Endpoint::ip("127.0.0.1", 0), [](Socket& s) {
        char b;
        s.read({&b, 1}, 10.0);
      });
      std::vector<Socket> clients;
      for (int i = 0; i < 5; ++i) clients.push_back(Socket::connect(server.endpoint(), 1.0));
      Tasklet::sleep(0.02);
      CHECK(server.connections() == 5);
      server.stop(0.02);
      CHECK(server.connections() == 0);
    }
    CHECK(io_test::open_fds() == in_loop);

    // A Unix listener and its connections.
    const std::string path = io_test::unix_socket_path("leak");
    {
      Socket l = Socket::listen(Endpoint::unix_path(path));
      Socket c = Socket::connect(Endpoint::unix_path(path), 1.0);
      Socket s = l.accept(1.0);
      s.write_all("x", 1.0);
    }
    ::unlink(path.c_str());
    CHECK(io_test::open_fds() == in_loop);
  });
  CHECK(io_test::open_fds() == before);
}

}  // TEST_SUITE
