// Requests the server parses itself instead of leaving it to gRPC: gRPC's
// callback API (1.51) answers a request protobuf refuses to parse with
// UNIMPLEMENTED and an empty message, and protobuf refuses any proto3
// `string` field that is not valid UTF-8 (a model name of two bad bytes is
// enough). Parsed here, the caller gets INVALID_ARGUMENT naming the field.
#ifndef TINYSERVE_SERVER_RAW_REQUEST_H_
#define TINYSERVE_SERVER_RAW_REQUEST_H_

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "server/grpc_status.h"

namespace tinyserve::server {

// Parses `bytes` into `request`. INVALID_ARGUMENT when they are not one:
// naming the first top-level string field that is not valid UTF-8 (with a
// short escaped prefix of its value; checked before protobuf parses, so no
// log line per such request), else saying the wire data is malformed.
absl::Status ParseRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message& request);

// `response` as the bytes gRPC sends (INTERNAL if protobuf fails to).
absl::Status SerializeResponse(const google::protobuf::Message& response, grpc::ByteBuffer* out);

// A unary call whose request arrives as bytes: `handler(request, response,
// done)` runs with the parsed request, and the call ends when it calls
// done(status) (from any thread). Request and response live until then.
template <typename Request, typename Response, typename Handler>
grpc::ServerUnaryReactor* RawUnary(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request_bytes,
                                   grpc::ByteBuffer* response_bytes, Handler handler) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // Request and response live on one arena: their strings, maps and repeated
  // fields are bump-allocated and freed together when the call ends.
  struct Call {
    google::protobuf::Arena arena;
    Request* request = google::protobuf::Arena::CreateMessage<Request>(&arena);
    Response* response = google::protobuf::Arena::CreateMessage<Response>(&arena);
  };
  auto call = std::make_shared<Call>();
  if (absl::Status parsed = ParseRequest(*request_bytes, *call->request); !parsed.ok()) {
    reactor->Finish(ToGrpcStatus(parsed));
    return reactor;
  }
  Call& c = *call;
  handler(*c.request, c.response,
          std::function<void(absl::Status)>(
              [call = std::move(call), reactor, response_bytes](absl::Status status) {
                if (status.ok()) status = SerializeResponse(*call->response, response_bytes);
                reactor->Finish(ToGrpcStatus(status));
              }));
  return reactor;
}

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_RAW_REQUEST_H_
