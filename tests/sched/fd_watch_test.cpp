#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "sched/fd_watch.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::FdWatch;
using weft::Tasklet;
using weft_test::near;
using weft_test::run;
using weft_test::since;

namespace {

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_NONBLOCK) == 0);
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    ::close(r);
    ::close(w);
  }
};

}  // namespace

TEST_SUITE("sched") {

TEST_CASE("wait_readable parks until data arrives; wait_writable returns at once on an empty pipe") {
  run([] {
    Pipe p;
    FdWatch watch(p.r);
    auto writer = Tasklet::spawn([&] {
      Tasklet::sleep(0.05);
      CHECK(::write(p.w, "x", 1) == 1);
    });
    auto start = weft::now();
    CHECK(watch.wait_readable());
    CHECK(near(since(start), 0.05));
    char c;
    CHECK(::read(p.r, &c, 1) == 1);
    FdWatch wwatch(p.w);
    CHECK(wwatch.wait_writable(0.1));
    CHECK(watch.fd() == p.r);
    writer.join();
  });
}

TEST_CASE("fd waits time out, and close() wakes every waiter with false") {
  run([] {
    Pipe p;
    FdWatch watch(p.r);
    auto start = weft::now();
    CHECK_THROWS_WITH_AS(watch.wait_readable(0.05), doctest::Contains("to be readable"),
                         weft::TimeoutError);
    CHECK(near(since(start), 0.05));
    bool r1 = true, r2 = true;
    auto a = Tasklet::spawn([&] { r1 = watch.wait_readable(); });
    auto b = Tasklet::spawn([&] { r2 = watch.wait_readable(); });
    while (watch.waiting_readers() < 2) Tasklet::yield_();
    watch.close();
    a.join();
    b.join();
    CHECK_FALSE(r1);
    CHECK_FALSE(r2);
    CHECK(watch.closed());
    CHECK_FALSE(watch.wait_readable());  // refused after close
    CHECK(weft::loop_stats().live_watchers == 1);  // the watch still exists
  });
}

TEST_CASE("a wait on an fd that is not open throws EBADF at once; the watch works again once it is") {
  run([] {
    Pipe p;
    const int fd = ::dup(p.r);
    REQUIRE(fd >= 0);
    ::close(fd);  // behind the watch's back
    FdWatch w(fd);
    auto start = weft::now();
    try {
      w.wait_readable(1.0);
      FAIL("no error");
    } catch (const std::system_error& e) {
      CHECK(e.code().value() == EBADF);
      CHECK(std::string(e.what()).find("fd " + std::to_string(fd)) != std::string::npos);
    }
    CHECK_THROWS_AS(w.wait_writable(1.0), std::system_error);
    CHECK(since(start) < 0.5);  // not the timeout
    CHECK_THROWS_AS(weft::wait_fd(fd, false, 1.0), std::system_error);
    // The same number open again (here: the pipe's read end): the watch re-arms.
    REQUIRE(::dup2(p.r, fd) == fd);
    REQUIRE(::write(p.w, "x", 1) == 1);
    CHECK(w.wait_readable(1.0));
    w.close();
    ::close(fd);
  });
}

TEST_CASE("an fd closed during a wait: the kernel drops it silently, the wait's timeout ends it") {
  run([] {
    Pipe p;
    const int fd = ::dup(p.r);
    REQUIRE(fd >= 0);
    FdWatch w(fd);
    auto closer = Tasklet::spawn([fd] {
      Tasklet::sleep(0.02);  // the loop has polled: the wait is established
      ::close(fd);
    });
    auto start = weft::now();
    CHECK_THROWS_AS(w.wait_readable(0.1), weft::TimeoutError);
    CHECK(near(since(start), 0.1));
    closer.join();
    w.close();
    FdWatch fresh(fd);  // a new watch arms it anew: now the closed fd is seen
    CHECK_THROWS_AS(fresh.wait_readable(1.0), std::system_error);
  });
}

TEST_CASE("wait_fd is a one-shot readiness wait") {
  run([] {
    Pipe p;
    auto w = Tasklet::spawn([&] {
      Tasklet::sleep(0.02);
      CHECK(::write(p.w, "y", 1) == 1);
    });
    weft::wait_fd(p.r, false, 1.0);
    CHECK_THROWS_AS(weft::wait_fd(p.r, false, -0.5), weft::TimeoutError);  // expired: no park
    w.join();
    CHECK_THROWS_AS(FdWatch(-1), std::invalid_argument);
  });
}

TEST_CASE("a tasklet spinning on yield_ cannot starve one waiting for IO") {
  run([] {
    Pipe p;
    bool got_data = false;
    auto reader = Tasklet::spawn([&] {
      FdWatch watch(p.r);
      watch.wait_readable();
      got_data = true;
    });
    Tasklet::yield_();  // the reader parks
    CHECK(::write(p.w, "z", 1) == 1);
    auto start = weft::now();
    while (!got_data && since(start) < 1.0) Tasklet::yield_();  // never parks
    CHECK(got_data);
    // The loop polls within max(61 switches, 100 us) even while we spin.
    CHECK(since(start) < 0.01);
    reader.join();
  });
}

}
