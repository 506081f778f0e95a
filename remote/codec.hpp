#pragma once
// The codec trait: how a C++ value becomes MessagePack on the wire and back
// (docs/remote.md gives the layout another language reads and writes).
//
//   struct Put {
//     static constexpr const char* wire_name = "kv.Put";   // optional
//     std::string key;
//     int value = 0;
//     auto tie() { return std::tie(key, value); }           // encoded as [key, value]
//   };
//
// Built in: bool, integers, floating point, enums, std::string, std::vector,
// std::map, std::unordered_map, std::optional, std::pair, std::tuple, and any
// type with a tie() member returning a std::tuple of references (an array of
// its fields, in order). Anything else: specialise weft::remote::Codec<T>
// with `static void encode(Encoder&, const T&)` and `static T decode(Decoder&)`.
//
// Encoder and Decoder are weft's own: MessagePack itself (msgpack-cxx) stays
// in remote/codec.cpp, so no msgpack type reaches a user's code.

#include "weft/sched/config.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <utility>
#include <vector>

#include "weft/remote/errors.hpp"

namespace weft::remote {

// Writes one MessagePack value after another into a byte string.
class Encoder {
 public:
  void nil();
  void boolean(bool v);
  void integer(std::int64_t v);
  void uinteger(std::uint64_t v);
  void real(double v);
  void string(std::string_view v);
  // An array of n values: the next n values written are its items.
  void array(std::size_t n);
  // A map of n pairs: the next 2n values written are key, value, key, ...
  void map(std::size_t n);
  // The bytes written so far.
  const std::string& bytes() const noexcept { return out_; }
  std::string take() noexcept { return std::move(out_); }

