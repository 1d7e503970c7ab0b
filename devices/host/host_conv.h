// The `host` device's CONV_2D (one group) and FULLY_CONNECTED kernels: compile
// packs the weights and tables for the device's ISA, Eval walks the output in
// pixel tiles.
#ifndef TINYSERVE_DEVICES_HOST_HOST_CONV_H_
#define TINYSERVE_DEVICES_HOST_HOST_CONV_H_

#include <memory>
#include <vector>

#include "devices/host/host_kernels.h"
#include "engine/compiled_model.h"
#include "engine/kernels/kernel.h"
#include "engine/model.h"

namespace tinyserve::host {

// Each returns {nullptr, nullptr} when the op's shape is one the host kernels
// do not take (the reference kernel runs it then).
BoundKernel CompileConv(const Model& model, const Operator& op, const IsaKernels* isa,
                        std::vector<std::unique_ptr<const OpData>>& owned);
BoundKernel CompileFullyConnected(const Model& model, const Operator& op, const IsaKernels* isa,
                                  std::vector<std::unique_ptr<const OpData>>& owned);

}  // namespace tinyserve::host

#endif  // TINYSERVE_DEVICES_HOST_HOST_CONV_H_
