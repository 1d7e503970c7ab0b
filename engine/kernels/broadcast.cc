#include "engine/kernels/broadcast.h"

#include <algorithm>

#include "absl/strings/str_join.h"

namespace tinyserve {

absl::StatusOr<Broadcast> PrepareBroadcast(const PrepareContext& ctx) {
  const auto& s1 = ctx.input(0)->shape;
  const auto& s2 = ctx.input(1)->shape;
  const auto& so = ctx.output(0).shape;
  Broadcast b;
  b.size = ctx.output(0).num_elements();
  if (s1 == s2 && s1 == so) return b;
  const int rank = std::max(s1.size(), s2.size());
  if (rank > Broadcast::kRank || static_cast<int>(so.size()) != rank) {
    return ctx.InvalidOutput(0, absl::StrCat("cannot broadcast [", absl::StrJoin(s1, ","),
                                             "] with [", absl::StrJoin(s2, ","), "]"));
  }
  b.same_shape = false;
  // Right-align every shape to kRank dims.
  auto dim = [](const std::vector<int32_t>& s, int i) -> int64_t {
    const int offset = Broadcast::kRank - static_cast<int>(s.size());
    return i < offset ? 1 : s[i - offset];
  };
  int64_t step1 = 1, step2 = 1;
  for (int i = Broadcast::kRank - 1; i >= 0; --i) {
    const int64_t a = dim(s1, i), c = dim(s2, i), o = dim(so, i);
    if ((a != c && a != 1 && c != 1) || o != std::max(a, c)) {
      return ctx.InvalidOutput(0, absl::StrCat("shape is not the broadcast of [",
                                               absl::StrJoin(s1, ","), "] and [",
                                               absl::StrJoin(s2, ","), "]"));
    }
    b.dims[i] = o;
    b.stride1[i] = a == 1 ? 0 : step1;
    b.stride2[i] = c == 1 ? 0 : step2;
    step1 *= a;
    step2 *= c;
  }
  return b;
}

}  // namespace tinyserve
