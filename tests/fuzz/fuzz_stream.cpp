// Fuzz target: BufferedStream against a model of its documented semantics
// (io/stream.hpp).
//
// Each input is a script: a peer writes some bytes, in chunks of a chosen
// size with a yield between them, then ends its side; the stream runs a list
// of reads and writes on the other end of a Unix socket pair. The model is
// the bytes the peer sent and not yet consumed ("rest"); each read's result
// or exception is checked against it:
//  - read_line: the bytes up to the first LF, without the LF and one CR
//    before it; LineTooLongError when that line is longer than max_line; at
//    EOF a final line without LF as is (LineTooLongError past max_line);
//    EofError when nothing is left;
//  - read_bytes(n): the next n bytes; EofError when fewer arrive;
//  - read_until(delim, max): the bytes up to and including the first delim
//    when it ends within max bytes; LineTooLongError when max bytes are there
//    without it; EofError when the peer ends first;
//  - read(buf): a non-empty prefix of rest of at most buf.size() bytes; 0 at
//    EOF with nothing left (and for an empty buf).
// After an error the bytes stay in the stream (rest is unchanged), and
// buffered_input() never exceeds rest. At the end the stream's remaining
// input equals rest, and what the peer read equals everything written once
// flush() returned.
//
// Input layout: byte 0 picks max_line (0xff: the default, else 1..48), byte
// 1 the peer's chunk size (1..32, 0xff: all at once), byte 2 the number of
// operations (0..23); then 3 bytes per operation (kind, a, b); the rest is
// what the peer sends.

#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/errors.hpp"
#include "io/socket.hpp"
#include "io/stream.hpp"
#include "tasklet/dispatch.hpp"
#include "tasklet/tasklet.hpp"

namespace {

constexpr double kOpTimeout = 5.0;  // far beyond any local read: a timeout is a hang

struct Op {
  std::uint8_t kind, a, b;
};

struct Script {
  std::size_t max_line;
  std::size_t chunk;
  std::vector<Op> ops;
  std::string_view peer_data;
};

Script decode(const std::uint8_t* data, std::size_t size) {
  Script s{weft::StreamOptions{}.max_line, 0, {}, {}};
  std::size_t i = 0;
  auto next = [&]() -> std::uint8_t { return i < size ? data[i++] : 0; };
  const std::uint8_t ml = next();
  if (ml != 0xff) s.max_line = ml % 48 + 1;
  const std::uint8_t ch = next();
  s.chunk = ch == 0xff ? SIZE_MAX : ch % 32 + 1;
  const std::size_t n = next() % 24;
  for (std::size_t k = 0; k < n && i < size; ++k) {
    Op op;
    op.kind = next();
    op.a = next();
    op.b = next();
    s.ops.push_back(op);
  }
  if (i < size) s.peer_data = std::string_view(reinterpret_cast<const char*>(data) + i, size - i);
  return s;
}

std::string shown(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\x%02x", c);
      out += esc;
    }
  }
  return out;
}

[[noreturn]] void fail(std::size_t op_index, const std::string& what) {
  std::fprintf(stderr, "fuzz_stream: operation %zu: %s\n", op_index, what.c_str());
  std::abort();
}

// What a read is expected to do, from the model.
enum class Expect { value, eof, too_long };

const char* expect_name(Expect e) {
  switch (e) {
    case Expect::value:
      return "a value";
    case Expect::eof:
      return "EofError";
    case Expect::too_long:
      return "LineTooLongError";
  }
  return "?";
}

class Checker {
 public:
  Checker(weft::BufferedStream& stream, std::string rest) : stream_(stream), rest_(std::move(rest)) {}

  void read_line(std::size_t i) {
    const std::size_t max_line = stream_.options().max_line;
    Expect expect;
    std::string value;
    std::size_t take = 0;
    const std::size_t lf = rest_.find('\n');
    if (lf != std::string::npos) {
      std::size_t end = lf;
      if (end > 0 && rest_[end - 1] == '\r') --end;
      expect = end > max_line ? Expect::too_long : Expect::value;
      value = rest_.substr(0, end);
      take = lf + 1;
    } else if (rest_.empty()) {
      expect = Expect::eof;
    } else {
      expect = rest_.size() > max_line ? Expect::too_long : Expect::value;
      value = rest_;
      take = rest_.size();
    }
    run(i, "read_line", expect, value, take, [&] { return stream_.read_line(kOpTimeout); });
  }

