// Engine types to their tinyserve.v1 messages.
#ifndef TINYSERVE_SERVER_PROTO_CONVERSION_H_
#define TINYSERVE_SERVER_PROTO_CONVERSION_H_

#include "engine/graph.h"
#include "google/protobuf/message.h"
#include "tinyserve/v1/tinyserve.pb.h"

namespace tinyserve::server {

v1::DataType ToProto(DataType type);
void FillTensorSpec(const TensorInfo& tensor, v1::TensorSpec* spec);

// Every `string` field of `message` (nested messages too) made valid UTF-8
// (ValidUtf8): serializing a message with one bad string fails the whole
// RPC, so responses built from repository or device text go through this.
void MakeStringsValidUtf8(google::protobuf::Message& message);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_PROTO_CONVERSION_H_
