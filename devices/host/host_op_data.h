// What every host kernel's prepared data tells about itself: the inner loops
// (dispatch table) its Eval calls through. The device reports it per operator
// (HostExecutable::op_kernels), so a test or `tinyserve-model inspect` can see
// that an op runs the expected SIMD code rather than a reference fallback.
#ifndef TINYSERVE_DEVICES_HOST_HOST_OP_DATA_H_
#define TINYSERVE_DEVICES_HOST_HOST_OP_DATA_H_

#include "engine/kernels/kernel.h"

namespace tinyserve::host {

struct HostOpData : OpData {
  // The name of the table Eval dispatches through ("portable", "avx2",
  // "avx512bw", "avx512vnni"): read from that table, never restated.
  virtual const char* inner_loops() const = 0;
};

}  // namespace tinyserve::host

#endif  // TINYSERVE_DEVICES_HOST_HOST_OP_DATA_H_
