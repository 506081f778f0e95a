// Socket::wait_hang_up: the peer's close or reset ends the wait; bytes that
// arrive do not, nor are they lost to the read that follows.

#include <string>

#include "io/socket.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/io/support.hpp"
#include "tests/support/weft_test.hpp"

using io_test::tcp_pair;
using weft::Tasklet;
using weft_test::run;
using weft_test::since;

namespace {

// Waits for `s` to hang up in a tasklet; `when` is the seconds it took (-1: not yet).
Tasklet watch(weft::Socket& s, double& when) {
  return Tasklet::spawn([&s, &when] {
    const auto start = weft::now();
    s.wait_hang_up(5.0);
    when = since(start);
  });
}

}  // namespace

TEST_SUITE("io") {

TEST_CASE("Socket::wait_hang_up returns when the peer closes or resets, not when bytes arrive") {
  for (const bool reset : {false, true}) {
    CAPTURE(reset);
    run([reset] {
      auto [c, s] = tcp_pair();
      double when = -1;
      Tasklet t = watch(s, when);
      c.write_all("more requests", 1.0);
      Tasklet::sleep(0.1);
      CHECK(when < 0);  // bytes came: still waiting
      if (reset) {
        c.close_with_reset();
      } else {
        c.close();
      }
      Tasklet::join(t, 2.0);
      CHECK(when < 0.5);  // at once, not at the 5 s timeout
      if (!reset) {  // the bytes are still there to read, then the end
        char buf[64];
        CHECK(std::string(buf, s.read({buf, sizeof buf}, 1.0)) == "more requests");
        CHECK(s.read({buf, sizeof buf}, 1.0) == 0);
      }
    });
  }
}

TEST_CASE("Socket::wait_hang_up: at once when the peer has gone already; a timeout otherwise") {
  run([] {
    auto [c, s] = tcp_pair();
    c.close();
    Tasklet::sleep(0.05);
    const auto start = weft::now();
    s.wait_hang_up(2.0);
    CHECK(since(start) < 0.5);

    auto [c2, s2] = tcp_pair();
    const auto t0 = weft::now();
    CHECK_THROWS_AS(s2.wait_hang_up(0.1), weft::TimeoutError);
    CHECK(since(t0) >= 0.09);
  });
}

TEST_CASE("Socket::wait_hang_up: bytes that came during the wait are read at once after it") {
  run([] {
    auto [c, s] = tcp_pair();
    char buf[64];
    c.write_all("a", 1.0);
    CHECK(s.read({buf, sizeof buf}, 1.0) == 1);  // a short read: the socket expects an edge next
    double when = -1;
    Tasklet t = Tasklet::spawn([&] {
      try {
        s.wait_hang_up(0.2);
      } catch (const weft::TimeoutError&) {
        when = 0;
      }
    });
    Tasklet::sleep(0.05);
    c.write_all("b", 1.0);  // its edge goes to the wait, which parks again
    Tasklet::join(t, 2.0);
    CHECK(when == 0);
    const auto start = weft::now();
    CHECK(s.read({buf, sizeof buf}, 2.0) == 1);  // not parked waiting for an edge that came
    CHECK(buf[0] == 'b');
    CHECK(since(start) < 0.5);
  });
}

}  // TEST_SUITE
