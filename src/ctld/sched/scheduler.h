// The scheduler core: a pure function from a Snapshot of the cluster to a Plan.
//
// No I/O, no clock, no logging, no protobuf (STYLE.md §6.2): the controller copies its state
// into a Snapshot (types.h), calls Schedule, starts the Plan's jobs on exactly the cores it
// names, and shows the waits' reasons and the reservations. Same input, same output: every
// tie is broken by job id or node order.
//
// One pass:
//  1. Every pending job gets a priority (priority.h); jobs are taken highest first.
//  2. A job that may not run now for a reason of its own waits with Slurm's reason, checked in
//     this order: JobHeldAdmin, JobHeldUser, Dependency, BeginTime, PartitionConfig (unknown
//     partition, user or groups not allowed), PartitionDown, PartitionInactive,
//     PartitionTimeLimit, PartitionNodeLimit, ReqNodeNotAvail (a --nodelist node down or not
//     in the partition). Such jobs hold nothing back.
//  3. Otherwise it starts if it fits now: consumable cores by kind (types.h) and memory, on
//     the job's required nodes and then the nodes where its cores come from the fastest kind,
//     in partition order. With --nodes=min-max the most nodes that fit now are tried first,
//     then the minimum. Memory is --mem, else --mem-per-cpu x cores, else the configured
//     default per core (never the whole node, except for --exclusive without a memory
//     request). Tasks are laid out in block distribution (CONTRACT.md §8.2).
//  4. A job that does not fit waits. The first Options::reservations such jobs get a
//     reservation (backfill.h): the earliest start if running jobs end at their time limits.
//     Every later start, of any priority, must not delay those (EASY backfill). The first
//     waiting job of a partition waits for Resources, the ones behind it for Priority;
//     ReqNodeNotAvail when too few available nodes could ever hold it.
// Schedule is thread-compatible: it reads the snapshot and returns a new value.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "ctld/sched/types.h"

namespace drover::sched {

// Parses --cpu-kind: "" or "any", a kind name ("big"), or per-kind counts ("big:2,little:4").
// InvalidArgument for malformed text; unknown kind names are CheckFeasible's business.
Result<CpuKindRequest> ParseCpuKind(const std::string& text);

// One scheduling pass. See the file comment.
Plan Schedule(const Snapshot& snapshot, const Options& options);

// Whether `job` could ever run in its partition as configured, with every node idle and
// available. InvalidArgument with a message that says what to change otherwise (unknown
// partition or kind, partition draining or inactive, user not allowed, time or node limit,
// more cores of a kind or memory than any node has, features no node has). Reads only
// snapshot.kinds, nodes (their cores, memory and features) and partitions.
Status CheckFeasible(const PendingJob& job, const Snapshot& snapshot, const Options& options);

// SLURM_TASKS_PER_NODE for an allocation: "2(x3),1" (CONTRACT.md §8.2).
std::string TasksPerNode(const std::vector<Allocation>& nodes);

}  // namespace drover::sched
