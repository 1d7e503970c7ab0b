#include "server/classify_pipeline.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/output_comparison.h"
#include "server/request_names.h"
#include "spdlog/spdlog.h"

namespace tinyserve::server {
namespace {

using Clock = std::chrono::steady_clock;

// One device of family `family` ("xcore") for a model version: the UP one
// with the fewest tasks queued or running among those that run it.
absl::StatusOr<const DeviceBinding*> SelectFamilyMember(const ServedModel& served,
                                                        const std::string& family,
                                                        const DeviceManager& devices) {
  const std::string prefix = family + "@";
  const DeviceBinding* best = nullptr;
  std::vector<std::string> not_up;
  for (const std::string& name : served.device_names()) {
    if (!absl::StartsWith(name, prefix)) continue;
    const DeviceBinding* binding = served.binding(name);
    if (absl::Status available = binding->device->Availability(); !available.ok()) {
      not_up.emplace_back(available.message());
      continue;
    }
    if (best == nullptr ||
        binding->device->scheduler->load() < best->device->scheduler->load()) {
      best = binding;
    }
  }
  if (best != nullptr) return best;
  if (!not_up.empty()) {
    return absl::UnavailableError(absl::StrCat("no '", family, "' device that runs model '",
                                               served.name(), "' is UP (",
                                               absl::StrJoin(not_up, "; "), ")"));
  }
  const std::vector<RunningDevice*> members = devices.Members(family);
  if (members.empty()) {
    return absl::UnavailableError(absl::StrCat(
        "no '", family, "' device is running on this server (it watches for arrivals)"));
  }
  std::vector<std::string> refusals;
  for (const RunningDevice* member : members) {
    refusals.push_back(absl::StrCat(member->info.name, ": ", served.refusal(member->info.name)));
  }
  return absl::UnimplementedError(absl::StrCat("no '", family, "' device can run model '",
                                               served.name(), "' (",
                                               absl::StrJoin(refusals, "; "), ")"));
}

// The device `name` of a model version (a device, or a family standing for
// its best member), or why it cannot run there. A device that is not UP is
// still returned: its queue refuses the run, which then counts as a request
// of that device.
absl::StatusOr<const DeviceBinding*> SelectDevice(const ServedModel& served,
                                                  const std::string& name,
                                                  const DeviceManager& devices) {
  if (const DeviceBinding* binding = served.binding(name)) return binding;
  if (devices.IsServedFamily(name)) return SelectFamilyMember(served, name, devices);
  if (devices.Find(name) != nullptr) {
    return absl::UnimplementedError(absl::StrCat("device '", name, "' cannot run model '",
                                                 served.name(), "': ", served.refusal(name)));
  }
  if (devices.IsKnown(name)) {
    return absl::UnavailableError(
        absl::StrCat("device '", name, "' is not running on this server"));
  }
  return absl::NotFoundError(absl::StrCat("unknown device '", name, "' (this server runs: ",
                                          absl::StrJoin(served.device_names(), ", "), ")"));
}

// A request that failed after its device was known but before it ran: it
// still counts as a request of that (model, version, device).
void FailBeforeRun(const DeviceBinding& binding, const CallContext& call, absl::Status status,
                   const std::function<void(absl::Status)>& done, int64_t input_non_finite = 0) {
  RequestOutcome outcome;
  outcome.code = status.code();
  outcome.input_non_finite = input_non_finite;
  outcome.stages.total = std::chrono::duration<double>(Clock::now() - call.received).count();
  binding.metrics->RecordRequest(outcome);
  done(std::move(status));
}

int64_t UnixMicrosAt(Clock::time_point when) {
  const auto age = Clock::now() - when;
  return std::chrono::duration_cast<std::chrono::microseconds>(
             (std::chrono::system_clock::now() - age).time_since_epoch())
      .count();
}

// --- Shadow traffic -------------------------------------------------------------

// What a sampled request's shadow run needs once the caller has its answer.
struct ShadowJob {
  std::shared_ptr<const ServedModel> served;
  std::string primary;  // the device the caller's request ran on
  std::shared_ptr<const PreparedInput> input;
  int top_k = 1;
  int64_t arrival_unix_micros = 0;
};

void RecordShadowOutcome(const ShadowJob& job, const ComparedOutputs& primary,
                         const InferResult& shadow_result, absl::Status status) {
  ShadowTraffic& shadow = *job.served->shadow();
  // Queue refusals are the designed overload behaviour, not failures.
  if (absl::IsResourceExhausted(status) || absl::IsUnavailable(status)) {
    shadow.RecordDropped(job.primary);
    return;
  }
  absl::StatusOr<PairDifference> comparison =
      status.ok() ? CompareOutputs(primary, OutputsOf(shadow_result)) : status;
  if (!comparison.ok()) {
    const int64_t errors = shadow.RecordError(job.primary);
    if ((errors & (errors - 1)) == 0) {  // 1st, 2nd, 4th, ...: a broken device cannot flood the log
      spdlog::warn("shadow run of model {} version {} on {} failed ({} so far): {}",
                   job.served->name(), job.served->version(), shadow.device(), errors,
                   comparison.status().ToString());
    }
    return;
  }
  comparison->device_a = job.primary;
  comparison->device_b = shadow.device();
  shadow.RecordCompared(job.primary, *comparison, job.input->tensors, job.arrival_unix_micros);
  job.served->binding(job.primary)->metrics->live().RecordShadow(!comparison->bit_exact,
                                                                 LiveNowSecond());
}

// Queues the shadow run as low-priority work: it may only take the first half
// of the shadow device's queue, has no deadline, and is dropped (counted) when
// there is no room. It runs after the caller was answered, so it can neither
// delay nor fail the caller.
void StartShadowRun(ShadowJob job, ComparedOutputs primary, const DeviceManager& devices) {
  // A shadow device that is not UP (or a family with no member UP) drops the run.
  auto selected = SelectDevice(*job.served, job.served->shadow()->device(), devices);
  if (!selected.ok() || !(*selected)->device->up()) {
    job.served->shadow()->RecordDropped(job.primary);
    return;
  }
  const DeviceBinding* binding = *selected;
  auto result = std::make_shared<InferResult>();
  DeviceRun run;
  run.served = job.served;
  run.binding = binding;
  run.input = job.input;
  run.top_k = job.top_k;
  run.result = result.get();
  run.record_request = false;
  run.max_queue_depth = std::max(1, binding->device->scheduler->capacity() / 2);
  run.done = [job = std::move(job), primary = std::move(primary),
              result](absl::Status status) {
    RecordShadowOutcome(job, primary, *result, std::move(status));
  };
  SubmitDeviceRun(std::move(run));
}

// --- Compare --------------------------------------------------------------------

struct CompareState {
  std::shared_ptr<const ServedModel> served;
  std::vector<const DeviceBinding*> bindings;  // request order
  CompareResult* result = nullptr;
  ServerMetrics* metrics = nullptr;
  std::function<void(absl::Status)> done;
  std::atomic<bool> failed{false};
  std::mutex mu;
  size_t pending = 0;          // guarded by mu
  absl::Status first_error;    // guarded by mu
};

void FinishCompare(CompareState& state) {
  if (!state.first_error.ok()) return state.done(state.first_error);
  CompareResult& compared = *state.result;
  std::vector<ComparedOutputs> outputs;
  outputs.reserve(compared.results.size());
  for (const InferResult& r : compared.results) outputs.push_back(OutputsOf(r));
  const int64_t now = LiveNowSecond();
  for (size_t i = 0; i < outputs.size(); ++i) {
    for (size_t j = i + 1; j < outputs.size(); ++j) {
      auto comparison = CompareOutputs(outputs[i], outputs[j]);
      if (!comparison.ok()) return state.done(comparison.status());
      const std::string& a = compared.devices[i];
      const std::string& b = compared.devices[j];
      comparison->device_a = a;
      comparison->device_b = b;
      const ComparisonResult result = ResultOf(*comparison);
      state.metrics->RecordCompare(state.served->name(), a, b, result);
      state.bindings[i]->metrics->live().RecordCompare(result, now);
      compared.pairs.push_back(std::move(*comparison));
    }
  }
  state.done(absl::OkStatus());
}

void CompleteDevice(const std::shared_ptr<CompareState>& state, size_t index,
                    absl::Status status) {
  bool last = false;
  {
    std::lock_guard<std::mutex> lock(state->mu);
    if (!status.ok()) {
      state->failed.store(true);
      // The first failure is the cause; later ones are its consequences.
      if (state->first_error.ok()) {
        const std::string& device = state->bindings[index]->device->info.name;
        state->first_error =
            absl::StrContains(status.message(), "'" + device + "'")
                ? status
                : absl::Status(status.code(),
                               absl::StrCat("device '", device, "': ", status.message()));
      }
    }
    last = --state->pending == 0;
  }
  if (last) FinishCompare(*state);
}

}  // namespace

absl::StatusOr<int> ClassifyPipeline::ResolveTopK(const ServedModel& served, int requested) const {
  if (requested < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("top_k must not be negative, got ", requested));
  }
  if (requested > 0) return requested;
  const int config_top_k = served.config().default_top_k();
  return config_top_k > 0 ? config_top_k : default_top_k_;
}

