// Encoder and Decoder on msgpack-cxx. The library is used header-only and
// without Boost (MSGPACK_NO_BOOST), which it needs only for its Boost adaptors.
#define MSGPACK_NO_BOOST 1
#include <msgpack.hpp>

#include "remote/codec.hpp"

#include <vector>

#include "sched/log.hpp"

namespace weft::remote {

namespace {

// What msgpack::packer writes into.
struct Sink {
  std::string& out;
  void write(const char* p, std::size_t n) { out.append(p, n); }
};

const char* kind_name(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL: return "nil";
    case msgpack::type::BOOLEAN: return "a boolean";
    case msgpack::type::POSITIVE_INTEGER:
    case msgpack::type::NEGATIVE_INTEGER: return "an integer";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return "a float";
    case msgpack::type::STR: return "a string";
    case msgpack::type::BIN: return "binary data";
    case msgpack::type::ARRAY: return "an array";
    case msgpack::type::MAP: return "a map";
    case msgpack::type::EXT: return "an extension value";
  }
  return "an unknown value";
}

}  // namespace

void Encoder::nil() {
  Sink s{out_};
  msgpack::packer<Sink>(s).pack_nil();
}
void Encoder::boolean(bool v) {
  Sink s{out_};
  msgpack::packer<Sink> p(s);
  if (v) {
    p.pack_true();
  } else {
    p.pack_false();
  }
}
void Encoder::integer(std::int64_t v) {
  Sink s{out_};
  msgpack::packer<Sink>(s).pack_int64(v);
}
void Encoder::uinteger(std::uint64_t v) {
  Sink s{out_};
  msgpack::packer<Sink>(s).pack_uint64(v);
}
void Encoder::real(double v) {
  Sink s{out_};
  msgpack::packer<Sink>(s).pack_double(v);
}
void Encoder::string(std::string_view v) {
  if (v.size() > UINT32_MAX) throw std::length_error("weft: encode of a string failed: over 4 GiB");
  Sink s{out_};
  msgpack::packer<Sink> p(s);
  p.pack_str(static_cast<std::uint32_t>(v.size()));
  p.pack_str_body(v.data(), static_cast<std::uint32_t>(v.size()));
}
void Encoder::array(std::size_t n) {
  if (n > UINT32_MAX) throw std::length_error("weft: encode of an array failed: too many items");
  Sink s{out_};
  msgpack::packer<Sink>(s).pack_array(static_cast<std::uint32_t>(n));
}
void Encoder::map(std::size_t n) {
  if (n > UINT32_MAX) throw std::length_error("weft: encode of a map failed: too many pairs");
  Sink s{out_};
  msgpack::packer<Sink>(s).pack_map(static_cast<std::uint32_t>(n));
}

// The parsed value and a cursor over it: a stack of runs of objects still to
// read (the top-level value, then the items of each array or map entered).
struct Decoder::Impl {
  // An array's items, or a map's pairs read as key, value, key, ...
  struct Run {
    const msgpack::object* items = nullptr;
    const msgpack::object_kv* pairs = nullptr;
    std::size_t at = 0;
    std::size_t count = 0;
    const msgpack::object& current() const {
      return items ? items[at] : (at % 2 == 0 ? pairs[at / 2].key : pairs[at / 2].val);
    }
  };
  msgpack::object_handle handle;
  std::vector<Run> runs;

  const msgpack::object& peek(const char* want) {
    while (!runs.empty() && runs.back().at == runs.back().count) runs.pop_back();
    if (runs.empty()) throw DecodeError(std::string("expected ") + want + ", found the end of the data");
    return runs.back().current();
  }
  const msgpack::object& take(const char* want) {
    const msgpack::object& o = peek(want);
    ++runs.back().at;
    return o;
  }
  [[noreturn]] static void mismatch(const char* want, const msgpack::object& o) {
    throw DecodeError(std::string("expected ") + want + ", found " + kind_name(o));
  }
};

