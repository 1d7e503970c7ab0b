#include "devices/xs3/xc/xc_thread_split.h"

#include <algorithm>
#include <variant>

#include "devices/xs3/cycle_model.h"
#include "flatbuffers/flexbuffers.h"

namespace tinyserve::xs3 {

std::vector<ElementRange> AlignedThreadSplit(int threads, int64_t size) {
  constexpr int64_t kAlignment = 4;
  const int64_t needed = (size + kAlignment - 1) / kAlignment;
  const int count = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, needed)));
  std::vector<ElementRange> ranges(count, ElementRange{size, size});
  ranges[0].begin = 0;
  int64_t left = size;
  for (int i = 0; i < count; ++i) {
    const int64_t split = (left + (count - i) - 1) / (count - i);
    left -= split;
    if (split <= 0) break;
    ranges[i].end = ranges[i].begin + split;
    if (i != count - 1) ranges[i + 1].begin = ranges[i].end;
  }
  for (int i = 1; i < count; ++i) {
    int64_t& begin = ranges[i].begin;
    const bool round_up = (begin & (kAlignment - 1)) > (kAlignment >> 2);
    begin = round_up ? (begin + kAlignment - 1) & ~(kAlignment - 1) : begin & ~(kAlignment - 1);
    ranges[i - 1].end = begin;
  }
  // Never an inverted range (lib_nn would run a huge unsigned count).
  for (ElementRange& r : ranges) r.end = std::max(r.begin, r.end);
  return ranges;
}

int XmosModelThreadCount(const Model& model) {
  if (model.graph().xcore_thread_count > 0) return model.graph().xcore_thread_count;
  size_t threads = 1;
  for (const Operator& op : model.operators()) {
    if (op.type != OpType::kXcConv2dV2) continue;
    const auto* options = std::get_if<XcoreOptions>(&op.options);
    if (options == nullptr || options->flexbuffer.empty()) continue;
    // The reader verified the buffer at load.
    const auto p = flexbuffers::GetRoot(options->flexbuffer.data(), options->flexbuffer.size())
                       .AsMap()["p"];
    if (p.IsVector()) threads = std::max(threads, p.AsVector().size());
  }
  return static_cast<int>(std::min<size_t>(threads, kMaxThreads));
}

void RecordRegion(KernelContext& ctx, int region, int64_t slots) {
  if (region < 0 || region >= KernelContext::kMaxRegions) return;
  ctx.region_slots[region] = slots;
  ctx.region_count = std::max(ctx.region_count, region + 1);
}

}  // namespace tinyserve::xs3
