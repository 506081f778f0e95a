#include "tasklet/seeds.hpp"

#include "sched/log.hpp"

namespace weft {

namespace {

std::string seed_message(std::uint64_t seed, const std::exception_ptr& cause, int exit_code) {
  std::string m = "weft: the run with schedule_seed " + std::to_string(seed) + " failed: ";
  if (!cause) return m + "exit code " + std::to_string(exit_code);
  try {
    std::rethrow_exception(cause);
  } catch (...) {
    return m + describe_current_exception();
  }
}

}  // namespace

SeedFailure::SeedFailure(std::uint64_t seed, std::exception_ptr cause, int exit_code)
    : std::runtime_error(seed_message(seed, cause, exit_code)),
      seed_(seed),
      cause_(std::move(cause)),
      exit_code_(exit_code) {}

}  // namespace weft
