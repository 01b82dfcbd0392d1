#include "common/envelope.h"

namespace drover {

v1::Envelope MakeEnvelope(const v1::Body& body, uint64_t request_id) {
  v1::Envelope env;
  env.set_version(kProtocolVersion);
  env.set_request_id(request_id);
  body.SerializeToString(env.mutable_body());
  return env;
}

v1::Envelope MakeReply(const v1::Envelope& request, const v1::Body& body) {
  return MakeEnvelope(body, request.request_id());
}

v1::Envelope MakeErrorReply(const v1::Envelope& request, const Status& status) {
  v1::Body body;
  body.mutable_error()->set_code(ToErrorCode(status.code()));
  body.mutable_error()->set_message(status.message());
  return MakeReply(request, body);
}

Result<v1::Body> ParseBody(const v1::Envelope& envelope) {
  v1::Body body;
  if (Status s = ParseBodyInto(envelope, &body); !s.ok()) return s;
  return body;
}

Status ParseBodyInto(const v1::Envelope& envelope, v1::Body* body) {
  if (!body->ParseFromString(envelope.body())) {
    return Status::InvalidArgument("malformed message body");
  }
  if (body->kind_case() == v1::Body::KIND_NOT_SET) {
    return Status::Unsupported("unknown request type (is the peer a newer drover version?)");
  }
  return Status::Ok();
}

Result<v1::Body> BodyOrError(const Result<v1::Envelope>& response) {
  if (!response.ok()) return response.status();
  auto body = ParseBody(*response);
  if (!body.ok()) return body.status();
  if (body->has_error()) {
    return Status(FromErrorCode(body->error().code()), body->error().message());
  }
  return body;
}

v1::ErrorCode ToErrorCode(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return v1::ERROR_CODE_UNSPECIFIED;
    case StatusCode::kInvalidArgument: return v1::ERROR_CODE_INVALID_ARGUMENT;
    case StatusCode::kNotFound: return v1::ERROR_CODE_NOT_FOUND;
    case StatusCode::kPermissionDenied: return v1::ERROR_CODE_PERMISSION_DENIED;
    case StatusCode::kUnauthenticated: return v1::ERROR_CODE_UNAUTHENTICATED;
    case StatusCode::kUnsupported: return v1::ERROR_CODE_UNSUPPORTED;
    case StatusCode::kUnavailable: return v1::ERROR_CODE_UNAVAILABLE;
    case StatusCode::kAlreadyExists: return v1::ERROR_CODE_ALREADY_EXISTS;
    case StatusCode::kResourceExhausted: return v1::ERROR_CODE_RESOURCE_EXHAUSTED;
    case StatusCode::kInternal:
    case StatusCode::kIoError:
    case StatusCode::kTimeout: return v1::ERROR_CODE_INTERNAL;
  }
  return v1::ERROR_CODE_INTERNAL;
}

StatusCode FromErrorCode(v1::ErrorCode code) {
  switch (code) {
    case v1::ERROR_CODE_INVALID_ARGUMENT: return StatusCode::kInvalidArgument;
    case v1::ERROR_CODE_NOT_FOUND: return StatusCode::kNotFound;
    case v1::ERROR_CODE_PERMISSION_DENIED: return StatusCode::kPermissionDenied;
    case v1::ERROR_CODE_UNAUTHENTICATED: return StatusCode::kUnauthenticated;
    case v1::ERROR_CODE_UNSUPPORTED: return StatusCode::kUnsupported;
    case v1::ERROR_CODE_UNAVAILABLE: return StatusCode::kUnavailable;
    case v1::ERROR_CODE_ALREADY_EXISTS: return StatusCode::kAlreadyExists;
    case v1::ERROR_CODE_RESOURCE_EXHAUSTED: return StatusCode::kResourceExhausted;
    default: return StatusCode::kInternal;
  }
}

}  // namespace drover
