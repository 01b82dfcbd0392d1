#include "common/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace drover {
namespace {

constexpr const char* kFile = "test.yaml";

constexpr const char* kFullConfig = R"(cluster: turingpi
controller: {host: node3, address: 10.0.0.3, port: 7900}
state_dir: /srv/drover/state
spool_dir: /srv/drover/spool/%n
log_dir: /var/log/drover
auth_socket: /run/drover/a.sock
key_file: /etc/drover/k.key
tls: {ca: /tls/ca.crt, cert: /tls/%n.crt, key: /tls/%n.key}
timeouts: {heartbeat_interval: 5, node_timeout: 30, kill_wait: 0, idle: 120}
credentials: {ttl: 600, clock_skew: 30}
limits: {max_frame_bytes: 1048576}
scheduling: {default_mem_per_cpu: 1G, min_job_age: 60, allow_root_jobs: true, accounting_retention: 2592000}
nodes:
  - names: node[1-2,4]
    cpus: 8
    memory: 15G
    port: 7900
    address: 127.0.0.1
    features: [rk1, arm64]
  - names: gpu1
    cpus: 4
    memory: 2048
partitions:
  - {name: batch, nodes: "node[1-2,4]", default: true, state: up, max_time: UNLIMITED, default_time: "1:00:00"}
  - name: gpu
    nodes: gpu1,node1
    state: DOWN
    max_time: 2-0
    default_time: 30
)";