void ClassifyPipeline::Classify(const InferRequest& request, InferResult* result,
                                CallContext call, std::function<void(absl::Status)> done) const {
  if (absl::Status names = CheckRequestNames(request); !names.ok()) {
    metrics_.RecordUnresolved(names.code());
    return done(names);
  }
  auto served = registry_.Resolve(request.model, request.version);
  if (!served.ok()) {
    metrics_.RecordUnresolved(served.status().code());
    return done(served.status());
  }
  const std::string& device =
      request.device.empty() ? (*served)->default_device() : request.device;
  auto binding = SelectDevice(**served, device, devices_);
  if (!binding.ok()) {
    metrics_.RecordUnresolved(binding.status().code());
    return done(binding.status());
  }
  auto top_k = ResolveTopK(**served, request.top_k);
  if (!top_k.ok()) return FailBeforeRun(**binding, call, top_k.status(), done);
  auto input = PrepareInputs((*served)->model(), request.inputs, request.non_finite);
  if (!input.ok()) {
    return FailBeforeRun(**binding, call, input.status(), done, NonFiniteCount(request.inputs));
  }

  DeviceRun run;
  run.served = *served;
  run.binding = *binding;
  run.input = std::make_shared<const PreparedInput>(std::move(*input));
  run.top_k = *top_k;
  run.result = result;
  ShadowTraffic* shadow = (*served)->shadow();
  const std::string& ran_on = (*binding)->device->info.name;
  // A request already on the shadow device (or on a member of the shadow
  // family) has nothing to be compared with.
  if (shadow != nullptr && shadow->device() != ran_on &&
      !absl::StartsWith(ran_on, shadow->device() + "@") && shadow->Sample()) {
    ShadowJob job{*served, ran_on, run.input, *top_k, UnixMicrosAt(call.received)};
    run.done = [result, done = std::move(done), job = std::move(job),
                devices = &devices_](absl::Status status) mutable {
      // Copied before answering: after done() the result belongs to the caller.
      std::optional<ComparedOutputs> primary;
      if (status.ok()) primary = OutputsOf(*result);
      done(std::move(status));
      if (primary) StartShadowRun(std::move(job), std::move(*primary), *devices);
    };
  } else {
    run.done = std::move(done);
  }
  run.call = std::move(call);
  SubmitDeviceRun(std::move(run));
}

