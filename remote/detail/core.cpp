// The cnats seam: the only file that includes nats.h.
//
// Lifetimes. cnats calls back with a raw closure pointer from its own threads,
// so every object a callback reaches lives until cnats has said it will call
// no more: a subscription's on-complete callback (after its last delivery
// returned) and the connection's closed callback. Destructors wait for those
// (bounded), and free nothing a callback could still read.
//
// Replies: one wildcard subscription (<inbox>.*) per connection receives the
// replies of every call; each call is a token in `pending`, whose entry the
// reply callback takes out, fills and sets (CrossEvent: the caller resumes on
// its own loop). A caller that gives up erases its entry, so a late reply
// finds nothing and is dropped.
//
// Two connections. `nc` writes each publish at once (SendAsap): calls and
// replies must not wait in cnats' flusher thread, which first waits 1 ms for
// more. `bulk` keeps cnats' batching, for one-way sends (a write per send
// cost half their rate). Publishes of one process keep their order across
// the two (a send then a call, or a handler's send then its reply): each
// goes on `Route::on`, the connection of the latest ones, and `on` changes
// to the one that suits the publish only once the server has routed what
// went on it (a PING written after them came back as a PONG: NATS routes a
// connection's messages in order). Until then a publish goes on `on` even if
// it suits the other, and asks the confirmer thread for that PING (which also
// writes at once what cnats' flusher still holds on `bulk`).

#include "remote/detail/core.hpp"

#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "remote/detail/frame.hpp"
#include "remote/errors.hpp"
#include "sched/cross_event.hpp"
#include "sched/extension.hpp"
#include "sched/log.hpp"
#include "sched/to_thread.hpp"
#include "tasklet/tasklet.hpp"

namespace weft::remote::detail {

namespace {

constexpr std::int64_t kReconnectWaitMs = 100;
constexpr std::int64_t kDrainMs = 2000;
constexpr auto kCallbackPatience = std::chrono::seconds(5);
constexpr std::int64_t kConfirmMs = 500;

std::string status_text(natsStatus s) {
  std::string t = natsStatus_GetText(s);
  const char* last = nats_GetLastError(nullptr);
  if (last != nullptr && *last != '\0' && t.find(last) == std::string::npos) t += std::string(" (") + last + ")";
  return t;
}

// One call waiting for its reply.
struct Pending {
  enum class Outcome { waiting, replied, no_responders, lost, closed };
  CrossEvent done;
  Outcome outcome = Outcome::waiting;  // written under Core::mu before done.set()
  std::string frame;
};

// A flag a cnats callback sets and a destructor waits for.
struct Latch {
  std::mutex mu;
  std::condition_variable cv;
  bool set = false;
  void open() {
    std::lock_guard lock(mu);
    set = true;
    cv.notify_all();
  }
  bool wait() {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, kCallbackPatience, [&] { return set; });
  }
};

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c <= ' ' || c == '*' || c == '>' || static_cast<unsigned char>(c) >= 0x7f) return false;
  }
  return name.front() != '.' && name.back() != '.' && name.find("..") == std::string_view::npos;
}

std::string subject_of(std::string_view name) { return "weft." + std::string(name); }

}  // namespace

// Which connection publishes next (see "Two connections" above).
struct Route {
  std::mutex mu;
  std::condition_variable cv;      // wakes the confirmer
  natsConnection* on = nullptr;    // where the latest publishes went
  std::uint64_t epoch = 0;         // changes of `on`
  std::uint64_t published = 0;     // publishes on `on` in this epoch
  std::uint64_t confirmed = 0;     // how many of them the server has routed
  bool wanted = false;             // a publish went on `on` that suits the other: confirm
  bool stop = false;
};

