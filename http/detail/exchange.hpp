#pragma once
// Exchange: one request and its response on a server connection, shared by
// the connection (its queue of responses in request order) and the handler
// tasklet (which holds it until it returns).

#include <cstdint>
#include <string>

#include "weft/http/request.hpp"
#include "weft/http/response.hpp"
#include "weft/sched/wait_list.hpp"
#include "weft/tasklet/tasklet.hpp"

namespace weft::http::detail {

class ConnectionCore;

struct Exchange {
  Exchange(ConnectionCore& c, Head&& h) noexcept
      : core(c), request(*this, std::move(h)), response(*this) {}
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  ConnectionCore& core;
  Request request;
  Response response;
  std::string out;             // response bytes waiting for this exchange's turn to be written
  WaitList turn;               // its handler waits here while `out` is over the buffer bound
  bool done = false;           // the response is complete (its last bytes are in `out` or sent)
  bool close_after = false;    // the connection ends after this response
  bool body_done = true;       // the request body was read to its end (or there is none)
  bool continue_sent = false;  // "100 Continue" was written (or queued)
  bool running = false;        // the handler tasklet has not returned
  std::uint64_t body_received = 0;
};

}  // namespace weft::http::detail
