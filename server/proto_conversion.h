// Engine types to their tinyserve.v1 messages.
#ifndef TINYSERVE_SERVER_PROTO_CONVERSION_H_
#define TINYSERVE_SERVER_PROTO_CONVERSION_H_

#include "engine/graph.h"
#include "tinyserve/v1/tinyserve.pb.h"

namespace tinyserve::server {

v1::DataType ToProto(DataType type);
void FillTensorSpec(const TensorInfo& tensor, v1::TensorSpec* spec);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_PROTO_CONVERSION_H_
