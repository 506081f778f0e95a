#pragma once
// The exception a Channel throws once it is closed.

#include "weft/sched/config.hpp"

#include <stdexcept>

namespace weft {

// A send on a closed Channel, or a receive on one that is closed and has no
// value left. The message names the operation: "weft: Channel receive failed:
// the channel is closed". (A range-for over a channel ends at close instead.)
class ChannelClosed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace weft