// Ignores the result on purpose: error tests assert only the message.
std::string ErrorOf(const std::string& yaml) {
  Result<Config> r = ParseConfig(yaml, kFile);
  EXPECT_FALSE(r.ok()) << "parsed without error:\n" << yaml;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

Config Parse(const std::string& yaml) {
  Result<Config> r = ParseConfig(yaml, kFile);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : Config{};
}

std::string WithNodes(const std::string& rest) {
  return "controller: {host: c}\nnodes:\n  - {names: \"n[1-2]\", cpus: 1, memory: 1G}\n" + rest;
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

TEST(ConfigTest, FullFileParses) {
  Config c = Parse(kFullConfig);
  EXPECT_EQ(c.path, kFile);
  EXPECT_EQ(c.cluster_name, "turingpi");
  EXPECT_EQ(c.controller_host, "node3");
  EXPECT_EQ(c.controller_address, "10.0.0.3");
  EXPECT_EQ(c.controller_port, 7900);
  EXPECT_EQ(c.state_dir, "/srv/drover/state");
  EXPECT_EQ(c.spool_dir, "/srv/drover/spool/%n");
  EXPECT_EQ(c.log_dir, "/var/log/drover");
  EXPECT_EQ(c.auth_socket, "/run/drover/a.sock");
  EXPECT_EQ(c.key_file, "/etc/drover/k.key");
  EXPECT_EQ(c.tls_ca, "/tls/ca.crt");
  EXPECT_EQ(c.tls_cert, "/tls/%n.crt");
  EXPECT_EQ(c.tls_key, "/tls/%n.key");
  EXPECT_EQ(c.heartbeat_interval_s, 5u);
  EXPECT_EQ(c.node_timeout_s, 30u);
  EXPECT_EQ(c.kill_wait_s, 0u);
  EXPECT_EQ(c.idle_timeout_s, 120u);
  EXPECT_EQ(c.credential_ttl_s, 600u);
  EXPECT_EQ(c.clock_skew_s, 30u);
  EXPECT_EQ(c.max_frame_bytes, 1048576u);
  EXPECT_EQ(c.default_mem_per_cpu_mb, 1024u);
  EXPECT_EQ(c.min_job_age_s, 60u);
  EXPECT_EQ(c.accounting_retention_s, 2592000u);
  EXPECT_TRUE(c.allow_root_jobs);

  ASSERT_EQ(c.nodes.size(), 4u);
  EXPECT_EQ(c.nodes[0].name, "node1");
  EXPECT_EQ(c.nodes[1].name, "node2");
  EXPECT_EQ(c.nodes[2].name, "node4");
  EXPECT_EQ(c.nodes[2].cpus, 8u);
  EXPECT_EQ(c.nodes[2].memory_mb, 15u * 1024);
  EXPECT_EQ(c.nodes[2].port, 7900);
  EXPECT_EQ(c.nodes[2].address, "127.0.0.1");
  EXPECT_EQ(c.nodes[2].features, (std::vector<std::string>{"rk1", "arm64"}));
  EXPECT_EQ(c.nodes[3].name, "gpu1");
  EXPECT_EQ(c.nodes[3].address, "gpu1");
  EXPECT_EQ(c.nodes[3].port, kDefaultNodedPort);
  EXPECT_EQ(c.nodes[3].memory_mb, 2048u);
  EXPECT_TRUE(c.nodes[3].features.empty());

  ASSERT_EQ(c.partitions.size(), 2u);
  const PartitionConfig& batch = c.partitions[0];
  EXPECT_EQ(batch.name, "batch");
  EXPECT_EQ(batch.nodes, (std::vector<std::string>{"node1", "node2", "node4"}));
  EXPECT_TRUE(batch.is_default);
  EXPECT_TRUE(batch.up);
  EXPECT_EQ(batch.max_time_minutes, 0u);
  EXPECT_EQ(batch.default_time_minutes, 60u);
  const PartitionConfig& gpu = c.partitions[1];
  EXPECT_EQ(gpu.nodes, (std::vector<std::string>{"gpu1", "node1"}));
  EXPECT_FALSE(gpu.is_default);
  EXPECT_FALSE(gpu.up);
  EXPECT_EQ(gpu.max_time_minutes, 2u * 1440);
  EXPECT_EQ(gpu.default_time_minutes, 30u);
}

TEST(ConfigTest, MinimalFileGetsDefaults) {
  Config c = Parse("controller: {host: node3}\n");
  EXPECT_EQ(c.cluster_name, "drover");
  EXPECT_EQ(c.controller_address, "node3");
  EXPECT_EQ(c.controller_port, kDefaultCtldPort);
  EXPECT_EQ(c.state_dir, "/var/lib/drover");
  EXPECT_EQ(c.log_dir, "");
  EXPECT_EQ(c.heartbeat_interval_s, 10u);
  EXPECT_EQ(c.max_frame_bytes, 16u << 20);
  EXPECT_TRUE(c.nodes.empty());
  EXPECT_TRUE(c.partitions.empty());
  EXPECT_EQ(c.DefaultPartition(), nullptr);
}

TEST(ConfigTest, ShippedExampleParses) {
  Result<Config> r = LoadConfig(std::string(DROVER_SOURCE_DIR) + "/etc/drover.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->cluster_name, "turingpi");
  EXPECT_EQ(r->controller_host, "node3");
  ASSERT_EQ(r->nodes.size(), 3u);
  EXPECT_EQ(r->nodes[2].name, "node4");
  EXPECT_EQ(r->nodes[2].cpus, 8u);
  EXPECT_EQ(r->nodes[2].memory_mb, 15u * 1024);
  ASSERT_NE(r->DefaultPartition(), nullptr);
  EXPECT_EQ(r->DefaultPartition()->name, "batch");
  EXPECT_EQ(r->DefaultPartition()->nodes, (std::vector<std::string>{"node1", "node2", "node4"}));
}

// Keeps the documented example honest.
TEST(ConfigTest, DocumentedExampleParses) {
  std::ifstream in(std::string(DROVER_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in.good());
  std::stringstream doc;
  doc << in.rdbuf();
  const std::string text = doc.str();
  const size_t start = text.find("```yaml\n");
  ASSERT_NE(start, std::string::npos);
  const size_t end = text.find("```", start + 8);
  ASSERT_NE(end, std::string::npos);
  Config c = Parse(text.substr(start + 8, end - start - 8));
  EXPECT_EQ(c.nodes.size(), 3u);
  ASSERT_NE(c.DefaultPartition(), nullptr);
  EXPECT_EQ(c.DefaultPartition()->name, "batch");
}

TEST(ConfigTest, ContentHashIsSha256OfTheBytes) {
  Config c = Parse("controller: {host: c}\n");
  EXPECT_EQ(c.content_hash, "33e3471e700583d7d524da59b0d16da6cb3ee70056bcbfb150e3919c74850b24");
  // A comment changes the bytes and therefore the hash.
  EXPECT_NE(Parse("controller: {host: c}  # x\n").content_hash, c.content_hash);
}

TEST(ConfigTest, BadIntegerNamesFileLineColumnAndKeyPath) {
  EXPECT_EQ(
      ErrorOf("controller: {host: c}\nnodes:\n  - names: n1\n    cpus: eight\n    memory: 1G\n"),
      "test.yaml:4:11: nodes[0].cpus: expected a positive integer, got \"eight\"");
}

TEST(ConfigTest, ZeroCpusIsAnError) {
  EXPECT_EQ(ErrorOf("controller: {host: c}\nnodes:\n  - {names: n1, cpus: 0, memory: 1G}\n"),
            "test.yaml:3:23: nodes[0].cpus: expected a positive integer between 1 and 4294967295, "
            "got \"0\"");
}

TEST(ConfigTest, MemoryAcceptsGrammarOrMegabytes) {
  Config c = Parse(
      "controller: {host: c}\nnodes:\n  - {names: a1, cpus: 1, memory: 16G}\n"
      "  - {names: a2, cpus: 1, memory: 4096}\n  - {names: a3, cpus: 1, memory: 512mb}\n");
  ASSERT_EQ(c.nodes.size(), 3u);
  EXPECT_EQ(c.nodes[0].memory_mb, 16u * 1024);
  EXPECT_EQ(c.nodes[1].memory_mb, 4096u);
  EXPECT_EQ(c.nodes[2].memory_mb, 512u);
}

TEST(ConfigTest, BadOrZeroMemoryIsAnError) {
  const std::string lots =
      ErrorOf("controller: {host: c}\nnodes:\n  - {names: n1, cpus: 1, memory: lots}\n");
  EXPECT_TRUE(StartsWith(lots, "test.yaml:3:34: nodes[0].memory: expected a positive memory size"))
      << lots;
  EXPECT_NE(lots.find("got \"lots\""), std::string::npos) << lots;
  const std::string zero =
      ErrorOf("controller: {host: c}\nnodes:\n  - {names: n1, cpus: 1, memory: 0}\n");
  EXPECT_TRUE(StartsWith(zero, "test.yaml:3:34: nodes[0].memory: ")) << zero;
}

TEST(ConfigTest, MissingRequiredNodeKeys) {
  EXPECT_EQ(ErrorOf("controller: {host: c}\nnodes:\n  - {names: n1, memory: 1G}\n"),
            "test.yaml:3:5: nodes[0].cpus: expected a positive integer (or cores by kind under "
            "\"cores\"), got nothing (the key is missing)");
  EXPECT_TRUE(StartsWith(ErrorOf("controller: {host: c}\nnodes:\n  - {cpus: 1, memory: 1G}\n"),
                         "test.yaml:3:5: nodes[0].names: expected a hostlist"));
  EXPECT_TRUE(StartsWith(ErrorOf("controller: {host: c}\nnodes:\n  - {names: n1, cpus: 1}\n"),
                         "test.yaml:3:5: nodes[0].memory: expected a memory size"));
}

TEST(ConfigTest, ControllerHostIsRequired) {
  EXPECT_EQ(ErrorOf("cluster: x\n"),
            "test.yaml:1:1: controller.host: expected the controller's host name, got nothing "
            "(the key is missing)");
  EXPECT_EQ(ErrorOf("cluster: x\ncontroller:\n  port: 7817\n"),
            "test.yaml:3:3: controller.host: expected the controller's host name, got nothing "
            "(the key is missing)");
  EXPECT_TRUE(StartsWith(ErrorOf("controller: {host: \"\"}\n"),
                         "test.yaml:1:20: controller.host: expected the controller's host name"));
}

TEST(ConfigTest, UnknownTopLevelKeyListsValidOnes) {
  const std::string e = ErrorOf("controller: {host: c}\nsheduling: {}\n");
  EXPECT_TRUE(
      StartsWith(e, "test.yaml:2:1: sheduling: expected one of the keys cluster, controller,"))
      << e;
  EXPECT_NE(e.find("scheduling"), std::string::npos) << e;
  EXPECT_NE(e.find("got unknown key \"sheduling\""), std::string::npos) << e;
}

TEST(ConfigTest, UnknownNestedKeyNamesItsPath) {
  EXPECT_EQ(ErrorOf("controller: {host: c, prot: 1}\n"),
            "test.yaml:1:23: controller.prot: expected one of the keys host, address, port, got "
            "unknown key \"prot\"");
  const std::string e =
      ErrorOf("controller: {host: c}\nnodes:\n  - {names: n1, cpus: 1, memory: 1G, gpus: 1}\n");
  EXPECT_TRUE(
      StartsWith(e, "test.yaml:3:38: nodes[0].gpus: expected one of the keys names, cpus, "))
      << e;
}

TEST(ConfigTest, DuplicateKeyIsAnError) {
  EXPECT_EQ(ErrorOf("controller: {host: c}\ncluster: a\ncluster: b\n"),
            "test.yaml:3:1: cluster: expected each key once, got it again (first at line 2)");
}

TEST(ConfigTest, BadHostlistIsAnError) {
  const std::string e = ErrorOf(
      "controller: {host: c}\nnodes:\n  - names: node[1-2]-ib\n    cpus: 1\n    memory: 1\n");
  EXPECT_TRUE(StartsWith(e,
                         "test.yaml:3:12: nodes[0].names: expected a hostlist such as "
                         "node[1-2,4], got \"node[1-2]-ib\""))
      << e;
  const std::string reversed =
      ErrorOf("controller: {host: c}\nnodes:\n  - {names: \"n[2-1]\", cpus: 1, memory: 1}\n");
  EXPECT_TRUE(StartsWith(reversed, "test.yaml:3:13: nodes[0].names: expected a hostlist"))
      << reversed;
}

TEST(ConfigTest, DuplicateNodeIsAnError) {
  EXPECT_EQ(ErrorOf("controller: {host: c}\nnodes:\n  - {names: \"n[1-3]\", cpus: 1, memory: 1G}\n"
                    "  - {names: n3, cpus: 1, memory: 1G}\n"),
            "test.yaml:4:13: nodes[1].names: expected names not defined before, got \"n3\" again "
            "(first defined at line 3)");
}

TEST(ConfigTest, PartitionNamingUnknownNodeIsAnError) {
  EXPECT_EQ(ErrorOf(WithNodes("partitions:\n  - name: p\n    nodes: n[1-3]\n")),
            "test.yaml:6:12: partitions[0].nodes: expected names of nodes defined under \"nodes\", "
            "got unknown node \"n3\"");
}

TEST(ConfigTest, PartitionBadHostlistIsAnError) {
  EXPECT_TRUE(StartsWith(ErrorOf(WithNodes("partitions:\n  - {name: p, nodes: \"n[1-\"}\n")),
                         "test.yaml:5:22: partitions[0].nodes: expected a hostlist"));
}

TEST(ConfigTest, AtMostOneDefaultPartition) {
  EXPECT_EQ(ErrorOf(WithNodes("partitions:\n  - {name: a, nodes: n1, default: true}\n"
                              "  - {name: b, nodes: n1, default: yes}\n")),
            "test.yaml:6:35: partitions[1].default: expected at most one default partition, got a "
            "second one (the first is at line 5)");
}

TEST(ConfigTest, FirstPartitionIsDefaultWhenNoneIsMarked) {
  Config c = Parse(WithNodes("partitions:\n  - {name: a, nodes: n1}\n  - {name: b, nodes: n2}\n"));
  ASSERT_NE(c.DefaultPartition(), nullptr);
  EXPECT_EQ(c.DefaultPartition()->name, "a");
  EXPECT_TRUE(c.partitions[0].is_default);
  EXPECT_FALSE(c.partitions[1].is_default);
}

TEST(ConfigTest, MarkedDefaultPartitionWins) {
  Config c = Parse(WithNodes(
      "partitions:\n  - {name: a, nodes: n1}\n  - {name: b, nodes: n2, default: true}\n"));
  ASSERT_NE(c.DefaultPartition(), nullptr);
  EXPECT_EQ(c.DefaultPartition()->name, "b");
  EXPECT_FALSE(c.partitions[0].is_default);
}

TEST(ConfigTest, DuplicatePartitionNameIsAnError) {
  EXPECT_EQ(ErrorOf(WithNodes("partitions:\n  - {name: a, nodes: n1}\n  - {name: a, nodes: n2}\n")),
            "test.yaml:6:12: partitions[1].name: expected a partition name not used before, got "
            "\"a\" again");
}

TEST(ConfigTest, PartitionStateAndTimes) {
  EXPECT_EQ(ErrorOf(WithNodes("partitions:\n  - {name: a, nodes: n1, state: closed}\n")),
            "test.yaml:5:33: partitions[0].state: expected up, down, drain or inactive, got "
            "\"closed\"");
  const std::string bad_time =
      ErrorOf(WithNodes("partitions:\n  - {name: a, nodes: n1, max_time: soon}\n"));
  EXPECT_TRUE(StartsWith(bad_time,
                         "test.yaml:5:36: partitions[0].max_time: expected a positive time "
                         "limit: minutes, M:S, H:M:S, D-H, D-H:M, D-H:M:S or UNLIMITED, got "
                         "\"soon\""))
      << bad_time;
  EXPECT_EQ(ErrorOf(WithNodes(
                "partitions:\n  - {name: a, nodes: n1, max_time: 60, default_time: 2:00:00}\n")),
            "test.yaml:5:54: partitions[0].default_time: expected a time no longer than max_time "
            "(1:00:00), got \"2:00:00\"");
  Config c =
      Parse(WithNodes("partitions:\n  - {name: a, nodes: n1, max_time: 1-12, default_time: 90}\n"));
  ASSERT_EQ(c.partitions.size(), 1u);
  EXPECT_EQ(c.partitions[0].max_time_minutes, 36u * 60);
  EXPECT_EQ(c.partitions[0].default_time_minutes, 90u);
}

// A node may describe its cores by kind; `kinds` orders them fastest first.
TEST(ConfigTest, CoresByKindWithKindsList) {
  Config c = Parse(
      "controller: {host: c}\nkinds: [big, little]\nnodes:\n"
      "  - {names: \"rk[1-2]\", cores: {little: \"0-3\", big: \"4-7\"}, memory: 15G}\n"
      "  - {names: x1, cpus: 4, memory: 1G}\n");
  ASSERT_EQ(c.nodes.size(), 3u);
  EXPECT_EQ(c.nodes[0].cpus, 8u);
  ASSERT_EQ(c.nodes[0].cores.size(), 2u);
  EXPECT_EQ(c.nodes[0].cores[0].kind, "little");
  EXPECT_EQ(c.nodes[0].cores[0].cpu_ids, (std::vector<uint32_t>{0, 1, 2, 3}));
  EXPECT_EQ(c.nodes[1].cores[1].kind, "big");
  EXPECT_EQ(c.nodes[1].cores[1].cpu_ids, (std::vector<uint32_t>{4, 5, 6, 7}));
  // `cpus: N` stays the shorthand for N cores of the kind "default".
  ASSERT_EQ(c.nodes[2].cores.size(), 1u);
  EXPECT_EQ(c.nodes[2].cores[0].kind, kDefaultCoreKind);
  EXPECT_EQ(c.nodes[2].cores[0].cpu_ids, (std::vector<uint32_t>{0, 1, 2, 3}));
  EXPECT_EQ(c.cpu_kinds, (std::vector<std::string>{"big", "little", "default"}));
}

// Without `kinds`, a per-kind capacity orders them (highest first), then the name.
TEST(ConfigTest, CoresByKindOrderedByCapacity) {
  Config c = Parse(
      "controller: {host: c}\nnodes:\n"
      "  - names: n1\n    memory: 1G\n    cpus: 8\n    cores:\n"
      "      little: {cpus: \"0-3\", capacity: 414}\n"
      "      big: {cpus: \"4,5,6-7\", capacity: 1024}\n");
  EXPECT_EQ(c.cpu_kinds, (std::vector<std::string>{"big", "little"}));
  EXPECT_EQ(c.nodes[0].cores[1].capacity, 1024u);
  EXPECT_EQ(Parse("controller: {host: c}\nnodes:\n"
                  "  - {names: n1, memory: 1G, cores: {b: \"1\", a: \"0\"}}\n")
                .cpu_kinds,
            (std::vector<std::string>{"a", "b"}));
}

TEST(ConfigTest, BadCoresAreErrors) {
  const std::string head = "controller: {host: c}\nnodes:\n  - {names: n1, memory: 1G, ";
  EXPECT_EQ(ErrorOf(head + "cores: {big: \"4-\"}}\n"),
            "test.yaml:3:42: nodes[0].cores.big: expected CPU ids such as \"0-3\" or "
            "\"0,2,4-7\", got \"4-\"");
  EXPECT_EQ(ErrorOf(head + "cores: {big: \"0-3\", little: \"3-4\"}}\n"),
            "test.yaml:3:57: nodes[0].cores.little: expected CPU ids no other kind has, got CPU 3 "
            "again");
  EXPECT_EQ(ErrorOf(head + "cpus: 4, cores: {big: \"0-7\"}}\n"),
            "test.yaml:3:35: nodes[0].cpus: expected the number of CPU ids under cores (8), got "
            "\"4\"");
  EXPECT_EQ(ErrorOf(head + "cores: {big: {cpus: \"0\", speed: 3}}}\n"),
            "test.yaml:3:54: nodes[0].cores.big.speed: expected one of the keys cpus, capacity, "
            "got unknown key \"speed\"");
  EXPECT_EQ(ErrorOf("controller: {host: c}\nkinds: [big]\nnodes:\n"
                    "  - {names: n1, memory: 1G, cores: {big: \"0\", little: \"1\"}}\n"),
            "test.yaml:2:8: kinds: expected every core kind the nodes use, fastest first, got a "
            "list without \"little\"");
}

// Partitions: the four Slurm states, node limit, allowed users and groups, priority tier.
TEST(ConfigTest, PartitionLimitsAndAccess) {
  Config c = Parse(WithNodes(
      "partitions:\n"
      "  - {name: a, nodes: n1, state: DRAIN, max_nodes: 2, allow_users: [alice, bob],"
      " allow_groups: [hpc], priority_tier: 5}\n"
      "  - {name: b, nodes: n2, state: inactive}\n"
      "  - {name: c, nodes: n2}\n"));
  ASSERT_EQ(c.partitions.size(), 3u);
  const PartitionConfig& a = c.partitions[0];
  EXPECT_EQ(a.state, PartitionState::kDrain);
  EXPECT_TRUE(a.up);  // drain still starts the queued jobs
  EXPECT_EQ(a.max_nodes, 2u);
  EXPECT_EQ(a.allow_users, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(a.allow_groups, (std::vector<std::string>{"hpc"}));
  EXPECT_EQ(a.priority_tier, 5u);
  EXPECT_EQ(c.partitions[1].state, PartitionState::kInactive);
  EXPECT_FALSE(c.partitions[1].up);
  EXPECT_EQ(c.partitions[2].state, PartitionState::kUp);
  EXPECT_EQ(c.partitions[2].max_nodes, 0u);
  EXPECT_TRUE(c.partitions[2].allow_users.empty());
  EXPECT_EQ(ErrorOf(WithNodes("partitions:\n  - {name: a, nodes: n1, max_nodes: 0}\n")),
            "test.yaml:5:37: partitions[0].max_nodes: expected a positive integer between 1 and "
            "4294967295, got \"0\"");
  EXPECT_EQ(ErrorOf(WithNodes("partitions:\n  - {name: a, nodes: n1, allow_users: alice}\n")),
            "test.yaml:5:39: partitions[0].allow_users: expected a list of a user name, got "
            "\"alice\"");
}

// Scheduling gains priority weights, the fair-share half-life and backfill settings.
TEST(ConfigTest, SchedulingPriorityAndBackfill) {
  Config d = Parse("controller: {host: c}\n");
  EXPECT_EQ(d.priority_weight_fairshare, 10000u);
  EXPECT_EQ(d.fairshare_half_life_s, 7u * 24 * 3600);
  EXPECT_TRUE(d.backfill);
  EXPECT_EQ(d.reservations, 1u);
  Config c = Parse(
      "controller: {host: c}\nscheduling: {priority_weight_age: 1, priority_weight_fairshare: 2,"
      " priority_weight_job_size: 3, priority_weight_partition: 4, priority_max_age: 3600,"
      " fairshare_half_life: 86400, backfill: false, reservations: 3}\n");
  EXPECT_EQ(c.priority_weight_age, 1u);
  EXPECT_EQ(c.priority_weight_fairshare, 2u);
  EXPECT_EQ(c.priority_weight_job_size, 3u);
  EXPECT_EQ(c.priority_weight_partition, 4u);
  EXPECT_EQ(c.priority_max_age_s, 3600u);
  EXPECT_EQ(c.fairshare_half_life_s, 86400u);
  EXPECT_FALSE(c.backfill);
  EXPECT_EQ(c.reservations, 3u);
  EXPECT_TRUE(StartsWith(ErrorOf("controller: {host: c}\nscheduling: {reservations: 0}\n"),
                         "test.yaml:2:28: scheduling.reservations: expected a positive integer"));
}

// The event passes' depth and threshold: positive integers, today's values by default.
TEST(ConfigTest, SchedulingEventPassLimits) {
  Config d = Parse("controller: {host: c}\n");
  EXPECT_EQ(d.event_pass_depth, 200u);
  EXPECT_EQ(d.event_pass_threshold, 800u);
  Config c = Parse("controller: {host: c}\nscheduling: {event_pass_depth: 50, event_pass_threshold: 5000}\n");
  EXPECT_EQ(c.event_pass_depth, 50u);
  EXPECT_EQ(c.event_pass_threshold, 5000u);
  EXPECT_EQ(ErrorOf("controller: {host: c}\nscheduling: {event_pass_depth: 0}\n"),
            "test.yaml:2:32: scheduling.event_pass_depth: expected a positive integer between 1 and 100000000, "
            "got \"0\"");
  EXPECT_TRUE(StartsWith(ErrorOf("controller: {host: c}\nscheduling: {event_pass_depth: -5}\n"),
                         "test.yaml:2:32: scheduling.event_pass_depth: expected a positive integer, got \"-5\""));
  EXPECT_TRUE(StartsWith(ErrorOf("controller: {host: c}\nscheduling: {event_pass_threshold: 1.5}\n"),
                         "test.yaml:2:36: scheduling.event_pass_threshold: expected a positive integer, got \"1.5\""));
  EXPECT_TRUE(StartsWith(ErrorOf("controller: {host: c}\nscheduling: {event_pass_threshold: many}\n"),
                         "test.yaml:2:36: scheduling.event_pass_threshold: expected a positive integer"));
  EXPECT_TRUE(StartsWith(ErrorOf("controller: {host: c}\nscheduling: {event_pass_depth: 100000001}\n"),
                         "test.yaml:2:32: scheduling.event_pass_depth: expected a positive integer between 1"));
}

// topology_policy: strict (default), config or hardware; anything else names FILE:LINE:COL.
TEST(ConfigTest, TopologyPolicy) {
  EXPECT_EQ(Parse("controller: {host: c}\n").topology_policy, TopologyPolicy::kStrict);
  EXPECT_EQ(Parse("controller: {host: c}\ntopology_policy: config\n").topology_policy, TopologyPolicy::kConfig);
  EXPECT_EQ(Parse("controller: {host: c}\ntopology_policy: Hardware\n").topology_policy, TopologyPolicy::kHardware);
  EXPECT_TRUE(StartsWith(ErrorOf("controller: {host: c}\ntopology_policy: loose\n"),
                         "test.yaml:2:18: topology_policy: expected strict, config or hardware"))
      << ErrorOf("controller: {host: c}\ntopology_policy: loose\n");
  EXPECT_STREQ(TopologyPolicyName(TopologyPolicy::kConfig), "config");
}

TEST(ConfigTest, DurationsAreIntegerSeconds) {
  Config c = Parse("controller: {host: c}\ntimeouts: {kill_wait: 30}\ncredentials: {ttl: 45}\n");
  EXPECT_EQ(c.kill_wait_s, 30u);
  EXPECT_EQ(c.credential_ttl_s, 45u);
  EXPECT_EQ(
      ErrorOf("controller: {host: c}\ntimeouts: {kill_wait: \"1:00\"}\n"),
      "test.yaml:2:23: timeouts.kill_wait: expected a non-negative integer number of seconds, "
      "got \"1:00\"");
  EXPECT_EQ(
      ErrorOf("controller: {host: c}\ncredentials: {ttl: 0}\n"),
      "test.yaml:2:20: credentials.ttl: expected a positive integer number of seconds between "
      "1 and 4294967295, got \"0\"");
}

TEST(ConfigTest, NodeTimeoutMustExceedHeartbeat) {
  EXPECT_EQ(
      ErrorOf("controller: {host: c}\ntimeouts: {heartbeat_interval: 10, node_timeout: 10}\n"),
      "test.yaml:2:50: timeouts.node_timeout: expected node_timeout (10) greater than "
      "heartbeat_interval (10), got \"10\"");
}

TEST(ConfigTest, WrongShapesAreErrors) {
  EXPECT_EQ(ErrorOf("controller: {host: c}\nnodes: n1\n"),
            "test.yaml:2:8: nodes: expected a list of node entries, got \"n1\"");
  EXPECT_EQ(ErrorOf("controller: node3\n"),
            "test.yaml:1:13: controller: expected a mapping with keys host, address, port, got "
            "\"node3\"");
  // The key list grows with the schema; its start and the shape found are what matter here.
  const std::string doc = ErrorOf("- a\n- b\n");
  EXPECT_EQ(doc.rfind("test.yaml:1:1: document: expected a mapping with keys cluster, controller, ", 0), 0u) << doc;
  EXPECT_NE(doc.find(", got a list"), std::string::npos) << doc;
  EXPECT_EQ(ErrorOf("controller: {host: c}\nscheduling: {allow_root_jobs: maybe}\n"),
            "test.yaml:2:31: scheduling.allow_root_jobs: expected true or false, got \"maybe\"");
  EXPECT_EQ(ErrorOf("controller: {host: c}\nstate_dir:\n"),
            "test.yaml:2:1: state_dir: expected a path, got an empty value");
}

TEST(ConfigTest, KeyRotationOperatorsAndPrivacy) {
  Config c = Parse("controller: {host: c}\nnext_key_file: /etc/drover/cluster.key.new\n"
                   "operators: [alice, bob]\nprivate_jobs: true\n");
  EXPECT_EQ(c.next_key_file, "/etc/drover/cluster.key.new");
  EXPECT_EQ(c.operators, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_TRUE(c.private_jobs);
  EXPECT_NE(ErrorOf("controller: {host: c}\noperators: alice\n").find("operators"), std::string::npos);
}

TEST(ConfigTest, EmptyLogDirMeansStderr) {
  EXPECT_EQ(Parse("controller: {host: c}\nlog_dir: \"\"\n").log_dir, "");
  EXPECT_EQ(Parse("controller: {host: c}\nlog_dir:\n").log_dir, "");
}

TEST(ConfigTest, YamlSyntaxErrorHasPosition) {
  const std::string e = ErrorOf("controller: {host: c}\nnodes: [a\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml:3:1: document: expected valid YAML, got ")) << e;
  EXPECT_TRUE(StartsWith(ErrorOf("controller: {host: c}\ncluster: *nope\n"), "test.yaml:2:10: "));
}

TEST(ConfigTest, EmptyAndMultiDocumentFilesAreErrors) {
  EXPECT_EQ(ErrorOf(""),
            "test.yaml:1:1: document: expected a mapping of configuration keys, got an empty "
            "document");
  EXPECT_EQ(ErrorOf("# only a comment\n"),
            "test.yaml:1:1: document: expected a mapping of configuration keys, got an empty "
            "document");
  EXPECT_TRUE(
      StartsWith(ErrorOf("controller: {host: c}\n---\ncluster: x\n"), "test.yaml:3:1: document: "));
}

// Every message has the shape "FILE:LINE:COL: key.path: expected ..., got ...".
TEST(ConfigTest, AllErrorsShareOneShape) {
  const std::regex shape(R"(^test\.yaml:[0-9]+:[0-9]+: [a-z_\[\]0-9.]+: expected .*, got .*)");
  const std::vector<std::string> inputs = {
      "",
      "controller: {host: c}\nnodes: [a\n",
      "controller: {host: c}\ncluster: \"has space\"\n",
      "controller: {host: c, port: 0}\n",
      "controller: {host: c, port: 65536}\n",
      "controller: {host: c}\ntls: {ca: [a]}\n",
      "controller: {host: c}\nlimits: {max_frame_bytes: 10}\n",
      "controller: {host: c}\nscheduling: {default_mem_per_cpu: 1X}\n",
      "controller: {host: c}\nnodes:\n  - {names: n1, cpus: 1, memory: 1, features: rk1}\n",
      "controller: {host: c}\nnodes:\n  - {names: n1, cpus: 1, memory: 1, features: [\"a b\"]}\n",
      "controller: {host: c}\nnodes:\n  - {names: \"n%1\", cpus: 1, memory: 1}\n",
      "controller: {host: c}\nnodes:\n  - {names: n1, cpus: -1, memory: 1}\n",
      "controller: {host: c}\nnodes:\n  - n1\n",
      "controller: {host: c}\npartitions:\n  - {name: p}\n",
      "controller: {host: c}\npartitions:\n  - {name: p, nodes: \"\"}\n",
      "controller: {host: c}\npartitions: {name: p}\n",
      WithNodes("partitions:\n  - {name: p, nodes: \"n1,n1\"}\n"),
      WithNodes("partitions:\n  - {name: p, nodes: n1, max_time: 0}\n"),
      WithNodes("partitions:\n  - {name: p, nodes: n1, max_time: 60, default_time: UNLIMITED}\n"),
  };
  for (const std::string& input : inputs) {
    const std::string e = ErrorOf(input);
    EXPECT_TRUE(std::regex_search(e, shape)) << "input:\n" << input << "\nmessage: " << e;
  }
}

TEST(ConfigTest, LoadConfigReadsFileAndHashesBytes) {
  char dir_template[] = "/tmp/drover_config_test.XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string path = std::string(dir_template) + "/drover.yaml";
  {
    std::ofstream out(path, std::ios::binary);
    out << "controller: {host: c}\n";
  }
  Result<Config> r = LoadConfig(path);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->path, path);
  EXPECT_EQ(r->content_hash, "33e3471e700583d7d524da59b0d16da6cb3ee70056bcbfb150e3919c74850b24");

  {
    std::ofstream out(path, std::ios::binary);
    out << "controller: {host: c}\nnodes: x\n";
  }
  Result<Config> bad = LoadConfig(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(StartsWith(bad.status().message(), path + ":2:8: nodes: ")) << bad.status().message();

  std::remove(path.c_str());
  rmdir(dir_template);
}

TEST(ConfigTest, LoadConfigMissingFileNamesThePath) {
  Result<Config> r = LoadConfig("/nonexistent/drover/drover.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("/nonexistent/drover/drover.yaml"), std::string::npos);
}

TEST(ConfigTest, ResolveConfigPathPrecedence) {
  const char* saved = getenv("DROVER_CONF");
  const std::string saved_value = saved != nullptr ? saved : "";

  unsetenv("DROVER_CONF");
  EXPECT_EQ(ResolveConfigPath(std::nullopt), "/etc/drover/drover.yaml");
  EXPECT_EQ(ResolveConfigPath(std::string("/flag.yaml")), "/flag.yaml");

  setenv("DROVER_CONF", "/env.yaml", 1);
  EXPECT_EQ(ResolveConfigPath(std::nullopt), "/env.yaml");
  EXPECT_EQ(ResolveConfigPath(std::string("/flag.yaml")), "/flag.yaml");
  // An empty flag counts as not given.
  EXPECT_EQ(ResolveConfigPath(std::string("")), "/env.yaml");

  setenv("DROVER_CONF", "", 1);
  EXPECT_EQ(ResolveConfigPath(std::nullopt), "/etc/drover/drover.yaml");

  if (saved != nullptr) {
    setenv("DROVER_CONF", saved_value.c_str(), 1);
  } else {
    unsetenv("DROVER_CONF");
  }
}

TEST(ConfigTest, ForHostSubstitutesEveryPercentN) {
  EXPECT_EQ(Config::ForHost("/etc/drover/tls/%n.crt", "node1"), "/etc/drover/tls/node1.crt");
  EXPECT_EQ(Config::ForHost("/a/%n/%n", "x"), "/a/x/x");
  EXPECT_EQ(Config::ForHost("/plain", "x"), "/plain");
  EXPECT_EQ(Config::ForHost("/end%", "x"), "/end%");
}

TEST(ConfigTest, FindersOnAHandBuiltConfig) {
  Config c;
  NodeConfig n;
  n.name = n.address = "n1";
  n.cpus = 1;
  n.memory_mb = 1;
  c.nodes.push_back(n);
  for (const char* name : {"a", "b"}) {
    PartitionConfig p;
    p.name = name;
    p.nodes = {"n1"};
    c.partitions.push_back(p);
  }
  ASSERT_NE(c.FindNode("n1"), nullptr);
  EXPECT_EQ(c.FindNode("n2"), nullptr);
  ASSERT_NE(c.FindPartition("b"), nullptr);
  EXPECT_EQ(c.FindPartition("b")->name, "b");
  EXPECT_EQ(c.FindPartition("z"), nullptr);
  // None marked: the first one is the default, as the parser decides.
  EXPECT_EQ(c.DefaultPartition()->name, "a");
  c.partitions[1].is_default = true;
  EXPECT_EQ(c.DefaultPartition()->name, "b");
}

}  // namespace
}  // namespace drover

namespace drover {
namespace {

TEST(ConfigCgroupsTest, DefaultsConfineWithCgroupsAndRunNoScripts) {
  Config c = Parse("controller: {host: c}\n");
  EXPECT_TRUE(c.cgroups_enabled);
  EXPECT_EQ(c.cgroup_root, "");
  EXPECT_EQ(c.cgroup_parent, "auto");
  EXPECT_EQ(c.cgroup_pids_limit, 0u);
  EXPECT_EQ(c.prolog, "");
  EXPECT_EQ(c.epilog, "");
  EXPECT_EQ(c.prolog_timeout_s, 60u);
}

TEST(ConfigCgroupsTest, ReadsCgroupsPrologAndEpilog) {
  Config c = Parse(
      "controller: {host: c}\n"
      "cgroups: {enabled: false, root: /sys/fs/cgroup, parent: drover/test-1, pids_limit: 512}\n"
      "prolog: /etc/drover/prolog.sh\n"
      "epilog: /etc/drover/epilog.sh\n"
      "prolog_timeout: 120\n");
  EXPECT_FALSE(c.cgroups_enabled);
  EXPECT_EQ(c.cgroup_root, "/sys/fs/cgroup");
  EXPECT_EQ(c.cgroup_parent, "drover/test-1");
  EXPECT_EQ(c.cgroup_pids_limit, 512u);
  EXPECT_EQ(c.prolog, "/etc/drover/prolog.sh");
  EXPECT_EQ(c.epilog, "/etc/drover/epilog.sh");
  EXPECT_EQ(c.prolog_timeout_s, 120u);
}

TEST(ConfigCgroupsTest, BadValuesNameFileLineAndColumn) {
  EXPECT_EQ(ErrorOf("controller: {host: c}\nprolog: scripts/prolog.sh\n"),
            "test.yaml:2:9: prolog: expected an absolute path to a script, or \"\" for none, got \"scripts/prolog.sh\"");
  EXPECT_EQ(ErrorOf("controller: {host: c}\nepilog: [a]\n"),
            "test.yaml:2:9: epilog: expected an absolute path to a script, or \"\" for none, got a list");
  EXPECT_NE(ErrorOf("controller: {host: c}\nprolog_timeout: 0\n").find("test.yaml:2:17: prolog_timeout: expected"),
            std::string::npos);
  EXPECT_NE(ErrorOf("controller: {host: c}\ncgroups: {parent: ../escape}\n").find("test.yaml:2:19: cgroups.parent: expected auto, or a relative cgroup path"),
            std::string::npos);
  EXPECT_NE(ErrorOf("controller: {host: c}\ncgroups: {parent: /abs}\n").find("cgroups.parent: expected"), std::string::npos);
  EXPECT_NE(ErrorOf("controller: {host: c}\ncgroups: {root: rel}\n").find("test.yaml:2:17: cgroups.root: expected an absolute path"),
            std::string::npos);
  EXPECT_NE(ErrorOf("controller: {host: c}\ncgroups: {enable: true}\n").find("test.yaml:2:"), std::string::npos);
  EXPECT_NE(ErrorOf("controller: {host: c}\ncgroups: {pids_limit: many}\n").find("cgroups.pids_limit: expected a number of processes"),
            std::string::npos);
}

}  // namespace
}  // namespace drover
