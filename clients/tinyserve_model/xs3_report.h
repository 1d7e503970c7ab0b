// What tinyserve-model shows of the xs3 device's compilation: its compile
// report (per-op placement, output transform, cycles and chip time at the model clock
// on 1 and 5 threads) as text or JSON.
#ifndef TINYSERVE_CLIENTS_TINYSERVE_MODEL_XS3_REPORT_H_
#define TINYSERVE_CLIENTS_TINYSERVE_MODEL_XS3_REPORT_H_

#include <string>

#include "devices/device.h"
#include "devices/xs3/xs3_executable.h"
#include "nlohmann/json.hpp"

namespace tinyserve::model_tool {

// The xs3 executable behind `executable`, or nullptr for any other device.
// (The tool knows the device it compiled for; a cast keeps Executable free
// of device-specific reporting.)
const xs3::Xs3Executable* AsXs3(const Executable& executable);

nlohmann::json Xs3ReportJson(const xs3::Xs3Executable& executable);
// The compile report's profile (CompileReport::MakeProfile): "tick_ns",
// "clock_mhz", "nodes" [{node, op, cycles/ticks on 1 and 5 threads}],
// "classes" [{op, count, cycles/ticks/ms on 1 and 5 threads}] and "total";
// ticks of a class and of the total are sums of node ticks.
nlohmann::json Xs3ProfileJson(const xs3::Xs3Executable& executable);
std::string Xs3ReportText(const xs3::Xs3Executable& executable);

}  // namespace tinyserve::model_tool

#endif  // TINYSERVE_CLIENTS_TINYSERVE_MODEL_XS3_REPORT_H_
