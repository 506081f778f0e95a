#include "http/detail/connection.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <vector>

#include "http/errors.hpp"
#include "sched/log.hpp"
#include "sched/park.hpp"
#include "tasklet/extension.hpp"

namespace weft::http::detail {

namespace {

Timeout bounded(Timeout t, std::chrono::milliseconds bound) noexcept {
  if (bound.count() <= 0) return t;
  if (t.kind() == Timeout::Kind::after && t.duration() < bound) return t;
  return Timeout(bound);  // a DeadlineScope around the call still applies
}

std::string ms_text(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

}  // namespace

ConnectionCore::ConnectionCore(Transport& t, const Handler& h, const ServerOptions& o)
    : t_(t),
      handler_(h),
      o_(o),
      parser_(Parser::Kind::request, ParserLimits{o.max_header_bytes, o.max_headers}) {}

ConnectionCore::~ConnectionCore() { end_handlers(true); }

Timeout ConnectionCore::write_timeout(Timeout t) const noexcept {
  return bounded(t, o_.write_timeout);
}

// ---------------------------------------------------------------- the reader

void ConnectionCore::run() {
  in_ = std::make_unique<char[]>(kBufferSize);
  const End how = serve_requests();
  if (how == End::closing) {
    // Every response has left (or the connection failed): then let the client
    // read them before the close.
    while (!queue_.empty() && !broken_ && !finished_) wait_changed();
    if (!broken_) {
      if (!finished_) t_.shutdown_write();
      finished_ = true;
      linger();
    }
  }
  if (how == End::gone && !broken_) {
    // The client has ended its side: handlers that answer without waiting
    // still answer (a client that half-closes after its requests reads them);
    // those that wait are killed below.
    Tasklet::yield_();
  }
  end_handlers(how == End::gone || broken_ || !queue_.empty());
}

ConnectionCore::End ConnectionCore::serve_requests() {
  for (;;) {
    if (broken_ || finished_) return End::gone;
    if (closing_) return End::closing;
    if (queue_.size() >= o_.max_pipelined && !wait_below_limit()) return End::gone;
    if (broken_ || finished_) return End::gone;
    if (pos_ < end_) {
      if (!parser_.in_message()) head_started_ = Clock::time_point{};  // set when a wait needs it
      const Parser::Step s = parser_.feed(in_.get() + pos_, end_ - pos_);
      pos_ += s.used;
      for (std::string_view b : parser_.body_segments()) discarded_ += b.size();
      seg_ = parser_.body_segments().size();
      switch (s.event) {
        case Parser::Event::head:
          on_head();
          break;
        case Parser::Event::end:
          if (reading_ != nullptr) {
            reading_->body_done = true;
            reading_ = nullptr;
          }
          if (parser_.head().upgrade) closing_ = true;  // what follows is not HTTP
          break;
        case Parser::Event::error:
          if (reading_ != nullptr) return End::gone;  // a handler already answered
          respond_error(parser_.error_status(), parser_.error());
          break;
        case Parser::Event::more:
          if (reading_ != nullptr && discarded_ > o_.max_body_bytes) return End::gone;
          break;
      }
      continue;
    }
    // Wait for more bytes: of a head (header_timeout from its first byte), of
    // a body a handler left (body_timeout), or of the next request (idle_timeout).
    const bool in_head = parser_.in_head();
    Timeout t = never;
    if (in_head) {
      // The head's clock starts at its first byte; a head that came whole
      // never waits, so the clock is read only here.
      if (head_started_ == Clock::time_point{}) head_started_ = now();
      if (o_.header_timeout.count() > 0) t = head_started_ + o_.header_timeout - now();
    } else if (parser_.in_message()) {
      if (o_.body_timeout.count() > 0) t = o_.body_timeout;
    } else if (o_.idle_timeout.count() > 0) {
      t = o_.idle_timeout;
    }
    try {
      if (!fill(t)) return End::gone;
    } catch (const TimeoutError&) {
      if (in_head) {
        respond_error(408, "the request head did not arrive within " + ms_text(o_.header_timeout));
      } else if (parser_.in_message()) {
        return End::gone;
      } else if (queue_.empty() && handlers_.empty()) {
        return End::idle;
      }
    } catch (const IoError&) {
      return End::gone;
    }
  }
}

// At max_pipelined the reader reads nothing until a response has left; a
// client that goes meanwhile would be noticed only when a handler writes
// (maybe long after), so a tasklet watches the transport for its hang-up
// while the reader waits. Returns false when the client has gone and the
// connection is still at the limit (a handler that answered at once brings
// it below: then the reader goes on, and reads the end itself).
bool ConnectionCore::wait_below_limit() {
  bool gone = false;
  SpawnOptions so;
  so.name = "http hang-up watch";
  so.stack_size = o_.handler_stack_size;
  const Tasklet watch = Tasklet::spawn(
      [this, &gone] {
        try {
          t_.wait_hang_up(never);
        } catch (const IoError&) {
          // the transport failed or was closed: the connection ends anyway
        }
        gone = true;
        changed_.notify_all();
      },
      std::move(so));
  struct Stop {
    const Tasklet& t;
    ~Stop() {
      try {
        KillShield shield;  // also when the reader itself is being killed
        t.kill();
      } catch (...) {
        // kill() under a shield does not throw TaskletExit; nothing else is expected
      }
    }
  } stop{watch};
  while (queue_.size() >= o_.max_pipelined && !broken_ && !finished_ && !gone) wait_changed();
  return !gone || queue_.size() < o_.max_pipelined;
}

// The callable of a handler tasklet. It owns the exchange's share and the
// handler's entry in handlers_: when it is destroyed (the handler returned,
// was killed, or was killed before it started) the entry goes and the reader
// hears of it.
struct ConnectionCore::HandlerBody {
  ConnectionCore* c;
  Ptr x;
  std::list<Tasklet>::iterator it;

