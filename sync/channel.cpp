#include "sync/channel.hpp"

#include <stdexcept>
#include <string>

#include "sched/errors.hpp"
#include "sched/extension.hpp"

namespace weft::detail {

void check_preference(int p) {
  if (p < -1 || p > 1) {
    throw std::invalid_argument("weft: a channel's preference is -1 (receiver), 0 (none) or 1 "
                                "(sender), not " + std::to_string(p));
  }
}

void throw_channel_closed(const char* op) {
  throw ChannelClosed(std::string("weft: Channel ") + op + " failed: the channel is closed");
}

void give_way() {
  if (in_tasklet() && yield_turn() == Wake::killed) throw TaskletExit{};
}

}  // namespace weft::detail
