// Exit diagnostics: the deadlock report, what keeps dispatch() running after
// main returned, what a SIGINT ends.

#include <signal.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "mailbox/mailbox.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Tasklet;
using weft_test::contains;
using weft_test::LogCapture;
using weft_test::run_logged;

namespace {

// Captures the log, and ends dispatch() when a line contains `quit_on`.
struct QuittingLog {
  LogCapture log;
  std::string quit_on;
  std::vector<weft::LogLevel> levels;
  weft::LogHandler handler() {
    return [this](weft::LogLevel level, std::string_view m) {
      log.lines.emplace_back(m);
      levels.push_back(level);
      if (!quit_on.empty() && contains(m, quit_on)) weft::quit(5);
    };
  }
};

}  // namespace

TEST_SUITE("tasklet") {

TEST_CASE("a forgotten receiver that nothing can wake is reported as a deadlock, with its wait") {
  QuittingLog q;
  q.quit_on = "deadlock";
  weft::DispatchOptions options;
  options.log = q.handler();
  const int code = weft_test::run(
      [] { weft::receiver([](weft::Message&) {}, {.name = "forgotten"}); }, options);
  CHECK(code == 5);  // the report came, and its handler ended dispatch()
  REQUIRE(q.log.count("deadlock") == 1);
  const std::string& report = q.log.lines.at(q.log.lines.size() - 1);
  INFO(report);
  CHECK(contains(report, "nothing can wake them"));
  CHECK(contains(report, "#2 'forgotten' parked: receive"));
}

TEST_CASE("no deadlock report for a tasklet sleeping with a timer, or one parked while another thread holds the door") {
  QuittingLog q;
  weft::DispatchOptions options;
  options.log = q.handler();
  weft_test::run([] { Tasklet::spawn([] { Tasklet::sleep(0.2); }, {.name = "sleeper"}); },
                 options);
  CHECK(q.log.count("deadlock") == 0);

  // A receiver that another thread can still reach (it holds the loop's door).
  weft::LoopRef door;
  std::thread poster;
  const int code = weft_test::run(
      [&] {
        weft::receiver([](weft::Message&) {}, {.name = "served"});
        door = weft::this_loop();
        poster = std::thread([&door] {
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          door.post([] { weft::quit(3); });
        });
      },
      options);
  poster.join();
  CHECK(code == 3);
  CHECK(q.log.count("deadlock") == 0);
}

TEST_CASE("when main returns while others keep dispatch running: debug at once, info after the delay") {
  QuittingLog q;
  weft::DispatchOptions options;
  options.log = q.handler();
  options.linger_report = std::chrono::milliseconds(100);
  weft_test::run(
      [] {
        Tasklet::spawn([] { Tasklet::sleep(0.3); }, {.name = "straggler"});
        Tasklet::yield_();  // it parks in its sleep
      },
      options);
  REQUIRE(q.log.lines.size() == 2);
  CHECK(q.levels[0] == weft::LogLevel::debug);
  CHECK(contains(q.log.lines[0], "main has returned"));
  CHECK(contains(q.log.lines[0], "#2 'straggler' parked: sleep"));
  CHECK(q.levels[1] == weft::LogLevel::info);
  CHECK(contains(q.log.lines[1], "still goes on"));
  CHECK(contains(q.log.lines[1], "#2 'straggler' parked: sleep"));

  // Nothing when main is the last to end, or when the others end first.
  QuittingLog quiet;
  options.log = quiet.handler();
  weft_test::run([] { Tasklet::spawn([] {}).join(); }, options);
  CHECK(quiet.log.lines.empty());
}

TEST_CASE("a SIGINT that ends a program whose main returned lists what was still alive") {
  QuittingLog q;
  weft::DispatchOptions options;
  options.log = q.handler();
  const int code = weft_test::run(
      [] {
        Tasklet::spawn([] { Tasklet::sleep(10.0); }, {.name = "lingerer"});
        Tasklet::spawn([] {
          Tasklet::sleep(0.05);
          ::raise(SIGINT);
          Tasklet::sleep(10.0);
        }, {.name = "interrupter", .daemon = true});
      },
      options);
  CHECK(code == 130);
  REQUIRE(q.log.count("SIGINT") == 1);
  for (const std::string& line : q.log.lines) {
    if (!contains(line, "SIGINT")) continue;
    INFO(line);
    CHECK(contains(line, "still alive"));
    CHECK(contains(line, "#2 'lingerer' parked: sleep"));
    CHECK_FALSE(contains(line, "interrupter"));  // a daemon keeps nothing alive
  }
}

}  // TEST_SUITE
