// Requests the server parses itself instead of leaving it to gRPC: gRPC's
// callback API (1.51) answers a request protobuf refuses to parse with
// UNIMPLEMENTED and an empty message, and protobuf refuses any proto3
// `string` field that is not valid UTF-8 (a model name of two bad bytes is
// enough). Parsed here, the caller gets INVALID_ARGUMENT naming the field.
#ifndef TINYSERVE_SERVER_RAW_REQUEST_H_
#define TINYSERVE_SERVER_RAW_REQUEST_H_

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/byte_buffer.h"

namespace tinyserve::server {

// Parses `bytes` into `request`. INVALID_ARGUMENT when they are not one:
// naming the first top-level string field that is not valid UTF-8 (with a
// short escaped prefix of its value; checked before protobuf parses, so no
// log line per such request), else saying the wire data is malformed.
absl::Status ParseRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message& request);

// `response` as the bytes gRPC sends (INTERNAL if protobuf fails to).
absl::Status SerializeResponse(const google::protobuf::Message& response, grpc::ByteBuffer* out);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_RAW_REQUEST_H_
