#pragma once
// run_seeds: a test body under many scheduling orders, to shake out races.
//
//   weft::run_seeds(100, [] { ... spawn, yield, assert ... },
//                   {.virtual_time = true});   // throws SeedFailure naming the seed
//
// Each run is a dispatch() of its own with DispatchOptions::schedule_seed set
// to 1, 2, ... seeds; a failure is reproduced by running that one seed again
// (dispatch with schedule_seed = failure.seed(), and virtual time when the
// body waits on timers, so that timers cannot differ either).

#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>

#include "weft/tasklet/dispatch.hpp"

namespace weft {

// The run of one seed failed: an exception escaped the body (cause()) or the
// run's exit code was not 0. The message names the seed and what failed.
class SeedFailure : public std::runtime_error {
 public:
  SeedFailure(std::uint64_t seed, std::exception_ptr cause, int exit_code);
  std::uint64_t seed() const noexcept { return seed_; }
  std::exception_ptr cause() const noexcept { return cause_; }
  int exit_code() const noexcept { return exit_code_; }

 private:
  std::uint64_t seed_;
  std::exception_ptr cause_;
  int exit_code_;
};

// Runs dispatch(body, options) once per seed in 1..seeds (options' own
// schedule_seed and main_error are replaced); throws SeedFailure at the first
// seed whose run fails. Throws std::invalid_argument when seeds is 0. Call it
// outside dispatch().
template <class F>
void run_seeds(unsigned seeds, F&& body, DispatchOptions options = {}) {
  if (seeds == 0) throw std::invalid_argument("weft: run_seeds() needs at least one seed");
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    std::exception_ptr error;
    options.schedule_seed = seed;
    options.main_error = &error;
    const int code = dispatch(body, options);
    if (error || code != 0) throw SeedFailure(seed, error, code);
  }
}

}  // namespace weft
