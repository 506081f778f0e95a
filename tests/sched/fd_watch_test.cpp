#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

#include "sched/fd_watch.hpp"
#include "sched/loop.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Deadline;
using weft::FdEvents;
using weft::FdWake;
using weft::FdWatch;
using weft::Tasklet;
using weft::TimeoutError;
using weft::Wake;
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


TEST_CASE("FdWatch::wait: a wait on several events says which fired; never throws") {
  run([] {
    Pipe p;
    FdWatch r(p.r);
    FdWatch w(p.w);
    // The write end of an empty pipe is writable at once; only write fires.
    FdWake got = w.wait(FdEvents::read_write, Deadline::from(1.0));
    CHECK(got.wake == Wake::ready);
    CHECK(got.fired == FdEvents::write);
    CHECK_FALSE(got.closed);
    CHECK_FALSE(got.bad_fd);
    // Two tasklets wait on the read end for either event; data wakes both with read.
    FdWake a, b;
    auto ta = Tasklet::spawn([&] { a = r.wait(FdEvents::read_write, Deadline::never()); });
    auto tb = Tasklet::spawn([&] { b = r.wait(FdEvents::read_write, Deadline::never()); });
    while (r.waiting_readers() < 2) Tasklet::yield_();
    CHECK(r.waiting_writers() == 2);
    CHECK(::write(p.w, "x", 1) == 1);
    ta.join();
    tb.join();
    CHECK(a.wake == Wake::ready);
    CHECK(a.fired == FdEvents::read);
    CHECK(b.fired == FdEvents::read);
    // A one-event wait reports its event.
    got = r.wait(FdEvents::read, Deadline::from(1.0));
    CHECK(got.fired == FdEvents::read);
    char c;
    CHECK(::read(p.r, &c, 1) == 1);
    // Nothing wanted: returns at once, nothing fired.
    got = r.wait(FdEvents::none, Deadline::never());
    CHECK(got.wake == Wake::ready);
    CHECK(got.fired == FdEvents::none);
  });
}

TEST_CASE("FdWatch::wait reports a timeout, a kill, a close and a bad fd as outcomes") {
  run([] {
    Pipe p;
    FdWatch r(p.r);
    auto start = weft::now();
    FdWake got = r.wait(FdEvents::read, Deadline::from(0.05));
    CHECK(near(since(start), 0.05));
    CHECK(got.wake == Wake::timed_out);
    CHECK(got.fired == FdEvents::none);
    CHECK_FALSE(got.closed);
    // Killed: the wait returns killed; the tasklet then unwinds on its own terms.
    FdWake k;
    auto victim = Tasklet::spawn([&] {
      k = r.wait(FdEvents::read_write, Deadline::from(10.0));
      if (k.wake == Wake::killed) throw weft::TaskletExit{};
    });
    Tasklet::yield_();
    victim.kill();
    CHECK(victim.has_finished());
    CHECK(k.wake == Wake::killed);
    CHECK(k.fired == FdEvents::none);
    // close() wakes a waiter with closed, and later waits return it at once.
    FdWake c;
    auto waiter = Tasklet::spawn([&] { c = r.wait(FdEvents::read_write, Deadline::never()); });
    while (r.waiting_readers() < 1) Tasklet::yield_();
    r.close();
    waiter.join();
    CHECK(c.closed);
    CHECK(c.fired == FdEvents::none);
    CHECK(r.wait(FdEvents::read, Deadline::never()).closed);
    // Not an open fd: bad_fd at once, not the deadline.
    const int fd = ::dup(p.r);
    REQUIRE(fd >= 0);
    ::close(fd);
    FdWatch bad(fd);
    start = weft::now();
    got = bad.wait(FdEvents::read_write, Deadline::from(1.0));
    CHECK(since(start) < 0.5);
    CHECK(got.wake == Wake::ready);
    CHECK(got.bad_fd);
    CHECK_FALSE(got.closed);
    CHECK(got.fired == FdEvents::none);
  });
}

TEST_CASE("readers of one watch: the first waits alone, those behind it wait in line; all are woken") {
  run([] {
    Pipe p;
    FdWatch watch(p.r);
    // The first reader times out and the watch takes the next one as before.
    CHECK_THROWS_AS(watch.wait_readable(0.01), TimeoutError);
    CHECK(watch.waiting_readers() == 0);
    int woken = 0;
    auto first = Tasklet::spawn([&] { woken += watch.wait_readable(5.0) ? 1 : 0; });
    auto second = Tasklet::spawn([&] { woken += watch.wait_readable(5.0) ? 1 : 0; });
    auto victim = Tasklet::spawn([&] { watch.wait_readable(5.0); });
    while (watch.waiting_readers() < 3) Tasklet::yield_();
    victim.kill();  // leaves the line without taking anybody's wake-up
    CHECK(watch.waiting_readers() == 2);
    REQUIRE(::write(p.w, "x", 1) == 1);
    first.join(1.0);
    second.join(1.0);
    CHECK(woken == 2);
    // The first reader killed while others wait behind it: they still get the data.
    char c;
    REQUIRE(::read(p.r, &c, 1) == 1);
    auto head = Tasklet::spawn([&] { watch.wait_readable(5.0); });
    auto behind = Tasklet::spawn([&] { woken += watch.wait_readable(5.0) ? 1 : 0; });
    while (watch.waiting_readers() < 2) Tasklet::yield_();
    head.kill();
    CHECK(watch.waiting_readers() == 1);
    REQUIRE(::write(p.w, "y", 1) == 1);
    behind.join(1.0);
    CHECK(woken == 3);
  });
}

TEST_CASE("edge mode: readiness that arrives for a reader killed before it ran is kept for the next wait") {
  run([] {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
    {
      FdWatch watch(sv[0], weft::Readiness::edge);
      REQUIRE(watch.edge_triggered());
      auto reader = Tasklet::spawn([&] { watch.wait_readable(5.0); });
      while (watch.waiting_readers() < 1) Tasklet::yield_();
      REQUIRE(::write(sv[1], "x", 1) == 1);
      // The loop polls and wakes the reader (it leaves the watch's waiters);
      // this tasklet, queued before it, kills it before it runs.
      auto killer = Tasklet::spawn([&] {
        while (watch.waiting_readers() != 0) Tasklet::yield_();
        CHECK_FALSE(reader.has_finished());
        reader.kill();
      });
      killer.join(1.0);
      CHECK(reader.has_finished());
      auto start = weft::now();
      CHECK(watch.wait_readable(1.0));  // the edge was not lost
      CHECK(since(start) < 0.5);
      watch.close();
    }
    ::close(sv[0]);
    ::close(sv[1]);
  });
}

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

TEST_CASE("FdWatch on a regular file: always ready, wait after wait, with nothing else to run") {
  char path[] = "/tmp/weft_fd_watch_XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::unlink(path);
  run([fd] {
    FdWatch level(fd);
    const auto start = weft::now();
    // The watch stays armed between these waits: each one must still see the
    // file ready, though the loop has nothing else to do and would block.
    for (int i = 0; i < 3; ++i) CHECK(level.wait_readable(1.0));
    FdWatch edge(fd, weft::Readiness::edge);  // a file cannot be in an epoll set: level, as above
    CHECK_FALSE(edge.edge_triggered());
    for (int i = 0; i < 3; ++i) CHECK(edge.wait_writable(1.0));
    CHECK(since(start) < 0.5);
  });
  ::close(fd);
}

}