  HandlerBody(ConnectionCore& core, Ptr e, std::list<Tasklet>::iterator i)
      : c(&core), x(std::move(e)), it(i) {}
  HandlerBody(HandlerBody&& o) noexcept : c(std::exchange(o.c, nullptr)), x(std::move(o.x)), it(o.it) {}
  HandlerBody& operator=(HandlerBody&&) = delete;
  ~HandlerBody() {
    if (c == nullptr) return;
    x->running = false;
    c->handlers_.erase(it);
    c->changed_.notify_all();
    if (!x->done && !c->ending_) c->fail();  // killed mid-response: the connection cannot go on
  }
  void operator()() { c->run_handler(*x); }
};

void ConnectionCore::on_head() {
  Head& h = parser_.head();
  if (h.has_length && h.content_length > o_.max_body_bytes) {
    respond_error(413, "a body of " + std::to_string(h.content_length) +
                           " bytes; the limit is " + std::to_string(o_.max_body_bytes));
    return;
  }
  auto x = std::make_shared<Exchange>(*this, std::move(h));
  x->body_done = !x->request.has_body();
  if (!x->request.keep_alive()) close_after(*x);
  queue_.push_back(x);
  if (!x->body_done) {
    reading_ = x;
    body_end_seen_ = false;
    discarded_ = 0;
  }
  x->running = true;
  auto it = handlers_.emplace(handlers_.end());
  SpawnOptions so;
  so.stack_size = o_.handler_stack_size;
  *it = Tasklet::spawn(HandlerBody(*this, x, it), std::move(so));
  // The first request waiting for its response runs right after the reader
  // parks, not behind every connection the same poll woke: what the reader
  // just touched (this connection's state, the exchange) is still in the
  // cache, and its stack is the one the previous handler gave back. Later
  // pipelined ones queue behind it, in request order.
  if (queue_.size() == 1) weft::detail::run_next(*it->record()->loop, *it->record());
  if (x->body_done) return;
  // The handler reads the body from the connection: wait until it has read
  // it all, or returned; then drop what it left.
  while (reading_ == x && x->running && !broken_ && !finished_) wait_changed();
  if (reading_ == x && body_end_seen_) {  // it left only bytes already parsed
    x->body_done = true;
    reading_ = nullptr;
  } else if (reading_ == x) {
    if (x->request.head_.expect_continue && !x->continue_sent) {
      closing_ = true;  // it was not asked for: whether the client sends it is unknown
    } else {
      discarded_ = x->body_received;
    }
  }
}

void ConnectionCore::run_handler(Exchange& x) {
  try {
    handler_(x.request, x.response);
    x.response.end();
  } catch (const HttpError& e) {
    answer_failure(x, e.status(), e.what());
  } catch (const TaskletExit&) {
    throw;
  } catch (const IoError& e) {
    if (broken_ || finished_) {
      log(LogLevel::debug, "weft: http handler for " + describe() + ": " + e.what());
    } else {
      log(LogLevel::error, "weft: http handler for " + describe() + " failed: " + e.what());
      answer_failure(x, 500, "Internal Server Error");
    }
  } catch (...) {
    log(LogLevel::error,
        "weft: http handler for " + describe() + " failed: " + describe_current_exception());
    answer_failure(x, 500, "Internal Server Error");
  }
  finish_exchange(x);
}

void ConnectionCore::answer_failure(Exchange& x, int status, std::string_view why) {
  if (x.response.started()) {
    fail();  // half a response is out: the client must see the connection end
    return;
  }
  try {
    Response& r = x.response;
    r.headers().clear();
    r.set_status(status);
    r.set_header("Content-Type", "text/plain");
    if (!x.body_done) close_after(x);  // the rest of the body is not worth reading
    r.send(std::string(why) + "\n");
  } catch (const TaskletExit&) {
    throw;
  } catch (...) {
    fail();
  }
}

void ConnectionCore::respond_error(int status, std::string_view why) {
  const std::string body = std::string(reason_phrase(status)) + ": " + std::string(why) + "\n";
  auto x = std::make_shared<Exchange>(*this, Head{});
  x->out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason_phrase(status)) +
           "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
  x->done = true;
  close_after(*x);
  queue_.push_back(x);
  if (queue_.front() == x && !writing_) {
    try {
      drain(write_timeout(current));
    } catch (const TaskletExit&) {
      throw;
    } catch (...) {
      // fail() ran: the reader ends as for a client gone
    }
  }
}

void ConnectionCore::close_after(Exchange& x) noexcept {
  x.close_after = true;
  closing_ = true;
}

bool ConnectionCore::fill(Timeout t) {
  if (pos_ == end_) {
    pos_ = end_ = 0;
  } else if (end_ == kBufferSize && pos_ > 0) {
    std::memmove(in_.get(), in_.get() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  const std::size_t n = t_.read({in_.get() + end_, kBufferSize - end_}, t);
  end_ += n;
  return n > 0;
}

void ConnectionCore::wait_changed() {
  const Wake w = changed_.wait(Deadline::never());
  if (w == Wake::killed) throw TaskletExit{};
}

void ConnectionCore::linger() {
  if (o_.linger.count() <= 0) return;
  const Clock::time_point until = now() + o_.linger;
  try {
    for (;;) {
      pos_ = end_ = 0;
      const Timeout left = until - now();
      if (t_.read({in_.get(), kBufferSize}, left) == 0) return;
    }
  } catch (const TimeoutError&) {
  } catch (const IoError&) {
  }
}

void ConnectionCore::end_handlers(bool kill) noexcept {
  ending_ = true;
  if (handlers_.empty()) return;
  try {
    KillShield shield;  // also when the reader itself is being killed
    std::vector<Tasklet> left(handlers_.begin(), handlers_.end());
    for (const Tasklet& h : left) {
      if (kill) {
        h.kill();
      } else {
        try {
          Tasklet::join(h, never);
        } catch (const JoinError&) {
        }
      }
    }
  } catch (...) {
    // kill() and join() under a shield do not throw TaskletExit; nothing else is expected
  }
}

// ---------------------------------------------------------------- bodies

bool ConnectionCore::pending_segment() const noexcept {
  return seg_ < parser_.body_segments().size();
}

void ConnectionCore::take_body_end(Exchange& x) noexcept {
  if (body_end_seen_ && !pending_segment() && reading_.get() == &x) {
    x.body_done = true;
    reading_ = nullptr;
    changed_.notify_all();
  }
}

std::size_t ConnectionCore::read_body(Exchange& x, std::span<char> into, Timeout t) {
  if (!x.running) throw std::logic_error("weft: http Request::read after its handler returned");
  if (x.body_done || into.empty()) return 0;
  if (reading_.get() != &x) throw std::logic_error("weft: http Request::read outside its handler");
  if (x.request.head_.expect_continue && !x.continue_sent && !x.response.started()) {
    x.continue_sent = true;
    emit(x, "HTTP/1.1 100 Continue\r\n\r\n", t);
  }
  const Timeout wait = bounded(t, o_.body_timeout);
  for (;;) {
    if (pending_segment()) {
      const std::string_view s = parser_.body_segments()[seg_];
      const std::size_t k = std::min(into.size(), s.size() - seg_off_);
      if (x.body_received + k > o_.max_body_bytes) {
        close_after(x);
        throw HttpError(413, "weft: http request body from " + describe() +
                                 " refused: more than the limit of " +
                                 std::to_string(o_.max_body_bytes) +
                                 " bytes (ServerOptions::max_body_bytes)");
      }
      std::memcpy(into.data(), s.data() + seg_off_, k);
      seg_off_ += k;
      if (seg_off_ == s.size()) {
        ++seg_;
        seg_off_ = 0;
      }
      x.body_received += k;
      take_body_end(x);
      return k;
    }
    if (body_end_seen_) {
      take_body_end(x);
      return 0;
    }
    if (pos_ < end_) {
      const Parser::Step s = parser_.feed(in_.get() + pos_, end_ - pos_);
      pos_ += s.used;
      seg_ = seg_off_ = 0;
      if (s.event == Parser::Event::end) body_end_seen_ = true;
      if (s.event == Parser::Event::error) {
        close_after(x);
        throw HttpError(400, "weft: http request body from " + describe() +
                                 " is malformed: " + parser_.error());
      }
      continue;
    }
    bool got = false;
    try {
      got = fill(wait);
    } catch (const TimeoutError&) {
      close_after(x);
      throw HttpError(408, "weft: http request body from " + describe() + " stopped after " +
                               std::to_string(x.body_received) + " bytes: nothing came for " +
                               (wait.kind() == Timeout::Kind::after
                                    ? std::to_string(wait.duration().count() / 1'000'000) + " ms"
                                    : std::string("the deadline")));
    }
    if (!got) {
      close_after(x);
      throw EofError("weft: http request body from " + describe() +
                     " failed: the client closed the connection after " +
                     std::to_string(x.body_received) + " bytes");
    }
  }
}

// ---------------------------------------------------------------- responses

void ConnectionCore::emit(Exchange& x, std::string_view bytes, Timeout t) {
  if (broken_ || finished_) {
    throw IoError("weft: http response to " + describe() + " not sent: the connection " +
                  (broken_ ? "failed" : "closed after an earlier response"));
  }
  const Timeout wt = write_timeout(t);
  const bool front = !queue_.empty() && queue_.front().get() == &x;
  if (front && !writing_ && x.out.empty()) {  // its turn: straight out, no copy
    writing_ = true;
    try {
      t_.write_all(bytes, wt);
    } catch (...) {
      writing_ = false;
      fail();
      throw;
    }
    writing_ = false;
    return;
  }
  x.out.append(bytes);
  for (;;) {
    if (broken_ || finished_) {
      throw IoError("weft: http response to " + describe() + " not sent: the connection " +
                    (broken_ ? "failed" : "closed after an earlier response"));
    }
    if (!queue_.empty() && queue_.front().get() == &x && !writing_) {
      drain(wt);
      return;
    }
    if (x.out.size() <= kMaxBuffered) return;
    const Wake w = x.turn.wait(Deadline::never());
    if (w == Wake::killed) throw TaskletExit{};
  }
}

void ConnectionCore::finish_exchange(Exchange& x) {
  x.done = true;
  if (!queue_.empty() && queue_.front().get() == &x && !writing_ && !broken_ && !finished_) {
    try {
      drain(write_timeout(current));
    } catch (const TaskletExit&) {
      throw;
    } catch (const IoError& e) {
      log(LogLevel::debug, std::string("weft: http response: ") + e.what());
    } catch (const TimeoutError& e) {
      log(LogLevel::debug, std::string("weft: http response: ") + e.what());
    }
  }
}

void ConnectionCore::drain(Timeout t) {
  writing_ = true;
  try {
    while (!queue_.empty() && !broken_ && !finished_) {
      Exchange& f = *queue_.front();
      if (!f.out.empty()) {
        scratch_.swap(f.out);
        t_.write_all(scratch_, t);
        scratch_.clear();
        f.turn.notify_all();
        continue;
      }
      if (!f.done) {
        f.turn.notify_all();
        break;
      }
      const bool last = f.close_after;
      queue_.pop_front();
      changed_.notify_all();
      if (last) {
        t_.shutdown_write();
        finished_ = true;
        for (const Ptr& p : queue_) p->turn.notify_all();
      }
    }
  } catch (...) {
    scratch_.clear();
    writing_ = false;
    fail();
    throw;
  }
  writing_ = false;
}

void ConnectionCore::fail() noexcept {
  if (broken_) return;
  broken_ = true;
  t_.abort();
  changed_.notify_all();
  for (const Ptr& p : queue_) p->turn.notify_all();
}

}  // namespace weft::http::detail
