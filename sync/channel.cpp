#include <stdexcept>
#include <string>

#include "sync/channel.hpp"
#include "sched/detail/loop.hpp"
#include "tasklet/tasklet.hpp"

namespace weft::detail {

void check_preference(int p) {
  if (p < -1 || p > 1) {
    throw std::invalid_argument("weft: a channel's preference is -1 (receiver), 0 (none) or 1 "
                                "(sender), not " + std::to_string(p));
  }
}

void give_way() {
  Loop* loop = Loop::current();
  if (loop != nullptr && loop->in_tasklet()) Tasklet::yield_();
}

}  // namespace weft::detail
