#pragma once
// BufferedStream: line- and frame-oriented reading and buffered writing on a
// Socket (Concurrence's BufferedStream).
//
//   weft::BufferedStream stream(socket);
//   for (;;) {
//     std::string line = stream.read_line(30.0);  // EofError when the peer is done
//     stream.write(line + "\n");
//     stream.flush();
//   }
//
// Buffers come from a per-loop pool and go back to it whenever the stream
// holds no data, so idle connections cost no buffer memory.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "weft/io/socket.hpp"
#include "weft/io/transport.hpp"
#include "weft/sched/timeout.hpp"

namespace weft {

namespace detail {
class BufferPool;
}

struct StreamOptions {
  // The longest line read_line accepts (without its LF / CRLF), and the
  // default limit of read_until; longer input throws LineTooLongError
  // (SIZE_MAX: no limit but memory).
  std::size_t max_line = 64 * 1024;
  // The most read_bytes(n) accepts: a larger n throws ReadLimitError before
  // anything is read (SIZE_MAX: no limit but memory). A length read from the
  // peer is an amplifier; this bounds what one read can be made to hold.
  // Below it, memory grows with the bytes that arrive, never ahead of them.
  std::size_t max_read_bytes = 16 * 1024 * 1024;
};

// Buffered reading and writing on a socket (or a Transport over one, such as
// a TlsStream) it does not own. Loop-thread only.
// Preconditions: the socket (transport) outlives the stream; the stream is destroyed on its
// loop while no tasklet is parked in it. Reads and writes may run in two
// different tasklets at once; two concurrent readers (or writers) may not.
class BufferedStream {
 public:
  // A stream over `socket`. Throws std::invalid_argument when max_line or
  // max_read_bytes is 0, std::logic_error outside dispatch().
  explicit BufferedStream(Socket& socket, StreamOptions options = {});
  // A stream over a transport (e.g. TlsStream): the same calls, the same
  // limits; reads obey the read timeouts of the transport's socket, and the
  // errors are the transport's.
  explicit BufferedStream(Transport& transport, StreamOptions options = {});
  // Gives the buffers back to the pool. Unflushed output is dropped: flush() first.
  ~BufferedStream();
  BufferedStream(const BufferedStream&) = delete;
  BufferedStream& operator=(const BufferedStream&) = delete;

  // Reads one line and returns it without its LF or CRLF. A final line
  // without a newline is returned as is (when within max_line). Throws EofError
  // when the stream is at EOF with nothing left, LineTooLongError past
  // max_line (the bytes stay buffered), and what Socket::read throws. One
  // deadline covers the call.
  std::string read_line(Timeout t = current);
  // Reads exactly n bytes. The result grows as they arrive (a large n costs
  // nothing before its bytes come). Throws ReadLimitError when n exceeds the
  // options' max_read_bytes, std::invalid_argument when it exceeds what a
  // string can hold (both before reading anything), EofError (saying how many
  // arrived) when the peer closes first, and what Socket::read throws; on any
  // failure the bytes that did arrive stay in the stream for the next read.
  std::string read_bytes(std::size_t n, Timeout t = current);
  // Reads up to and including `delimiter` (not empty). Throws EofError when
  // the peer closes before it, LineTooLongError when `max_size` bytes (0: the
  // options' max_line) arrive without it, and what Socket::read throws.
  std::string read_until(std::string_view delimiter, Timeout t = current,
                         std::size_t max_size = 0);
  // Reads up to buf.size() bytes: what is buffered, else what one socket read
  // brings. Returns 0 at EOF (and for an empty buf).
  std::size_t read(std::span<char> buf, Timeout t = current);

  // Appends data to the output buffer, writing the buffer out when it is
  // full (large data goes straight to the socket). Throws what
  // Socket::write_all throws; the bytes not yet written stay buffered.
  void write(std::string_view data, Timeout t = current);
  // Writes out everything buffered. On an error the unwritten rest stays
  // buffered, so a later flush resumes where this one stopped.
  void flush(Timeout t = current);

  // Bytes read from the socket and not yet consumed.
  std::size_t buffered_input() const noexcept { return rend_ - rpos_; }
  // Bytes written to the stream and not yet to the socket.
  std::size_t buffered_output() const noexcept { return wlen_ - wpos_; }
  Socket& socket() noexcept { return *socket_; }
  // The transport the stream sits on (nullptr: the plain socket).
  Transport* transport() noexcept { return transport_; }
  const StreamOptions& options() const noexcept { return options_; }

 private:
  // Reads once more into the input buffer (growing it up to `limit` bytes).
  // Returns false at EOF.
  bool fill(detail::LazyDeadline& d, std::size_t limit);
  void make_room(std::size_t limit);
  void consumed() noexcept;
  void flush(detail::LazyDeadline& d);
  void release_input() noexcept;
  void release_output() noexcept;
  // Puts n bytes back in front of the buffered input (after a failed read_bytes).
  void unread(const char* data, std::size_t n) noexcept;
  [[noreturn]] void throw_eof(const std::string& what, std::size_t got) const;
  // The socket's or the transport's read, write and write_all.
  std::size_t read_some(char* buf, std::size_t n, detail::LazyDeadline& d);
  std::size_t write_some(const char* data, std::size_t n, detail::LazyDeadline& d);
  void write_everything(const char* data, std::size_t n, detail::LazyDeadline& d);
  std::string describe() const;

  Socket* socket_;
  Transport* transport_ = nullptr;  // set: IO goes through it instead of socket_
  StreamOptions options_;
  detail::BufferPool* pool_ = nullptr;  // the loop's pool the buffers came from
  char* rbuf_ = nullptr;  // input buffer (a pool block, or a larger heap one)
  std::size_t rcap_ = 0;
  std::size_t rpos_ = 0;  // first unconsumed byte
  std::size_t rend_ = 0;  // end of the buffered bytes
  char* wbuf_ = nullptr;  // output buffer (a pool block)
  std::size_t wpos_ = 0;  // first byte not yet written
  std::size_t wlen_ = 0;  // end of the buffered output
};

}  // namespace weft
