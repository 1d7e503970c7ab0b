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

nlohmann::json Xs3ProfileJson(const xs3::Xs3Executable& executable) {
  const xs3::Profile profile = executable.report().MakeProfile();
  const auto ms = [](int64_t ticks) {
    return static_cast<double>(ticks) * xs3::kProfileTickNanoseconds / 1e6;
  };
  nlohmann::json nodes = nlohmann::json::array();
  int64_t total_one = 0, total_five = 0;
  for (const xs3::ProfileNode& n : profile.nodes) {
    const int64_t one = xs3::CyclesToTicks(n.cycles_one_thread);
    const int64_t five = xs3::CyclesToTicks(n.cycles_five_threads);
    total_one += one;
    total_five += five;
    nodes.push_back({{"node", n.node},
                     {"op", n.op_class},
                     {"cycles_1_thread", n.cycles_one_thread},
                     {"cycles_5_threads", n.cycles_five_threads},
                     {"ticks_1_thread", one},
                     {"ticks_5_threads", five}});
  }
  nlohmann::json classes = nlohmann::json::array();
  for (const xs3::ProfileClass& c : profile.classes) {
    int64_t one = 0, five = 0;
    for (const xs3::ProfileNode& n : profile.nodes) {
      if (n.op_class != c.op_class) continue;
      one += xs3::CyclesToTicks(n.cycles_one_thread);
      five += xs3::CyclesToTicks(n.cycles_five_threads);
    }
    classes.push_back({{"op", c.op_class},
                       {"count", c.count},
                       {"cycles_1_thread", c.cycles_one_thread},
                       {"cycles_5_threads", c.cycles_five_threads},
                       {"ticks_1_thread", one},
                       {"ticks_5_threads", five},
                       {"ms_1_thread", ms(one)},
                       {"ms_5_threads", ms(five)}});
  }
  return {{"tick_ns", xs3::kProfileTickNanoseconds},
          {"clock_mhz", xs3::kTileClockMhz},
          {"nodes", nodes},
          {"classes", classes},
          {"total",
           {{"cycles_1_thread", profile.cycles_one_thread},
            {"cycles_5_threads", profile.cycles_five_threads},
            {"ticks_1_thread", total_one},
            {"ticks_5_threads", total_five},
            {"ms_1_thread", ms(total_one)},
            {"ms_5_threads", ms(total_five)}}}};
}

std::string Xs3ReportText(const xs3::Xs3Executable& executable) {
  return executable.report().ToString() + "(lowering " + executable.report().lowering +
         ", VLASHR rounding " + VlashrName(executable.vlashr_rounding()) +
         "; OT = output transform, error in LSBs)\n";
}

}  // namespace tinyserve::model_tool
