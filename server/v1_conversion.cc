#include "server/v1_conversion.h"

#include "server/proto_conversion.h"
#include "server/safe_text.h"

namespace tinyserve::server {
namespace {

// The request's one input (v1 has a oneof): raw bytes or float values.
template <typename Request>
std::vector<InputTensorView> InputsOf(const Request& request) {
  std::vector<InputTensorView> inputs;
  if (request.has_raw_input()) {
    InputTensorView& view = inputs.emplace_back();
    view.label = "raw_input";
    view.raw = request.raw_input();
  } else if (request.has_float_input()) {
    InputTensorView& view = inputs.emplace_back();
    view.label = "float_input";
    view.is_float = true;
    const auto& values = request.float_input().values();
    view.values = absl::MakeConstSpan(values.data(), static_cast<size_t>(values.size()));
  }
  return inputs;
}

NonFinitePolicy PolicyOf(v1::NonFinitePolicy policy) {
  return policy == v1::NON_FINITE_QUANTIZE ? NonFinitePolicy::kQuantize
                                           : NonFinitePolicy::kReject;
}

void FillMetrics(const RequestFigures& f, v1::RequestMetrics* m) {
  v1::LatencyMicros* latency = m->mutable_latency_us();
  latency->set_queue(f.stages.queue * 1e6);
  latency->set_quantize(f.stages.quantize * 1e6);
  latency->set_device(f.stages.device * 1e6);
  latency->set_postprocess(f.stages.postprocess * 1e6);
  latency->set_total(f.stages.total * 1e6);
  m->set_device(ValidUtf8(f.device));
  m->set_device_kind(ValidUtf8(f.device_kind));
  if (f.device_cycles) m->set_device_cycles(*f.device_cycles);
  if (f.estimated_chip_us) m->set_estimated_chip_us(*f.estimated_chip_us);
  if (f.device_saturation_events) m->set_device_saturation_events(*f.device_saturation_events);
  if (f.link) {
    v1::LinkMetrics* link = m->mutable_link();
    link->set_bytes_out(f.link->bytes_out);
    link->set_bytes_in(f.link->bytes_in);
    link->set_transfers(f.link->transfers);
    link->set_host_to_board_us(static_cast<double>(f.link->host_to_board_ns) * 1e-3);
    link->set_on_board_us(static_cast<double>(f.link->on_board_ns) * 1e-3);
    link->set_board_to_host_us(static_cast<double>(f.link->board_to_host_ns) * 1e-3);
  }
  v1::QuantizationMetrics* q = m->mutable_quantization();
  q->set_input_scale(f.input_scale);
  q->set_input_zero_point(f.input_zero_point);
  if (f.float_input) {
    if (f.input_sqnr_db) q->set_input_sqnr_db(*f.input_sqnr_db);
    q->set_input_clipped(f.input_clipped);
    q->set_input_non_finite(f.input_non_finite);
  }
  q->set_output_at_rails(f.output_at_rails);
}

}  // namespace

InferRequest FromV1(const v1::ClassifyRequest& request) {
  InferRequest out;
  out.model = request.model();
  out.version = request.version();
  out.device = request.device();
  out.inputs = InputsOf(request);
  out.top_k = request.top_k();
  out.non_finite = PolicyOf(request.non_finite());
  return out;
}

CompareRequest FromV1(const v1::CompareRequest& request) {
  CompareRequest out;
  out.request.model = request.model();
  out.request.version = request.version();
  out.request.inputs = InputsOf(request);
  out.request.top_k = request.top_k();
  out.request.non_finite = PolicyOf(request.non_finite());
  out.devices.assign(request.devices().begin(), request.devices().end());
  return out;
}

void ToV1(const InferResult& result, v1::ClassifyResponse* response) {
  response->set_model(ValidUtf8(result.model));
  response->set_version(result.version);
  response->set_kind(result.kind);
  for (const OutputTensorResult& tensor : result.outputs) {
    v1::OutputTensor* out = response->add_outputs();
    FillTensorSpec(tensor.info, out->mutable_spec());
    out->set_raw(tensor.raw.data(), tensor.raw.size());
    out->mutable_values()->Assign(tensor.values.begin(), tensor.values.end());
  }
  for (const ClassResult& c : result.classes) {
    v1::ClassScore* score = response->add_classes();
    score->set_index(c.index);
    score->set_label(ValidUtf8(c.label));
    score->set_score(c.score);
    score->set_raw(c.raw);
  }
  if (result.score) response->set_score(*result.score);
  FillMetrics(result.figures, response->mutable_metrics());
}

void ToV1(const CompareResult& result, v1::CompareResponse* response) {
  response->set_model(ValidUtf8(result.model));
  response->set_version(result.version);
  for (size_t i = 0; i < result.results.size(); ++i) {
    v1::DeviceResult* r = response->add_results();
    r->set_device(ValidUtf8(result.devices[i]));
    ToV1(result.results[i], r->mutable_response());
  }
  for (const PairDifference& pair : result.pairs) *response->add_pairs() = ToV1(pair);
}

v1::PairComparison ToV1(const PairDifference& difference) {
  v1::PairComparison out;
  out.set_device_a(ValidUtf8(difference.device_a));
  out.set_device_b(ValidUtf8(difference.device_b));
  out.set_bit_exact(difference.bit_exact);
  out.set_differing_elements(difference.differing_elements);
  out.set_max_abs_diff(difference.max_abs_diff);
  if (difference.first_diff_index) out.set_first_diff_index(*difference.first_diff_index);
  out.set_first_diff_a(difference.first_diff_a);
  out.set_first_diff_b(difference.first_diff_b);
  out.set_top1_agrees(difference.top1_agrees);
  return out;
}

v1::ShadowMismatch ToV1(const ShadowMismatchRecord& mismatch) {
  v1::ShadowMismatch out;
  out.set_version(mismatch.version);
  out.set_primary_device(ValidUtf8(mismatch.primary_device));
  out.set_shadow_device(ValidUtf8(mismatch.shadow_device));
  if (!mismatch.inputs.empty()) {
    out.set_raw_input(mismatch.inputs.front().data(), mismatch.inputs.front().size());
  }
  for (const std::vector<uint8_t>& input : mismatch.inputs) {
    out.add_raw_inputs(input.data(), input.size());
  }
  *out.mutable_comparison() = ToV1(mismatch.comparison);
  out.set_unix_micros(mismatch.unix_micros);
  return out;
}

}  // namespace tinyserve::server
