#pragma once
// The exception a call() throws when its reply can never come.

#include "weft/sched/config.hpp"

#include <stdexcept>

namespace weft {

// call() to a tasklet that has finished, or whose message was destroyed
// unanswered (the callee dropped it, or finished with it still in its
// mailbox). The message names the callee and says which.
class CallError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace weft
