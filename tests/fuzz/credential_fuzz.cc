// Fuzzes credential verification (common/credential.h) the way the controller meets it: an
// Envelope off the wire whose credential is checked against the body it carries, with a fixed
// cluster key and a fixed "now". Must never crash, whatever the fields hold.
//
// A fuzzer cannot guess an HMAC, so without help every input would stop at the MAC check. Two bits
// of the request id (which Verify ignores) open the deeper checks: bit 0 re-signs the fields with
// the fixed key, bit 1 sets the payload hash to the body's real hash. Properties checked: a
// credential that verifies is refused the second time (replay cache); one that verifies was signed
// with the fixed key.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/credential.h"
#include "common/credential_proto.h"
#include "drover/v1/drover.pb.h"

namespace {

constexpr int64_t kNowMs = 1'800'000'000'000;  // 2027-01-15

drover::ClusterKey FixedKey() {
  drover::ClusterKey key;
  key.id = 1;
  key.bytes = "drover-fuzz-cluster-key-0123456789abcdef";
  return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  drover::v1::Envelope envelope;
  if (!envelope.ParseFromArray(data, static_cast<int>(size))) return 0;
  drover::CredentialFields fields = drover::CredentialFromProto(envelope.credential());
  const drover::ClusterKey key = FixedKey();
  if ((envelope.request_id() & 2) != 0) fields.payload_sha256 = drover::Sha256(envelope.body());
  if ((envelope.request_id() & 1) != 0) {
    const uint32_t wanted_id = fields.key_id;
    drover::ClusterKey signer = key;
    signer.id = wanted_id;  // an unknown id must still be refused
    drover::SignCredential(signer, fields);
  }

  drover::VerifierOptions options;
  options.max_clock_skew_s = 60;
  options.replay_cache_capacity = 4;
  drover::CredentialVerifier verifier({key}, options);
  const drover::Status first = verifier.Verify(fields, envelope.body(), kNowMs);
  if (first.ok()) {
    if (fields.key_id != key.id) std::abort();
    if (verifier.Verify(fields, envelope.body(), kNowMs).ok()) std::abort();  // replayed
  } else if (first.code() != drover::StatusCode::kUnauthenticated || first.message().empty()) {
    std::abort();
  }
  return 0;
}
