#include "http/transport.hpp"

#include <sys/socket.h>

#include "sched/park.hpp"

namespace weft::http {

void Transport::wait_hang_up(Timeout t) {
  const Deadline d = Deadline::from(t);
  for (;;) check_wake(park(d), d, "wait for " + describe() + " to hang up");
}

void SocketTransport::shutdown_write() noexcept {
  if (socket_->is_open()) ::shutdown(socket_->fd(), SHUT_WR);
}

void SocketTransport::abort() noexcept {
  // close() wakes a tasklet parked in the socket with SocketClosedError; the
  // owner's later close is a no-op.
  socket_->close();
}

std::string SocketTransport::describe() const {
  try {
    return socket_->peer_endpoint().to_string();
  } catch (const IoError&) {
    return "fd " + std::to_string(socket_->fd());
  }
}

}  // namespace weft::http
