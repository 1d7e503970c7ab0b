// What the xs3 compiler did with each operator: where it runs, why, with
// which output transform, and what it costs on the chip.
#ifndef TINYSERVE_DEVICES_XS3_COMPILE_REPORT_H_
#define TINYSERVE_DEVICES_XS3_COMPILE_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "devices/xs3/output_transform.h"

namespace tinyserve::xs3 {

enum class Placement { kVpu, kReference };
const char* PlacementName(Placement placement);

struct OpReport {
  int index = 0;
  std::string op_name;  // "CONV_2D"
  Placement placement = Placement::kReference;
  std::string kernel;   // the XS3 kernel, or "reference"
  std::string reason;
  std::optional<OutputTransformKind> output_transform;
  std::optional<double> estimated_error;  // output transform, LSBs
  // Static estimate (every kernel's cost is data-independent): issue slots,
  // single-thread chip cycles, and cycles with the op split over 5 threads.
  int64_t slots = 0;
  int64_t cycles_one_thread = 0;
  int64_t cycles_five_threads = 0;
  // Thread regions fixed by the file (an xformed op's per-thread parameters):
  // 0 when the 5-thread figure is our own split over work units; 1 when the
  // file runs the op on one thread (5-thread figure = 1-thread figure).
  int thread_regions = 0;
  // Of `slots`, the single-threaded ops xformer would run in front of this
  // one (our lowering folds them into the conv): XC_pad_3_to_4 and XC_pad.
  int64_t pad_3_to_4_slots = 0;
  int64_t pad_slots = 0;
};

// One line of a profile in the layout of XMOS's profiler
// (AT examples/app_profiling): a node and its time, in chip cycles and in
// XMOS's 10 ns ticks.
struct ProfileNode {
  std::string node;      // "3", or "0/pad" for a pad our lowering folds into op 0
  std::string op_class;  // "XC_conv2d_v2", "DEPTHWISE_CONV_2D", ...
  int64_t cycles_one_thread = 0;
  int64_t cycles_five_threads = 0;
};

struct ProfileClass {
  std::string op_class;
  int count = 0;
  int64_t cycles_one_thread = 0;
  int64_t cycles_five_threads = 0;
};

struct Profile {
  std::vector<ProfileNode> nodes;
  std::vector<ProfileClass> classes;  // in order of first appearance
  int64_t cycles_one_thread = 0;      // the sum of the nodes (and of the classes)
  int64_t cycles_five_threads = 0;
};

// XMOS's profiler counts 10 ns ticks of the 100 MHz reference clock.
inline constexpr double kProfileTickNanoseconds = 10.0;
// Ticks for `cycles` tile cycles at the model's clock.
int64_t CyclesToTicks(int64_t cycles);

struct CompileReport {
  std::string model_name;
  std::string lowering = "xmos";  // LoweringModeName: "xmos" or "exact"
  std::vector<OpReport> ops;
  int64_t cycles_one_thread = 0;
  int64_t cycles_five_threads = 0;
  double milliseconds_one_thread = 0.0;  // at kTileClockMhz
  double milliseconds_five_threads = 0.0;

  int vpu_ops() const;
  // A table for people: one line per op and the totals.
  std::string ToString() const;
  // Per node and per class, named as XMOS's runtime names them: an op our
  // lowering runs on the VPU is the XC op xformer makes of it (CONV_2D,
  // DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, FULLY_CONNECTED -> XC_conv2d_v2;
  // MAX_POOL_2D -> XC_maxpool2d; ADD -> XC_add), with the pads it folds in
  // split out as XC_pad_3_to_4 / XC_pad nodes; reference ops and XC ops keep
  // their names.
  Profile MakeProfile() const;
  // The profile in XMOS's layout ("node N  OP_<class>  ticks", then
  // "Cumulative times for invoke()..." and "Total time for invoke()"), on 1
  // thread and on 5 threads.
  std::string ProfileText() const;
};

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_COMPILE_REPORT_H_