  void read_bytes(std::size_t i, std::size_t n) {
    const bool enough = rest_.size() >= n;
    run(i, "read_bytes(" + std::to_string(n) + ")", enough ? Expect::value : Expect::eof,
        enough ? rest_.substr(0, n) : std::string(), enough ? n : 0,
        [&] { return stream_.read_bytes(n, kOpTimeout); });
  }

  void read_until(std::size_t i, const std::string& delim, std::size_t max_size) {
    const std::size_t limit = max_size == 0 ? stream_.options().max_line : max_size;
    const std::size_t at = rest_.find(delim);
    Expect expect;
    std::size_t take = 0;
    if (at != std::string::npos && at + delim.size() <= limit) {
      expect = Expect::value;
      take = at + delim.size();
    } else if (rest_.size() >= limit) {
      expect = Expect::too_long;
    } else {
      expect = Expect::eof;
    }
    run(i, "read_until(\"" + shown(delim) + "\", " + std::to_string(max_size) + ")", expect,
        rest_.substr(0, take), take,
        [&] { return stream_.read_until(delim, kOpTimeout, max_size); });
  }

  void read_some(std::size_t i, std::size_t n) {
    std::string buf(n, '\0');
    std::size_t got;
    try {
      got = stream_.read(std::span<char>(buf.data(), n), kOpTimeout);
    } catch (const std::exception& e) {
      fail(i, "read(" + std::to_string(n) + ") threw: " + e.what());
    }
    if (n == 0 || rest_.empty()) {
      if (got != 0) fail(i, "read(" + std::to_string(n) + ") returned " + std::to_string(got) +
                                " bytes; expected 0");
    } else if (got == 0 || got > n || got > rest_.size() ||
               buf.compare(0, got, rest_, 0, got) != 0) {
      fail(i, "read(" + std::to_string(n) + ") returned \"" + shown(buf.substr(0, got)) +
                  "\"; expected a non-empty prefix of \"" + shown(rest_) + "\"");
    }
    rest_.erase(0, got);
    check_buffered(i);
  }

  // The stream's remaining input must be exactly rest.
  void drain(std::size_t i) {
    std::string all;
    char buf[4096];
    for (;;) {
      std::size_t got;
      try {
        got = stream_.read(std::span<char>(buf, sizeof buf), kOpTimeout);
      } catch (const std::exception& e) {
        fail(i, std::string("draining the rest: read threw: ") + e.what());
      }
      if (got == 0) break;
      all.append(buf, got);
    }
    if (all != rest_) {
      fail(i, "the rest of the input is \"" + shown(all) + "\"; expected \"" + shown(rest_) + "\"");
    }
    rest_.clear();
  }

 private:
  template <class F>
  void run(std::size_t i, const std::string& what, Expect expect, const std::string& value,
           std::size_t take, F&& call) {
    Expect got = Expect::value;
    std::string result;
    std::string message;
    try {
      result = call();
    } catch (const weft::EofError& e) {
      got = Expect::eof;
      message = e.what();
    } catch (const weft::LineTooLongError& e) {
      got = Expect::too_long;
      message = e.what();
    } catch (const std::exception& e) {
      fail(i, what + " threw an unexpected error: " + e.what());
    }
    if (got != expect) {
      fail(i, what + " on \"" + shown(rest_) + "\" gave " + expect_name(got) +
                  (got == Expect::value ? " \"" + shown(result) + "\"" : " (" + message + ")") +
                  "; expected " + expect_name(expect));
    }
    if (got == Expect::value) {
      if (result != value) {
        fail(i, what + " on \"" + shown(rest_) + "\" returned \"" + shown(result) +
                    "\"; expected \"" + shown(value) + "\"");
      }
      rest_.erase(0, take);
    }
    check_buffered(i);
  }

