#pragma once
// ConnectionCore: one server connection. Its tasklet (run) reads and parses
// requests, starts a handler tasklet per request, and keeps the queue of
// exchanges whose responses must leave in request order. The handlers call
// back into it to read their body (read_body) and to send (emit).
//
// Who touches what (all on the loop thread, so "at once" means "between two
// parks"):
//  - the parser and the input buffer: the reader, except while a handler
//    reads its body: then the reader waits (wait_body) until the body has
//    been read to its end or the handler returned;
//  - the transport's write side: one tasklet at a time (writing_), always the
//    front exchange's bytes first; whoever finds the front complete writes
//    the next ones (drain);
//  - the connection's end: the reader, which kills the handlers still running
//    when the client has gone, and waits for them otherwise; at max_pipelined,
//    where it reads nothing, a watch tasklet (wait_below_limit) tells it of
//    the client's hang-up.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "weft/http/detail/exchange.hpp"
#include "weft/http/detail/parser.hpp"
#include "weft/http/server.hpp"
#include "weft/sched/wait_list.hpp"
#include "weft/tasklet/tasklet.hpp"

namespace weft::http::detail {

class ConnectionCore {
 public:
  ConnectionCore(Transport& t, const Handler& h, const ServerOptions& o);
  ~ConnectionCore();
  ConnectionCore(const ConnectionCore&) = delete;
  ConnectionCore& operator=(const ConnectionCore&) = delete;

  // Serves requests until the connection ends.
  void run();

  // Request::read: body bytes of x (0 at its end).
  std::size_t read_body(Exchange& x, std::span<char> into, Timeout t);
  // Response: queues or writes x's bytes, in x's turn. Throws IoError when
  // the connection failed or closes before x's response.
  void emit(Exchange& x, std::string_view bytes, Timeout t);
  // Response::start: the connection ends after x's response.
  void close_after(Exchange& x) noexcept;
  const ServerOptions& options() const noexcept { return o_; }
  std::string describe() const { return t_.describe(); }

 private:
  using Ptr = std::shared_ptr<Exchange>;
  struct HandlerBody;
  friend struct HandlerBody;
  enum class End { gone, closing, idle };

  End serve_requests();
  bool wait_below_limit();
  void on_head();
  void run_handler(Exchange& x);
  void answer_failure(Exchange& x, int status, std::string_view why);
  void respond_error(int status, std::string_view why);
  void finish_exchange(Exchange& x);
  void drain(Timeout t);
  void fail() noexcept;
  void wait_changed();
  bool fill(Timeout t);
  bool pending_segment() const noexcept;
  void take_body_end(Exchange& x) noexcept;
  void linger();
  void end_handlers(bool kill) noexcept;
  Timeout write_timeout(Timeout t) const noexcept;

  static constexpr std::size_t kBufferSize = 8 * 1024;
  static constexpr std::size_t kMaxBuffered = 64 * 1024;  // a waiting response's bytes

  Transport& t_;
  const Handler& handler_;
  const ServerOptions& o_;
  Parser parser_;
  std::unique_ptr<char[]> in_;
  std::size_t pos_ = 0;  // first byte not yet parsed
  std::size_t end_ = 0;  // end of the bytes read
  std::size_t seg_ = 0;  // parser_.body_segments() taken whole
  std::size_t seg_off_ = 0;  // bytes taken of the next one
  std::deque<Ptr> queue_;  // exchanges whose responses have not all left, in request order
  std::list<Tasklet> handlers_;  // handler tasklets still running
  Ptr reading_;                  // the exchange whose body the parser is in (held: its handler may be gone)
  bool body_end_seen_ = false;   // the parser ended reading_'s body (segments may remain)
  std::uint64_t discarded_ = 0;  // body bytes the reader dropped (a handler left them)
  Clock::time_point head_started_{};
  bool closing_ = false;   // no request is read after the current ones
  bool broken_ = false;    // the transport failed: nothing more can be written
  bool finished_ = false;  // the last response left (and the write side was shut down)
  bool writing_ = false;   // a tasklet is writing to the transport
  bool ending_ = false;    // the reader is ending the handlers
  WaitList changed_;       // the reader waits here for a body read, a response out, a handler's end
  std::string scratch_;    // drain's write buffer (swapped with an exchange's `out`)
};

}  // namespace weft::http::detail
