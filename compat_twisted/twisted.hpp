#pragma once
// Everything of compat_twisted in one include, for ports:
//   #include <weft/compat_twisted/twisted.hpp>
//   using namespace weft::twisted;

#include "weft/compat_twisted/clock.hpp"
#include "weft/compat_twisted/concurrency_primitive.hpp"
#include "weft/compat_twisted/cooperative_task.hpp"
#include "weft/compat_twisted/cooperator.hpp"
#include "weft/compat_twisted/debug.hpp"
#include "weft/compat_twisted/defer_later.hpp"
#include "weft/compat_twisted/deferred.hpp"
#include "weft/compat_twisted/deferred_list.hpp"
#include "weft/compat_twisted/deferred_lock.hpp"
#include "weft/compat_twisted/deferred_queue.hpp"
#include "weft/compat_twisted/deferred_semaphore.hpp"
#include "weft/compat_twisted/delayed_call.hpp"
#include "weft/compat_twisted/errors.hpp"
#include "weft/compat_twisted/failure.hpp"
#include "weft/compat_twisted/inline_callbacks.hpp"
#include "weft/compat_twisted/looping_call.hpp"
#include "weft/compat_twisted/maybe_deferred.hpp"
#include "weft/compat_twisted/react.hpp"
#include "weft/compat_twisted/reactor.hpp"
#include "weft/compat_twisted/reactor_time.hpp"
#include "weft/compat_twisted/result.hpp"