  void check_buffered(std::size_t i) {
    if (stream_.buffered_input() > rest_.size()) {
      fail(i, "buffered_input() is " + std::to_string(stream_.buffered_input()) +
                  " with only " + std::to_string(rest_.size()) + " bytes unread");
    }
  }

  weft::BufferedStream& stream_;
  std::string rest_;
};

void run_script(const Script& s) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
    std::perror("fuzz_stream: socketpair");
    std::abort();
  }
  weft::Socket ours(fds[0]);
  weft::Socket peer(fds[1]);

  auto feeder = weft::Tasklet::spawn([&] {
    std::string_view left = s.peer_data;
    while (!left.empty()) {
      const std::size_t n = std::min(left.size(), s.chunk);
      peer.write_all(left.substr(0, n), kOpTimeout);
      left.remove_prefix(n);
      weft::Tasklet::yield_();
    }
    peer.shutdown(weft::Shutdown::write);
  });
  std::string received;
  auto collector = weft::Tasklet::spawn([&] {
    char buf[4096];
    for (;;) {
      const std::size_t n = peer.read(std::span<char>(buf, sizeof buf), kOpTimeout);
      if (n == 0) return;
      received.append(buf, n);
    }
  });

  weft::StreamOptions options;
  options.max_line = s.max_line;
  weft::BufferedStream stream(ours, options);
  Checker check(stream, std::string(s.peer_data));
  std::string written;
  std::size_t i = 0;
  for (; i < s.ops.size(); ++i) {
    const Op& op = s.ops[i];
    const std::size_t wide = op.a | (static_cast<std::size_t>(op.b & 0x1f) << 8);  // 0..8191
    switch (op.kind % 7) {
      case 0:
        check.read_line(i);
        break;
      case 1:
        check.read_bytes(i, wide);
        break;
      case 2: {
        std::string delim(1, static_cast<char>(op.a));
        if (op.b & 0x80) delim += '\n';
        check.read_until(i, delim, op.b & 0x3f);
        break;
      }
      case 3:
        check.read_some(i, wide);
        break;
      case 4: {  // up to 16 KiB: small writes buffer, large ones go straight out
        const std::size_t n = op.a | (static_cast<std::size_t>(op.b & 0x3f) << 8);
        std::string data(n, '\0');
        for (std::size_t k = 0; k < n; ++k) data[k] = static_cast<char>('a' + (written.size() + k) % 26);
        try {
          stream.write(data, kOpTimeout);
        } catch (const std::exception& e) {
          fail(i, "write(" + std::to_string(n) + " bytes) threw: " + e.what());
        }
        written += data;
        if (stream.buffered_output() > written.size()) fail(i, "buffered_output() exceeds what was written");
        break;
      }
      case 5:
        try {
          stream.flush(kOpTimeout);
        } catch (const std::exception& e) {
          fail(i, std::string("flush threw: ") + e.what());
        }
        if (stream.buffered_output() != 0) fail(i, "buffered_output() is not 0 after flush");
        break;
      case 6:
        weft::Tasklet::yield_();
        break;
    }
  }
  check.drain(i);
  try {
    stream.flush(kOpTimeout);
  } catch (const std::exception& e) {
    fail(i, std::string("the final flush threw: ") + e.what());
  }
  ours.shutdown(weft::Shutdown::write);
  collector.join(kOpTimeout);
  feeder.join(kOpTimeout);
  if (received != written) {
    fail(i, "the peer received " + std::to_string(received.size()) + " bytes; " +
                std::to_string(written.size()) + " were written" +
                (received.size() == written.size() ? " (different bytes)" : ""));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Script script = decode(data, size);
  weft::DispatchOptions options;
  options.handle_signals = false;
  std::exception_ptr error;
  options.main_error = &error;
  const int code = weft::dispatch([&] { run_script(script); }, std::move(options));
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fuzz_stream: the script threw (a TimeoutError is a hang): %s\n",
                   e.what());
    } catch (...) {
      std::fprintf(stderr, "fuzz_stream: the script threw a non-standard exception\n");
    }
    std::abort();
  }
  if (code != 0) {
    std::fprintf(stderr, "fuzz_stream: dispatch returned %d\n", code);
    std::abort();
  }
  return 0;
}
