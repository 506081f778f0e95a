#pragma once
// The dump's pieces, shared by weft::dump and the loop's reports (the
// deadlock report, what keeps dispatch() running after main, what a SIGINT
// ends): tasklet/dump.cpp. Loop thread only.

#include <cstddef>
#include <iosfwd>
#include <string>

#include "weft/tasklet/detail/record.hpp"
#include "weft/tasklet/dump.hpp"

namespace weft::detail {

// "#3 'worker'"
std::string tasklet_label(TaskletRecord& r);
// "join #4 'child'", "fd read 7", "lock 0x55d0c0a8", "receive"
std::string describe_wait(TaskletRecord& r);
// One dump line (ending in '\n'), with the backtrace lines after it if asked.
std::string tasklet_line(TaskletRecord& r, bool backtraces);
// The summary line; `total` receives the number of live tasklets.
std::string summary_line(std::size_t& total);
void write_dump(std::ostream& out, const DumpOptions& options);
// The live tasklets (non-daemons only if asked), one indented line each, at
// most `limit` of them.
std::string tasklet_list(bool nondaemon_only, std::size_t limit);

}  // namespace weft::detail