struct Core {
  std::string url;
  natsOptions* opts = nullptr;       // nc's: each publish written at once
  natsOptions* bulk_opts = nullptr;  // bulk's: cnats' flusher batches
  natsConnection* nc = nullptr;      // calls, replies, subscriptions
  natsConnection* bulk = nullptr;    // sends
  natsSubscription* replies = nullptr;
  std::string inbox;  // "_INBOX.<nuid>."
  Latch replies_done;
  Latch closed_cb;
  Latch bulk_closed_cb;
  Route route;
  std::thread confirmer;  // runs confirm(), joined by close_now
  std::once_flag close_once;
  // Calls being served: pushed to a tasklet and not yet answered on the
  // wire; the latest of their callers' deadlines (steady clock, ns).
  std::atomic<int> serving{0};
  std::atomic<std::int64_t> serving_until{0};

  std::mutex mu;
  std::uint64_t next_token = 1;
  std::unordered_map<std::uint64_t, std::shared_ptr<Pending>> pending;  // guarded by mu

  ~Core();
  // Settles every waiting call with `why`.
  void fail_all(Pending::Outcome why) {
    std::unordered_map<std::uint64_t, std::shared_ptr<Pending>> taken;
    {
      std::lock_guard lock(mu);
      taken.swap(pending);
      for (auto& [_, p] : taken) p->outcome = why;
    }
    for (auto& [_, p] : taken) p->done.set();
  }
};

struct Served : std::enable_shared_from_this<Served> {
  std::shared_ptr<Core> core;
  std::string name;
  Address to;
  LoopRef loop;
  std::vector<Accept> accepts;
  natsSubscription* sub = nullptr;
  Latch done;
  std::once_flag stop_once;
  ~Served() { unserve(*this); }
};

