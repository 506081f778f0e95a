#pragma once
// The messages of the remote tests, shared by the test process and its peer
// (tests/remote/peer.cpp).

#include <string>
#include <tuple>
#include <vector>

namespace remote_test {

// Concurrence's remote test: the sum of the numbers (10 + 20 + 30 = 60).
struct Sum {
  using reply = int;
  static constexpr const char* wire_name = "Sum";
  std::vector<int> numbers;
  auto tie() { return std::tie(numbers); }
};
// Replies `value` after `seconds`.
struct Slow {
  using reply = int;
  static constexpr const char* wire_name = "Slow";
  double seconds = 0;
  int value = 0;
  auto tie() { return std::tie(seconds, value); }
};
// After `seconds`, replies whether the caller still waits (wants_reply()),
// and notes it in the peer's verdicts.
struct Patient {
  using reply = bool;
  static constexpr const char* wire_name = "Patient";
  double seconds = 0;
  auto tie() { return std::tie(seconds); }
};
// The verdicts so far (1: wants_reply() was true), in the order noted.
struct Verdicts {
  using reply = std::vector<int>;
  static constexpr const char* wire_name = "Verdicts";
  auto tie() { return std::tie(); }
};
// One-way: appended to the peer's record.
struct Record {
  static constexpr const char* wire_name = "Record";
  int value = 0;
  auto tie() { return std::tie(value); }
};
// The record so far.
struct Fetch {
  using reply = std::vector<int>;
  static constexpr const char* wire_name = "Fetch";
  auto tie() { return std::tie(); }
};
// Answered with reply_error(std::runtime_error(text)).
struct Fail {
  using reply = int;
  static constexpr const char* wire_name = "Fail";
  std::string text;
  auto tie() { return std::tie(text); }
};
// The serving tasklet finishes with this call unanswered.
struct Quit {
  using reply = int;
  static constexpr const char* wire_name = "Quit";
  auto tie() { return std::tie(); }
};
// A Sum that does not name its reply type (a caller picks R).
struct UntypedSum {
  static constexpr const char* wire_name = "Sum";
  std::vector<int> numbers;
  auto tie() { return std::tie(numbers); }
};
// On the wire as a Sum, but with a body a Sum does not decode from.
struct BadSum {
  using reply = int;
  static constexpr const char* wire_name = "Sum";
  std::string numbers;
  auto tie() { return std::tie(numbers); }
};

}  // namespace remote_test
