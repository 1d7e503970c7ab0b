// Places every activation tensor in one arena so that tensors alive at the same
// time never overlap (greedy by size, like TFLite Micro's GreedyMemoryPlanner).
#ifndef TINYSERVE_ENGINE_ARENA_PLANNER_H_
#define TINYSERVE_ENGINE_ARENA_PLANNER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/graph.h"

namespace tinyserve {

inline constexpr size_t kArenaAlignment = 16;

struct ArenaPlan {
  // Byte offset of each tensor in the arena; -1 for constants and unused tensors.
  std::vector<int64_t> offsets;
  size_t arena_bytes = 0;
};

// Lifetimes: a model input lives from the start, a model output to the end,
// any other activation from the op that writes it to the last op that reads it.
ArenaPlan PlanArena(const Graph& graph);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_ARENA_PLANNER_H_