namespace {

// --- connection events (cnats' callback thread) ---

void on_disconnected(natsConnection*, void* closure) {
  static_cast<Core*>(closure)->fail_all(Pending::Outcome::lost);
}

void on_closed(natsConnection*, void* closure) {
  auto* c = static_cast<Core*>(closure);
  c->fail_all(Pending::Outcome::closed);
  c->closed_cb.open();
}

void on_bulk_closed(natsConnection*, void* closure) { static_cast<Core*>(closure)->bulk_closed_cb.open(); }

// --- publishing on the two connections ---

// Publishes on the connection the route allows: `batched` (a send) suits
// bulk, the rest nc. Any thread.
natsStatus publish_routed(Core& c, bool batched, const char* subject, const char* reply,
                          std::string_view data) noexcept {
  natsConnection* const suits = batched ? c.bulk : c.nc;
  Route& r = c.route;
  // Held while publishing: the order of the decisions is the order on the wire.
  std::lock_guard lock(r.mu);
  if (r.on != suits && r.confirmed == r.published) {
    r.on = suits;
    ++r.epoch;
    r.published = r.confirmed = 0;
  }
  const int n = static_cast<int>(data.size());
  const natsStatus s = reply == nullptr ? natsConnection_Publish(r.on, subject, data.data(), n)
                                        : natsConnection_PublishRequest(r.on, subject, reply, data.data(), n);
  if (s == NATS_OK) {
    ++r.published;
    if (r.on != suits && !r.wanted) {
      r.wanted = true;
      r.cv.notify_one();
    }
  }
  return s;
}

// The confirmer thread: when asked, a PING on `on`; its PONG confirms what
// was published on it before.
void confirm(Core& c) {
  Route& r = c.route;
  std::unique_lock lock(r.mu);
  for (;;) {
    r.cv.wait(lock, [&] { return r.wanted || r.stop; });
    if (r.stop) return;
    r.wanted = false;
    natsConnection* const on = r.on;
    const std::uint64_t epoch = r.epoch;
    const std::uint64_t upto = r.published;
    lock.unlock();
    const natsStatus s = natsConnection_FlushTimeout(on, kConfirmMs);
    lock.lock();
    if (s == NATS_OK && r.epoch == epoch && r.confirmed < upto) r.confirmed = upto;
  }
}

void on_reply(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* c = static_cast<Core*>(closure);
  const std::string_view subject = natsMsg_GetSubject(msg);
  std::uint64_t token = 0;
  for (char ch : subject.substr(c->inbox.size())) {
    if (ch < '0' || ch > '9') {
      token = 0;
      break;
    }
    token = token * 10 + static_cast<std::uint64_t>(ch - '0');
  }
  std::shared_ptr<Pending> p;
  {
    std::lock_guard lock(c->mu);
    auto it = c->pending.find(token);
    if (it != c->pending.end()) {
      p = std::move(it->second);
      c->pending.erase(it);
      if (natsMsg_IsNoResponders(msg)) {
        p->outcome = Pending::Outcome::no_responders;
      } else {
        p->outcome = Pending::Outcome::replied;
        p->frame.assign(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
      }
    }
  }
  natsMsg_Destroy(msg);
  if (p) p->done.set();
}

void on_complete(void* closure) { static_cast<Latch*>(closure)->open(); }

// --- serving a name ---

void publish_reply(Core& c, const std::string& subject, const std::string& frame,
                   std::string_view name) noexcept {
  const natsStatus s = publish_routed(c, false, subject.c_str(), nullptr, frame);
  if (s != NATS_OK) {
    log(LogLevel::warning, "weft: reply of remote '" + std::string(name) +
                               "' failed: " + status_text(s) + " (the caller will time out)");
  }
}

std::int64_t steady_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

// ServedCall's notify: the call is settled (replied, failed or dropped), on
// the thread that settled it (the registration's loop, or any thread that
// dropped the message): publishes the reply frame and frees the slot.
void served_call_done(void* ctx) noexcept {
  std::unique_ptr<ServedCall> c(static_cast<ServedCall*>(ctx));
  Served& s = *c->served;
  std::string frame;
  // Past the caller's deadline (CallSlot::caller_gone) its inbox entry is
  // gone: nothing is published, as a local reply to a caller that gave up is dropped.
  if (c->caller_gone()) {
    s.core->serving.fetch_sub(1, std::memory_order_release);
    return;
  }
  if (c->dropped) {
    // Dropped: why is known once the dropping has settled (a tasklet that
    // returns without replying frees the message before it counts as
    // finished), so the reason is read a loop turn later, as a local
    // caller woken on its loop would.
    auto reply = [c = std::shared_ptr<ServedCall>(std::move(c))] {
      Served& s = *c->served;
      if (!c->caller_gone()) {
        publish_reply(*s.core, c->reply_to,
                      error_frame(Status::unreachable, "weft::CallError", weft::dropped_call_reason(s.to)),
                      s.name);
      }
      s.core->serving.fetch_sub(1, std::memory_order_release);
    };
    bool posted = false;
    try {
      posted = s.loop.post(reply);
    } catch (...) {
    }
    if (!posted) reply();
    return;
  }
  if (c->error) {
    try {
      std::rethrow_exception(c->error);
    } catch (const CallError& e) {
      frame = error_frame(Status::unreachable, "weft::CallError", e.what());
    } catch (const std::exception& e) {
      frame = error_frame(Status::handler_error, weft::detail::demangle(typeid(e)), e.what());
    } catch (...) {
      frame = error_frame(Status::handler_error, "unknown", "a reply_error with no std::exception");
    }
  } else {
    frame = std::move(c->frame);
  }
  publish_reply(*s.core, c->reply_to, frame, s.name);
  s.core->serving.fetch_sub(1, std::memory_order_release);
}

// cnats' delivery thread: one message for a registered name.
void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* raw = static_cast<Served*>(closure);
  const char* reply = natsMsg_GetReply(msg);
  const std::string reply_to = reply != nullptr ? reply : "";
  const std::string_view bytes(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  Core& core = *raw->core;
  auto refuse = [&](const std::string& why) {
    if (!reply_to.empty()) {
      publish_reply(core, reply_to, error_frame(Status::bad_message, "weft::remote::DecodeError", why),
                    raw->name);
    }
    // The log belongs to the registration's loop: posted there.
    raw->loop.post([line = "weft: remote '" + raw->name + "' refused a message: " + why] {
      log(LogLevel::warning, line);
    });
  };
  try {
    Decoder d(bytes);
    if (d.array() != 3) throw DecodeError("not a weft message frame (an array of 3)");
    const std::string type = d.string();
    if (type == kProbe) {
      if (!reply_to.empty()) {
        Encoder ok;
        ok.array(2);
        ok.integer(0);
        ok.nil();
        publish_reply(core, reply_to, ok.take(), raw->name);
      }
      natsMsg_Destroy(msg);
      return;
    }
    const Accept* a = nullptr;
    for (const Accept& x : raw->accepts) {
      if (x.type == type) a = &x;
    }
    if (a == nullptr) {
      std::string known;
      for (const Accept& x : raw->accepts) known += (known.empty() ? "" : ", ") + x.type;
      throw DecodeError("it accepts no message of type '" + type + "' (it accepts: " + known + ")");
    }
    std::int64_t timeout_ms = -1;
    if (d.next_is_nil()) {
      d.nil();
    } else {
      timeout_ms = d.integer();
    }
    if (reply_to.empty()) {
      a->send(d, raw->to);
    } else {
      // No tasklet: the call goes into the tasklet's mailbox from this
      // thread (Address's door, one wake-up of its loop per burst), and
      // its reply is published by the slot's notify where it is settled.
      auto slot = std::make_unique<ServedCall>();
      slot->served = raw->shared_from_this();
      slot->reply_to = reply_to;
      slot->notify = &served_call_done;
      slot->notify_ctx = slot.get();
      // The caller's deadline, counted from now (the time the request took
      // to come is not known; the callee gives up no earlier than its
      // caller): after it the message's wants_reply() is false and no reply
      // is published, and close() no longer waits for the call.
      std::int64_t until = INT64_MAX;
      if (timeout_ms >= 0) {
        until = steady_ns() + std::min<std::int64_t>(timeout_ms, INT64_MAX / 4 / 1'000'000) * 1'000'000;
      }
      slot->gives_up_at = until;
      std::int64_t seen = core.serving_until.load(std::memory_order_relaxed);
      while (seen < until && !core.serving_until.compare_exchange_weak(seen, until, std::memory_order_relaxed)) {
      }
      core.serving.fetch_add(1, std::memory_order_relaxed);
      try {
        a->call(d, raw->to, slot);  // on success slot is released: its notify publishes
      } catch (const DecodeError& e) {
        core.serving.fetch_sub(1, std::memory_order_relaxed);
        publish_reply(core, reply_to,
                      error_frame(Status::bad_message, "weft::remote::DecodeError",
                                  "remote '" + raw->name + "' could not decode a " + a->type + ": " + e.what()),
                      raw->name);
        raw->loop.post([line = "weft: remote '" + raw->name + "' refused a call: could not decode a " +
                               a->type + ": " + e.what()] { log(LogLevel::warning, line); });
      } catch (...) {
        if (slot) core.serving.fetch_sub(1, std::memory_order_relaxed);
        throw;
      }
    }
  } catch (const DecodeError& e) {
    refuse(e.what());
  } catch (const std::exception& e) {
    refuse(std::string("delivery failed: ") + e.what());
  }
  natsMsg_Destroy(msg);
}

}  // namespace

// --- the connection ---

std::shared_ptr<Core> connect(const std::string& url, const Deadline& d) {
  std::int64_t left_ms = 0;
  if (!d.is_never()) {
    const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            weft::now().time_since_epoch()).count();
    left_ms = (d.ns() - now_ns) / 1'000'000;
    if (left_ms <= 0) throw_timeout(d, "connect to " + url);
  }
  return to_thread(
      [url, left_ms]() -> std::shared_ptr<Core> {
        auto c = std::make_shared<Core>();
        c->url = url;
        auto fail = [&](const char* step, natsStatus s) {
          throw ConnectionError("weft: connect to " + url + " failed: " + step + ": " + status_text(s));
        };
        auto options = [&](natsOptions** o, bool send_asap, natsConnectionHandler closed) {
          const natsStatus st = natsOptions_Create(o);
          if (st != NATS_OK) fail("options", st);
          natsOptions_SetURL(*o, url.c_str());
          if (left_ms > 0) natsOptions_SetTimeout(*o, left_ms);
          natsOptions_SetMaxReconnect(*o, -1);
          natsOptions_SetReconnectWait(*o, kReconnectWaitMs);
          natsOptions_SetSendAsap(*o, send_asap);
          natsOptions_SetDisconnectedCB(*o, &on_disconnected, c.get());
          natsOptions_SetClosedCB(*o, closed, c.get());
        };
        // nc writes every publish at once. cnats' default hands it to a
        // flusher thread that waits 1 ms for more to batch: a call paid that
        // twice (its request and its reply).
        options(&c->opts, true, &on_closed);
        options(&c->bulk_opts, false, &on_bulk_closed);
        natsStatus s = natsConnection_Connect(&c->nc, c->opts);
        if (s != NATS_OK) {
          c->closed_cb.open();  // no connection: no closed callback will come
          c->bulk_closed_cb.open();
          fail("no server answered", s);
        }
        s = natsConnection_Connect(&c->bulk, c->bulk_opts);
        if (s != NATS_OK) {
          c->bulk_closed_cb.open();
          fail("no server answered", s);
        }
        c->confirmer = std::thread([core = c.get()] { confirm(*core); });
        natsInbox* inbox = nullptr;
        s = natsInbox_Create(&inbox);
        if (s != NATS_OK) fail("inbox", s);
        c->inbox = std::string(inbox) + ".";
        natsInbox_Destroy(inbox);
        s = natsConnection_Subscribe(&c->replies, c->nc, (c->inbox + "*").c_str(), &on_reply, c.get());
        if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(c->replies, &on_complete, &c->replies_done);
        if (s == NATS_OK) s = natsConnection_Flush(c->nc);
        if (s != NATS_OK) fail("subscribe to replies", s);
        return c;
      },
      d, "connect to " + url);
}

