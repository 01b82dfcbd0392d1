// Fuzzes the first thing a daemon does with a frame: parse it as a v1::Envelope, then the Body
// inside it (common/envelope.h), and answer an error. Must never crash; a body that parses must
// survive a serialize/parse round trip with the same kind.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/envelope.h"
#include "drover/v1/drover.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  drover::v1::Envelope envelope;
  if (!envelope.ParseFromArray(data, static_cast<int>(size))) return 0;
  drover::Result<drover::v1::Body> body = drover::ParseBody(envelope);
  if (!body.ok()) {
    // What the server answers with; must be buildable from any request.
    const drover::v1::Envelope reply = drover::MakeErrorReply(envelope, body.status());
    if (reply.request_id() != envelope.request_id()) std::abort();
    return 0;
  }
  if (body->kind_case() == drover::v1::Body::KIND_NOT_SET) std::abort();
  const drover::v1::Envelope again = drover::MakeReply(envelope, *body);
  drover::Result<drover::v1::Body> reparsed = drover::ParseBody(again);
  if (!reparsed.ok() || reparsed->kind_case() != body->kind_case()) std::abort();
  // A client reading this as a response maps an Error body to a Status.
  drover::Result<drover::v1::Body> as_response = drover::BodyOrError(again);
  if (as_response.ok() == body->has_error()) std::abort();
  return 0;
}
