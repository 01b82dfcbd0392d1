#include "common/credential_proto.h"

#include "drover/v1/drover.pb.h"

namespace drover {

CredentialFields CredentialFromProto(const v1::Credential& c) {
  CredentialFields f;
  f.uid = c.uid();
  f.gid = c.gid();
  f.groups.assign(c.groups().begin(), c.groups().end());
  f.host = c.host();
  f.issued_at_ms = c.issued_at_ms();
  f.ttl_seconds = c.ttl_seconds();
  f.nonce = c.nonce();
  f.payload_sha256 = c.payload_sha256();
  f.key_id = c.key_id();
  f.mac = c.mac();
  return f;
}

void CredentialToProto(const CredentialFields& f, v1::Credential* out) {
  out->Clear();
  out->set_uid(f.uid);
  out->set_gid(f.gid);
  for (uint32_t g : f.groups) out->add_groups(g);
  out->set_host(f.host);
  out->set_issued_at_ms(f.issued_at_ms);
  out->set_ttl_seconds(f.ttl_seconds);
  out->set_nonce(f.nonce);
  out->set_payload_sha256(f.payload_sha256);
  out->set_key_id(f.key_id);
  out->set_mac(f.mac);
}

}  // namespace drover
