#include "devices/xs3/compile_report.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "devices/xs3/cycle_model.h"

namespace tinyserve::xs3 {

const char* PlacementName(Placement placement) {
  return placement == Placement::kVpu ? "vpu" : "reference";
}

int64_t CyclesToTicks(int64_t cycles) {
  return std::llround(static_cast<double>(cycles) * 1000.0 /
                      (kTileClockMhz * kProfileTickNanoseconds));
}

namespace {

// The XMOS operator xformer makes of an op our lowering runs on the VPU.
std::string ProfileClassName(const OpReport& op) {
  if (op.placement != Placement::kVpu || op.op_name.rfind("XC_", 0) == 0) return op.op_name;
  if (op.op_name == "MAX_POOL_2D") return "XC_maxpool2d";
  if (op.op_name == "ADD" || op.op_name == "SUB") return "XC_add";
  return "XC_conv2d_v2";
}

void AddClass(Profile& profile, const std::string& op_class, int64_t one, int64_t five) {
  ProfileClass* found = nullptr;
  for (ProfileClass& c : profile.classes) {
    if (c.op_class == op_class) found = &c;
  }
  if (!found) {
    profile.classes.push_back(ProfileClass{op_class});
    found = &profile.classes.back();
  }
  ++found->count;
  found->cycles_one_thread += one;
  found->cycles_five_threads += five;
}

void AddNode(Profile& profile, std::string node, const std::string& op_class, int64_t one,
             int64_t five) {
  profile.nodes.push_back(ProfileNode{std::move(node), op_class, one, five});
  AddClass(profile, op_class, one, five);
  profile.cycles_one_thread += one;
  profile.cycles_five_threads += five;
}

}  // namespace

Profile CompileReport::MakeProfile() const {
  Profile profile;
  for (const OpReport& op : ops) {
    // Folded pads are ops of their own on the chip: single-threaded, each
    // with its own dispatch (counted in their slots).
    const int64_t pad34 = SingleThreadCycles(op.pad_3_to_4_slots);
    const int64_t pad = SingleThreadCycles(op.pad_slots);
    if (pad34 > 0) {
      AddNode(profile, absl::StrCat(op.index, "/pad_3_to_4"), "XC_pad_3_to_4", pad34, pad34);
    }
    if (pad > 0) AddNode(profile, absl::StrCat(op.index, "/pad"), "XC_pad", pad, pad);
    AddNode(profile, absl::StrCat(op.index), ProfileClassName(op),
            op.cycles_one_thread - pad34 - pad, op.cycles_five_threads - pad34 - pad);
  }
  return profile;
}

namespace {

void AppendProfileSection(std::string& out, const Profile& profile, bool five_threads) {
  const auto cycles = [five_threads](int64_t one, int64_t five) {
    return five_threads ? five : one;
  };
  int64_t total_ticks = 0;
  for (const ProfileNode& n : profile.nodes) {
    const int64_t ticks = CyclesToTicks(cycles(n.cycles_one_thread, n.cycles_five_threads));
    total_ticks += ticks;
    absl::StrAppendFormat(&out, "node %-14s OP_%-28s %12d\n", n.node, n.op_class, ticks);
  }
  absl::StrAppend(&out, "\nCumulative times for invoke()...\n");
  for (const ProfileClass& c : profile.classes) {
    // A class's ticks are the sum of its nodes' rounded ticks, so the lines
    // add up to the total exactly, as XMOS's do.
    int64_t ticks = 0;
    for (const ProfileNode& n : profile.nodes) {
      if (n.op_class != c.op_class) continue;
      ticks += CyclesToTicks(cycles(n.cycles_one_thread, n.cycles_five_threads));
    }
    absl::StrAppendFormat(&out, "%-5d OP_%-28s %12d %10.2fms\n", c.count, c.op_class, ticks,
                          static_cast<double>(ticks) * kProfileTickNanoseconds / 1e6);
  }
  absl::StrAppendFormat(&out, "\nTotal time for invoke() - %d    %.2fms\n", total_ticks,
                        static_cast<double>(total_ticks) * kProfileTickNanoseconds / 1e6);
}

}  // namespace

std::string CompileReport::ProfileText() const {
  const Profile profile = MakeProfile();
  std::string out = absl::StrFormat(
      "xs3 profile of '%s' (%s lowering), in XMOS's profiler layout: 10 ns ticks at a %g MHz "
      "tile clock\n",
      model_name, lowering, kTileClockMhz);
  absl::StrAppend(&out, "\n--- 1 thread ---\n");
  AppendProfileSection(out, profile, /*five_threads=*/false);
  absl::StrAppend(&out, "\n--- 5 threads ---\n");
  AppendProfileSection(out, profile, /*five_threads=*/true);
  return out;
}

int CompileReport::vpu_ops() const {
  int n = 0;
  for (const OpReport& op : ops) n += op.placement == Placement::kVpu;
  return n;
}

std::string CompileReport::ToString() const {
  std::string out =
      absl::StrFormat("xs3 compile report for '%s' (%s lowering): %d of %d ops on the VPU\n",
                      model_name, lowering, vpu_ops(), ops.size());
  absl::StrAppendFormat(&out, "%4s  %-18s %-9s %-12s %-9s %12s %9s %12s %9s  %s\n", "#", "op",
                        "runs on", "OT", "OT error", "cycles 1T", "us 1T", "cycles 5T", "us 5T",
                        "kernel / reason");
  for (const OpReport& op : ops) {
    absl::StrAppendFormat(
        &out, "%4d  %-18s %-9s %-12s %-9s %12d %9.1f %12d %9.1f  %s%s%s\n", op.index,
        op.op_name, PlacementName(op.placement),
        op.output_transform ? OutputTransformKindName(*op.output_transform) : "-",
        op.estimated_error ? absl::StrFormat("%.3g", *op.estimated_error) : "-",
        op.cycles_one_thread, CyclesToMicroseconds(static_cast<double>(op.cycles_one_thread)),
        op.cycles_five_threads, CyclesToMicroseconds(static_cast<double>(op.cycles_five_threads)),
        op.kernel, op.reason.empty() ? "" : ": ", op.reason);
  }
  absl::StrAppendFormat(&out,
                        "total: %d cycles = %.2f ms on 1 thread, %d cycles = %.2f ms on 5 "
                        "threads (%g MHz)\n",
                        cycles_one_thread, milliseconds_one_thread, cycles_five_threads,
                        milliseconds_five_threads, kTileClockMhz);
  return out;
}

}  // namespace tinyserve::xs3
