// Building and reading Envelopes: the one place that knows how a Body rides inside an Envelope
// and how a Status maps onto the wire's ErrorCode. Edge code only: core headers never include
// protobuf (STYLE.md §6.3).
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "drover/v1/drover.pb.h"

namespace drover {

inline constexpr uint32_t kProtocolVersion = 1;

// An Envelope carrying `body`, version set, no credential.
v1::Envelope MakeEnvelope(const v1::Body& body, uint64_t request_id = 0);
// A response to `request`: same request_id.
v1::Envelope MakeReply(const v1::Envelope& request, const v1::Body& body);
v1::Envelope MakeErrorReply(const v1::Envelope& request, const Status& status);

// Parses the body. InvalidArgument if it does not parse or carries no known kind (a newer
// peer's message): the caller answers with that error.
Result<v1::Body> ParseBody(const v1::Envelope& envelope);
// ParseBody into `body` (which may live on an arena); an Error reply stays a body here.
Status ParseBodyInto(const v1::Envelope& envelope, v1::Body* body);

// A response Body as a Result: its Error (if that is what it is) becomes the Status.
Result<v1::Body> BodyOrError(const Result<v1::Envelope>& response);

v1::ErrorCode ToErrorCode(StatusCode code);
StatusCode FromErrorCode(v1::ErrorCode code);

}  // namespace drover
