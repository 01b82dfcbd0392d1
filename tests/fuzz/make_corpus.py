#!/usr/bin/env python3
"""Regenerates the binary seed files of the fuzz corpus (envelope_fuzz, credential_fuzz,
frame_fuzz) with protoc --encode; the text seeds (hostlist, config, directives) are written by
hand. Credentials are signed as src/common/credential.cc signs them, with credential_fuzz.cc's
fixed key and at its fixed "now". Run from anywhere: python3 tests/fuzz/make_corpus.py"""
import hashlib
import hmac
import os
import struct
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
FZ = os.path.join(ROOT, 'tests', 'fuzz', 'corpus')
def encode(msg, text):
    return subprocess.run(['protoc', '--encode=drover.v1.' + msg, '-I', ROOT + '/proto',
                           ROOT + '/proto/drover/v1/drover.proto'], input=text.encode(),
                          capture_output=True, check=True).stdout
def esc(b):
    return ''.join('\\%03o' % c for c in b)
def write(target, name, data):
    open(f'{FZ}/{target}/{name}', 'wb').write(data)

bodies = {
  'submit_job': 'submit_job { spec { name: "hello" script: "#!/bin/sh\\n#SBATCH -n 2\\nhostname\\n" work_dir: "/home/alice" min_nodes: 1 max_nodes: 1 ntasks: 2 partition: "batch" submit_host: "node3" environment { name: "PATH" value: "/usr/bin:/bin" } cpu_kind: "big" } }',
  'heartbeat': 'heartbeat { name: "node1" running_job_ids: 4 running_job_ids: 7 load: 0.5 free_memory_mb: 12000 }',
  'register_node': 'register_node { name: "node2" cpus: 8 memory_mb: 15360 config_hash: "3f2a" running_job_ids: 12 version: "0.1.0" }',
  'cancel_job': 'cancel_job { job_ids: 17 job_ids: 18 signal: 10 }',
  'query_jobs': 'query_jobs { users: "alice" partitions: "batch" states: JOB_STATE_RUNNING include_finished: true }',
  'error': 'error { code: ERROR_CODE_PERMISSION_DENIED message: "not your job" }',
}
enc = {k: encode('Body', v) for k, v in bodies.items()}
for k, b in enc.items():
    write('envelope_fuzz', k, encode('Envelope', f'version: 1 request_id: 42 body: "{esc(b)}"'))
write('envelope_fuzz', 'empty_body', encode('Envelope', 'version: 1 request_id: 1'))
write('envelope_fuzz', 'future_version', encode('Envelope', f'version: 2 request_id: 9 body: "{esc(enc["heartbeat"])}"'))
# An unknown body field (a newer peer's request kind, field 99).
write('envelope_fuzz', 'unknown_kind', encode('Envelope', 'version: 1 request_id: 3 body: "\\232\\006\\000"'))

# Credentials, signed as common/credential.cc does with the fuzz target's fixed key.
KEY = b'drover-fuzz-cluster-key-0123456789abcdef'
NOW = 1_800_000_000_000
def u32f(v): return struct.pack('>II', 4, v)
def u64f(v): return struct.pack('>IQ', 8, v & 0xffffffffffffffff)
def bf(b): return struct.pack('>I', len(b)) + b
def mac(key_id, uid, gid, groups, host, issued, ttl, nonce, ph):
    m = bf(b'drover-cred-v1') + u32f(key_id) + u32f(uid) + u32f(gid) + u32f(len(groups))
    for g in groups: m += u32f(g)
    m += bf(host) + u64f(issued) + u32f(ttl) + bf(nonce) + bf(ph)
    return hmac.new(KEY, m, hashlib.sha256).digest()
def cred_env(name, body, request_id=4, key_id=1, uid=1000, gid=1000, groups=(1000, 27),
             host=b'node3', issued=NOW - 2000, ttl=300, nonce=bytes(range(16)), ph=None,
             tamper=False):
    if ph is None: ph = hashlib.sha256(body).digest()
    m = mac(key_id, uid, gid, list(groups), host, issued, ttl, nonce, ph)
    if tamper: uid = 0
    g = ' '.join(f'groups: {x}' for x in groups)
    text = (f'version: 1 request_id: {request_id} credential {{ uid: {uid} gid: {gid} {g} '
            f'host: "{host.decode()}" issued_at_ms: {issued} ttl_seconds: {ttl} nonce: "{esc(nonce)}" '
            f'payload_sha256: "{esc(ph)}" mac: "{esc(m)}" key_id: {key_id} }} body: "{esc(body)}"')
    write('credential_fuzz', name, encode('Envelope', text))
b = enc['submit_job']
cred_env('valid', b)
cred_env('valid_root', enc['cancel_job'], uid=0, gid=0, groups=())
cred_env('tampered_uid', b, tamper=True)
cred_env('expired', b, issued=NOW - 3_600_000)
cred_env('future', b, issued=NOW + 600_000)
cred_env('wrong_payload', b, ph=hashlib.sha256(b'other').digest())
cred_env('unknown_key_id', b, key_id=2)
cred_env('resign_me', b, request_id=3, issued=NOW, ttl=60)
# Signed by whoever holds the key, issued at INT64_MIN: overflowed the expiry arithmetic.
cred_env('issued_before_1970', b, request_id=1, issued=-2**63, ttl=1)
write('credential_fuzz', 'no_credential', encode('Envelope', f'version: 1 request_id: 1 body: "{esc(b)}"'))

# Frames: [chunk-1][limit bit][stream].
def frame(p): return struct.pack('>I', len(p)) + p
env = open(f'{FZ}/envelope_fuzz/heartbeat', 'rb').read()
write('frame_fuzz', 'one_envelope', b'\xff\x00' + frame(env))
write('frame_fuzz', 'two_frames_bytewise', b'\x00\x00' + frame(b'hello') + frame(b'') + frame(b'world'))
write('frame_fuzz', 'truncated', b'\x07\x00' + frame(b'0123456789')[:9])
write('frame_fuzz', 'over_small_limit', b'\x03\x01' + frame(b'ok') + struct.pack('>I', 1000) + b'xxxx')
write('frame_fuzz', 'huge_length', b'\x10\x00' + b'\xff\xff\xff\xff' + b'junk')
write('frame_fuzz', 'partial_header', b'\x01\x00\x00\x00')