Decoder::Decoder(std::string_view bytes) : impl_(std::make_unique<Impl>()) {
  // Limits from the input's size: a header may not claim more items than
  // there are bytes left for them (msgpack-cxx allocates the items of an
  // array or map when it reads its header, so five bytes could ask for 64 GiB).
  const std::size_t n = bytes.size();
  const msgpack::unpack_limit limit(n, n / 2, n, n, n, 256);
  try {
    impl_->handle = msgpack::unpack(bytes.data(), n, nullptr, nullptr, limit);
  } catch (const std::exception& e) {
    throw DecodeError(std::string("not MessagePack (") + e.what() + ")");
  }
  impl_->runs.push_back({&impl_->handle.get(), nullptr, 0, 1});
}
Decoder::~Decoder() = default;
Decoder::Decoder(Decoder&&) noexcept = default;
Decoder& Decoder::operator=(Decoder&&) noexcept = default;

bool Decoder::next_is_nil() { return impl_->peek("a value").type == msgpack::type::NIL; }

void Decoder::nil() {
  const auto& o = impl_->take("nil");
  if (o.type != msgpack::type::NIL) Impl::mismatch("nil", o);
}

bool Decoder::boolean() {
  const auto& o = impl_->take("a boolean");
  if (o.type != msgpack::type::BOOLEAN) Impl::mismatch("a boolean", o);
  return o.via.boolean;
}

std::int64_t Decoder::integer() {
  const auto& o = impl_->take("an integer");
  if (o.type == msgpack::type::NEGATIVE_INTEGER) return o.via.i64;
  if (o.type != msgpack::type::POSITIVE_INTEGER) Impl::mismatch("an integer", o);
  if (o.via.u64 > static_cast<std::uint64_t>(INT64_MAX)) {
    throw DecodeError("integer " + std::to_string(o.via.u64) + " is out of range of int64");
  }
  return static_cast<std::int64_t>(o.via.u64);
}

std::uint64_t Decoder::uinteger() {
  const auto& o = impl_->take("an unsigned integer");
  if (o.type == msgpack::type::NEGATIVE_INTEGER) {
    throw DecodeError("expected an unsigned integer, found " + std::to_string(o.via.i64));
  }
  if (o.type != msgpack::type::POSITIVE_INTEGER) Impl::mismatch("an unsigned integer", o);
  return o.via.u64;
}

double Decoder::real() {
  const auto& o = impl_->take("a number");
  switch (o.type) {
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return o.via.f64;
    case msgpack::type::POSITIVE_INTEGER: return static_cast<double>(o.via.u64);
    case msgpack::type::NEGATIVE_INTEGER: return static_cast<double>(o.via.i64);
    default: Impl::mismatch("a number", o);
  }
}

std::string Decoder::string() {
  const auto& o = impl_->take("a string");
  if (o.type != msgpack::type::STR && o.type != msgpack::type::BIN) Impl::mismatch("a string", o);
  return o.type == msgpack::type::STR ? std::string(o.via.str.ptr, o.via.str.size)
                                      : std::string(o.via.bin.ptr, o.via.bin.size);
}

std::size_t Decoder::array() {
  const auto& o = impl_->take("an array");
  if (o.type != msgpack::type::ARRAY) Impl::mismatch("an array", o);
  impl_->runs.push_back({o.via.array.ptr, nullptr, 0, o.via.array.size});
  return o.via.array.size;
}

std::size_t Decoder::map() {
  const auto& o = impl_->take("a map");
  if (o.type != msgpack::type::MAP) Impl::mismatch("a map", o);
  impl_->runs.push_back({nullptr, o.via.map.ptr, 0, 2 * static_cast<std::size_t>(o.via.map.size)});
  return o.via.map.size;
}

void Decoder::skip() { impl_->take("a value"); }

namespace detail {

std::string type_name_of(const std::type_info& t) { return weft::detail::demangle(t); }

void throw_range(std::string_view type, std::string_view value) {
  throw DecodeError(std::string(value) + " is out of range of " + std::string(type));
}

void throw_length(std::size_t want, std::size_t got) {
  throw DecodeError("expected an array of " + std::to_string(want) + " items, found " +
                    std::to_string(got));
}

}  // namespace detail

}  // namespace weft::remote
