#include "io/stream.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>

#include "io/detail/buffer_pool.hpp"
#include "sched/errors.hpp"
#include "sched/fd_watch.hpp"

namespace weft {

using detail::BufferPool;
using detail::LazyDeadline;

BufferedStream::BufferedStream(Socket& socket, StreamOptions options)
    : socket_(&socket), options_(options), pool_(&detail::io_runtime().buffers) {
  if (options_.max_line == 0) throw std::invalid_argument("weft: StreamOptions::max_line is 0");
  if (options_.max_read_bytes == 0) {
    throw std::invalid_argument("weft: StreamOptions::max_read_bytes is 0");
  }
}

BufferedStream::BufferedStream(Transport& transport, StreamOptions options)
    : BufferedStream(transport.socket(), options) {
  transport_ = &transport;
}

BufferedStream::~BufferedStream() {
  release_input();
  release_output();
}

// ---------------------------------------------------------------- buffers

namespace {

// Gives a block back to the pool it came from, when that pool still exists.
void give_back(BufferPool* pool, char* block) noexcept {
  detail::IoRuntime* rt = detail::io_runtime_if_any();
  if (rt != nullptr && &rt->buffers == pool) {
    pool->release(block);
  } else {
    delete[] block;
  }
}

// a + b, saturating: a max_line of SIZE_MAX means "no limit", not a limit of 1.
constexpr std::size_t sat_add(std::size_t a, std::size_t b) noexcept {
  return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

}  // namespace

void BufferedStream::release_input() noexcept {
  if (rbuf_ == nullptr) return;
  if (rcap_ == BufferPool::kBlockSize) {
    give_back(pool_, rbuf_);
  } else {
    delete[] rbuf_;
  }
  rbuf_ = nullptr;
  rcap_ = rpos_ = rend_ = 0;
}

void BufferedStream::release_output() noexcept {
  if (wbuf_ == nullptr) return;
  give_back(pool_, wbuf_);
  wbuf_ = nullptr;
  wpos_ = wlen_ = 0;
}

void BufferedStream::consumed() noexcept {
  if (rpos_ == rend_) release_input();  // empty: the block goes back to the pool
}

void BufferedStream::make_room(std::size_t limit) {
  if (rbuf_ == nullptr) {
    rbuf_ = pool_->acquire();
    rcap_ = BufferPool::kBlockSize;
    rpos_ = rend_ = 0;
    return;
  }
  if (rend_ < rcap_) return;
  if (rpos_ > 0) {  // slide the unconsumed bytes to the front
    std::memmove(rbuf_, rbuf_ + rpos_, rend_ - rpos_);
    rend_ -= rpos_;
    rpos_ = 0;
    return;
  }
  // Full of one unfinished line or frame: grow (the callers enforce `limit`).
  std::size_t cap = std::max(rcap_ * 2, std::min(limit, rcap_ + BufferPool::kBlockSize));
  char* bigger = new char[cap];
  std::memcpy(bigger, rbuf_, rend_);
  const std::size_t used = rend_;
  release_input();
  rbuf_ = bigger;
  rcap_ = cap;
  rend_ = used;
}

std::size_t BufferedStream::read_some(char* buf, std::size_t n, LazyDeadline& d) {
  return transport_ != nullptr ? transport_->read(buf, n, d) : socket_->read(buf, n, d);
}

std::size_t BufferedStream::write_some(const char* data, std::size_t n, LazyDeadline& d) {
  return transport_ != nullptr ? transport_->write(data, n, d) : socket_->write(data, n, d);
}

void BufferedStream::write_everything(const char* data, std::size_t n, LazyDeadline& d) {
  if (transport_ == nullptr) {
    socket_->write_all(data, n, d);
    return;
  }
  for (std::size_t done = 0; done < n;) done += transport_->write(data + done, n - done, d);
}

std::string BufferedStream::describe() const {
  return transport_ != nullptr ? transport_->describe() : socket_->describe();
}

bool BufferedStream::fill(LazyDeadline& d, std::size_t limit) {
  socket_->check_open(Socket::Op::read);  // a closed socket: SocketClosedError, not EBADF
  if (rpos_ == rend_ && rbuf_ != nullptr) rpos_ = rend_ = 0;
  if (transport_ != nullptr) {
    // As below: no buffer held while waiting for the next bytes.
    if (rpos_ == rend_) transport_->wait_readable(d);
    make_room(limit);
    const std::size_t r = transport_->read(rbuf_ + rend_, rcap_ - rend_, d);
    rend_ += r;
    if (rpos_ == rend_) release_input();
    return r > 0;
  }
  if (rpos_ == rend_) {
    // Nothing buffered: hold a buffer only while a read can fill it, so that
    // a connection parked here waiting for its next request holds none.
    bool attempted = false;
    for (;;) {
      if (attempted || socket_->wait_for_edge()) {  // see Socket::drained_
        const FdWake w = socket_->await(Socket::Op::read, d);
        if (w.wake == Wake::timed_out && !w.closed && !attempted) {
          // The attempt the drained heuristic skipped: make it now; then the timeout stands.
          make_room(limit);
          const long r = socket_->read_nowait(rbuf_, rcap_);
          if (r >= 0) {
            rend_ = static_cast<std::size_t>(r);
            if (r == 0) release_input();
            return r > 0;
          }
          release_input();
        }
        socket_->check_wake(Socket::Op::read, w, d);
      }
      attempted = true;
      make_room(limit);
      const long r = socket_->read_nowait(rbuf_, rcap_);
      if (r >= 0) {
        rend_ = static_cast<std::size_t>(r);
        if (r == 0) release_input();
        return r > 0;
      }
      release_input();
    }
  }
  make_room(limit);
  const std::size_t r = socket_->read(rbuf_ + rend_, rcap_ - rend_, d);
  rend_ += r;
  return r > 0;
}

void BufferedStream::unread(const char* data, std::size_t n) noexcept {
  const std::size_t have = rend_ - rpos_;
  if (rbuf_ != nullptr && rpos_ >= n) {  // room in front of the buffered bytes
    rpos_ -= n;
    std::memcpy(rbuf_ + rpos_, data, n);
    return;
  }
  const std::size_t cap = std::max(BufferPool::kBlockSize, n + have);
  char* fresh = nullptr;
  if (cap == BufferPool::kBlockSize) {
    try {
      fresh = pool_->acquire();
    } catch (...) {
    }
  } else {
    fresh = new (std::nothrow) char[cap];
  }
  if (fresh == nullptr) return;  // out of memory: the bytes are lost
  std::memcpy(fresh, data, n);
  if (have > 0) std::memcpy(fresh + n, rbuf_ + rpos_, have);
  release_input();
  rbuf_ = fresh;
  rcap_ = cap;
  rpos_ = 0;
  rend_ = n + have;
}

void BufferedStream::throw_eof(const std::string& what, std::size_t got) const {
  throw EofError("weft: " + what + " from " + describe() +
                 " failed: the peer closed the connection" +
                 (got > 0 ? " after " + std::to_string(got) + " bytes" : std::string()));
}

// ---------------------------------------------------------------- reading

std::string BufferedStream::read_line(Timeout t) {
  LazyDeadline d(socket_->read_timeout(t));
  std::size_t scanned = 0;  // bytes after rpos_ already known to hold no LF
  for (;;) {
    if (rbuf_ != nullptr && rend_ > rpos_ + scanned) {
      const char* from = rbuf_ + rpos_ + scanned;
      const auto* lf = static_cast<const char*>(std::memchr(from, '\n', rend_ - rpos_ - scanned));
      if (lf != nullptr) {
        const std::size_t end = static_cast<std::size_t>(lf - rbuf_);
        std::size_t line_end = end;
        if (line_end > rpos_ && rbuf_[line_end - 1] == '\r') --line_end;
        if (line_end - rpos_ > options_.max_line) {
          throw LineTooLongError("weft: read_line from " + describe() +
                                 " failed: a line of " + std::to_string(line_end - rpos_) +
                                 " bytes; the limit is " + std::to_string(options_.max_line) +
                                 " (StreamOptions::max_line)");
        }
        std::string line(rbuf_ + rpos_, line_end - rpos_);
        rpos_ = end + 1;
        consumed();
        return line;
      }
      scanned = rend_ - rpos_;
    }
    if (rend_ - rpos_ > sat_add(options_.max_line, 1)) {
      throw LineTooLongError("weft: read_line from " + describe() + " failed: " +
                             std::to_string(rend_ - rpos_) +
                             " bytes arrived without a newline; the limit is " +
                             std::to_string(options_.max_line) + " (StreamOptions::max_line)");
    }
    if (!fill(d, sat_add(options_.max_line, 2))) {
      if (rend_ - rpos_ > options_.max_line) {
        throw LineTooLongError("weft: read_line from " + describe() +
                               " failed: a final line of " + std::to_string(rend_ - rpos_) +
                               " bytes before EOF; the limit is " +
                               std::to_string(options_.max_line) + " (StreamOptions::max_line)");
      }
      if (rend_ > rpos_) {  // a final line without a newline: returned as is
        std::string rest(rbuf_ + rpos_, rend_ - rpos_);
        rpos_ = rend_;
        consumed();
        return rest;
      }
      throw_eof("read_line", 0);
    }
  }
}

std::string BufferedStream::read_until(std::string_view delimiter, Timeout t,
                                       std::size_t max_size) {
  if (delimiter.empty()) throw std::invalid_argument("weft: read_until with an empty delimiter");
  if (max_size == 0) max_size = options_.max_line;
  LazyDeadline d(socket_->read_timeout(t));
  std::size_t scanned = 0;  // bytes after rpos_ already known not to start the delimiter
  for (;;) {
    const std::size_t have = rend_ - rpos_;
    if (rbuf_ != nullptr && have >= delimiter.size()) {
      const char* base = rbuf_ + rpos_;
      const auto* hit = static_cast<const char*>(
          ::memmem(base + scanned, have - scanned, delimiter.data(), delimiter.size()));
      if (hit != nullptr) {
        const std::size_t n = static_cast<std::size_t>(hit - base) + delimiter.size();
        if (n > max_size) break;
        std::string frame(base, n);
        rpos_ += n;
        consumed();
        return frame;
      }
      scanned = have - delimiter.size() + 1;
    }
    if (have >= max_size) break;
    if (!fill(d, sat_add(max_size, 1))) throw_eof("read_until", rend_ - rpos_);
  }
  throw LineTooLongError("weft: read_until from " + describe() +
                         " failed: no delimiter within the limit of " + std::to_string(max_size) +
                         " bytes");
}

std::string BufferedStream::read_bytes(std::size_t n, Timeout t) {
  if (n > std::string().max_size()) {
    throw std::invalid_argument("weft: read_bytes(" + std::to_string(n) +
                                "): more than a string can hold (a negative count converted "
                                "to size_t?)");
  }
  if (n > options_.max_read_bytes) {
    throw ReadLimitError("weft: read_bytes(" + std::to_string(n) + ") from " +
                         describe() + " refused: more than the limit of " +
                         std::to_string(options_.max_read_bytes) +
                         " bytes (StreamOptions::max_read_bytes); nothing was read");
  }
  LazyDeadline d(socket_->read_timeout(t));
  // The result grows as bytes arrive, doubling from kFirstChunk, so that it
  // never holds more than twice what came (n may be a length the peer sent).
  constexpr std::size_t kFirstChunk = 64 * 1024;
  std::string out;
  std::size_t got = std::min(n, rend_ - rpos_);
  out.resize(std::min(n, std::max(got, kFirstChunk)));
  if (got > 0) {
    std::memcpy(out.data(), rbuf_ + rpos_, got);
    rpos_ += got;
    consumed();
  }
  // On a timeout, kill or error, what was read goes back to the stream: nothing is lost.
  struct Unread {
    BufferedStream& self;
    const std::string& out;
    const std::size_t& got;
    std::size_t n;
    ~Unread() {
      if (got < n && got > 0) self.unread(out.data(), got);
    }
  } unread_guard{*this, out, got, n};
  while (got < n) {
    if (n - got < BufferPool::kBlockSize / 4) {
      out.resize(n);  // the small tail (read through the buffer below) fits
    } else if (got == out.size()) {
      out.resize(std::min(n, out.size() * 2));
    }
    std::size_t r;
    if (n - got >= BufferPool::kBlockSize / 4) {  // large: straight into the result
      r = read_some(out.data() + got, out.size() - got, d);
    } else {  // small: read ahead into the buffer
      r = fill(d, BufferPool::kBlockSize) ? std::min(n - got, rend_ - rpos_) : 0;
      if (r > 0) {
        std::memcpy(out.data() + got, rbuf_ + rpos_, r);
        rpos_ += r;
        consumed();
      }
    }
    if (r == 0) throw_eof("read_bytes(" + std::to_string(n) + ")", got);
    got += r;
  }
  return out;
}

std::size_t BufferedStream::read(std::span<char> into, Timeout t) {
  char* buf = into.data();
  const std::size_t n = into.size();
  if (n == 0) return 0;
  if (rend_ == rpos_) {
    LazyDeadline d(socket_->read_timeout(t));
    if (n >= BufferPool::kBlockSize) return read_some(buf, n, d);
    if (!fill(d, BufferPool::kBlockSize)) return 0;
  }
  const std::size_t k = std::min(n, rend_ - rpos_);
  std::memcpy(buf, rbuf_ + rpos_, k);
  rpos_ += k;
  consumed();
  return k;
}

// ---------------------------------------------------------------- writing

void BufferedStream::flush(LazyDeadline& d) {
  while (wpos_ < wlen_) wpos_ += write_some(wbuf_ + wpos_, wlen_ - wpos_, d);
  release_output();
}

void BufferedStream::flush(Timeout t) {
  LazyDeadline d(t);
  flush(d);
}

void BufferedStream::write(std::string_view data, Timeout t) {
  if (data.empty()) return;
  if (wbuf_ != nullptr && wlen_ + data.size() <= BufferPool::kBlockSize) {
    std::memcpy(wbuf_ + wlen_, data.data(), data.size());
    wlen_ += data.size();
    return;
  }
  LazyDeadline d(t);
  if (wbuf_ != nullptr) flush(d);
  if (data.size() >= BufferPool::kBlockSize) {
    write_everything(data.data(), data.size(), d);
    return;
  }
  wbuf_ = pool_->acquire();
  wpos_ = 0;
  std::memcpy(wbuf_, data.data(), data.size());
  wlen_ = data.size();
}

}  // namespace weft
