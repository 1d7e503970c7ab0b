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
};

struct CompileReport {
  std::string model_name;
  std::string lowering = "xmos";  // LoweringModeName: "xmos" or "exact"
  std::vector<OpReport> ops;
  int64_t cycles_one_thread = 0;
  int64_t cycles_five_threads = 0;
  double milliseconds_one_thread = 0.0;  // at 800 MHz
  double milliseconds_five_threads = 0.0;

  int vpu_ops() const;
  // A table for people: one line per op and the totals.
  std::string ToString() const;
};

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_COMPILE_REPORT_H_
