// Compile-time check that context.hpp's declarations of Boost.Context's
// fcontext entry points match Boost's own header (this file includes Boost's
// header and not ours, since both declare the same C functions).

#include <boost/context/detail/fcontext.hpp>

#include <cstddef>
#include <type_traits>

namespace {

namespace bctx = boost::context::detail;

struct Transfer {  // must stay identical to weft::detail::fcontext::Transfer
  void* fctx;
  void* data;
};

static_assert(std::is_same_v<bctx::fcontext_t, void*>, "fcontext_t is a pointer");
static_assert(sizeof(bctx::transfer_t) == sizeof(Transfer), "transfer_t layout changed");
static_assert(alignof(bctx::transfer_t) == alignof(Transfer), "transfer_t layout changed");
static_assert(offsetof(bctx::transfer_t, fctx) == offsetof(Transfer, fctx), "transfer_t layout");
static_assert(offsetof(bctx::transfer_t, data) == offsetof(Transfer, data), "transfer_t layout");
static_assert(std::is_same_v<decltype(&bctx::jump_fcontext), bctx::transfer_t (*)(bctx::fcontext_t, void*)>,
              "jump_fcontext's signature changed");
static_assert(std::is_same_v<decltype(&bctx::make_fcontext),
                             bctx::fcontext_t (*)(void*, std::size_t, void (*)(bctx::transfer_t))>,
              "make_fcontext's signature changed");

}  // namespace
