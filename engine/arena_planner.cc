#include "engine/arena_planner.h"

#include <algorithm>
#include <numeric>

namespace tinyserve {
namespace {

struct Buffer {
  int tensor;
  size_t bytes;
  int first_op;
  int last_op;
  int64_t offset = -1;
};

size_t AlignUp(size_t n) { return (n + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }

}  // namespace

ArenaPlan PlanArena(const Graph& graph) {
  const int num_ops = static_cast<int>(graph.operators.size());
  const int n = static_cast<int>(graph.tensors.size());
  std::vector<int> first(n, -1), last(n, -1);
  auto touch = [&](int t, int op) {
    if (first[t] < 0) first[t] = op;
    last[t] = std::max(last[t], op);
  };
  for (int t : graph.inputs) touch(t, 0);
  for (const Operator& op : graph.operators) {
    for (int t : op.inputs) {
      if (t != kOptionalTensor && !graph.tensors[t].is_constant()) touch(t, op.index);
    }
    for (int t : op.outputs) touch(t, op.index);
  }
  for (int t : graph.outputs) touch(t, std::max(0, num_ops - 1));

  std::vector<Buffer> buffers;
  for (int t = 0; t < n; ++t) {
    if (first[t] >= 0 && !graph.tensors[t].is_constant()) {
      buffers.push_back({t, AlignUp(graph.tensors[t].bytes), first[t], last[t]});
    }
  }
  // Largest first; among equals, earliest first: big buffers get the low offsets
  // and small ones fill the gaps between them.
  std::vector<int> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    if (buffers[a].bytes != buffers[b].bytes) return buffers[a].bytes > buffers[b].bytes;
    return buffers[a].first_op < buffers[b].first_op;
  });

  ArenaPlan plan;
  plan.offsets.assign(n, -1);
  std::vector<const Buffer*> placed;
  for (int i : order) {
    Buffer& b = buffers[i];
    // Placed buffers alive at the same time, by offset.
    std::vector<const Buffer*> live;
    for (const Buffer* p : placed) {
      if (p->first_op <= b.last_op && b.first_op <= p->last_op) live.push_back(p);
    }
    std::sort(live.begin(), live.end(),
              [](const Buffer* x, const Buffer* y) { return x->offset < y->offset; });
    // Lowest gap that fits.
    int64_t candidate = 0;
    for (const Buffer* p : live) {
      if (p->offset >= candidate + static_cast<int64_t>(b.bytes)) break;
      candidate = std::max(candidate, p->offset + static_cast<int64_t>(p->bytes));
    }
    b.offset = candidate;
    placed.push_back(&b);
    plan.offsets[b.tensor] = candidate;
    plan.arena_bytes = std::max(plan.arena_bytes, static_cast<size_t>(candidate) + b.bytes);
  }
  return plan;
}

}  // namespace tinyserve
