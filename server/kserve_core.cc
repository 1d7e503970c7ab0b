#include "server/kserve_core.h"

#include <utility>

namespace tinyserve::server::kserve {

// Interim stubs: filled in by issue 13's KServe v2 work.
Core::Core(const ModelRegistry& registry, const ClassifyPipeline& pipeline, ModelLoader& loader,
           std::function<bool()> ready)
    : registry_(registry), pipeline_(pipeline), loader_(loader), ready_(std::move(ready)) {}

bool Core::ServerLive() const { return true; }
bool Core::ServerReady() const { return ready_(); }
absl::StatusOr<bool> Core::ModelReady(const std::string&, const std::string&) const {
  return absl::UnimplementedError("not yet");
}
ServerMetadata Core::Server() const { return {}; }
absl::StatusOr<ModelMetadata> Core::Metadata(const std::string&, const std::string&) const {
  return absl::UnimplementedError("not yet");
}
absl::StatusOr<ModelConfig> Core::Config(const std::string&, const std::string&) const {
  return absl::UnimplementedError("not yet");
}
absl::StatusOr<std::vector<ModelStatistics>> Core::Statistics(const std::string&,
                                                              const std::string&) const {
  return absl::UnimplementedError("not yet");
}
std::vector<RepositoryEntry> Core::RepositoryIndex(bool) const { return {}; }
void Core::Load(const std::string&, CallContext, std::function<void(absl::Status)> done) {
  done(absl::UnimplementedError("not yet"));
}
void Core::Unload(const std::string&, CallContext, std::function<void(absl::Status)> done) {
  done(absl::UnimplementedError("not yet"));
}
void Core::Infer(const InferRequest&, InferResponse*, CallContext,
                 std::function<void(absl::Status)> done) const {
  done(absl::UnimplementedError("not yet"));
}

}  // namespace tinyserve::server::kserve
