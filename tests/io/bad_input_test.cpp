// Bad input to the io layer gets an exception whose message says what is
// wrong, never a silent surprise (a negative size taken as "the maximum", a
// server spinning on a socket that does not listen).

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <limits>
#include <stdexcept>
#include <string>

#include "io/endpoint.hpp"
#include "io/server.hpp"
#include "io/socket.hpp"
#include "io/stream.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/io/support.hpp"
#include "tests/support/weft_test.hpp"

using weft::BufferedStream;
using weft::Endpoint;
using weft::Socket;
using weft::Tasklet;
using weft_test::contains;
using weft_test::run;

TEST_SUITE("io") {

TEST_CASE("Endpoint::parse of garbage: std::invalid_argument naming the text and the problem") {
  auto message = [](std::string_view text) -> std::string {
    try {
      (void)Endpoint::parse(text);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "(no exception)";
  };
  for (const char* garbage : {"", "garbage", ":", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:-1",
                              "127.0.0.1:65536", "127.0.0.1: 80", "[::1]", "[::1]80", "[]:80",
                              "example.com:80", ":80", "1.2.3:80", "::1:80", "unix:",
                              "[127.0.0.1]:80"}) {
    const std::string m = message(garbage);
    CAPTURE(garbage);
    CAPTURE(m);
    CHECK(contains(m, "weft: "));
    CHECK(contains(m, std::string("'") + garbage + "'"));  // the text itself, quoted
  }
  CHECK(contains(message("example.com:80"), "not a numeric IPv4 or IPv6 address"));
  CHECK(contains(message("::1:80"), "[::1]:80"));  // IPv6 needs brackets, and the message says how
  CHECK(contains(message("127.0.0.1:http"), "not a port number"));
  CHECK(Endpoint::parse("[::ffff:1.2.3.4]:8") == Endpoint::ip("::ffff:1.2.3.4", 8));
  CHECK(Endpoint::parse("0.0.0.0:0").port() == 0);

  // from_sockaddr: a length too short for the family is refused.
  const Endpoint v4 = Endpoint::ip("127.0.0.1", 80);
  const Endpoint v6 = Endpoint::ip("::1", 80);
  CHECK_THROWS_WITH_AS(Endpoint::from_sockaddr(v4.data(), 4), doctest::Contains("length"),
                       std::invalid_argument);
  CHECK_THROWS_AS(Endpoint::from_sockaddr(v6.data(), sizeof(sockaddr_in)), std::invalid_argument);
  CHECK_THROWS_AS(Endpoint::from_sockaddr(nullptr, 16), std::invalid_argument);
  CHECK_THROWS_AS(Endpoint::from_sockaddr(v4.data(), 0), std::invalid_argument);
  // An unnamed Unix peer (just the family) is a valid, empty path.
  sockaddr_storage unnamed{};
  unnamed.ss_family = AF_UNIX;
  const Endpoint u = Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&unnamed), sizeof(sa_family_t));
  CHECK(u.family() == Endpoint::Family::unix_path);
  CHECK(u.address().empty());
}

TEST_CASE("negative sizes and other bad arguments to sockets are refused with clear errors") {
  run([] {
    auto [c, s] = io_test::tcp_pair();
    const int rcv = c.recv_buffer_size();
    CHECK_THROWS_WITH_AS(c.set_recv_buffer_size(-1), doctest::Contains("-1"), std::invalid_argument);
    CHECK_THROWS_AS(c.set_send_buffer_size(-4096), std::invalid_argument);
    CHECK_THROWS_AS(c.set_recv_buffer_size(0), std::invalid_argument);
    CHECK(c.recv_buffer_size() == rcv);  // unchanged (not silently set to the maximum)
    CHECK_THROWS_WITH_AS(Socket::connect(s.local_endpoint(), 1.0, {.recv_buffer = -1}),
                         doctest::Contains("recv_buffer"), std::invalid_argument);
    CHECK_THROWS_AS(Socket::connect(s.local_endpoint(), 1.0, {.send_buffer = -1}),
                    std::invalid_argument);
    CHECK_THROWS_WITH_AS(Socket::listen(Endpoint::ip("127.0.0.1", 0), {.backlog = -5}),
                         doctest::Contains("backlog"), std::invalid_argument);
    CHECK_THROWS_AS(Socket::listen(Endpoint::ip("127.0.0.1", 0), {.recv_buffer = -1}),
                    std::invalid_argument);
    CHECK_THROWS_WITH_AS(Socket::connect(Endpoint(), 1.0), doctest::Contains("empty Endpoint"),
                         std::invalid_argument);
    CHECK_THROWS_AS(Socket::listen(Endpoint()), std::invalid_argument);
  });
}

TEST_CASE("bad arguments to streams: huge read_bytes, a max_line of SIZE_MAX means no limit") {
  run([] {
    auto [c, s] = io_test::tcp_pair();
    BufferedStream in(c);
    // A negative count converted to size_t: refused before allocating anything.
    CHECK_THROWS_WITH_AS(in.read_bytes(static_cast<std::size_t>(-1), 1.0),
                         doctest::Contains("read_bytes"), std::invalid_argument);
    CHECK_THROWS_AS(BufferedStream(c, {.max_line = 0}), std::invalid_argument);

    // "No limit" (the largest size_t) must not overflow into a limit of 0 or 1.
    BufferedStream unlimited(c, {.max_line = std::numeric_limits<std::size_t>::max()});
    auto writer = Tasklet::spawn([&s = s] {
      s.write_all("abc", 1.0);
      Tasklet::sleep(0.02);
      s.write_all(std::string(70000, 'd') + "\n", 1.0);
      s.write_all("x,y", 1.0);
      s.close();
    });
    CHECK(unlimited.read_line(2.0) == "abc" + std::string(70000, 'd'));
    CHECK(unlimited.read_until(",", 1.0, std::numeric_limits<std::size_t>::max()) == "x,");
    CHECK(unlimited.read_line(1.0) == "y");
    writer.join();
  });
}

TEST_CASE("serve: a socket that does not listen, or no back-off, is refused at once") {
  run([] {
    auto [c, s] = io_test::tcp_pair();
    CHECK_THROWS_WITH_AS(weft::serve(std::move(c), [](Socket&) {}),
                         doctest::Contains("not listening"), std::invalid_argument);
    weft::ServerOptions o;
    o.accept_backoff = std::chrono::milliseconds(0);
    CHECK_THROWS_WITH_AS(weft::serve(Endpoint::ip("127.0.0.1", 0), [](Socket&) {}, o),
                         doctest::Contains("accept_backoff"), std::invalid_argument);
    o.accept_backoff = std::chrono::milliseconds(-5);
    CHECK_THROWS_AS(weft::serve(Endpoint::ip("127.0.0.1", 0), [](Socket&) {}, o),
                    std::invalid_argument);
  });
}

}  // TEST_SUITE
