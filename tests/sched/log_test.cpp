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

}