void close_now(Core& c) noexcept {
  std::call_once(c.close_once, [&] {
    {
      std::lock_guard lock(c.route.mu);
      c.route.stop = true;
    }
    c.route.cv.notify_all();
    if (c.confirmer.joinable()) c.confirmer.join();
    // Drain: subscriptions stop, what they hold is delivered, what was
    // published is flushed, then the connection closes (closed callback).
    // nc first: the replies its last deliveries publish may go on bulk.
    if (c.nc != nullptr) {
      if (natsConnection_DrainTimeout(c.nc, kDrainMs) != NATS_OK) natsConnection_Close(c.nc);
      if (!c.closed_cb.wait()) natsConnection_Close(c.nc);
    }
    if (c.bulk != nullptr) {
      if (natsConnection_DrainTimeout(c.bulk, kDrainMs) != NATS_OK) natsConnection_Close(c.bulk);
      if (!c.bulk_closed_cb.wait()) natsConnection_Close(c.bulk);
    }
    c.fail_all(Pending::Outcome::closed);
  });
}

void close(const std::shared_ptr<Core>& c) {
  if (!weft::detail::in_tasklet()) {
    close_now(*c);
    return;
  }
  // The calls being served get their replies out first (they need the loop,
  // so this parks rather than blocks); bounded by the drain time.
  // A call its callers gave up on (past their deadlines) is not waited for.
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(kDrainMs);
  const auto callers_until = std::chrono::steady_clock::time_point(
      std::chrono::nanoseconds(c->serving_until.load(std::memory_order_relaxed)));
  while (c->serving.load(std::memory_order_acquire) > 0 && std::chrono::steady_clock::now() < until &&
         std::chrono::steady_clock::now() < callers_until) {
    Tasklet::sleep(0.005);
  }
  // The drain blocks (cnats waits for its threads): on a worker, so the loop
  // goes on; the worker holds the connection until it is done.
  to_thread([c] { close_now(*c); }, Deadline::never(), "close of the NATS connection");
}

