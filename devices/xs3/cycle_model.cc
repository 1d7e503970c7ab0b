#include "devices/xs3/cycle_model.h"

#include <algorithm>

namespace tinyserve::xs3 {

int64_t BusiestThreadSlots(int64_t serial_slots, int64_t parallel_slots, int64_t work_units,
                           int threads) {
  if (threads <= 1 || work_units <= 1) return serial_slots + parallel_slots;
  const int64_t used = std::min<int64_t>(threads, work_units);
  const int64_t units_per_thread = (work_units + used - 1) / used;
  // Work is uniform per unit, so the busiest thread does units_per_thread units.
  const int64_t busiest = (parallel_slots * units_per_thread + work_units - 1) / work_units;
  return serial_slots + busiest + cost::kForkJoin;
}

}  // namespace tinyserve::xs3
