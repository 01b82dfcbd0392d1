// One full scheduling pass (priority, placement by CPU kind, EASY backfill) over synthetic
// clusters: figures for bench/README.md, not assertions (DESIGN.md, testing level 4).
//
// Each cluster is RK1-shaped (4 little + 4 big cores, 15 GB). Half of the cores are busy with
// running jobs ending within 4 hours, so the pass both starts jobs and plans reservations.
// Pending jobs mix 1-8 cores, 1-4 nodes, kind requests and time limits from 5 minutes to a
// day, submitted by 50 users with random past usage. The seed is fixed.
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "ctld/sched/scheduler.h"

namespace drover::sched {
namespace {

constexpr int64_t kNow = 1'700'000'000;

Snapshot MakeCluster(int nodes, int jobs) {
  std::mt19937 rng(5);
  Snapshot s;
  s.now = kNow;
  s.kinds = {"big", "little"};
  Partition p;
  p.name = "batch";
  JobId running_id = 10'000'000;
  for (int i = 0; i < nodes; ++i) {
    Node n;
    n.name = "node" + std::to_string(i + 1);
    n.available = true;
    n.cores = {{"little", {0, 1, 2, 3}}, {"big", {4, 5, 6, 7}}};
    n.memory_total_mb = 15360;
    n.memory_free_mb = 15360;
    n.features = {"rk1"};
    RunningJob r;
    r.id = running_id++;
    r.user = "user" + std::to_string(rng() % 50);
    r.start_time = kNow - 600;
    r.end_time = kNow + 60 * static_cast<int64_t>(1 + rng() % 240);
    Allocation a{n.name, {}, 0, 1};
    for (uint32_t c = 0; c < 8; ++c) {
      if (rng() % 2 == 0) {
        a.core_ids.push_back(c);
      } else {
        n.free_cores.push_back(c);
      }
    }
    a.memory_mb = 512 * a.core_ids.size();
    n.memory_free_mb -= a.memory_mb;
    if (!a.core_ids.empty()) {
      r.nodes.push_back(a);
      s.running.push_back(r);
    }
    p.nodes.push_back(n.name);
    s.nodes.push_back(std::move(n));
  }
  s.partitions.push_back(p);
  const char* kinds[] = {"", "", "", "", "big", "little", "big:2,little:2"};
  const uint32_t limits[] = {5, 15, 30, 60, 120, 240, 720, 1440};
  for (int i = 0; i < jobs; ++i) {
    PendingJob j;
    j.id = static_cast<JobId>(i + 1);
    j.user = "user" + std::to_string(rng() % 50);
    j.partition = "batch";
    j.submit_time = kNow - static_cast<int64_t>(rng() % 86400);
    j.cpus_per_task = 1 + rng() % 4;
    j.cpu_kind = *ParseCpuKind(kinds[rng() % 7]);
    if (rng() % 10 == 0) {
      j.min_nodes = 1 + rng() % 4;
      j.ntasks = j.min_nodes * (1 + rng() % 2);
      j.cpus_per_task = 1 + rng() % 2;
      j.cpu_kind = {};
    }
    j.time_limit_minutes = limits[rng() % 8];
    if (rng() % 5 == 0) j.mem_per_node_mb = 1024 * (1 + rng() % 8);
    s.pending.push_back(std::move(j));
  }
  for (int u = 0; u < 50; ++u) {
    s.usage.push_back({"user" + std::to_string(u), static_cast<double>(rng() % 1'000'000),
                       kNow - 3600});
  }
  return s;
}

void BM_SchedulePass(benchmark::State& state) {
  const Snapshot snap = MakeCluster(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  const Options options;
  size_t starts = 0, reservations = 0;
  for (auto _ : state) {
    Plan plan = Schedule(snap, options);
    starts = plan.starts.size();
    reservations = plan.reservations.size();
    benchmark::DoNotOptimize(plan);
  }
  state.counters["starts"] = static_cast<double>(starts);
  state.counters["reservations"] = static_cast<double>(reservations);
}

// Arguments: nodes, pending jobs. {3, 10000} is the Turing Pi (three RK1 compute nodes).
BENCHMARK(BM_SchedulePass)
    ->Args({3, 10'000})
    ->Args({1'000, 10'000})
    ->Args({1'000, 100'000})
    ->Args({10'000, 10'000})
    ->Args({10'000, 100'000})
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

}  // namespace
}  // namespace drover::sched

BENCHMARK_MAIN();