 private:
  std::string out_;
};

// Reads MessagePack values one after another, the inverse of Encoder: after
// array() returns n, the next n reads are the array's items. Every read
// throws DecodeError, saying what it expected and what it found, when the
// next value is not of its kind (or out of its range) or there is none.
class Decoder {
 public:
  // Parses `bytes` (one MessagePack value). Throws DecodeError when they are
  // not MessagePack.
  explicit Decoder(std::string_view bytes);
  ~Decoder();
  Decoder(Decoder&&) noexcept;
  Decoder& operator=(Decoder&&) noexcept;
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // True when the next value is nil (does not consume it).
  bool next_is_nil();
  void nil();
  bool boolean();
  std::int64_t integer();
  std::uint64_t uinteger();
  double real();  // an integer is accepted too
  std::string string();
  std::size_t array();
  std::size_t map();
  // Passes over the next value, whatever it is.
  void skip();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

template <class T>
struct Codec;  // specialise for your own types (see the top of this file)

namespace detail {
template <class T>
concept HasTie = requires(T& t) { t.tie(); };
template <class T>
concept HasWireName = requires { T::wire_name; };
template <class T>
concept Encodable = requires(Encoder& e, const T& v, Decoder& d) {
  Codec<T>::encode(e, v);
  { Codec<T>::decode(d) } -> std::convertible_to<T>;
};
std::string type_name_of(const std::type_info& t);
[[noreturn]] void throw_range(std::string_view type, std::string_view value);
[[noreturn]] void throw_length(std::size_t want, std::size_t got);
}  // namespace detail

// The name a message type goes by on the wire: T::wire_name when T has one,
// else its demangled C++ name ("int", "std::string", "kv::Put").
template <class T>
std::string wire_name() {
  if constexpr (detail::HasWireName<T>) {
    return std::string(T::wire_name);
  } else {
    return detail::type_name_of(typeid(T));
  }
}

template <>
struct Codec<bool> {
  static void encode(Encoder& e, bool v) { e.boolean(v); }
  static bool decode(Decoder& d) { return d.boolean(); }
};

template <class T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
struct Codec<T> {
  static void encode(Encoder& e, T v) {
    if constexpr (std::is_signed_v<T>) {
      e.integer(v);
    } else {
      e.uinteger(v);
    }
  }
  static T decode(Decoder& d) {
    if constexpr (std::is_signed_v<T>) {
      const std::int64_t v = d.integer();
      if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
        detail::throw_range(detail::type_name_of(typeid(T)), std::to_string(v));
      }
      return static_cast<T>(v);
    } else {
      const std::uint64_t v = d.uinteger();
      if (v > std::numeric_limits<T>::max()) {
        detail::throw_range(detail::type_name_of(typeid(T)), std::to_string(v));
      }
      return static_cast<T>(v);
    }
  }
};

template <class T>
  requires std::is_floating_point_v<T>
struct Codec<T> {
  static void encode(Encoder& e, T v) { e.real(static_cast<double>(v)); }
  static T decode(Decoder& d) { return static_cast<T>(d.real()); }
};

template <class T>
  requires std::is_enum_v<T>
struct Codec<T> {
  using U = std::underlying_type_t<T>;
  static void encode(Encoder& e, T v) { Codec<U>::encode(e, static_cast<U>(v)); }
  static T decode(Decoder& d) { return static_cast<T>(Codec<U>::decode(d)); }
};

template <>
struct Codec<std::string> {
  static void encode(Encoder& e, const std::string& v) { e.string(v); }
  static std::string decode(Decoder& d) { return d.string(); }
};

template <class T, class A>
struct Codec<std::vector<T, A>> {
  static void encode(Encoder& e, const std::vector<T, A>& v) {
    e.array(v.size());
    for (const auto& x : v) Codec<T>::encode(e, x);
  }
  static std::vector<T, A> decode(Decoder& d) {
    const std::size_t n = d.array();
    std::vector<T, A> v;
    v.reserve(n);
    for (std::size_t i = 0; i < n; ++i) v.push_back(Codec<T>::decode(d));
    return v;
  }
};

namespace detail {
template <class Map, class K, class V>
struct MapCodec {
  static void encode(Encoder& e, const Map& m) {
    e.map(m.size());
    for (const auto& [k, v] : m) {
      Codec<K>::encode(e, k);
      Codec<V>::encode(e, v);
    }
  }
  static Map decode(Decoder& d) {
    const std::size_t n = d.map();
    Map m;
    for (std::size_t i = 0; i < n; ++i) {
      K k = Codec<K>::decode(d);
      V v = Codec<V>::decode(d);
      m.insert_or_assign(std::move(k), std::move(v));
    }
    return m;
  }
};
}  // namespace detail

template <class K, class V, class C, class A>
struct Codec<std::map<K, V, C, A>> : detail::MapCodec<std::map<K, V, C, A>, K, V> {};
template <class K, class V, class H, class E, class A>
struct Codec<std::unordered_map<K, V, H, E, A>>
    : detail::MapCodec<std::unordered_map<K, V, H, E, A>, K, V> {};

// nil for an empty optional.
template <class T>
struct Codec<std::optional<T>> {
  static void encode(Encoder& e, const std::optional<T>& v) {
    if (v) {
      Codec<T>::encode(e, *v);
    } else {
      e.nil();
    }
  }
  static std::optional<T> decode(Decoder& d) {
    if (d.next_is_nil()) {
      d.nil();
      return std::nullopt;
    }
    return Codec<T>::decode(d);
  }
};

// An array of the elements.
template <class... Ts>
struct Codec<std::tuple<Ts...>> {
  static void encode(Encoder& e, const std::tuple<Ts...>& t) {
    e.array(sizeof...(Ts));
    std::apply([&](const auto&... x) { (Codec<std::remove_cvref_t<decltype(x)>>::encode(e, x), ...); },
               t);
  }
  static std::tuple<Ts...> decode(Decoder& d) {
    const std::size_t n = d.array();
    if (n != sizeof...(Ts)) detail::throw_length(sizeof...(Ts), n);
    // Braced initialisation evaluates left to right: the fields in wire order.
    return std::tuple<Ts...>{Codec<Ts>::decode(d)...};
  }
};

template <class A, class B>
struct Codec<std::pair<A, B>> {
  static void encode(Encoder& e, const std::pair<A, B>& p) {
    e.array(2);
    Codec<A>::encode(e, p.first);
    Codec<B>::encode(e, p.second);
  }
  static std::pair<A, B> decode(Decoder& d) {
    const std::size_t n = d.array();
    if (n != 2) detail::throw_length(2, n);
    A a = Codec<A>::decode(d);
    B b = Codec<B>::decode(d);
    return {std::move(a), std::move(b)};
  }
};

// A type with tie(): an array of its fields. T must be default-constructible.
template <class T>
  requires(detail::HasTie<T> && std::is_class_v<T>)
struct Codec<T> {
  static void encode(Encoder& e, const T& v) {
    auto fields = const_cast<T&>(v).tie();  // tie() is not const; the fields are only read
    e.array(std::tuple_size_v<decltype(fields)>);
    std::apply([&](auto&... x) { (Codec<std::remove_cvref_t<decltype(x)>>::encode(e, x), ...); },
               fields);
  }
  static T decode(Decoder& d) {
    T v{};
    auto fields = v.tie();
    constexpr std::size_t want = std::tuple_size_v<decltype(fields)>;
    const std::size_t n = d.array();
    if (n != want) detail::throw_length(want, n);
    std::apply([&](auto&... x) { ((x = Codec<std::remove_cvref_t<decltype(x)>>::decode(d)), ...); },
               fields);
    return v;
  }
};

// One value as bytes, and back (throws DecodeError).
template <class T>
std::string encode(const T& v) {
  Encoder e;
  Codec<T>::encode(e, v);
  return e.take();
}
template <class T>
T decode(std::string_view bytes) {
  Decoder d(bytes);
  return Codec<T>::decode(d);
}

}  // namespace weft::remote
