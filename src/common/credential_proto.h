// Conversions between a credential on the wire (v1::Credential) and the pure form that
// credential.h signs and verifies. Edge code: no asio, so the fuzz targets can use it too.
#pragma once

#include "common/credential.h"

namespace drover::v1 {
class Credential;
}

namespace drover {

CredentialFields CredentialFromProto(const v1::Credential& c);
void CredentialToProto(const CredentialFields& f, v1::Credential* out);

}  // namespace drover