void ClassifyPipeline::Compare(const CompareRequest& compare, CompareResult* result,
                               CallContext call, std::function<void(absl::Status)> done) const {
  auto fail = [&](absl::Status status) {
    metrics_.RecordUnresolved(status.code());
    done(std::move(status));
  };
  const InferRequest& request = compare.request;
  if (absl::Status names = CheckRequestNames(compare); !names.ok()) return fail(names);
  if (compare.devices.size() < 2) {
    return fail(absl::InvalidArgumentError(absl::StrCat(
        "Compare needs at least two devices, got ", compare.devices.size())));
  }
  std::set<std::string> seen;
  for (const std::string& device : compare.devices) {
    if (device.empty()) return fail(absl::InvalidArgumentError("a device name is empty"));
    if (!seen.insert(device).second) {
      return fail(absl::InvalidArgumentError(
          absl::StrCat("device '", device, "' is named twice; Compare needs distinct devices")));
    }
  }
  auto served = registry_.Resolve(request.model, request.version);
  if (!served.ok()) return fail(served.status());
  auto state = std::make_shared<CompareState>();
  std::map<const DeviceBinding*, std::string> chosen;  // binding -> the name that chose it
  for (const std::string& device : compare.devices) {
    auto binding = SelectDevice(**served, device, devices_);
    if (!binding.ok()) return fail(binding.status());
    // Refused before anything runs, naming the device: no partial Compare.
    if (absl::Status available = (*binding)->device->Availability(); !available.ok()) {
      return fail(available);
    }
    if (auto [it, added] = chosen.emplace(*binding, device); !added) {
      return fail(absl::InvalidArgumentError(absl::StrCat(
          "devices '", it->second, "' and '", device, "' are the same device ('",
          (*binding)->device->info.name, "'); Compare needs distinct devices")));
    }
    state->bindings.push_back(*binding);
  }
  auto top_k = ResolveTopK(**served, request.top_k);
  if (!top_k.ok()) return fail(top_k.status());
  auto prepared = PrepareInputs((*served)->model(), request.inputs, request.non_finite);
  if (!prepared.ok()) {
    // Refused values count on every device they were meant for, as accepted
    // ones do (each device's run records its input).
    if (const int64_t non_finite = NonFiniteCount(request.inputs); non_finite > 0) {
      for (const DeviceBinding* binding : state->bindings) {
        binding->metrics->RecordNonFinite(non_finite);
      }
    }
    return fail(prepared.status());
  }
  const auto input = std::make_shared<const PreparedInput>(std::move(*prepared));

  result->model = (*served)->name();
  result->version = (*served)->version();
  result->devices = compare.devices;
  // Every result exists before any run starts: workers then fill distinct,
  // already-allocated results concurrently.
  result->results.assign(compare.devices.size(), InferResult());
  state->served = *served;
  state->result = result;
  state->metrics = &metrics_;
  state->done = std::move(done);
  state->pending = state->bindings.size();
  for (size_t i = 0; i < state->bindings.size(); ++i) {
    if (state->failed.load()) {
      CompleteDevice(state, i, absl::CancelledError("not run: another device failed"));
      continue;
    }
    DeviceRun run;
    run.served = *served;
    run.binding = state->bindings[i];
    run.input = input;
    run.top_k = *top_k;
    run.result = &result->results[i];
    run.call.received = call.received;
    run.call.deadline = call.deadline;
    run.call.cancelled = [cancelled = call.cancelled, state = std::weak_ptr<CompareState>(state)] {
      const auto s = state.lock();
      return (s != nullptr && s->failed.load()) || (cancelled && cancelled());
    };
    run.done = [state, i](absl::Status status) { CompleteDevice(state, i, std::move(status)); };
    SubmitDeviceRun(std::move(run));
  }
}

}  // namespace tinyserve::server
