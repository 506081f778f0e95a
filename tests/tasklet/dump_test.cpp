// weft::dump: the tree, states, wait kinds and targets; backtraces; SIGQUIT.

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "compat_twisted/deferred.hpp"
#include "compat_twisted/inline_callbacks.hpp"
#include "io/server.hpp"
#include "mailbox/mailbox.hpp"
#include "sched/fd_watch.hpp"
#include "sched/to_thread.hpp"
#include "sync/channel.hpp"
#include "sync/event.hpp"
#include "sync/lock.hpp"
#include "sync/semaphore.hpp"
#include "tasklet/dump.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Tasklet;
using weft_test::contains;
using weft_test::run;

namespace {

std::string addr(const void* p) {
  std::ostringstream s;
  s << p;
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The part of a dump line before its timings, stack and mailbox.
std::string head(const std::string& line) { return line.substr(0, line.find(';')); }

volatile int after_park = 0;

// Not inlined, and something after the wait: the frame stays on the stack.
[[gnu::noinline]] void parks_in_this_function(weft::Event& e) {
  e.wait();
  after_park = after_park + 1;
}

}  // namespace

TEST_SUITE("tasklet") {

TEST_CASE("the dump of a known tree, one tasklet parked in each kind of wait, matches line by line") {
  run([] {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    weft::Lock lock;
    lock.acquire();
    weft::Semaphore sem(0);
    weft::Event event;
    weft::Channel<int> chan;
    weft::twisted::Deferred deferred;
    std::vector<Tasklet> ts;
    auto sleeper = Tasklet::spawn([] { Tasklet::sleep(10.0); }, {.name = "sleeper"});  // #2
    auto child = Tasklet::spawn([] { weft::receive(); }, {.name = "child"});             // #3
    auto joiner = Tasklet::spawn([&] { child.join(); }, {.name = "joiner"});           // #4
    auto callee = Tasklet::spawn([&] { event.wait(); }, {.name = "callee"});           // #5
    auto caller = Tasklet::spawn([&] { weft::call<int>(callee, 1); }, {.name = "caller"});
    auto full = Tasklet::spawn([&] { lock.acquire(); }, {.name = "full", .max_mailbox_len = 1});
    weft::send(full, 0);
    auto sender = Tasklet::spawn([&] { weft::send(full, 1); }, {.name = "sender"});    // #8
    auto sem_t = Tasklet::spawn([&] { sem.acquire(); }, {.name = "sem"});
    auto chan_t = Tasklet::spawn([&] { chan.receive(); }, {.name = "chan"});
    auto reader = Tasklet::spawn([&] { weft::wait_fd(fds[0], false); }, {.name = "reader"});
    auto worker = Tasklet::spawn(
        [] { weft::to_thread([] { std::this_thread::sleep_for(std::chrono::milliseconds(100)); }); },
        {.name = "worker"});
    auto waiter = Tasklet::spawn([&] { weft::twisted::wait(deferred); }, {.name = "deferred"});
    Tasklet::spawn([] {}, {.name = "late"});  // #14: ends before the dump
    for (int i = 0; i < 5; ++i) Tasklet::yield_();
    Tasklet::spawn([] {}, {.name = "unstarted"});

    const std::string text = weft::dump_string();
    INFO(text);
    const std::vector<std::string> lines = lines_of(text);
    const std::vector<std::string> expected = {
        "weft dump: 14 tasklets: 1 running, 0 runnable, 1 not started, 12 parked (1 sleep, "
        "1 receive, 1 join, 1 event, 1 call, 1 lock, 1 send, 1 semaphore, 1 channel, 1 fd read, "
        "1 to_thread, 1 deferred)",
        "#1 'main' running",
        "  #2 'sleeper' parked: sleep",
        "  #3 'child' parked: receive",
        "  #4 'joiner' parked: join #3 'child'",
        "  #5 'callee' parked: event " + addr(&event),
        "  #6 'caller' parked: call #5 'callee'",
        "  #7 'full' parked: lock " + addr(&lock),
        "  #8 'sender' parked: send #7 'full'",
        "  #9 'sem' parked: semaphore " + addr(&sem),
        "  #10 'chan' parked: channel " + addr(&chan),
        "  #11 'reader' parked: fd read " + std::to_string(fds[0]),
        "  #12 'worker' parked: to_thread",
        "  #13 'deferred' parked: deferred " + addr(deferred.state().get()),
        "  #15 'unstarted' created",
    };
    REQUIRE(lines.size() == expected.size());
    CHECK(lines[0] == expected[0]);
    for (std::size_t i = 1; i < lines.size(); ++i) {
      if (expected[i].find("to_thread") != std::string::npos) {
        CHECK(head(lines[i]).rfind(expected[i], 0) == 0);  // the job's address is not known here
      } else {
        CHECK(head(lines[i]) == expected[i]);
      }
    }
    // What follows the state: the wait's length and deadline, mailbox, stack.
    CHECK(contains(lines[2], "; for "));  // 0 or 1 ms: stamped at the loop's last poll
    // Of 10 s, counted from the coarse clock: up to 10 ms late (docs/sched.md, "Clock readings").
    CHECK((contains(lines[2], " ms; deadline in 99") || contains(lines[2], " ms; deadline in 10 s")));
    CHECK(contains(lines[3], "; no deadline; mailbox 0; stack "));
    CHECK(contains(lines[5], "; mailbox 1;"));  // the call waiting in callee's mailbox
    CHECK(contains(lines[7], "; mailbox 1;"));
    CHECK(contains(lines[1], "; stack "));
    CHECK(contains(lines[14], "; no stack"));

    // The limit caps the list, not the summary.
    const std::vector<std::string> capped = lines_of(weft::dump_string({.limit = 3}));
    REQUIRE(capped.size() == 5);
    CHECK(capped[0] == expected[0]);
    CHECK(capped[4] == "... and 11 more");

    for (Tasklet* t : {&sleeper, &joiner, &child, &caller, &callee, &sender, &full, &sem_t,
                       &chan_t, &reader, &worker, &waiter}) {
      t->kill();
    }
    lock.release();
    ::close(fds[0]);
    ::close(fds[1]);
  });
}

TEST_CASE("a tasklet waiting for a server to stop is parked on the server") {
  run([] {
    weft::Server server = weft::serve(weft::Endpoint::parse("127.0.0.1:0"), [](weft::Socket&) {});
    auto joiner = Tasklet::spawn([&] { server.join(); }, {.name = "joiner"});
    Tasklet::yield_();
    const std::string text = weft::dump_string();
    INFO(text);
    CHECK(contains(text, "'joiner' parked: server "));
    server.stop();
    joiner.join(2.0);
  });
}

TEST_CASE("a parked tasklet's backtrace names the function it parked in") {
  run([] {
    weft::Event event;
    auto t = Tasklet::spawn([&] { parks_in_this_function(event); }, {.name = "deep"});
    Tasklet::yield_();
    const std::string text = weft::dump_string({.backtraces = true});
    INFO(text);
    const std::size_t at = text.find("'deep' parked: event");
    REQUIRE(at != std::string::npos);
    const std::string after = text.substr(at);
    if (contains(text, "(backtraces need libunwind")) {
      MESSAGE("backtraces not checked: libunwind is missing (make deps installs it)");
    } else {
      CHECK(contains(after, "    at "));
      CHECK(contains(after, "parks_in_this_function"));
      // The caller's own stack too: main runs the dump.
      CHECK(contains(text.substr(0, at), "    at "));
    }
    event.set();
    t.join();
  });
}

TEST_CASE("SIGQUIT writes the dump to stderr when dispatch was asked to, and the program goes on") {
  weft_test::StderrCapture err;
  const int code = run(
      [] {
        auto t = Tasklet::spawn([] { Tasklet::sleep(10.0); }, {.name = "napper"});
        ::raise(SIGQUIT);
        Tasklet::sleep(0.05);
        t.kill();
        return 7;
      },
      {.dump_on_sigquit = true});
  const std::string text = err.text();
  INFO(text);
  CHECK(code == 7);
  CHECK(contains(text, "weft dump: 2 tasklets: 0 running, 0 runnable, 0 not started, 2 parked"));
  CHECK(contains(text, "#2 'napper' parked: sleep"));
}

}  // TEST_SUITE
