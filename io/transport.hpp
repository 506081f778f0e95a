#pragma once
// Transport: a byte stream over a Socket that a BufferedStream can sit on in
// place of the plain socket (TlsStream is one). BufferedStream reads and
// writes a plain Socket directly; it goes through this interface only when
// it is built on a Transport.

#include <cstddef>
#include <string>

#include "weft/io/detail/lazy_deadline.hpp"

namespace weft {

class Socket;

class Transport {
 public:
  Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // The socket underneath (its read timeouts, see Socket::set_read_timeouts,
  // bound the reads of a BufferedStream on this transport).
  virtual Socket& socket() noexcept = 0;
  // Reads up to n (> 0) bytes, parking until at least one is there, under d.
  // Returns 0 at the end of the stream.
  virtual std::size_t read(void* buf, std::size_t n, detail::LazyDeadline& d) = 0;
  // Parks under d until read() has something to return without waiting
  // (data or the end), or may return early: read() then parks itself.
  virtual void wait_readable(detail::LazyDeadline& d) = 0;
  // Writes some of data (at least one byte, n > 0) and returns how many.
  virtual std::size_t write(const void* data, std::size_t n, detail::LazyDeadline& d) = 0;
  // Who is at the other end, for messages ("127.0.0.1:4433").
  virtual std::string describe() const = 0;

 protected:
  Transport(Transport&&) = default;
  Transport& operator=(Transport&&) = default;
  ~Transport() = default;
};

}  // namespace weft
