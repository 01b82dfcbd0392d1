#include "common/topology_fixtures.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace drover {
namespace {

// MIDR_EL1 values observed in RK3588 boot logs (rk3588-topology.md §1.3).
constexpr uint64_t kCortexA55 = 0x412fd050;  // r2p0
constexpr uint64_t kCortexA76 = 0x414fd0b0;  // r4p0

// An RK3588: cpus 0-3 Cortex-A55, 4-5 and 6-7 two Cortex-A76 clusters.
// `bsp510`: the Rockchip 5.10 kernel makes each cluster a package (observed on the RK1);
// 6.x kernels give one package and cluster ids 0/1/2 (observed on other RK3588 boards).
// Capacities are derived with the kernel formula from capacity-dmips-mhz 530/1024 (§2).
std::vector<FixtureCpu> Rk3588(bool bsp510, uint32_t a55_cap, uint32_t b01_mhz, uint32_t b01_cap,
                               uint32_t b23_mhz, uint32_t b23_cap) {
  std::vector<FixtureCpu> cpus;
  for (uint32_t c = 0; c < 8; ++c) {
    FixtureCpu f;
    f.cpu = c;
    const uint32_t cluster = c < 4 ? 0 : c < 6 ? 1 : 2;
    f.package_id = bsp510 ? cluster : 0;
    f.cluster_id = bsp510 ? -1 : static_cast<int32_t>(cluster);
    f.core_id = c < 4 ? c : (c - 4) % 2;
    f.threads = {c};
    f.midr = c < 4 ? kCortexA55 : kCortexA76;
    f.min_khz = 408000;
    f.max_khz = c < 4 ? 1800000 : (cluster == 1 ? b01_mhz : b23_mhz) * 1000;
    f.capacity = c < 4 ? a55_cap : cluster == 1 ? b01_cap : b23_cap;
    cpus.push_back(f);
  }
  return cpus;
}

// Core i7-1370P (Raptor Lake-P), observed in hwloc's test data (§8.2): six P-cores with two
// threads each (cpus 0-11; the pairs 4-5 and 8-9 boost to 5.2 GHz), eight E-cores (12-19) in
// two clusters of four. No cpu_capacity on that 6.1 kernel.
std::vector<FixtureCpu> IntelHybrid() {
  std::vector<FixtureCpu> cpus;
  for (uint32_t c = 0; c < 20; ++c) {
    FixtureCpu f;
    f.cpu = c;
    if (c < 12) {
      const uint32_t pair = c / 2;
      f.core_id = 4 * pair;
      f.cluster_id = static_cast<int32_t>(8 * pair);
      f.threads = {2 * pair, 2 * pair + 1};
      f.max_khz = pair == 2 || pair == 4 ? 5200000 : 5000000;
      f.base_khz = 1900000;
      f.intel_type = "core";
    } else {
      f.core_id = 24 + (c - 12);
      f.cluster_id = c < 16 ? 48 : 56;
      f.threads = {c};
      f.max_khz = 3900000;
      f.base_khz = 1400000;
      f.intel_type = "atom";
    }
    f.min_khz = 400000;
    cpus.push_back(f);
  }
  return cpus;
}

// A plain x86 desktop: four cores with two threads each; Linux numbers the first threads 0-3
// and their siblings 4-7.
std::vector<FixtureCpu> PlainX86() {
  std::vector<FixtureCpu> cpus;
  for (uint32_t c = 0; c < 8; ++c) {
    FixtureCpu f;
    f.cpu = c;
    f.core_id = c % 4;
    f.threads = {c % 4, c % 4 + 4};
    f.min_khz = 800000;
    f.max_khz = 4200000;
    f.base_khz = 3600000;
    cpus.push_back(f);
  }
  return cpus;
}

std::vector<TopologyFixture> MakeFixtures() {
  std::vector<TopologyFixture> all;
  // MemTotal: the RK1 reports "15 GiB" (sbc-bench); 15.3 GiB is typical of a 16 GB board.
  all.push_back({"rk1", "Turing RK1 (RK3588) on its 5.10 BSP kernel: three packages", "aarch64",
                 "5.10.160-rockchip", "", 16047308, Rk3588(true, 414, 2304, 1024, 2304, 1024), 3, 0});
  all.push_back({"rk3588-6x", "RK3588 on a 6.x kernel: one package, three clusters", "aarch64",
                 "6.1.43-rockchip-rk3588", "", 16047308, Rk3588(false, 397, 2400, 1024, 2400, 1024), 1, 3});
  all.push_back({"rk3588-binned",
                 "binned RK3588 on a 6.x kernel: A76 clusters at 2304 and 2352 MHz (three hwloc kinds)",
                 "aarch64", "6.1.43-7-rk2312", "", 8024052, Rk3588(false, 405, 2304, 1003, 2352, 1024), 1, 3});
  all.push_back({"intel-hybrid", "Intel Core i7-1370P: 6 P-cores (12 threads) + 8 E-cores", "x86_64",
                 "6.1.0-13-amd64", "13th Gen Intel(R) Core(TM) i7-1370P", 32600000, IntelHybrid(), 1, 2});
  all.push_back({"x86", "plain x86: 4 cores, 8 threads", "x86_64", "6.1.0-18-amd64",
                 "Intel(R) Core(TM) i7-7700 CPU @ 3.60GHz", 16311000, PlainX86(), 1, 0});
  return all;
}

// A sysfs CPU mask: hex, 32-bit words separated by commas, the first word as wide as needed
// for `ncpus` (8 CPUs -> "0f", 20 -> "fffff").
std::string Mask(const std::vector<uint32_t>& ids, uint32_t ncpus) {
  const uint32_t words = (ncpus + 31) / 32;
  std::vector<uint32_t> bits(words, 0);
  for (uint32_t id : ids) bits[id / 32] |= 1u << (id % 32);
  std::string out;
  for (uint32_t w = words; w-- > 0;) {
    const uint32_t width = w == words - 1 ? (ncpus - 32 * w + 3) / 4 : 8;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%0*x", static_cast<int>(width), bits[w]);
    out += (out.empty() ? "" : ",") + std::string(buf);
  }
  return out;
}

std::string ArmCpuinfo(const TopologyFixture& f) {
  std::string out;
  char buf[512];
  for (const auto& c : f.cpus) {
    std::snprintf(buf, sizeof buf,
                  "processor\t: %u\nBogoMIPS\t: 48.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 "
                  "atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\nCPU implementer\t: 0x%02x\n"
                  "CPU architecture: 8\nCPU variant\t: 0x%x\nCPU part\t: 0x%03x\nCPU revision\t: %u\n\n",
                  c.cpu, MidrImplementer(c.midr), static_cast<unsigned>((c.midr >> 20) & 0xf), MidrPart(c.midr),
                  static_cast<unsigned>(c.midr & 0xf));
    out += buf;
  }
  return out;
}

std::string X86Cpuinfo(const TopologyFixture& f) {
  std::string out;
  char buf[512];
  for (const auto& c : f.cpus) {
    std::snprintf(buf, sizeof buf,
                  "processor\t: %u\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel name\t: %s\n"
                  "cpu MHz\t\t: %u.000\nphysical id\t: %u\nsiblings\t: %zu\ncore id\t\t: %u\n\n",
                  c.cpu, f.model_name.c_str(), c.max_khz / 1000, c.package_id, f.cpus.size(), c.core_id);
    out += buf;
  }
  return out;
}

}  // namespace

