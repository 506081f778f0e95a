#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

#include "sched/errors.hpp"
#include "sched/log.hpp"
#include "tests/support/weft_test.hpp"

TEST_SUITE("sched") {

TEST_CASE("log goes to the loop's handler") {
  weft_test::LogCapture log;
  weft_test::run_logged(log, [] { weft::log(weft::LogLevel::warning, "hello handler"); });
  CHECK(log.count("hello handler") == 1);
  weft::log(weft::LogLevel::info, "no loop: this line goes to stderr");  // must not crash
}

TEST_CASE("describe_current_exception names the type and the message") {
  CHECK(weft::describe_current_exception() == "no exception");
  try {
    throw std::out_of_range("index 7");
  } catch (...) {
    CHECK(weft::describe_current_exception() == "std::out_of_range: index 7");
  }
  try {
    throw weft::TaskletExit{};
  } catch (...) {
    CHECK(weft::describe_current_exception() == "TaskletExit");
  }
  try {
    throw 42;
  } catch (...) {
    CHECK(weft::describe_current_exception() == "int");
  }
  CHECK(std::string(weft::TaskletExit{}.what()) == "TaskletExit");
}


TEST_CASE("a log line to a stderr whose reader has gone does not kill the program with SIGPIPE") {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::signal(SIGPIPE, SIG_DFL);
    int p[2];
    if (::pipe(p) != 0) ::_exit(2);
    ::close(p[0]);  // nobody reads
    ::dup2(p[1], STDERR_FILENO);
    weft::log(weft::LogLevel::error, "nobody hears this");
    weft::log(weft::LogLevel::warning, "nor this");
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK_MESSAGE(WIFEXITED(status), "killed by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0));
  CHECK(WEXITSTATUS(status) == 0);
}

}
