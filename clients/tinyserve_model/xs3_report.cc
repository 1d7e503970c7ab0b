#include "clients/tinyserve_model/xs3_report.h"

#include "devices/xs3/cycle_model.h"

namespace tinyserve::model_tool {

const xs3::Xs3Executable* AsXs3(const Executable& executable) {
  return dynamic_cast<const xs3::Xs3Executable*>(&executable);
}

namespace {

double Microseconds(int64_t cycles) {
  return xs3::CyclesToMicroseconds(static_cast<double>(cycles));
}

const char* VlashrName(xs3::VlashrRounding r) {
  return r == xs3::VlashrRounding::kFloor ? "floor" : "libnn2024";
}

}  // namespace

nlohmann::json Xs3ReportJson(const xs3::Xs3Executable& executable) {
  const xs3::CompileReport& report = executable.report();
  nlohmann::json ops = nlohmann::json::array();
  for (const xs3::OpReport& op : report.ops) {
    nlohmann::json j = {{"index", op.index},
                        {"op", op.op_name},
                        {"placement", xs3::PlacementName(op.placement)},
                        {"kernel", op.kernel},
                        {"reason", op.reason},
                        {"output_transform", nullptr},
                        {"estimated_error_lsb", nullptr},
                        {"issue_slots", op.slots},
                        {"cycles_1_thread", op.cycles_one_thread},
                        {"cycles_5_threads", op.cycles_five_threads},
                        {"us_1_thread", Microseconds(op.cycles_one_thread)},
                        {"us_5_threads", Microseconds(op.cycles_five_threads)}};
    if (op.output_transform) {
      j["output_transform"] = xs3::OutputTransformKindName(*op.output_transform);
    }
    if (op.estimated_error) j["estimated_error_lsb"] = *op.estimated_error;
    ops.push_back(std::move(j));
  }
  return {{"clock_mhz", xs3::kTileClockMhz},
          {"vlashr_rounding", VlashrName(executable.vlashr_rounding())},
          {"lowering", report.lowering},
          {"vpu_ops", report.vpu_ops()},
          {"ops", ops},
          {"total",
           {{"cycles_1_thread", report.cycles_one_thread},
            {"cycles_5_threads", report.cycles_five_threads},
            {"ms_1_thread", report.milliseconds_one_thread},
            {"ms_5_threads", report.milliseconds_five_threads}}}};
}

std::string Xs3ReportText(const xs3::Xs3Executable& executable) {
  return executable.report().ToString() + "(lowering " + executable.report().lowering +
         ", VLASHR rounding " + VlashrName(executable.vlashr_rounding()) +
         "; OT = output transform, error in LSBs)\n";
}

}  // namespace tinyserve::model_tool