const std::vector<TopologyFixture>& TopologyFixtures() {
  static const std::vector<TopologyFixture> fixtures = MakeFixtures();
  return fixtures;
}

const TopologyFixture* FindTopologyFixture(const std::string& name) {
  for (const auto& f : TopologyFixtures()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string TopologyFixtureNames() {
  std::string out;
  for (const auto& f : TopologyFixtures()) out += (out.empty() ? "" : ", ") + f.name;
  return out;
}

Status WriteFixtureTree(const TopologyFixture& f, FileSystem& fs) {
  const uint32_t n = static_cast<uint32_t>(f.cpus.size());
  const std::string all = "0-" + std::to_string(n - 1) + "\n";
  const std::string base = "/sys/devices/system/cpu";
  auto write = [&](const std::string& path, const std::string& data) { return WriteFileMakingDirs(fs, path, data); };
  for (const char* file : {"online", "possible", "present"}) DROVER_RETURN_IF_ERROR(write(base + "/" + file, all));
  std::map<uint32_t, std::vector<uint32_t>> package_cpus;
  std::map<std::pair<uint32_t, int32_t>, std::vector<uint32_t>> cluster_cpus;
  for (const auto& c : f.cpus) {
    package_cpus[c.package_id].push_back(c.cpu);
    cluster_cpus[{c.package_id, c.cluster_id}].push_back(c.cpu);
  }
  std::vector<uint32_t> core_type[2];
  for (const auto& c : f.cpus) {
    const std::string dir = base + "/cpu" + std::to_string(c.cpu);
    const std::string topo = dir + "/topology/";
    const auto& pkg = package_cpus[c.package_id];
    // Old and new names of the same masks: 5.10 kernels have both, hwloc reads either.
    const std::pair<std::string, std::string> files[] = {
        {"physical_package_id", std::to_string(c.package_id)},
        {"core_id", std::to_string(c.core_id)},
        {"core_siblings", Mask(pkg, n)},
        {"core_siblings_list", FormatCpuList(pkg)},
        {"package_cpus", Mask(pkg, n)},
        {"package_cpus_list", FormatCpuList(pkg)},
        {"thread_siblings", Mask(c.threads, n)},
        {"thread_siblings_list", FormatCpuList(c.threads)},
        {"core_cpus", Mask(c.threads, n)},
        {"core_cpus_list", FormatCpuList(c.threads)},
    };
    for (const auto& [name, value] : files) DROVER_RETURN_IF_ERROR(write(topo + name, value + "\n"));
    if (c.cluster_id >= 0) {
      const auto& cl = cluster_cpus[{c.package_id, c.cluster_id}];
      DROVER_RETURN_IF_ERROR(write(topo + "cluster_id", std::to_string(c.cluster_id) + "\n"));
      DROVER_RETURN_IF_ERROR(write(topo + "cluster_cpus", Mask(cl, n) + "\n"));
      DROVER_RETURN_IF_ERROR(write(topo + "cluster_cpus_list", FormatCpuList(cl) + "\n"));
    }
    if (c.capacity) DROVER_RETURN_IF_ERROR(write(dir + "/cpu_capacity", std::to_string(c.capacity) + "\n"));
    if (c.max_khz) DROVER_RETURN_IF_ERROR(write(dir + "/cpufreq/cpuinfo_max_freq", std::to_string(c.max_khz) + "\n"));
    if (c.min_khz) DROVER_RETURN_IF_ERROR(write(dir + "/cpufreq/cpuinfo_min_freq", std::to_string(c.min_khz) + "\n"));
    if (c.base_khz) DROVER_RETURN_IF_ERROR(write(dir + "/cpufreq/base_frequency", std::to_string(c.base_khz) + "\n"));
    if (c.midr) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%016llx\n", static_cast<unsigned long long>(c.midr));
      DROVER_RETURN_IF_ERROR(write(dir + "/regs/identification/midr_el1", buf));
    }
    if (c.intel_type == "core") core_type[0].push_back(c.cpu);
    if (c.intel_type == "atom") core_type[1].push_back(c.cpu);
  }
  if (!core_type[0].empty()) DROVER_RETURN_IF_ERROR(write("/sys/devices/cpu_core/cpus", FormatCpuList(core_type[0]) + "\n"));
  if (!core_type[1].empty()) DROVER_RETURN_IF_ERROR(write("/sys/devices/cpu_atom/cpus", FormatCpuList(core_type[1]) + "\n"));
  DROVER_RETURN_IF_ERROR(write("/proc/cpuinfo", f.arch == "aarch64" ? ArmCpuinfo(f) : X86Cpuinfo(f)));
  const uint64_t kb = f.mem_total_kb;
  DROVER_RETURN_IF_ERROR(write("/proc/meminfo", "MemTotal:       " + std::to_string(kb) + " kB\nMemFree:        " +
                                                    std::to_string(kb * 8 / 10) + " kB\nMemAvailable:   " +
                                                    std::to_string(kb * 9 / 10) + " kB\n"));
  DROVER_RETURN_IF_ERROR(write("/proc/loadavg", "0.25 0.20 0.15 1/180 4242\n"));
  DROVER_RETURN_IF_ERROR(write("/proc/hwloc-nofile-info",
                               "OSName: Linux\nOSRelease: " + f.kernel + "\nOSVersion: #1 SMP\nHostName: " + f.name +
                                   "\nArchitecture: " + f.arch + "\nFallbackNbProcessors: " + std::to_string(n) +
                                   "\nPageSize: 4096\n"));
  return Status::Ok();
}

TopologyFacts FixtureFacts(const TopologyFixture& f) {
  TopologyFacts facts;
  std::map<uint32_t, uint32_t> core_index;  // first thread -> node-wide core index
  for (const auto& c : f.cpus) {
    const uint32_t first = *std::min_element(c.threads.begin(), c.threads.end());
    core_index.emplace(first, 0);
  }
  uint32_t next = 0;
  for (auto& [first, index] : core_index) index = next++;
  for (const auto& c : f.cpus) {
    CpuFacts cf;
    cf.cpu = c.cpu;
    cf.core = core_index[*std::min_element(c.threads.begin(), c.threads.end())];
    cf.package = c.package_id;
    cf.max_mhz = c.max_khz / 1000;
    cf.capacity = c.capacity;
    cf.midr = c.midr;
    cf.linux_core_type = c.intel_type;
    facts.cpus.push_back(cf);
  }
  facts.packages = f.packages;
  facts.clusters = f.clusters;
  facts.memory_mb = f.mem_total_kb / 1024;
  facts.source = "fixture " + f.name;
  return facts;
}

}  // namespace drover
