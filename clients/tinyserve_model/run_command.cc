// tinyserve-model run: one inference from raw tensor files to raw tensor files.
#include <cstdio>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "clients/tinyserve_model/commands.h"

namespace tinyserve::model_tool {

int Run(const RunArgs& args) {
  auto loaded = LoadForDevice(args.model, args.device, args.xcore);
  if (!loaded.ok()) return Fail(std::string(loaded.status().message()));
  const Model& model = *loaded->model;
  if (static_cast<int>(args.inputs.size()) != model.num_inputs()) {
    return Fail(absl::StrCat("model '", model.name(), "' has ", model.num_inputs(),
                             " input(s), got ", args.inputs.size(), " --input file(s)"));
  }
  if (static_cast<int>(args.outputs.size()) != model.num_outputs()) {
    return Fail(absl::StrCat("model '", model.name(), "' has ", model.num_outputs(),
                             " output(s), got ", args.outputs.size(), " --output file(s)"));
  }
  auto session = loaded->executable->NewSession();
  if (!session.ok()) return Fail(std::string(session.status().message()));

  for (int i = 0; i < model.num_inputs(); ++i) {
    std::ifstream in(args.inputs[i], std::ios::binary);
    if (!in) return Fail(absl::StrCat("cannot read input file '", args.inputs[i], "'"));
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                  std::istreambuf_iterator<char>()};
    const auto dest = (*session)->input(i);
    if (bytes.size() != dest.size()) {
      return Fail(absl::StrCat("input file '", args.inputs[i], "' is ", bytes.size(),
                               " bytes; input ", i, " '", model.input(i).name, "' ",
                               TensorTypeAndShape(model.input(i)), " needs ", dest.size()));
    }
    std::copy(bytes.begin(), bytes.end(), dest.begin());
  }
  auto stats = (*session)->Invoke(InvokeOptions{});
  if (!stats.ok()) return Fail(std::string(stats.status().message()));
  for (int i = 0; i < model.num_outputs(); ++i) {
    std::ofstream out(args.outputs[i], std::ios::binary | std::ios::trunc);
    const auto bytes = (*session)->output(i);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) return Fail(absl::StrCat("cannot write output file '", args.outputs[i], "'"));
  }
  if (const std::string chip = ChipStatsText(*stats); !chip.empty()) {
    std::printf("%s\n", chip.c_str());
  }
  if (const std::string link = LinkStatsText(*stats); !link.empty()) {
    std::printf("%s\n", link.c_str());
  }
  return 0;
}

}  // namespace tinyserve::model_tool
