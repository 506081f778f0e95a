#pragma once
// Helpers shared by the compat_twisted tests.

#include <stdexcept>
#include <string>
#include <vector>

#include "compat_twisted/twisted.hpp"
#include "tests/support/weft_test.hpp"

namespace twisted_test {

// The GenericError of Twisted's test suite.
class GenericError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Runs body in a fresh loop (weft_test::run) with unhandled Deferred errors
// collected into `unhandled` instead of the log.
template <class F>
int run(F&& body, std::vector<std::string>* unhandled = nullptr) {
  return weft_test::run([&] {
    weft::twisted::setUnhandledErrorHook([unhandled](const weft::twisted::Failure& f) {
      if (unhandled != nullptr) unhandled->push_back(f.typeName() + ": " + f.getErrorMessage());
    });
    body();
  });
}

// Records every result a Deferred's chain passes through.
struct Recorder {
  std::vector<weft::twisted::Result> results;
  auto callback() {
    return [this](weft::twisted::Result& r) {
      results.push_back(r);
      return r;
    };
  }
};

}  // namespace twisted_test
