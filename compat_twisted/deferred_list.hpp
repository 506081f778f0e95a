#pragma once
// DeferredList and gatherResults: one Deferred for the outcome of several
// (twisted.internet.defer.DeferredList, gatherResults, FirstError).

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <vector>

#include "weft/compat_twisted/deferred.hpp"

namespace weft::twisted {

// One member's outcome: (success, result). result is the value, or the Failure.
struct DeferredListItem {
  bool success;
  Result result;
};
// What a DeferredList fires with once every member has finished.
using DeferredListResult = std::vector<DeferredListItem>;
// What a DeferredList with fireOnOneCallback fires with: (result, index).
struct DeferredListHit {
  Result result;
  std::size_t index;
};

// The failure of a DeferredList with fireOnOneErrback (and of gatherResults):
// which member failed first, and how.
class FirstError : public std::runtime_error {
 public:
  FirstError(Failure subFailure, std::size_t index);
  // The member's Failure.
  const Failure& subFailure() const noexcept { return subFailure_; }
  // The member's position in the list.
  std::size_t index() const noexcept { return index_; }
  // Equal when both the index and the (identical) Failure are.
  friend bool operator==(const FirstError& a, const FirstError& b) noexcept {
    return a.index_ == b.index_ && a.subFailure_ == b.subFailure_;
  }

 private:
  Failure subFailure_;
  std::size_t index_;
};

// DeferredList's keyword arguments.
struct DeferredListOptions {
  bool fireOnOneCallback = false;  // fire with (value, index) on the first success
  bool fireOnOneErrback = false;   // fail with FirstError on the first failure
  bool consumeErrors = false;      // members' failures become None in their own chains
};

class DeferredList : public Deferred {
 public:
  // Tracks `deferredList` (a copy of the list): attaches a callback pair to
  // each member now, so members that already fired are counted at once, in
  // order. Fires with a DeferredListResult once every member has finished (an
  // empty list: at once, unless fireOnOneCallback, then never).
  explicit DeferredList(std::vector<Deferred> deferredList, DeferredListOptions options = {});
  // Twisted's positional form.
  DeferredList(std::vector<Deferred> deferredList, bool fireOnOneCallback,
               bool fireOnOneErrback = false, bool consumeErrors = false);

  // The outcomes so far, by member (std::nullopt until it finished); still
  // updated after the DeferredList fired.
  const std::vector<std::optional<DeferredListItem>>& resultList() const;
  // How many members have finished.
  std::size_t finishedCount() const;

 private:
  struct Data;
  std::shared_ptr<Data> data_;
};

// The values of all of `deferredList`, in order (a std::vector<Result>), or a
// FirstError for the first member to fail, in firing order. cancel() of the
// result cancels every member. gatherResults({}) fires with an empty vector.
Deferred gatherResults(std::vector<Deferred> deferredList, bool consumeErrors = false);

}  // namespace weft::twisted