Core::~Core() {
  close_now(*this);
  if (replies != nullptr) {
    replies_done.wait();
    natsSubscription_Destroy(replies);
  }
  if (nc != nullptr) {
    closed_cb.wait();
    natsConnection_Destroy(nc);
  }
  if (bulk != nullptr) {
    bulk_closed_cb.wait();
    natsConnection_Destroy(bulk);
  }
  natsOptions_Destroy(opts);
  natsOptions_Destroy(bulk_opts);
}

const std::string& url(const Core& c) noexcept { return c.url; }

void publish(Core& c, std::string_view name, const std::string& payload) {
  const natsStatus s = publish_routed(c, true, subject_of(name).c_str(), nullptr, payload);
  if (s != NATS_OK) {
    throw ConnectionError("weft: send to remote '" + std::string(name) + "' failed: " + status_text(s));
  }
}

std::string request(Core& c, std::string_view name, const std::string& payload, const Deadline& d) {
  auto p = std::make_shared<Pending>();
  std::uint64_t token;
  {
    std::lock_guard lock(c.mu);
    token = c.next_token++;
    c.pending.emplace(token, p);
  }
  auto forget = [&] {
    std::lock_guard lock(c.mu);
    c.pending.erase(token);
  };
  // Registered before this check: a disconnection after it fails the call.
  if (natsConnection_Status(c.nc) != NATS_CONN_STATUS_CONNECTED) {
    forget();
    throw CallError(call_failed(name) + "not connected to " + c.url +
                    (natsConnection_IsClosed(c.nc) ? " (the connection is closed)" : " (reconnecting)"));
  }
  const std::string reply_to = c.inbox + std::to_string(token);
  const natsStatus s = publish_routed(c, false, subject_of(name).c_str(), reply_to.c_str(), payload);
  if (s != NATS_OK) {
    forget();
    throw CallError(call_failed(name) + status_text(s));
  }
  const Wake w = p->done.wait(d);
  if (w != Wake::ready) {
    forget();
    check_wake(w, d, "call to remote '" + std::string(name) + "'");
  }
  switch (p->outcome) {
    case Pending::Outcome::replied: return std::move(p->frame);
    case Pending::Outcome::no_responders:
      throw NameNotFound(call_failed(name) + "no tasklet is registered under '" + std::string(name) +
                         "' on " + c.url);
    case Pending::Outcome::lost:
      throw CallError(call_failed(name) + "the connection to " + c.url +
                      " was lost before the reply came (reconnecting)");
    default: throw CallError(call_failed(name) + "the connection to " + c.url + " was closed");
  }
}

