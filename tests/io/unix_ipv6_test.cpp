// IPv6 and Unix stream sockets beyond the basic round trip: dual-stack
// listeners (v6only), servers on both, and the Unix connect path that polls
// while a listener's backlog is full.

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
using weft_test::near;
using weft_test::run;
using weft_test::since;

namespace {

// A listener on `at`, or an empty socket when this machine has no IPv6.
Socket try_listen(const Endpoint& at, weft::ListenOptions o = {}) {
  try {
    return Socket::listen(at, o);
  } catch (const weft::IoError& e) {
    MESSAGE("skipped: cannot listen on " << at.to_string() << ": " << e.what());
    return Socket();
  }
}

// Echoes one line per connection.
void echo_line(Socket& s) {
  weft::BufferedStream io(s);
  io.write(io.read_line(2.0) + "\n", 2.0);
  io.flush(2.0);
}

std::string ask(const Endpoint& at, const std::string& line) {
  Socket c = Socket::connect(at, 2.0);
  weft::BufferedStream io(c);
  io.write(line + "\n", 2.0);
  io.flush(2.0);
  return io.read_line(2.0);
}

}  // namespace

TEST_SUITE("io") {

TEST_CASE("IPv6: a dual-stack listener takes IPv4 too; v6only refuses it") {
  run([] {
    Socket dual = try_listen(Endpoint::ip("::", 0), {.v6only = false});
    if (!dual.is_open()) return;
    const auto port = dual.local_endpoint().port();
    CHECK(dual.local_endpoint().family() == Endpoint::Family::ipv6);
    Socket c4 = Socket::connect(Endpoint::ip("127.0.0.1", port), 2.0);
    Socket s4 = dual.accept(2.0);
    // The IPv4 peer shows as an IPv4-mapped IPv6 address.
    CHECK(s4.peer_endpoint().family() == Endpoint::Family::ipv6);
    CHECK(s4.peer_endpoint().address() == "::ffff:127.0.0.1");
    c4.write_all("v4", 2.0);
    char buf[2];
    s4.read_exactly({buf, 2}, 2.0);
    CHECK(std::string(buf, 2) == "v4");

    Socket only6 = try_listen(Endpoint::ip("::", 0), {.v6only = true});
    REQUIRE(only6.is_open());
    const auto port6 = only6.local_endpoint().port();
    CHECK_THROWS_AS(Socket::connect(Endpoint::ip("127.0.0.1", port6), 2.0), weft::IoError);
    Socket c6 = Socket::connect(Endpoint::ip("::1", port6), 2.0);
    CHECK(only6.accept(2.0).peer_endpoint().address() == "::1");
  });
}

TEST_CASE("serve on IPv6 and on a Unix path; the server's endpoint names them") {
  run([] {
    Socket l6 = try_listen(Endpoint::ip("::1", 0));
    if (l6.is_open()) {
      auto server = weft::serve(std::move(l6), echo_line);
      CHECK(server.endpoint().to_string().rfind("[::1]:", 0) == 0);
      CHECK(ask(server.endpoint(), "over six") == "over six");
      server.stop(1.0);
    }
    const std::string path = io_test::unix_socket_path("serve");
    {
      auto server = weft::serve(Endpoint::unix_path(path), echo_line);
      CHECK(server.endpoint() == Endpoint::unix_path(path));
      CHECK(ask(server.endpoint(), "over unix") == "over unix");
      CHECK(ask(server.endpoint(), "again") == "again");
      CHECK(server.accepted() == 2);
      server.stop(1.0);
    }
    // A Unix path must not exist yet: the error says so.
    CHECK_THROWS_WITH_AS(Socket::listen(Endpoint::unix_path(path)),
                         doctest::Contains(("cannot listen on unix:" + path).c_str()), weft::IoError);
    ::unlink(path.c_str());
  });
}

TEST_CASE("Unix connect to a listener whose backlog is full: times out, or is killed, cleanly") {
  run([] {
    const std::string path = io_test::unix_socket_path("backlog");
    Socket full = Socket::listen(Endpoint::unix_path(path), {.backlog = 0});
    const int fds_before = io_test::open_fds();
    std::vector<Socket> queued;
    bool timed_out = false;
    for (int i = 0; i < 8 && !timed_out; ++i) {
      const auto start = weft::now();
      try {
        queued.push_back(Socket::connect(Endpoint::unix_path(path), 0.2));
      } catch (const TimeoutError& e) {
        timed_out = true;
        CHECK(near(since(start), 0.2));
        CHECK_MESSAGE(std::string(e.what()).find("connect to unix:" + path) != std::string::npos,
                      e.what());
      }
    }
    REQUIRE(timed_out);
    CHECK(io_test::open_fds() == fds_before + static_cast<int>(queued.size()));  // the timed-out fd is closed

    // Killed while it polls for room: unwinds at once, its fd is closed.
    bool unwound = false;
    auto t = Tasklet::spawn([&] {
      struct Flag {
        bool& f;
        ~Flag() { f = true; }
      } flag{unwound};
      Socket::connect(Endpoint::unix_path(path), 10.0);
    });
    Tasklet::sleep(0.03);
    REQUIRE_FALSE(t.has_finished());
    t.kill();
    CHECK(unwound);
    CHECK(io_test::open_fds() == fds_before + static_cast<int>(queued.size()));

    // A slot frees up: a waiting connect gets through.
    auto waiting = Tasklet::spawn([&] { return Socket::connect(Endpoint::unix_path(path), 2.0).is_open(); });
    Tasklet::sleep(0.03);
    Socket accepted = full.accept(1.0);
    CHECK(waiting.join(2.0));
    ::unlink(path.c_str());
  });
}

}  // TEST_SUITE
