// tinyserve.v1's inference messages to and from the protocol-neutral request
// and result types (server/inference_types.h): the whole of what the v1 gRPC
// adapter knows about the pipeline.
#ifndef TINYSERVE_SERVER_V1_CONVERSION_H_
#define TINYSERVE_SERVER_V1_CONVERSION_H_

#include "server/inference_types.h"
#include "server/shadow_traffic.h"
#include "tinyserve/v1/tinyserve.pb.h"

namespace tinyserve::server {

// Views into `request`: it must outlive the returned value's use.
InferRequest FromV1(const v1::ClassifyRequest& request);
CompareRequest FromV1(const v1::CompareRequest& request);

// Strings from files and devices are made valid UTF-8 on the way.
void ToV1(const InferResult& result, v1::ClassifyResponse* response);
void ToV1(const CompareResult& result, v1::CompareResponse* response);
v1::PairComparison ToV1(const PairDifference& difference);
v1::ShadowMismatch ToV1(const ShadowMismatchRecord& mismatch);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_V1_CONVERSION_H_
