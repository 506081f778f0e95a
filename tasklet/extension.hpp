#pragma once
// Extension API of the tasklet layer: the record behind a Tasklet handle
// (Tasklet::record()), for the layers above that keep per-tasklet state or
// address tasklets (mailbox, task-locals of other layers, compat_twisted).
// Loop-thread only.

#include <string>

#include "weft/tasklet/detail/record.hpp"
#include "weft/tasklet/tasklet.hpp"

namespace weft::detail {

// The tasklet's name, derived on first use.
const std::string& name_of(TaskletRecord& r);

}  // namespace weft::detail