// --- serving ---

std::shared_ptr<Served> serve(const std::shared_ptr<Core>& c, const std::string& name, Address to,
                              LoopRef loop, std::vector<Accept> accepts) {
  if (!valid_name(name)) {
    throw std::invalid_argument("weft: register_name '" + name +
                                "' failed: a name is one or more dot-separated tokens without "
                                "spaces, '*' or '>'");
  }
  auto s = std::make_shared<Served>();
  s->core = c;
  s->name = name;
  s->to = std::move(to);
  s->loop = std::move(loop);
  s->accepts = std::move(accepts);
  natsStatus st = natsConnection_QueueSubscribe(&s->sub, c->nc, subject_of(name).c_str(), "weft",
                                                &on_message, s.get());
  if (st == NATS_OK) st = natsSubscription_SetOnCompleteCB(s->sub, &on_complete, &s->done);
  // The server knows the subscription before register_name returns, so a
  // lookup that follows (from anywhere) finds it.
  if (st == NATS_OK) st = natsConnection_Flush(c->nc);
  if (st != NATS_OK) {
    throw ConnectionError("weft: register_name '" + name + "' failed: " + status_text(st));
  }
  return s;
}

void unserve(Served& s) noexcept {
  std::call_once(s.stop_once, [&] {
    if (s.sub == nullptr) return;
    natsSubscription_Unsubscribe(s.sub);  // fails (harmlessly) once the connection closed it
    s.done.wait();
    natsSubscription_Destroy(s.sub);
  });
}

}  // namespace weft::remote::detail
