#include "compat_twisted/deferred_list.hpp"

#include "compat_twisted/detail/deferred_state.hpp"
#include "sched/log.hpp"

namespace weft::twisted {

namespace {

std::string first_error_text(const Failure& f, std::size_t index) {
  return "FirstError[#" + std::to_string(index) + ", " + f.typeName() + "('" +
         f.getErrorMessage() + "')]";
}

}  // namespace

FirstError::FirstError(Failure subFailure, std::size_t index)
    : std::runtime_error(first_error_text(subFailure, index)),
      subFailure_(std::move(subFailure)),
      index_(index) {}

struct DeferredList::Data {
  std::vector<std::optional<DeferredListItem>> resultList;
  std::vector<std::weak_ptr<detail::DeferredState>> members;  // for cancel()
  std::size_t finishedCount = 0;
  DeferredListOptions options;
};

DeferredList::DeferredList(std::vector<Deferred> deferredList, bool fireOnOneCallback,
                           bool fireOnOneErrback, bool consumeErrors)
    : DeferredList(std::move(deferredList),
                   DeferredListOptions{fireOnOneCallback, fireOnOneErrback, consumeErrors}) {}

DeferredList::DeferredList(std::vector<Deferred> deferredList, DeferredListOptions options)
    : data_(std::make_shared<Data>()) {
  Data& data = *data_;
  data.resultList.resize(deferredList.size());
  data.options = options;
  for (const Deferred& d : deferredList) data.members.push_back(d.state());
  if (deferredList.empty() && !options.fireOnOneCallback) callback(DeferredListResult{});
  std::weak_ptr<Data> weak = data_;
  setCancelOverride([weak](Deferred& self) -> bool {
    std::shared_ptr<Data> data = weak.lock();
    if (!data || self.called()) return true;
    for (auto& m : data->members) {
      std::shared_ptr<detail::DeferredState> s = m.lock();
      if (!s) continue;
      try {
        Deferred(s).cancel();
      } catch (const TaskletExit&) {
        throw;
      } catch (...) {
        weft::log(LogLevel::error, "weft::twisted: exception raised from user supplied canceller: " +
                                       describe_current_exception());
      }
    }
    return true;
  });
  // Each member holds the list (it delivers into it); the list holds the
  // members only weakly.
  Deferred self = *this;
  std::shared_ptr<Data> shared = data_;
  for (std::size_t index = 0; index < deferredList.size(); ++index) {
    // One addBoth instead of Twisted's addCallbacks(cb, cb, (i, SUCCESS),
    // (i, FAILURE)): the same behaviour with one stored callback, not two.
    deferredList[index].addBoth([self, shared, i = index](Result& r) mutable -> Result {
      const bool succeeded = !r.isFailure();
      Data& data = *shared;
      data.resultList[i] = DeferredListItem{succeeded, r};
      data.finishedCount += 1;
      if (!self.called()) {
        if (succeeded && data.options.fireOnOneCallback) {
          self.callback(DeferredListHit{r, i});
        } else if (!succeeded && data.options.fireOnOneErrback) {
          self.errback(FirstError(r.failure(), i));
        } else if (data.finishedCount == data.resultList.size()) {
          DeferredListResult all;
          all.reserve(data.resultList.size());
          for (auto& item : data.resultList) all.push_back(*item);
          self.callback(std::move(all));
        }
      }
      if (!succeeded && data.options.consumeErrors) return Result();
      return std::move(r);
    });
  }
}

const std::vector<std::optional<DeferredListItem>>& DeferredList::resultList() const {
  return data_->resultList;
}

std::size_t DeferredList::finishedCount() const { return data_->finishedCount; }

Deferred gatherResults(std::vector<Deferred> deferredList, bool consumeErrors) {
  DeferredList d(std::move(deferredList), DeferredListOptions{false, true, consumeErrors});
  d.addCallback([](DeferredListResult& items) {
    std::vector<Result> values;
    values.reserve(items.size());
    for (auto& item : items) values.push_back(std::move(item.result));
    return values;
  });
  return d;
}

}  // namespace weft::twisted
