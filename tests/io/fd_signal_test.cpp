#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "io/fd_events.hpp"
#include "sched/loop.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::FdEvents;
using weft::Tasklet;
using weft::TimeoutError;
using weft_test::near;
using weft_test::run;
using weft_test::since;

TEST_SUITE("io") {

TEST_CASE("wait_fd_events: readiness of any fd, either direction, with a timeout") {
  run([] {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    // The write end of an empty pipe is writable at once.
    CHECK(weft::wait_fd_events(fds[1], FdEvents::write, 1.0) == FdEvents::write);
    CHECK(weft::wait_fd_events(fds[1], FdEvents::read_write, 1.0) == FdEvents::write);
    // The read end waits for data.
    auto start = weft::now();
    CHECK_THROWS_WITH_AS(weft::wait_fd_events(fds[0], FdEvents::read, 0.1),
                         doctest::Contains("wait for fd"), TimeoutError);
    CHECK(near(since(start), 0.1));
    Tasklet::later(0.05, [w = fds[1]] { (void)::write(w, "x", 1); });
    start = weft::now();
    const FdEvents got = weft::wait_fd_events(fds[0], FdEvents::read | FdEvents::write, 1.0);
    CHECK(near(since(start), 0.05));
    CHECK(has(got, FdEvents::read));
    CHECK_FALSE(has(got, FdEvents::write));
    CHECK_FALSE(has(got, FdEvents::none));
    CHECK((got & FdEvents::read) == FdEvents::read);
    // Killed while waiting: unwinds, and the registration is gone (the leak check agrees).
    char c;
    (void)::read(fds[0], &c, 1);
    auto waiter = Tasklet::spawn([r = fds[0]] { weft::wait_fd_events(r, FdEvents::read, 10.0); });
    Tasklet::yield_();
    waiter.kill();
    CHECK(waiter.has_finished());
    CHECK(weft::loop_stats().live_watchers == 0);
    CHECK_THROWS_AS(weft::wait_fd_events(fds[0], FdEvents::none, 1.0), std::invalid_argument);
    CHECK_THROWS_AS(weft::wait_fd_events(-1, FdEvents::read, 1.0), std::invalid_argument);
    // Not an open fd: EBADF at once, not the timeout.
    const int closed = ::dup(fds[0]);
    REQUIRE(closed >= 0);
    ::close(closed);
    start = weft::now();
    try {
      weft::wait_fd_events(closed, FdEvents::read_write, 1.0);
      FAIL("no error");
    } catch (const std::system_error& e) {
      CHECK(e.code().value() == EBADF);
    }
    CHECK(since(start) < 0.5);
    CHECK(weft::loop_stats().live_watchers == 0);
    ::close(fds[0]);
    ::close(fds[1]);
  });
}

}  // TEST_SUITE
