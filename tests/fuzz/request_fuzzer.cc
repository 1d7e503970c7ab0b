// libFuzzer target: arbitrary bytes as the requests a client sends
// (ClassifyRequest, CompareRequest, GetModelMetadataRequest), through what the
// server does with them before any device runs: parsing (server/raw_request.h,
// as the gRPC service does), conversion to the protocol-neutral request
// (server/v1_conversion.h), the name checks, and input preparation against
// two bundled models (int8[1,1] and int8[1,49,10,1]) with the request's
// non-finite policy. Invariants, each a crash when broken:
//   - parsing fails only with INVALID_ARGUMENT, and a status sent to a client
//     is at most kMaxStatusMessageBytes of valid UTF-8;
//   - a request whose names pass holds only short, valid, control-free names;
//   - a prepared input has the tensor's byte size, and counts non-finite
//     values only when asked to quantize them (and never reports an SQNR
//     without a finite value);
//   - any response string repaired by MakeStringsValidUtf8 is valid UTF-8.
//
//   request_fuzzer corpus/request/
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "engine/model.h"
#include "google/protobuf/stubs/logging.h"
#include "grpcpp/support/byte_buffer.h"
#include "server/grpc_status.h"
#include "server/proto_conversion.h"
#include "server/raw_request.h"
#include "server/request_input.h"
#include "server/request_names.h"
#include "server/text_checks.h"
#include "server/v1_conversion.h"
#include "tinyserve/v1/tinyserve.pb.h"

namespace {

using tinyserve::Model;
namespace server = tinyserve::server;
namespace v1 = tinyserve::v1;

[[noreturn]] void Fail(const char* what, const std::string& detail = "") {
  std::fprintf(stderr, "request_fuzzer: %s %s\n", what, detail.c_str());
  std::abort();
}

std::shared_ptr<const Model> LoadBundled(const char* name) {
  const std::string path = std::string(TINYSERVE_MODELS_DIR) + "/" + name + "/1/model.tflite";
  auto model = Model::LoadFile(path, name);
  if (!model.ok()) Fail("cannot load bundled model", model.status().ToString());
  return *model;
}

// What reaches a client: bounded, valid UTF-8, the same code.
void CheckSent(const absl::Status& status) {
  const grpc::Status sent = server::ToGrpcStatus(status);
  if (static_cast<int>(sent.error_code()) != static_cast<int>(status.code())) {
    Fail("ToGrpcStatus changed the code");
  }
  if (sent.error_message().size() > server::kMaxStatusMessageBytes) Fail("status too long");
  if (!server::IsValidUtf8(sent.error_message())) Fail("status not UTF-8");
}

void CheckNamesPassed(const std::string& name) {
  if (name.size() > server::kMaxRequestNameBytes || !server::IsValidUtf8(name)) {
    Fail("a bad name passed the checks");
  }
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) Fail("a control character passed");
  }
}

// `request` is the neutral form of `v1_request` (whose float values it views).
template <typename V1Request>
void Prepare(const V1Request& v1_request, const server::InferRequest& request,
             const Model& model) {
  const v1::FloatTensor* floats =
      v1_request.has_float_input() ? &v1_request.float_input() : nullptr;
  auto prepared = server::PrepareInputs(model, request.inputs, request.non_finite);
  if (!prepared.ok()) {
    const absl::StatusCode code = prepared.status().code();
    if (code != absl::StatusCode::kInvalidArgument && code != absl::StatusCode::kUnimplemented) {
      Fail("PrepareInputs failed with an unexpected code", prepared.status().ToString());
    }
    CheckSent(prepared.status());
    return;
  }
  if (prepared->tensors.size() != 1 || prepared->tensors[0].size() != model.input(0).bytes) {
    Fail("prepared input has the wrong size");
  }
  if (floats == nullptr) {
    if (prepared->float_input || prepared->non_finite != 0) Fail("raw input quantized?");
    return;
  }
  const int64_t non_finite = server::NonFiniteCount(request.inputs);
  if (prepared->non_finite != non_finite) Fail("non-finite values miscounted");
  if (non_finite > 0 && v1_request.non_finite() != v1::NON_FINITE_QUANTIZE) {
    Fail("non-finite values accepted under the reject policy");
  }
  if (non_finite == floats->values_size() && prepared->input_sqnr_db.has_value()) {
    Fail("an SQNR without a finite value");
  }
  if (prepared->input_sqnr_db.has_value() && std::isnan(*prepared->input_sqnr_db)) {
    Fail("a NaN SQNR");
  }
}

bool Parse(const grpc::ByteBuffer& bytes, google::protobuf::Message& request) {
  const absl::Status parsed = server::ParseRequest(bytes, request);
  if (!parsed.ok()) {
    if (parsed.code() != absl::StatusCode::kInvalidArgument) Fail("parse: unexpected code");
    CheckSent(parsed);
    return false;
  }
  return true;
}

template <typename Request>
bool NamesPass(const Request& request) {
  const absl::Status names = server::CheckRequestNames(request);
  CheckSent(names);
  return names.ok();
}

}  // namespace

// protobuf logs every string field that is not UTF-8 it parses: quiet here.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<const Model> tiny = LoadBundled("hello_world_int8");
  static const std::shared_ptr<const Model> kws = LoadBundled("kws_ref_model");
  grpc::Slice slice(data, size);
  const grpc::ByteBuffer bytes(&slice, 1);

  v1::ClassifyRequest classify;
  if (Parse(bytes, classify)) {
    const server::InferRequest request = server::FromV1(classify);
    if (NamesPass(request)) {
      CheckNamesPassed(request.model);
      CheckNamesPassed(request.device);
      Prepare(classify, request, *tiny);
      Prepare(classify, request, *kws);
    }
  }
  v1::CompareRequest compare;
  if (Parse(bytes, compare)) {
    const server::CompareRequest request = server::FromV1(compare);
    if (NamesPass(request)) {
      CheckNamesPassed(request.request.model);
      for (const std::string& device : request.devices) CheckNamesPassed(device);
      Prepare(compare, request.request, *tiny);
      Prepare(compare, request.request, *kws);
    }
  }
  v1::GetModelMetadataRequest metadata;
  if (Parse(bytes, metadata) && NamesPass(metadata)) CheckNamesPassed(metadata.model());

  // The same bytes as a response full of strings: repaired, always UTF-8.
  v1::ModelMetadata response;
  if (response.ParsePartialFromArray(data, static_cast<int>(size))) {
    server::MakeStringsValidUtf8(response);
    v1::ModelMetadata reparsed;
    if (!reparsed.ParseFromString(response.SerializeAsString())) {
      Fail("a repaired response does not parse");
    }
  }
  return 0;
}
