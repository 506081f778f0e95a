#include <exception>
#include <stdexcept>
#include <string>

#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Tasklet;
using weft_test::run;

TEST_SUITE("tasklet") {

TEST_CASE("a tasklet parked inside a catch block keeps its own exception across switches") {
  run([] {
    std::string rethrown;
    auto a = Tasklet::spawn([&] {
      try {
        throw std::runtime_error("a's error");
      } catch (...) {
        Tasklet::sleep(0.02);  // b throws and catches meanwhile
        try {
          throw;  // must rethrow a's exception, not b's
        } catch (const std::runtime_error& e) {
          rethrown = e.what();
        }
      }
    });
    auto b = Tasklet::spawn([] {
      try {
        throw std::logic_error("b's error");
      } catch (...) {
        Tasklet::sleep(0.04);  // still inside its catch when a resumes
        CHECK_THROWS_WITH(std::rethrow_exception(std::current_exception()), "b's error");
      }
    });
    a.join();
    b.join();
    CHECK(rethrown == "a's error");
  });
}

TEST_CASE("dispatch() inside a catch block: tasklets start with no exception, the thread keeps its own") {
  try {
    throw std::runtime_error("the thread's error");
  } catch (...) {
    bool clean_inside = false;
    std::string inside_own;
    run([&] {
      auto t = Tasklet::spawn([&] {
        clean_inside = std::current_exception() == nullptr && std::uncaught_exceptions() == 0;
        try {
          throw std::logic_error("the tasklet's error");
        } catch (...) {
          Tasklet::yield_();  // other contexts run meanwhile
          try {
            throw;
          } catch (const std::logic_error& e) {
            inside_own = e.what();
          }
        }
      });
      t.join();
    });
    CHECK(clean_inside);
    CHECK(inside_own == "the tasklet's error");
    try {
      throw;  // still the thread's own exception after dispatch()
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()) == "the thread's error");
    }
  }
}

TEST_CASE("std::uncaught_exceptions is per tasklet") {
  run([] {
    int seen_in_other = -1;
    struct Parks {
      int& seen;
      ~Parks() {
        // Unwinding: one exception in flight in this tasklet.
        CHECK(std::uncaught_exceptions() == 1);
        Tasklet::spawn([this] { seen = std::uncaught_exceptions(); });
        Tasklet::yield_();
      }
    };
    auto t = Tasklet::spawn([&] {
      try {
        Parks p{seen_in_other};
        throw std::runtime_error("unwinding");
      } catch (const std::runtime_error&) {
      }
    });
    t.join();
    CHECK(seen_in_other == 0);
  });
}

}
