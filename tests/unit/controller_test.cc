#include "ctld/controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/units.h"

namespace drover::ctld {
namespace {

using std::chrono::seconds;

class ControllerTest : public testing::Test {
 protected:
  ControllerTest() {
    config_.content_hash = "0123456789abcdef";
    config_.cluster_name = "testcluster";
    config_.controller_host = "node3";
    config_.heartbeat_interval_s = 10;
    config_.node_timeout_s = 60;
    config_.min_job_age_s = 300;
    config_.default_mem_per_cpu_mb = 512;
    config_.nodes = {Node("node1", 4, 8000), Node("node2", 4, 8000), Node("node4", 8, 16000)};
    PartitionConfig batch;
    batch.name = "batch";
    batch.nodes = {"node1", "node2", "node4"};
    batch.is_default = true;
    batch.max_time_minutes = 60;
    config_.partitions = {batch};
  }

  static NodeConfig Node(const std::string& name, uint32_t cpus, uint64_t memory_mb) {
    NodeConfig n;
    n.name = name;
    n.address = name;
    n.cpus = cpus;
    n.memory_mb = memory_mb;
    return n;
  }

  // Whatever a test did, the scheduler's view the controller keeps up to date as jobs change
  // must equal one built from its jobs now.
  void TearDown() override {
    if (controller_) {
      Status view = controller_->CheckSchedulerView();
      EXPECT_TRUE(view.ok()) << view.message();
    }
  }

  // The controller is built on first use so that a test may adjust config_ before.
  Controller& ctl() {
    if (!controller_) controller_ = std::make_unique<Controller>(config_, clock_);
    return *controller_;
  }

  static Identity Alice() { return {1000, 1000, {1000}, "alice", "login1", {"alice"}}; }
  static Identity Bob() { return {1001, 1001, {1001}, "bob", "login1", {"bob"}}; }
  static Identity Root() { return {0, 0, {0}, "root", "login1", {"root"}}; }

  // A valid one-CPU job.
  static v1::JobSpec Spec() {
    v1::JobSpec spec;
    spec.set_name("job");
    spec.set_script("#!/bin/sh\ntrue\n");
    spec.set_work_dir("/home/alice");
    return spec;
  }

  // Submits and, as the server does once the store has it, marks the job durable.
  Result<uint64_t> Submit(const v1::JobSpec& spec, const Identity& who = Alice()) {
    auto r = ctl().Submit(spec, who);
    if (r.ok()) ctl().SubmitCommitted(*r, Status::Ok());
    return r;
  }

  // Submits a job that must be accepted; returns its id (0 after a test failure).
  uint64_t SubmitOk(const v1::JobSpec& spec = Spec(), const Identity& who = Alice()) {
    auto r = Submit(spec, who);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : 0;
  }

  Result<v1::RegisterNodeResponse> Register(const std::string& node,
                                            const std::vector<uint64_t>& running = {}) {
    v1::RegisterNodeRequest request;
    request.set_name(node);
    request.set_cpus(ctl().config().FindNode(node)->cpus);
    request.set_memory_mb(ctl().config().FindNode(node)->memory_mb);
    request.set_config_hash(config_.content_hash);
    for (uint64_t id : running) request.add_running_job_ids(id);
    return ctl().RegisterNode(request);
  }

  Result<v1::HeartbeatResponse> Heartbeat(const std::string& node,
                                          const std::vector<uint64_t>& running = {}) {
    v1::HeartbeatRequest request;
    request.set_name(node);
    for (uint64_t id : running) request.add_running_job_ids(id);
    return ctl().Heartbeat(request);
  }

  std::vector<LaunchAction> Schedule() { return ctl().Schedule(); }

  // Submits a job, registers node1 and schedules it there; returns its id.
  uint64_t StartJobOnNode1(const v1::JobSpec& spec = Spec()) {
    const uint64_t id = SubmitOk(spec);
    EXPECT_TRUE(Register("node1").ok());
    const auto launches = Schedule();
    EXPECT_EQ(launches.size(), 1u);
    EXPECT_EQ(State(id), JobState::kRunning);
    return id;
  }

  // Lets `d` pass while node1 keeps reporting job `id`, runs the controller's tick and returns
  // the signals it decided on.
  std::vector<SignalAction> TickAfter(std::chrono::seconds d, uint64_t id) {
    clock_.Advance(d);
    EXPECT_TRUE(Heartbeat("node1", {id}).ok());
    ctl().Tick();
    return ctl().TakeSignals();
  }

  // The saved record of job `id` in the next batch (the test fails if it is not in it).
  static const v1::StoredJob* SavedJob(const StoreBatch& batch, uint64_t id) {
    const auto it = std::find_if(batch.jobs.begin(), batch.jobs.end(),
                                 [&](const v1::StoredJob& j) { return j.job_id() == id; });
    EXPECT_NE(it, batch.jobs.end());
    return it == batch.jobs.end() ? nullptr : &*it;
  }

  // What a restarting controller would load: the unfinished jobs of everything committed so far.
  StoredState TakeSavedJobs() {
    StoreBatch batch = ctl().TakeBatch();
    StoredState saved;
    saved.next_job_id = batch.next_job_id;
    for (const auto& j : batch.jobs) saved.unfinished.push_back(j);
    return saved;
  }

  Status Finish(uint64_t id, const std::string& node, v1::JobState state, int32_t exit_code = 0) {
    v1::JobFinishedRequest request;
    request.set_job_id(id);
    request.set_node(node);
    request.set_state(state);
    request.set_exit_code(exit_code);
    // As a node does: the run it reports is the one it was launched with.
    const JobRecord* job = ctl().FindJob(id);
    request.set_run(job ? job->requeue_count : 0);
    return ctl().JobFinished(request);
  }

  // Cancels (signal 0) or signals one job; the signal actions land in actions_.
  v1::CancelResult Cancel(uint64_t id, const Identity& who = Alice(), int32_t signal = 0) {
    auto results = ctl().Cancel({id}, signal, who, &actions_);
    EXPECT_EQ(results.size(), 1u);
    return results.empty() ? v1::CancelResult() : results.front();
  }

  JobState State(uint64_t id) {
    const JobRecord* job = ctl().FindJob(id);
    EXPECT_NE(job, nullptr) << "job " << id;
    return job ? job->state : JobState::kPending;
  }

  std::string Reason(uint64_t id) {
    const JobRecord* job = ctl().FindJob(id);
    EXPECT_NE(job, nullptr) << "job " << id;
    return job ? job->reason : "";
  }

  const NodeRecord& NodeRec(const std::string& name) { return *ctl().FindNode(name); }

  std::vector<uint64_t> QueriedIds(const v1::QueryJobsRequest& request) {
    std::vector<uint64_t> ids;
    const auto response = ctl().QueryJobs(request);
    for (const auto& j : response.jobs()) ids.push_back(j.job_id());
    return ids;
  }

  Config config_;
  FakeClock clock_;
  std::unique_ptr<Controller> controller_;
  std::vector<SignalAction> actions_;
};

// Job ids are handed out in submission order, starting at 1.
TEST_F(ControllerTest, SubmitReturnsIncreasingIds) {
  EXPECT_EQ(SubmitOk(), 1u);
  EXPECT_EQ(SubmitOk(), 2u);
  EXPECT_EQ(SubmitOk(), 3u);
}

// A refused submission does not use up a job id.
TEST_F(ControllerTest, RefusedSubmissionDoesNotConsumeAnId) {
  EXPECT_EQ(SubmitOk(), 1u);
  auto spec = Spec();
  spec.set_work_dir("relative");
  EXPECT_FALSE(Submit(spec).ok());
  EXPECT_EQ(SubmitOk(), 2u);
}

// A negative --nice raises a job above others: only root and operators may (Slurm's rule), and
// the value stays within Slurm's range; --mem and --mem-per-cpu exclude each other.
TEST_F(ControllerTest, NegativeNiceIsPrivilegedAndMemoryOptionsExcludeEachOther) {
  config_.operators = {"carol"};
  auto spec = Spec();
  spec.set_nice(-100);
  auto denied = Submit(spec);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(denied.status().message().find("negative --nice"), std::string::npos) << denied.status().message();
  EXPECT_TRUE(Submit(spec, {1002, 1002, {1002}, "carol", "login1", {"carol"}}).ok());
  spec.set_nice(100);
  EXPECT_TRUE(Submit(spec).ok());
  spec.set_nice(2147483647);
  EXPECT_FALSE(Submit(spec).ok());
  auto mem = Spec();
  mem.set_mem_per_node_mb(1024);
  mem.set_mem_per_cpu_mb(512);
  auto both = Submit(mem);
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("mutually exclusive"), std::string::npos) << both.status().message();
}

// scontrol update PartitionName=... State=: operators only; DRAIN refuses new jobs at once (the
// submission verdicts cached before do not still accept them), UP takes them again.
TEST_F(ControllerTest, PartitionStateUpdate) {
  v1::UpdatePartitionRequest r;
  r.set_name(config_.partitions[0].name);
  r.set_state("drain");
  EXPECT_EQ(ctl().UpdatePartition(r, Alice()).code(), StatusCode::kPermissionDenied);
  SubmitOk();
  ASSERT_TRUE(ctl().UpdatePartition(r, Root()).ok());
  EXPECT_NE(ctl().QueryNodes().partitions(0).state(), "UP");
  auto refused = Submit(Spec());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("draining"), std::string::npos) << refused.status().message();
  r.set_state("sleep");
  EXPECT_EQ(ctl().UpdatePartition(r, Root()).code(), StatusCode::kInvalidArgument);
  r.set_name("nosuch");
  r.set_state("up");
  EXPECT_EQ(ctl().UpdatePartition(r, Root()).code(), StatusCode::kNotFound);
  r.set_name(config_.partitions[0].name);
  ASSERT_TRUE(ctl().UpdatePartition(r, Root()).ok());
  EXPECT_EQ(ctl().QueryNodes().partitions(0).state(), "UP");
  SubmitOk();
}

// Root may not submit unless the cluster allows it.
TEST_F(ControllerTest, RootSubmissionRefusedByDefault) {
  auto r = Submit(Spec(), Root());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("allow_root_jobs"), std::string::npos);
}

// allow_root_jobs lets root submit.
TEST_F(ControllerTest, RootSubmissionAcceptedWhenAllowed) {
  config_.allow_root_jobs = true;
  EXPECT_TRUE(Submit(Spec(), Root()).ok());
}

// A job needing more CPUs on one node than any node has is refused with an explanation.
TEST_F(ControllerTest, MoreCpusThanAnyNodeRefused) {
  auto spec = Spec();
  spec.set_cpus_per_task(16);
  auto r = Submit(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("16 CPUs"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("has 8"), std::string::npos) << r.status().message();
}

// A partition that does not exist is named in the refusal.
TEST_F(ControllerTest, UnknownPartitionRefused) {
  auto spec = Spec();
  spec.set_partition("gpu");
  auto r = Submit(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("invalid partition name specified: gpu"), std::string::npos);
}

// The working directory must be absolute: it is resolved on another host.
TEST_F(ControllerTest, RelativeWorkDirRefused) {
  auto spec = Spec();
  spec.set_work_dir("home/alice");
  auto r = Submit(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("absolute"), std::string::npos);
}

// Control characters in a job name would corrupt squeue output.
TEST_F(ControllerTest, ControlCharacterInNameRefused) {
  auto spec = Spec();
  spec.set_name("bad\x1b[2Jname");
  auto r = Submit(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

// A time limit above the partition's maximum is refused, naming both limits.
TEST_F(ControllerTest, TimeLimitOverPartitionMaxRefused) {
  auto spec = Spec();
  spec.set_time_limit_minutes(61);
  auto r = Submit(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("1:01:00"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("1:00:00"), std::string::npos) << r.status().message();
}

// Asking for an unlimited time on a partition with a maximum is refused too.
TEST_F(ControllerTest, UnlimitedTimeLimitOnLimitedPartitionRefused) {
  auto spec = Spec();
  spec.set_time_limit_minutes(kUnlimitedMinutes);
  auto r = Submit(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

// Without a time limit the job gets the partition's maximum.
TEST_F(ControllerTest, MissingTimeLimitDefaultsToPartitionMax) {
  const uint64_t id = SubmitOk();
  EXPECT_EQ(ctl().FindJob(id)->time_limit_minutes, 60u);
}

// Until a node registers, nothing can run.
TEST_F(ControllerTest, NothingScheduledBeforeNodesRegister) {
  const uint64_t id = SubmitOk();
  EXPECT_TRUE(Schedule().empty());
  EXPECT_EQ(State(id), JobState::kPending);
  EXPECT_EQ(Reason(id), "ReqNodeNotAvail");
}

// Registration answers with the configured heartbeat interval.
TEST_F(ControllerTest, RegistrationReturnsHeartbeatInterval) {
  auto r = Register("node1");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->heartbeat_interval_ms(), 10000u);
  EXPECT_EQ(r->cancel_job_ids_size(), 0);
}

// A node that is not in the configuration cannot register.
TEST_F(ControllerTest, UnknownNodeCannotRegister) {
  v1::RegisterNodeRequest request;
  request.set_name("node9");
  auto r = ctl().RegisterNode(request);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

// Once a node registers, a pending job starts there and a launch goes to it.
TEST_F(ControllerTest, RegisteredNodeRunsPendingJob) {
  const uint64_t id = SubmitOk();
  ASSERT_TRUE(Register("node1").ok());
  const auto launches = Schedule();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].node, "node1");
  EXPECT_EQ(launches[0].request.job_id(), id);
  EXPECT_EQ(launches[0].request.node_list(), "node1");
  EXPECT_EQ(launches[0].request.user(), "alice");
  EXPECT_EQ(launches[0].request.uid(), 1000u);
  EXPECT_EQ(launches[0].request.cluster_name(), "testcluster");
  EXPECT_EQ(launches[0].request.time_limit_minutes(), 60u);
  EXPECT_EQ(State(id), JobState::kRunning);
  EXPECT_EQ(Reason(id), "None");
  EXPECT_EQ(NodeRec("node1").alloc_cpus, 1u);
  EXPECT_EQ(NodeRec("node1").alloc_memory_mb, 512u);
  EXPECT_EQ(NodeRec("node1").State(), NodeState::kMixed);
}

// The job record remembers when it started (wall clock seconds).
TEST_F(ControllerTest, StartTimeIsTheSchedulingTime) {
  const uint64_t id = SubmitOk();
  clock_.Advance(seconds(42));
  ASSERT_TRUE(Register("node1").ok());
  ASSERT_EQ(Schedule().size(), 1u);
  const JobRecord* job = ctl().FindJob(id);
  EXPECT_EQ(job->start_time - job->submit_time, 42);
}

// A completed job frees its CPUs and memory and records the exit code.
TEST_F(ControllerTest, CompletedJobReleasesResources) {
  const uint64_t id = StartJobOnNode1();
  ASSERT_TRUE(Finish(id, "node1", v1::JOB_STATE_COMPLETED, 0).ok());
  EXPECT_EQ(State(id), JobState::kCompleted);
  EXPECT_EQ(ctl().FindJob(id)->exit_code, 0);
  EXPECT_FALSE(ctl().FindJob(id)->holds_resources);
  EXPECT_EQ(NodeRec("node1").alloc_cpus, 0u);
  EXPECT_EQ(NodeRec("node1").alloc_memory_mb, 0u);
  EXPECT_EQ(NodeRec("node1").State(), NodeState::kIdle);
}

// A failed job with a non-zero exit code shows Slurm's NonZeroExitCode reason.
TEST_F(ControllerTest, FailedJobGetsNonZeroExitCodeReason) {
  const uint64_t id = StartJobOnNode1();
  ASSERT_TRUE(Finish(id, "node1", v1::JOB_STATE_FAILED, 3).ok());
  EXPECT_EQ(State(id), JobState::kFailed);
  EXPECT_EQ(Reason(id), "NonZeroExitCode");
  EXPECT_EQ(ctl().FindJob(id)->exit_code, 3);
}

// The node's usage figures are kept for sacct.
TEST_F(ControllerTest, JobFinishedStoresUsage) {
  const uint64_t id = StartJobOnNode1();
  v1::JobFinishedRequest request;
  request.set_job_id(id);
  request.set_node("node1");
  request.set_state(v1::JOB_STATE_OUT_OF_MEMORY);
  request.mutable_usage()->set_total_cpu_ms(2500);
  request.mutable_usage()->set_max_rss_kb(4096);
  ASSERT_TRUE(ctl().JobFinished(request).ok());
  EXPECT_EQ(State(id), JobState::kOutOfMemory);
  EXPECT_EQ(ctl().FindJob(id)->usage.total_cpu_ms(), 2500u);
  EXPECT_EQ(ctl().FindJob(id)->usage.max_rss_kb(), 4096u);
}

// A failing prolog: the node is drained with the reason, the job waits to run again, and only
// a fresh noded (restarted after the fix) lifts the drain; a reconnect does not.
TEST_F(ControllerTest, NodeFailureDrainsTheNodeAndRequeuesTheJob) {
  const uint64_t id = StartJobOnNode1();
  v1::JobFinishedRequest request;
  request.set_job_id(id);
  request.set_node("node1");
  request.set_state(v1::JOB_STATE_FAILED);
  request.set_reason("Prolog failed on node1: prolog /p exited with status 3");
  request.set_drain_reason(request.reason());
  request.set_requeue(true);
  ASSERT_TRUE(ctl().JobFinished(request).ok());
  EXPECT_EQ(State(id), JobState::kPending);
  EXPECT_EQ(ctl().FindJob(id)->requeue_count, 1u);
  EXPECT_EQ(NodeRec("node1").alloc_cpus, 0u);
  EXPECT_EQ(NodeRec("node1").State(), NodeState::kDrained);
  EXPECT_EQ(NodeRec("node1").reason, request.reason());
  EXPECT_TRUE(Schedule().empty());
  ASSERT_TRUE(Register("node1").ok());
  EXPECT_EQ(NodeRec("node1").State(), NodeState::kDrained);
  EXPECT_TRUE(Schedule().empty());
  v1::RegisterNodeRequest fresh;
  fresh.set_name("node1");
  fresh.set_fresh_start(true);
  ASSERT_TRUE(ctl().RegisterNode(fresh).ok());
  EXPECT_EQ(NodeRec("node1").State(), NodeState::kIdle);
  EXPECT_EQ(Schedule().size(), 1u);
  EXPECT_EQ(State(id), JobState::kRunning);
}

// Only the node that runs a job may report its end.
TEST_F(ControllerTest, JobFinishedFromAnotherNodeIsPermissionDenied) {
  const uint64_t id = StartJobOnNode1();
  ASSERT_TRUE(Register("node2").ok());
  const Status s = Finish(id, "node2", v1::JOB_STATE_COMPLETED, 0);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(State(id), JobState::kRunning);
  EXPECT_EQ(NodeRec("node1").alloc_cpus, 1u);
}

// Cancelling a pending job ends it at once; there is no process to signal.
TEST_F(ControllerTest, CancelPendingJob) {
  const uint64_t id = SubmitOk();
  const auto r = Cancel(id);
  EXPECT_EQ(r.code(), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(State(id), JobState::kCancelled);
  EXPECT_TRUE(actions_.empty());
}

// Cancelling a running job marks it CANCELLED and asks its node to kill it.
TEST_F(ControllerTest, CancelRunningJobSignalsItsNode) {
  const uint64_t id = StartJobOnNode1();
  const auto r = Cancel(id);
  EXPECT_EQ(r.code(), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(State(id), JobState::kCancelled);
  ASSERT_EQ(actions_.size(), 1u);
  EXPECT_EQ(actions_[0].node, "node1");
  EXPECT_EQ(actions_[0].job_id, id);
  EXPECT_EQ(actions_[0].signal, 0);
}

// A cancelled job keeps its cores until the node confirms the end.
TEST_F(ControllerTest, CancelledJobHoldsResourcesUntilJobFinished) {
  const uint64_t id = StartJobOnNode1();
  Cancel(id);
  EXPECT_EQ(NodeRec("node1").alloc_cpus, 1u);
  ASSERT_TRUE(Finish(id, "node1", v1::JOB_STATE_CANCELLED, 0).ok());
  EXPECT_EQ(NodeRec("node1").alloc_cpus, 0u);
  EXPECT_EQ(State(id), JobState::kCancelled);
}

// The node's late report does not overwrite the CANCELLED state.
TEST_F(ControllerTest, CancelledJobStaysCancelledWhenNodeReportsFailure) {
  const uint64_t id = StartJobOnNode1();
  Cancel(id);
  ASSERT_TRUE(Finish(id, "node1", v1::JOB_STATE_FAILED, 143).ok());
  EXPECT_EQ(State(id), JobState::kCancelled);
}

// Signalling a running job forwards the signal and leaves the job running.
TEST_F(ControllerTest, SignalRunningJobForwardsSignal) {
  const uint64_t id = StartJobOnNode1();
  const auto r = Cancel(id, Alice(), 10);
  EXPECT_EQ(r.code(), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(State(id), JobState::kRunning);
  ASSERT_EQ(actions_.size(), 1u);
  EXPECT_EQ(actions_[0].signal, 10);
}

// Another ordinary user may not cancel someone's job.
TEST_F(ControllerTest, CancelByAnotherUserIsPermissionDenied) {
  const uint64_t id = SubmitOk();
  const auto r = Cancel(id, Bob());
  EXPECT_EQ(r.code(), v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_NE(r.message().find("alice"), std::string::npos);
  EXPECT_EQ(State(id), JobState::kPending);
}

// Root may cancel anyone's job.
TEST_F(ControllerTest, RootMayCancelAnyJob) {
  const uint64_t id = SubmitOk();
  EXPECT_EQ(Cancel(id, Root()).code(), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(State(id), JobState::kCancelled);
}

// An id that never existed comes back as NOT_FOUND.
TEST_F(ControllerTest, CancelUnknownIdIsNotFound) {
  const auto r = Cancel(77);
  EXPECT_EQ(r.job_id(), 77u);
  EXPECT_EQ(r.code(), v1::ERROR_CODE_NOT_FOUND);
}

// Cancelling a job that already ended is NOT_FOUND as well.
TEST_F(ControllerTest, CancelFinishedJobIsNotFound) {
  const uint64_t id = SubmitOk();
  Cancel(id);
  EXPECT_EQ(Cancel(id).code(), v1::ERROR_CODE_NOT_FOUND);
}

// A signal to a pending job is an error: there is nothing to deliver it to.
TEST_F(ControllerTest, SignalPendingJobIsAnError) {
  const uint64_t id = SubmitOk();
  const auto r = Cancel(id, Alice(), 10);
  EXPECT_EQ(r.code(), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(State(id), JobState::kPending);
  EXPECT_TRUE(actions_.empty());
}

// A node silent for longer than node_timeout goes DOWN.
TEST_F(ControllerTest, SilentNodeGoesDown) {
  ASSERT_TRUE(Register("node1").ok());
  clock_.Advance(seconds(61));
  ctl().Tick();
  EXPECT_TRUE(NodeRec("node1").down);
  EXPECT_EQ(NodeRec("node1").reason, "Not responding");
  EXPECT_EQ(NodeRec("node1").State(), NodeState::kDown);
}

// Exactly node_timeout of silence is still tolerated.
TEST_F(ControllerTest, NodeAtTimeoutBoundaryStaysUp) {
  ASSERT_TRUE(Register("node1").ok());
  clock_.Advance(seconds(60));
  ctl().Tick();
  EXPECT_FALSE(NodeRec("node1").down);
}

// Heartbeats keep a node up.
TEST_F(ControllerTest, HeartbeatsKeepNodeUp) {
  ASSERT_TRUE(Register("node1").ok());
  clock_.Advance(seconds(50));
  ASSERT_TRUE(Heartbeat("node1").ok());
  clock_.Advance(seconds(50));
  ctl().Tick();
  EXPECT_FALSE(NodeRec("node1").down);
}

// The running job of a node that went DOWN ends as NODE_FAIL and frees its resources.
TEST_F(ControllerTest, JobOnSilentNodeFailsAndReleasesResources) {
  const uint64_t id = StartJobOnNode1();
  clock_.Advance(seconds(61));
  ctl().Tick();
  EXPECT_EQ(State(id), JobState::kNodeFail);
  EXPECT_FALSE(ctl().FindJob(id)->holds_resources);
  EXPECT_EQ(NodeRec("node1").alloc_cpus, 0u);
  EXPECT_EQ(NodeRec("node1").alloc_memory_mb, 0u);
}

// With --requeue the job of a failed node waits for its next run instead; the lost run's
// end, reported late when the node comes back, changes nothing.
TEST_F(ControllerTest, RequeueableJobOnSilentNodeRunsAgainAndTheLostRunIsIgnored) {
  v1::JobSpec spec = Spec();
  spec.set_requeue(v1::REQUEUE_POLICY_YES);
  const uint64_t id = StartJobOnNode1(spec);
  clock_.Advance(seconds(61));
  ctl().Tick();
  EXPECT_EQ(State(id), JobState::kPending);
  EXPECT_EQ(ctl().FindJob(id)->requeue_count, 1u);
  EXPECT_NE(Reason(id).find("node1"), std::string::npos) << Reason(id);
  EXPECT_EQ(NodeRec("node1").alloc_cpus, 0u);

  // node1 comes back; the job's next run goes there too.
  ASSERT_TRUE(Register("node1").ok());
  const auto launches = Schedule();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].node, "node1");
  EXPECT_EQ(launches[0].request.run(), 1u);

  // The first run's end, reported late by node1, is not this run's.
  v1::JobFinishedRequest late;
  late.set_job_id(id);
  late.set_node("node1");
  late.set_state(v1::JOB_STATE_FAILED);
  late.set_run(0);
  EXPECT_TRUE(ctl().JobFinished(late).ok());
  EXPECT_EQ(State(id), JobState::kRunning);
  ASSERT_TRUE(Finish(id, "node1", v1::JOB_STATE_COMPLETED).ok());
  EXPECT_EQ(State(id), JobState::kCompleted);
}

// scheduling.job_requeue makes requeue the default; --no-requeue still ends the job.
TEST_F(ControllerTest, ClusterRequeueDefaultAndNoRequeue) {
  config_.job_requeue = true;
  v1::JobSpec no = Spec();
  no.set_requeue(v1::REQUEUE_POLICY_NO);
  const uint64_t kept_out = SubmitOk(no);
  const uint64_t by_default = SubmitOk(Spec());
  ASSERT_TRUE(Register("node1").ok());
  ASSERT_EQ(Schedule().size(), 2u);
  clock_.Advance(seconds(61));
  ctl().Tick();
  EXPECT_EQ(State(kept_out), JobState::kNodeFail);
  EXPECT_EQ(State(by_default), JobState::kPending);
}

// A node that still winds down a job's lost run refuses its next run: the job waits again.
TEST_F(ControllerTest, LaunchRefusedForAnEndingRunRequeues) {
  const uint64_t id = StartJobOnNode1();
  ctl().LaunchFailed(id, "node1", 0, Status::AlreadyExists("its previous run is still ending"));
  EXPECT_EQ(State(id), JobState::kPending);
  EXPECT_EQ(NodeRec("node1").alloc_cpus, 0u);
  ctl().LaunchFailed(id, "node1", 1, Status::Unavailable("connection refused"));
  EXPECT_EQ(State(id), JobState::kPending);  // not running: nothing to fail
}

// A DOWN node is not given new work.
TEST_F(ControllerTest, DownNodeIsNotScheduled) {
  ASSERT_TRUE(Register("node1").ok());
  clock_.Advance(seconds(61));
  ctl().Tick();
  const uint64_t id = SubmitOk();
  EXPECT_TRUE(Schedule().empty());
  EXPECT_EQ(Reason(id), "ReqNodeNotAvail");
}

// A DOWN node's heartbeat is refused: it must register again.
TEST_F(ControllerTest, HeartbeatFromDownNodeIsNotFound) {
  ASSERT_TRUE(Register("node1").ok());
  clock_.Advance(seconds(61));
  ctl().Tick();
  auto r = Heartbeat("node1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

// A heartbeat before any registration is refused too.
TEST_F(ControllerTest, HeartbeatBeforeRegistrationIsNotFound) {
  auto r = Heartbeat("node1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

// Re-registering brings a DOWN node back.
TEST_F(ControllerTest, ReRegistrationBringsNodeBack) {
  ASSERT_TRUE(Register("node1").ok());
  clock_.Advance(seconds(61));
  ctl().Tick();
  ASSERT_TRUE(Register("node1").ok());
  EXPECT_FALSE(NodeRec("node1").down);
  EXPECT_EQ(NodeRec("node1").State(), NodeState::kIdle);
}

// A node re-registering with a job the controller gave up on is told to kill it.
TEST_F(ControllerTest, ReRegistrationCancelsUnwantedJob) {
  const uint64_t id = StartJobOnNode1();
  clock_.Advance(seconds(61));
  ctl().Tick();
  ASSERT_EQ(State(id), JobState::kNodeFail);
  auto r = Register("node1", {id});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->cancel_job_ids_size(), 1);
  EXPECT_EQ(r->cancel_job_ids(0), id);
}

// A job the controller still runs on that node is kept.
TEST_F(ControllerTest, ReRegistrationKeepsWantedJob) {
  const uint64_t id = StartJobOnNode1();
  auto r = Register("node1", {id});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->cancel_job_ids_size(), 0);
  EXPECT_EQ(State(id), JobState::kRunning);
}

// A heartbeat reporting an unknown job gets a cancel for it.
TEST_F(ControllerTest, HeartbeatCancelsUnknownJob) {
  ASSERT_TRUE(Register("node1").ok());
  auto r = Heartbeat("node1", {99});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->cancel_job_ids_size(), 1);
  EXPECT_EQ(r->cancel_job_ids(0), 99u);
}

// squeue's default view leaves finished jobs out.
TEST_F(ControllerTest, QueryHidesFinishedJobsByDefault) {
  const uint64_t done = SubmitOk();
  const uint64_t pending = SubmitOk();
  Cancel(done);
  EXPECT_EQ(QueriedIds({}), std::vector<uint64_t>{pending});
}

// include_finished (squeue -t all) shows them.
TEST_F(ControllerTest, QueryIncludeFinishedShowsFinishedJobs) {
  const uint64_t done = SubmitOk();
  const uint64_t pending = SubmitOk();
  Cancel(done);
  v1::QueryJobsRequest request;
  request.set_include_finished(true);
  EXPECT_EQ(QueriedIds(request), (std::vector<uint64_t>{done, pending}));
}

// Asking for a job by id shows it even when finished.
TEST_F(ControllerTest, QueryByIdShowsFinishedJob) {
  const uint64_t done = SubmitOk();
  SubmitOk();
  Cancel(done);
  v1::QueryJobsRequest request;
  request.add_job_ids(done);
  EXPECT_EQ(QueriedIds(request), std::vector<uint64_t>{done});
}

// Query results carry no script or environment.
TEST_F(ControllerTest, QueryOmitsScriptAndEnvironment) {
  auto spec = Spec();
  auto* var = spec.add_environment();
  var->set_name("SECRET");
  var->set_value("x");
  SubmitOk(spec);
  const auto response = ctl().QueryJobs({});
  ASSERT_EQ(response.jobs_size(), 1);
  EXPECT_TRUE(response.jobs(0).spec().script().empty());
  EXPECT_EQ(response.jobs(0).spec().environment_size(), 0);
  EXPECT_EQ(response.jobs(0).user(), "alice");
  EXPECT_EQ(response.jobs(0).partition(), "batch");
}

// Finished jobs are forgotten min_job_age after they ended.
TEST_F(ControllerTest, TickPurgesOldFinishedJobs) {
  const uint64_t id = SubmitOk();
  Cancel(id);
  clock_.Advance(seconds(301));
  ctl().Tick();
  EXPECT_EQ(ctl().FindJob(id), nullptr);
}

// Recently finished jobs are kept for squeue -t all.
TEST_F(ControllerTest, TickKeepsRecentlyFinishedJobs) {
  const uint64_t id = SubmitOk();
  Cancel(id);
  clock_.Advance(seconds(299));
  ctl().Tick();
  EXPECT_NE(ctl().FindJob(id), nullptr);
}

// Pending jobs are never purged, however old.
TEST_F(ControllerTest, TickKeepsOldPendingJobs) {
  const uint64_t id = SubmitOk();
  clock_.Advance(seconds(100000));
  ctl().Tick();
  EXPECT_NE(ctl().FindJob(id), nullptr);
}

// A held job waits with reason JobHeldUser even when resources are free.
TEST_F(ControllerTest, HeldJobIsNotScheduled) {
  auto spec = Spec();
  spec.set_hold(true);
  const uint64_t id = SubmitOk(spec);
  ASSERT_TRUE(Register("node1").ok());
  EXPECT_TRUE(Schedule().empty());
  EXPECT_EQ(State(id), JobState::kPending);
  EXPECT_EQ(Reason(id), "JobHeldUser");
}

// A job that needs a node that is not available does not hold back smaller jobs behind it.
TEST_F(ControllerTest, UnavailableNodeDoesNotBlockTheQueue) {
  auto big = Spec();
  big.set_cpus_per_task(8);  // fits node4 only, which has not registered
  const uint64_t first = SubmitOk(big);
  const uint64_t second = SubmitOk();
  ASSERT_TRUE(Register("node1").ok());
  const auto launches = Schedule();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].request.job_id(), second);
  EXPECT_EQ(Reason(first), "ReqNodeNotAvail");
}

// Cores are handed out by id and never twice; the launch carries them for the cpuset.
TEST_F(ControllerTest, LaunchCarriesCoreIds) {
  auto two = Spec();
  two.set_cpus_per_task(2);
  SubmitOk(two);
  SubmitOk(two);
  ASSERT_TRUE(Register("node1").ok());
  const auto launches = Schedule();
  ASSERT_EQ(launches.size(), 2u);
  std::set<uint32_t> seen;
  for (const auto& l : launches) {
    ASSERT_EQ(l.request.allocation_size(), 1);
    for (uint32_t id : l.request.allocation(0).core_ids()) EXPECT_TRUE(seen.insert(id).second) << id;
  }
  EXPECT_EQ(seen.size(), 4u);
  EXPECT_EQ(NodeRec("node1").State(), NodeState::kAllocated);
}

// Jobs fill a node's CPUs before spilling to the next node.
TEST_F(ControllerTest, JobsSpillToNextNodeWhenFirstIsFull) {
  auto four = Spec();
  four.set_cpus_per_task(4);
  const uint64_t first = SubmitOk(four);
  const uint64_t second = SubmitOk(four);
  ASSERT_TRUE(Register("node1").ok());
  ASSERT_TRUE(Register("node2").ok());
  const auto launches = Schedule();
  ASSERT_EQ(launches.size(), 2u);
  EXPECT_EQ(launches[0].request.job_id(), first);
  EXPECT_EQ(launches[0].node, "node1");
  EXPECT_EQ(launches[1].request.job_id(), second);
  EXPECT_EQ(launches[1].node, "node2");
  EXPECT_EQ(NodeRec("node1").State(), NodeState::kAllocated);
}

// A launch that could not be delivered fails the job and frees its resources.
TEST_F(ControllerTest, LaunchFailureFailsJob) {
  const uint64_t id = StartJobOnNode1();
  ctl().LaunchFailed(id, "node1", 0, Status::Unavailable("connection refused"));
  EXPECT_EQ(State(id), JobState::kFailed);
  EXPECT_NE(Reason(id).find("connection refused"), std::string::npos);
  EXPECT_EQ(NodeRec("node1").alloc_cpus, 0u);
}

// A submission is neither visible nor scheduled until the store has it.
TEST_F(ControllerTest, SubmissionWaitsForItsCommit) {
  ASSERT_TRUE(Register("node1").ok());
  auto r = ctl().Submit(Spec(), Alice());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(Schedule().empty());
  EXPECT_TRUE(QueriedIds({}).empty());
  ctl().SubmitCommitted(*r, Status::Ok());
  EXPECT_EQ(QueriedIds({}), std::vector<uint64_t>{*r});
  EXPECT_EQ(Schedule().size(), 1u);
}

// A submission whose commit failed was never acknowledged, so it is forgotten.
TEST_F(ControllerTest, FailedCommitForgetsTheSubmission) {
  auto r = ctl().Submit(Spec(), Alice());
  ASSERT_TRUE(r.ok());
  ctl().SubmitCommitted(*r, Status::ResourceExhausted("disk full"));
  EXPECT_EQ(ctl().FindJob(*r), nullptr);
}

// A new batch job's script and environment are committed once, as its payload, and are not
// kept in memory or in the job row; its launch goes out without them for the server to add.
TEST_F(ControllerTest, ScriptAndEnvironmentLeaveMemoryWithTheirCommit) {
  v1::JobSpec spec = Spec();
  auto* var = spec.add_environment();
  var->set_name("HOME");
  var->set_value("/home/alice");
  const uint64_t id = SubmitOk(spec);
  StoreBatch batch = ctl().TakeBatch();
  ASSERT_EQ(batch.payloads.size(), 1u);
  v1::JobSpec payload;
  ASSERT_TRUE(payload.ParseFromString(batch.payloads[0].second));
  EXPECT_EQ(payload.script(), Spec().script());
  ASSERT_EQ(payload.environment_size(), 1);
  EXPECT_EQ(payload.environment(0).value(), "/home/alice");
  EXPECT_TRUE(batch.jobs[0].spec().script().empty());
  EXPECT_EQ(batch.jobs[0].spec().environment_size(), 0);
  const JobRecord* job = ctl().FindJob(id);
  ASSERT_NE(job, nullptr);
  EXPECT_TRUE(job->spec.script().empty());
  EXPECT_EQ(job->spec.environment_size(), 0);
  // Later changes do not write it again.
  ctl().SubmitCommitted(id, Status::Ok());
  Cancel(id);
  EXPECT_TRUE(ctl().TakeBatch().payloads.empty());
}

// Every change lands in the next batch once, with the id sequence.
TEST_F(ControllerTest, BatchCarriesChangedJobsOnce) {
  const uint64_t id = SubmitOk();
  StoreBatch batch = ctl().TakeBatch();
  ASSERT_EQ(batch.jobs.size(), 1u);
  EXPECT_EQ(batch.jobs[0].job_id(), id);
  // The script travels apart from the job row, which later changes rewrite.
  EXPECT_TRUE(batch.jobs[0].spec().script().empty());
  ASSERT_EQ(batch.payloads.size(), 1u);
  EXPECT_EQ(batch.payloads[0].first, id);
  EXPECT_EQ(batch.next_job_id, id + 1);
  EXPECT_TRUE(ctl().TakeBatch().jobs.empty());
  Cancel(id);
  batch = ctl().TakeBatch();
  ASSERT_EQ(batch.jobs.size(), 1u);
  EXPECT_EQ(batch.jobs[0].state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(batch.next_job_id, 0u);
}

// A job saved by an older drover, with its script and environment in its row, keeps them until
// its next change, which moves them into the payload (in the same batch as the stripped row).
TEST_F(ControllerTest, ScriptOfAnOlderStoreMovesToThePayloadAtTheNextChange) {
  const uint64_t id = SubmitOk();
  StoredState saved = TakeSavedJobs();
  ASSERT_EQ(saved.unfinished.size(), 1u);
  saved.unfinished[0].mutable_spec()->set_script(Spec().script());  // as an older drover wrote it

  Controller restarted(config_, clock_);
  restarted.Restore(saved, seconds(30));
  EXPECT_EQ(restarted.FindJob(id)->spec.script(), Spec().script());
  (void)restarted.TakeBatch();  // whatever the restore itself marked
  std::vector<SignalAction> actions;
  restarted.Cancel({id}, 0, Alice(), &actions);
  StoreBatch batch = restarted.TakeBatch();
  ASSERT_EQ(batch.jobs.size(), 1u);
  EXPECT_TRUE(batch.jobs[0].spec().script().empty());
  ASSERT_EQ(batch.payloads.size(), 1u);
  EXPECT_EQ(batch.payloads[0].first, id);
  EXPECT_TRUE(restarted.FindJob(id)->spec.script().empty());
}

// After a restart a running job keeps its cores while its node reports it; one that its
// registered node does not report within the grace period was never launched and waits again
// (a job whose node does not come back ends NODE_FAIL: below).
TEST_F(ControllerTest, RestoreReconcilesRunningJobs) {
  const uint64_t kept = StartJobOnNode1();
  const uint64_t lost = StartJobOnNode1();
  const uint64_t pending = SubmitOk();
  StoredState saved = TakeSavedJobs();

  Controller restarted(config_, clock_);
  restarted.Restore(saved, seconds(30));
  EXPECT_EQ(restarted.FindNode("node1")->alloc_cpus, 2u);
  v1::RegisterNodeRequest reg;
  reg.set_name("node1");
  reg.add_running_job_ids(kept);
  ASSERT_TRUE(restarted.RegisterNode(reg).ok());
  clock_.Advance(seconds(31));
  restarted.Tick();
  EXPECT_EQ(restarted.FindJob(kept)->state, JobState::kRunning);
  // node1 is back and does not have it: its launch never arrived, so it waits to run.
  EXPECT_EQ(restarted.FindJob(lost)->state, JobState::kPending);
  EXPECT_EQ(restarted.FindJob(lost)->requeue_count, 1u);
  EXPECT_EQ(restarted.FindJob(pending)->state, JobState::kPending);
  EXPECT_EQ(restarted.FindNode("node1")->alloc_cpus, 1u);
  auto next = restarted.Submit(Spec(), Alice());
  ASSERT_TRUE(next.ok());
  EXPECT_GT(*next, pending);
}

// A running job whose node does not register again within the grace period is lost with it.
TEST_F(ControllerTest, RestoreEndsTheJobsOfANodeThatDoesNotReturn) {
  const uint64_t lost = StartJobOnNode1();
  StoredState saved = TakeSavedJobs();
  Controller restarted(config_, clock_);
  restarted.Restore(saved, seconds(30));
  clock_.Advance(seconds(31));
  restarted.Tick();
  EXPECT_EQ(restarted.FindJob(lost)->state, JobState::kNodeFail);
  EXPECT_EQ(restarted.FindJob(lost)->reason, "JobLostAtRestart");
}

// Holding and releasing a pending job; an admin hold needs root to release.
TEST_F(ControllerTest, HoldAndRelease) {
  const uint64_t id = SubmitOk();
  std::vector<SignalAction> actions;
  auto r = ctl().Control(v1::CONTROL_ACTION_HOLD, {id}, {}, Alice(), &actions);
  EXPECT_EQ(r[0].code(), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(Reason(id), "JobHeldUser");
  ASSERT_TRUE(Register("node1").ok());
  EXPECT_TRUE(Schedule().empty());
  ctl().Control(v1::CONTROL_ACTION_RELEASE, {id}, {}, Alice(), &actions);
  ctl().Control(v1::CONTROL_ACTION_HOLD, {id}, {}, Root(), &actions);
  EXPECT_EQ(Reason(id), "JobHeldAdmin");
  r = ctl().Control(v1::CONTROL_ACTION_RELEASE, {id}, {}, Alice(), &actions);
  EXPECT_EQ(r[0].code(), v1::ERROR_CODE_PERMISSION_DENIED);
  r = ctl().Control(v1::CONTROL_ACTION_HOLD, {id}, {}, Bob(), &actions);
  EXPECT_EQ(r[0].code(), v1::ERROR_CODE_PERMISSION_DENIED);
  ctl().Control(v1::CONTROL_ACTION_RELEASE, {id}, {}, Root(), &actions);
  EXPECT_EQ(Schedule().size(), 1u);
  EXPECT_TRUE(actions.empty());
}

// Requeue of a running job stops it and makes it pending again once the node confirms.
TEST_F(ControllerTest, RequeueRunningJob) {
  const uint64_t id = StartJobOnNode1();
  std::vector<SignalAction> actions;
  ctl().Control(v1::CONTROL_ACTION_REQUEUE, {id}, {}, Alice(), &actions);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].signal, 0);
  EXPECT_EQ(NodeRec("node1").alloc_cpus, 1u);
  ASSERT_TRUE(Finish(id, "node1", v1::JOB_STATE_CANCELLED).ok());
  EXPECT_EQ(State(id), JobState::kPending);
  EXPECT_EQ(ctl().FindJob(id)->requeue_count, 1u);
  EXPECT_EQ(NodeRec("node1").alloc_cpus, 0u);
  EXPECT_EQ(Schedule().size(), 1u);
}

// ---- Arrays (issue #4) ----

v1::JobSpec ArraySpecOf(const std::string& array) {
  v1::JobSpec spec;
  spec.set_name("arr");
  spec.set_script("#!/bin/sh\ntrue\n");
  spec.set_work_dir("/home/alice");
  spec.set_array(array);
  return spec;
}

// A 100,000-element array is one record and one queue line until elements start.
TEST_F(ControllerTest, ArrayIsOneRecord) {
  const uint64_t id = SubmitOk(ArraySpecOf("0-99999"));
  v1::QueryJobsRequest q;
  const auto r = ctl().QueryJobs(q);
  ASSERT_EQ(r.jobs_size(), 1);
  EXPECT_EQ(r.jobs(0).job_id(), id);
  EXPECT_EQ(r.jobs(0).array_job_id(), id);
  EXPECT_EQ(r.jobs(0).array_pending(), "0-99999");
  EXPECT_EQ(r.jobs(0).spec().stdout_pattern(), "slurm-%A_%a.out");
  EXPECT_EQ(SubmitOk(), id + 1) << "an array uses one id at submission";
}

// Starting elements of a large array materializes only those that run.
TEST_F(ControllerTest, LargeArrayStartsWhatFits) {
  const uint64_t array = SubmitOk(ArraySpecOf("0-99999"));
  ASSERT_TRUE(Register("node1").ok());
  const auto launches = Schedule();
  EXPECT_EQ(launches.size(), 4u) << "node1 has 4 CPUs";
  EXPECT_EQ(ctl().FindJob(array)->array_remaining->Count(), 99996u);
  EXPECT_EQ(ctl().QueryJobs(v1::QueryJobsRequest()).jobs_size(), 5);
}

// A table answer (squeue's listing) carries, column by column, what the JobInfo rows carry:
// running elements with their nodes and cores, the array's pending remainder, a plain job.
TEST_F(ControllerTest, QueryTableHasTheJobInfoValues) {
  SubmitOk(ArraySpecOf("0-9%6"));
  ASSERT_TRUE(Register("node1").ok());
  Schedule();
  auto spec = Spec();
  spec.set_comment("note");
  spec.set_account("physics");
  spec.set_min_nodes(2);
  spec.set_mem_per_cpu_mb(512);
  spec.set_cpus_per_task(2);
  SubmitOk(spec);
  v1::QueryJobsRequest q;
  const auto info = ctl().QueryJobs(q);
  q.set_table(true);
  q.set_table_columns(0xFFFF);
  const auto answer = ctl().QueryJobs(q);
  EXPECT_EQ(answer.jobs_size(), 0) << "a table instead of JobInfo rows";
  const v1::JobTable& t = answer.table();
  ASSERT_EQ(t.job_id_size(), info.jobs_size());
  ASSERT_GE(t.job_id_size(), 6);
  const auto text = [&t](uint32_t i) { return t.strings(static_cast<int>(i)); };
  for (int i = 0; i < t.job_id_size(); ++i) {
    const v1::JobInfo& j = info.jobs(i);
    SCOPED_TRACE(j.job_id());
    EXPECT_EQ(t.job_id(i), j.job_id());
    EXPECT_EQ(t.array_job_id(i), j.array_job_id());
    EXPECT_EQ(t.array_task_id(i), j.array_task_id());
    EXPECT_EQ(text(t.array_pending(i)), j.array_pending());
    EXPECT_EQ(t.state(i), j.state());
    EXPECT_EQ(text(t.user(i)), j.user());
    EXPECT_EQ(t.uid(i), j.uid());
    EXPECT_EQ(t.gid(i), j.gid());
    EXPECT_EQ(text(t.name(i)), j.spec().name());
    EXPECT_EQ(text(t.account(i)), j.spec().account());
    EXPECT_EQ(text(t.comment(i)), j.spec().comment());
    EXPECT_EQ(text(t.partition(i)), j.partition());
    EXPECT_EQ(text(t.reason(i)), j.reason());
    EXPECT_EQ(text(t.node_list(i)), j.node_list());
    EXPECT_EQ(t.start_time(i), j.start_time());
    EXPECT_EQ(t.end_time(i), j.end_time());
    EXPECT_EQ(t.submit_time(i), j.submit_time());
    EXPECT_EQ(t.expected_start(i), j.expected_start());
    EXPECT_EQ(t.time_limit_minutes(i), j.time_limit_minutes());
    EXPECT_EQ(t.nodes(i), j.allocation_size() ? static_cast<uint32_t>(j.allocation_size()) : j.spec().min_nodes());
    EXPECT_EQ(t.cpus(i), j.cpus());
    EXPECT_EQ(t.cpus_per_task(i), j.spec().cpus_per_task());
    EXPECT_EQ(t.mem_per_node_mb(i), j.spec().mem_per_node_mb());
    EXPECT_EQ(t.mem_per_cpu_mb(i), j.spec().mem_per_cpu_mb());
  }
  EXPECT_EQ(text(t.comment(t.job_id_size() - 1)), "note");
  // Another user sees the jobs but not their comment, as ApplyVisibility redacts JobInfo rows.
  const Identity bob = Bob();
  const auto seen = ctl().QueryJobs(q, &bob).table();
  ASSERT_EQ(seen.job_id_size(), t.job_id_size());
  EXPECT_EQ(seen.strings(static_cast<int>(seen.comment(seen.job_id_size() - 1))), "");
  // Only the columns asked for.
  q.set_table_columns(v1::JOB_TABLE_COLUMN_USER);
  const auto narrow = ctl().QueryJobs(q).table();
  EXPECT_EQ(narrow.user_size(), t.job_id_size());
  EXPECT_EQ(narrow.reason_size(), 0);
  EXPECT_EQ(narrow.cpus_size(), 0);
}

TEST_F(ControllerTest, ArraySpecErrorsRefuseTheSubmission) {
  auto r = Submit(ArraySpecOf("5-1"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--array"), std::string::npos) << r.status().message();
}

// %2: at most two elements run at once; each gets its own id; the last index takes the
// array's own id; the launch carries SLURM_ARRAY_* values and %A/%a are expanded.
TEST_F(ControllerTest, ArrayThrottleAndElementIds) {
  const uint64_t array = SubmitOk(ArraySpecOf("0-5%2"));
  ASSERT_TRUE(Register("node1").ok());
  auto launches = Schedule();
  ASSERT_EQ(launches.size(), 2u);
  EXPECT_EQ(launches[0].request.job_id(), array + 1);
  EXPECT_EQ(launches[0].request.array_job_id(), array);
  EXPECT_EQ(launches[0].request.array_task_id(), 0u);
  EXPECT_EQ(launches[1].request.array_task_id(), 1u);
  EXPECT_EQ(launches[0].request.array_task_count(), 6u);
  EXPECT_EQ(launches[0].request.array_task_min(), 0u);
  EXPECT_EQ(launches[0].request.array_task_max(), 5u);
  EXPECT_EQ(launches[0].request.array_task_step(), 1u);
  EXPECT_EQ(launches[0].request.spec().stdout_pattern(), "slurm-" + std::to_string(array) + "_0.out");
  EXPECT_EQ(Reason(array), "JobArrayTaskLimit");
  EXPECT_TRUE(Schedule().empty()) << "the throttle holds";

  v1::QueryJobsRequest q;
  q.add_job_ids(array);
  auto r = ctl().QueryJobs(q);
  ASSERT_EQ(r.jobs_size(), 3) << "the remainder and both elements";
  EXPECT_EQ(r.jobs(0).array_pending(), "2-5%2");
  EXPECT_EQ(r.jobs(1).array_task_id(), 0u);
  EXPECT_TRUE(r.jobs(1).array_pending().empty());

  std::set<uint32_t> tasks;
  std::set<uint64_t> ids;
  for (int round = 0; round < 10 && tasks.size() < 6; ++round) {
    for (const auto& l : launches) {
      tasks.insert(l.request.array_task_id());
      ids.insert(l.request.job_id());
      ASSERT_TRUE(Finish(l.request.job_id(), "node1", v1::JOB_STATE_COMPLETED).ok());
    }
    launches = Schedule();
    EXPECT_LE(launches.size(), 2u);
  }
  EXPECT_EQ(tasks, (std::set<uint32_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(ids.size(), 6u);
  EXPECT_TRUE(ids.count(array)) << "the last element is the array's own record";
  EXPECT_EQ(ctl().FindJob(array)->array_task_id.value_or(99), 5u);
  EXPECT_EQ(State(array), JobState::kCompleted);
}

// "12_7" of an element that has not started: a hold splits it off the array's pending record
// (as in Slurm), the rest runs, and a release lets it run too. A refused action splits nothing.
TEST_F(ControllerTest, HoldAndReleaseOfANotStartedElement) {
  const uint64_t array = SubmitOk(ArraySpecOf("0-3"));
  const std::string two = std::to_string(array) + "_2";
  std::vector<SignalAction> actions;
  auto r = ctl().Control(v1::CONTROL_ACTION_RELEASE, {}, {two}, Alice(), &actions);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::ERROR_CODE_INVALID_ARGUMENT) << "not held";
  EXPECT_EQ(ctl().FindJob(array)->array_remaining->Count(), 4u) << "a refusal splits nothing";
  r = ctl().Control(v1::CONTROL_ACTION_HOLD, {}, {two}, Bob(), &actions);
  EXPECT_EQ(r[0].code(), v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_EQ(ctl().FindJob(array)->array_remaining->Count(), 4u);

  r = ctl().Control(v1::CONTROL_ACTION_HOLD, {}, {two}, Alice(), &actions);
  EXPECT_EQ(r[0].code(), v1::ERROR_CODE_UNSPECIFIED) << r[0].message();
  EXPECT_EQ(ctl().FindJob(array)->array_remaining->Count(), 3u);
  ASSERT_TRUE(Register("node1").ok());
  auto launches = Schedule();
  ASSERT_EQ(launches.size(), 3u) << "node1 has 4 CPUs; element 2 is held";
  for (const auto& l : launches) EXPECT_NE(l.request.array_task_id(), 2u);
  for (const auto& l : launches) ASSERT_TRUE(Finish(l.request.job_id(), "node1", v1::JOB_STATE_COMPLETED).ok());
  EXPECT_TRUE(Schedule().empty());

  r = ctl().Control(v1::CONTROL_ACTION_RELEASE, {}, {two}, Alice(), &actions);
  EXPECT_EQ(r[0].code(), v1::ERROR_CODE_UNSPECIFIED) << r[0].message();
  launches = Schedule();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].request.array_task_id(), 2u);
  EXPECT_EQ(launches[0].request.array_job_id(), array);

  r = ctl().Control(v1::CONTROL_ACTION_HOLD, {}, {std::to_string(array) + "_9"}, Alice(), &actions);
  EXPECT_EQ(r[0].code(), v1::ERROR_CODE_NOT_FOUND);
  EXPECT_TRUE(actions.empty());
}

// scontrol update JobId=12_2 of an element that has not started: split off with the new limit
// only when the update holds (as hold); 12_[0-1] changes both; a refusal splits nothing.
TEST_F(ControllerTest, UpdateOfANotStartedElement) {
  config_.operators = {"carol"};
  const uint64_t array = SubmitOk(ArraySpecOf("0-3"));  // 60 minutes
  const std::string two = std::to_string(array) + "_2";
  v1::UpdateJobRequest r;
  r.add_job_id_texts(two);
  r.set_set_time_limit(true);
  r.set_time_limit_minutes(90);
  auto res = ctl().UpdateJob(r, Alice());
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_PERMISSION_DENIED) << "the owner may not raise";
  EXPECT_EQ(res[0].job_id_text(), two);
  EXPECT_EQ(ctl().FindJob(array)->array_remaining->Count(), 4u) << "a refusal splits nothing";
  EXPECT_EQ(ctl().FindElement(array, 2), nullptr);
  res = ctl().UpdateJob(r, Bob());
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_EQ(ctl().FindJob(array)->array_remaining->Count(), 4u);

  r.set_time_limit_minutes(20);
  res = ctl().UpdateJob(r, Alice());
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_UNSPECIFIED) << res[0].message();
  EXPECT_EQ(ctl().FindJob(array)->array_remaining->Count(), 3u);
  const JobRecord* element = ctl().FindElement(array, 2);
  ASSERT_NE(element, nullptr);
  EXPECT_EQ(element->time_limit_minutes, 20u);
  EXPECT_EQ(element->state, JobState::kPending);
  EXPECT_EQ(ctl().FindJob(array)->time_limit_minutes, 60u) << "the rest keeps its limit";

  // The split element is now a job of its own: the same text reaches it; a range does both kinds.
  v1::UpdateJobRequest rel;
  rel.add_job_id_texts(std::to_string(array) + "_[1-2]");
  rel.set_add_time_limit(true);
  rel.set_time_limit_delta_minutes(-5);
  res = ctl().UpdateJob(rel, Alice());
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_UNSPECIFIED) << res[0].message();
  EXPECT_EQ(ctl().FindElement(array, 2)->time_limit_minutes, 15u);
  ASSERT_NE(ctl().FindElement(array, 1), nullptr);
  EXPECT_EQ(ctl().FindElement(array, 1)->time_limit_minutes, 55u);
  EXPECT_EQ(ctl().FindJob(array)->array_remaining->Count(), 2u);

  // Partition= of a not-started element: the same split, only when allowed.
  v1::UpdateJobRequest part;
  part.add_job_id_texts(std::to_string(array) + "_3");
  part.set_partition("nosuch");
  res = ctl().UpdateJob(part, Alice());
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(ctl().FindJob(array)->array_remaining->Count(), 2u);

  // The elements run with their own limits.
  ASSERT_TRUE(Register("node1").ok());
  const auto launches = Schedule();
  ASSERT_EQ(launches.size(), 4u);
  for (const auto& l : launches) {
    const uint32_t task = l.request.array_task_id();
    const uint32_t want = task == 2 ? 15 : task == 1 ? 55 : 60;
    EXPECT_EQ(l.request.time_limit_minutes(), want) << "element " << task;
  }

  v1::UpdateJobRequest missing;
  missing.add_job_id_texts(std::to_string(array) + "_9");
  missing.set_set_time_limit(true);
  missing.set_time_limit_minutes(5);
  res = ctl().UpdateJob(missing, Alice());
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_NOT_FOUND);
}

// A requeued element of a %1 array waits for its turn like the indices that never ran: once
// its run ends, it takes the array's one slot and no second element starts beside it.
TEST_F(ControllerTest, RequeuedElementStaysUnderTheThrottle) {
  const uint64_t array = SubmitOk(ArraySpecOf("0-5%1"));
  ASSERT_TRUE(Register("node1").ok());
  auto launches = Schedule();
  ASSERT_EQ(launches.size(), 1u);
  const uint64_t first = launches[0].request.job_id();
  std::vector<SignalAction> actions;
  auto r = ctl().Control(v1::CONTROL_ACTION_REQUEUE, {first}, {}, Root(), &actions);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::ERROR_CODE_UNSPECIFIED) << r[0].message();
  EXPECT_TRUE(Schedule().empty()) << "the old run still holds the slot";

  ASSERT_TRUE(Finish(first, "node1", v1::JOB_STATE_CANCELLED).ok());
  ASSERT_EQ(State(first), JobState::kPending);
  launches = Schedule();
  ASSERT_EQ(launches.size(), 1u) << "one slot: the requeued element or a new index, not both";
  EXPECT_EQ(launches[0].request.job_id(), first) << "the requeued element goes first";
  EXPECT_TRUE(Schedule().empty());
  EXPECT_EQ(Reason(array), "JobArrayTaskLimit");
}

// scancel 12_3 (pending), 12_0 (running), then scancel 12 for the rest.
TEST_F(ControllerTest, ArrayCancelElementsAndWhole) {
  const uint64_t array = SubmitOk(ArraySpecOf("0-5%1"));
  ASSERT_TRUE(Register("node1").ok());
  ASSERT_EQ(Schedule().size(), 1u);
  const std::string a = std::to_string(array);
  auto res = ctl().Cancel({}, 0, Alice(), &actions_, {a + "_3", a + "_[4-5]"});
  ASSERT_EQ(res.size(), 2u);
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_UNSPECIFIED) << res[0].message();
  EXPECT_EQ(res[1].code(), v1::ERROR_CODE_UNSPECIFIED) << res[1].message();
  const JobRecord* three = ctl().FindElement(array, 3);
  ASSERT_NE(three, nullptr);
  EXPECT_EQ(three->state, JobState::kCancelled);
  EXPECT_EQ(ctl().FindJob(array)->array_remaining->Ranges(), "1-2");

  res = ctl().Cancel({}, 0, Alice(), &actions_, {a + "_0"});
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(ctl().FindElement(array, 0)->state, JobState::kCancelled);
  EXPECT_EQ(actions_.size(), 1u) << "the running element is signalled on its node";

  res = ctl().Cancel({}, 0, Bob(), &actions_, {a + "_1"});
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_PERMISSION_DENIED);

  EXPECT_EQ(Cancel(array).code(), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(State(array), JobState::kCancelled);
  v1::QueryJobsRequest q;
  q.add_job_ids(array);
  auto r = ctl().QueryJobs(q);
  ASSERT_GE(r.jobs_size(), 1);
  EXPECT_EQ(r.jobs(0).array_pending(), "1-2%1") << "the cancelled remainder keeps its ranges for sacct";
  EXPECT_EQ(Cancel(array).code(), v1::ERROR_CODE_NOT_FOUND);
}

// The remainder and elements survive a restart through the stored form.
TEST_F(ControllerTest, ArrayRemainderIsRestored) {
  const uint64_t array = SubmitOk(ArraySpecOf("0-9%3"));
  ASSERT_TRUE(Register("node1").ok());
  ASSERT_EQ(Schedule().size(), 3u);
  StoreBatch batch = ctl().TakeBatch();
  StoredState state;
  state.next_job_id = batch.next_job_id;
  for (const auto& j : batch.jobs) state.unfinished.push_back(j);
  Controller again(config_, clock_);
  again.Restore(state, seconds(60));
  const JobRecord* rec = again.FindJob(array);
  ASSERT_NE(rec, nullptr);
  ASSERT_TRUE(rec->IsArrayRemainder());
  EXPECT_EQ(rec->array_remaining->Ranges(), "3-9");
  EXPECT_EQ(rec->array_max_running, 3u);
  ASSERT_NE(again.FindElement(array, 1), nullptr);
  EXPECT_EQ(again.WithArrayElements({array}).size(), 4u);
}

// ---- Dependencies (issue #4) ----

v1::JobSpec DependentSpec(const std::string& dep) {
  v1::JobSpec spec;
  spec.set_name("dep");
  spec.set_script("#!/bin/sh\ntrue\n");
  spec.set_work_dir("/home/alice");
  spec.set_dependency(dep);
  return spec;
}

TEST_F(ControllerTest, DependencyOnUnknownJobIsRefused) {
  auto r = Submit(DependentSpec("afterok:77"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("77"), std::string::npos) << r.status().message();
  r = Submit(DependentSpec("afterwards:1"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--dependency"), std::string::npos) << r.status().message();
}

TEST_F(ControllerTest, AfterOkWaitsThenRuns) {
  const uint64_t first = StartJobOnNode1();
  const uint64_t second = SubmitOk(DependentSpec("afterok:" + std::to_string(first)));
  EXPECT_TRUE(Schedule().empty());
  EXPECT_EQ(Reason(second), "Dependency");
  ASSERT_TRUE(Finish(first, "node1", v1::JOB_STATE_COMPLETED).ok());
  auto launches = Schedule();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].request.job_id(), second);
  EXPECT_TRUE(ctl().FindJob(second)->spec.dependency().empty()) << "a met dependency is cleared";
}

// afternotok after a success can never be met: the job stays pending with that reason, also
// once the job it named was purged.
TEST_F(ControllerTest, AfterNotOkAfterSuccessIsNeverSatisfied) {
  const uint64_t first = StartJobOnNode1();
  const uint64_t second = SubmitOk(DependentSpec("afternotok:" + std::to_string(first)));
  ASSERT_TRUE(Finish(first, "node1", v1::JOB_STATE_COMPLETED).ok());
  EXPECT_TRUE(Schedule().empty());
  EXPECT_EQ(State(second), JobState::kPending);
  EXPECT_EQ(Reason(second), "DependencyNeverSatisfied");
  clock_.Advance(seconds(400));
  ctl().Tick();
  ASSERT_TRUE(Register("node1").ok());
  EXPECT_EQ(ctl().FindJob(first), nullptr) << "purged";
  EXPECT_TRUE(Schedule().empty());
  EXPECT_EQ(Reason(second), "DependencyNeverSatisfied");
}

// Jobs purged from memory still answer dependencies with their final state.
TEST_F(ControllerTest, DependencyOnPurgedJob) {
  const uint64_t first = StartJobOnNode1();
  ASSERT_TRUE(Finish(first, "node1", v1::JOB_STATE_FAILED, 1).ok());
  clock_.Advance(seconds(400));
  ctl().Tick();
  ASSERT_TRUE(Register("node1").ok());
  ASSERT_EQ(ctl().FindJob(first), nullptr);
  const uint64_t ok_dep = SubmitOk(DependentSpec("afterok:" + std::to_string(first)));
  const uint64_t notok_dep = SubmitOk(DependentSpec("afternotok:" + std::to_string(first)));
  auto launches = Schedule();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].request.job_id(), notok_dep);
  EXPECT_EQ(Reason(ok_dep), "DependencyNeverSatisfied");
}

// "?" needs one item; "," needs all; "after" only needs the start.
TEST_F(ControllerTest, DependencyListsAndAfter) {
  const uint64_t running = StartJobOnNode1();
  const uint64_t pending = SubmitOk([] {
    auto s = v1::JobSpec();
    s.set_name("held");
    s.set_script("#!/bin/sh\n");
    s.set_work_dir("/tmp");
    s.set_hold(true);
    return s;
  }());
  const std::string r = std::to_string(running), p = std::to_string(pending);
  const uint64_t any = SubmitOk(DependentSpec("afterany:" + p + "?after:" + r));
  const uint64_t all = SubmitOk(DependentSpec("after:" + r + ",afterany:" + p));
  auto launches = Schedule();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].request.job_id(), any);
  EXPECT_EQ(Reason(all), "Dependency");
}

// afterok on an array waits for every element.
TEST_F(ControllerTest, DependencyOnArrayWaitsForAllElements) {
  const uint64_t array = SubmitOk(ArraySpecOf("0-2"));
  const uint64_t after = SubmitOk(DependentSpec("afterok:" + std::to_string(array)));
  ASSERT_TRUE(Register("node1").ok());
  auto launches = Schedule();
  ASSERT_EQ(launches.size(), 3u);
  for (size_t i = 0; i < launches.size(); ++i) {
    EXPECT_EQ(Reason(after), "Dependency");
    ASSERT_TRUE(Finish(launches[i].request.job_id(), "node1", v1::JOB_STATE_COMPLETED).ok());
    if (i + 1 < launches.size()) {
      EXPECT_TRUE(Schedule().empty());
    }
  }
  launches = Schedule();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].request.job_id(), after);
}

// afterok:12_1 names one element, pending or started.
TEST_F(ControllerTest, DependencyOnOneElement) {
  const uint64_t array = SubmitOk(ArraySpecOf("0-2%1"));
  const uint64_t after = SubmitOk(DependentSpec("afterok:" + std::to_string(array) + "_1"));
  ASSERT_TRUE(Register("node1").ok());
  auto launches = Schedule();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].request.array_task_id(), 0u);
  ASSERT_TRUE(Finish(launches[0].request.job_id(), "node1", v1::JOB_STATE_COMPLETED).ok());
  launches = Schedule();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].request.array_task_id(), 1u);
  EXPECT_EQ(Reason(after), "Dependency");
  ASSERT_TRUE(Finish(launches[0].request.job_id(), "node1", v1::JOB_STATE_COMPLETED).ok());
  launches = Schedule();
  std::set<uint64_t> started;
  for (const auto& l : launches) started.insert(l.request.job_id());
  EXPECT_TRUE(started.count(after)) << "element 1 done; element 2 need not be";
  EXPECT_FALSE(Submit(DependentSpec("afterok:" + std::to_string(array) + "_7")).ok());
}

// singleton: one job per user and name at a time, oldest first; other users are not affected.
TEST_F(ControllerTest, Singleton) {
  auto spec = DependentSpec("singleton");
  spec.set_name("only");
  const uint64_t a = SubmitOk(spec);
  const uint64_t b = SubmitOk(spec);
  const uint64_t c = SubmitOk(spec, Bob());
  ASSERT_TRUE(Register("node1").ok());
  auto launches = Schedule();
  std::set<uint64_t> started;
  for (const auto& l : launches) started.insert(l.request.job_id());
  EXPECT_EQ(started, (std::set<uint64_t>{a, c}));
  EXPECT_EQ(Reason(b), "Dependency");
  EXPECT_TRUE(Schedule().empty());
  ASSERT_TRUE(Finish(a, "node1", v1::JOB_STATE_COMPLETED).ok());
  launches = Schedule();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].request.job_id(), b);
}

// ---- job steps (srun) ---------------------------------------------------------------------

v1::CreateStepRequest StepRequest(uint64_t job, uint32_t nodes, uint32_t ntasks = 0) {
  v1::CreateStepRequest r;
  r.set_job_id(job);
  r.mutable_spec()->add_argv("/bin/hostname");
  r.mutable_spec()->set_nodes(nodes);
  r.mutable_spec()->set_ntasks(ntasks);
  r.mutable_spec()->set_work_dir("/home/alice");
  return r;
}

v1::StepFinishedRequest StepEnd(uint64_t job, uint32_t step, const std::string& node, int32_t code = 0) {
  v1::StepFinishedRequest r;
  r.set_job_id(job);
  r.set_step_id(step);
  r.set_node(node);
  r.set_state(code == 0 ? v1::JOB_STATE_COMPLETED : v1::JOB_STATE_FAILED);
  r.set_exit_code(code);
  return r;
}

// srun outside a job: an interactive allocation with no batch launch, a step laid out on its
// nodes, and the allocation's end with its last step.
TEST_F(ControllerTest, InteractiveAllocationRunsStepsAndEndsWithThem) {
  v1::JobSpec spec = Spec();
  spec.clear_script();
  spec.set_interactive(true);
  spec.set_end_with_steps(true);
  spec.set_min_nodes(2);
  spec.set_max_nodes(2);
  const uint64_t id = SubmitOk(spec);
  auto pending = ctl().CreateStep(StepRequest(id, 2), Alice(), std::string(32, 'k'));
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->response.pending());
  ASSERT_TRUE(Register("node1").ok());
  ASSERT_TRUE(Register("node2").ok());
  EXPECT_TRUE(Schedule().empty());  // no batch script to launch
  EXPECT_EQ(State(id), JobState::kRunning);

  EXPECT_EQ(ctl().CreateStep(StepRequest(id, 2), Bob(), "k").status().code(), StatusCode::kPermissionDenied);
  EXPECT_FALSE(ctl().CreateStep(StepRequest(id, 3), Alice(), "k").ok());  // more nodes than the job
  auto step = ctl().CreateStep(StepRequest(id, 2), Alice(), std::string(32, 'k'));
  ASSERT_TRUE(step.ok()) << step.status().message();
  EXPECT_FALSE(step->response.pending());
  EXPECT_EQ(step->response.step_id(), 0u);
  ASSERT_EQ(step->launches.size(), 2u);
  EXPECT_EQ(step->launches[0].request.layout_size(), 2);
  EXPECT_EQ(step->launches[1].request.io_key(), std::string(32, 'k'));
  EXPECT_EQ(step->response.nodes(1).task_ids(0), 1u);

  ASSERT_TRUE(ctl().StepFinished(StepEnd(id, 0, "node1")).ok());
  EXPECT_EQ(State(id), JobState::kRunning);  // node2 has not reported yet
  ASSERT_TRUE(ctl().StepFinished(StepEnd(id, 0, "node2", 3)).ok());
  EXPECT_EQ(State(id), JobState::kFailed);
  EXPECT_EQ(ctl().FindJob(id)->exit_code, 3);
  EXPECT_EQ(NodeRec("node1").alloc_cpus, 0u);
  const auto& steps = ctl().FindJob(id)->steps;
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(steps[0].node_list(), "node[1-2]");
  EXPECT_EQ(steps[0].name(), "hostname");
}

// salloc: CompleteJob ends the allocation; its CPUs stay until the running step is over.
TEST_F(ControllerTest, CompleteJobKeepsCpusUntilStepsEnd) {
  v1::JobSpec spec = Spec();
  spec.clear_script();
  spec.set_interactive(true);
  const uint64_t id = SubmitOk(spec);
  ASSERT_TRUE(Register("node1").ok());
  Schedule();
  ASSERT_TRUE(ctl().CreateStep(StepRequest(id, 1), Alice(), "k").ok());
  v1::CompleteJobRequest done;
  done.set_job_id(id);
  EXPECT_EQ(ctl().CompleteJob(done, Bob()).code(), StatusCode::kPermissionDenied);
  ASSERT_TRUE(ctl().CompleteJob(done, Alice()).ok());
  EXPECT_EQ(State(id), JobState::kCompleted);
  EXPECT_EQ(NodeRec("node1").alloc_cpus, 1u);
  const auto signals = ctl().TakeSignals();
  ASSERT_EQ(signals.size(), 1u);  // the running step is told to end
  EXPECT_EQ(signals[0].node, "node1");
  ASSERT_TRUE(ctl().StepFinished(StepEnd(id, 0, "node1")).ok());
  EXPECT_EQ(NodeRec("node1").alloc_cpus, 0u);
}

// Steps of a batch job get ids 0, 1, ...; the batch job's end ends steps still running.
TEST_F(ControllerTest, BatchJobStepsAndTheirEnd) {
  const uint64_t id = StartJobOnNode1();
  auto s0 = ctl().CreateStep(StepRequest(id, 1), Alice(), "k");
  auto s1 = ctl().CreateStep(StepRequest(id, 1), Alice(), "k");
  ASSERT_TRUE(s0.ok() && s1.ok());
  EXPECT_EQ(s1->response.step_id(), 1u);
  ASSERT_TRUE(ctl().StepFinished(StepEnd(id, 0, "node1")).ok());
  ASSERT_TRUE(Finish(id, "node1", v1::JOB_STATE_COMPLETED).ok());
  EXPECT_EQ(ctl().TakeSignals().size(), 1u);  // step 1 is still running on node1
  EXPECT_FALSE(ctl().CreateStep(StepRequest(id, 1), Alice(), "k").ok());
}

v1::UpdateNodeRequest NodeUpdate(v1::NodeAction action, std::vector<std::string> nodes,
                                 std::string reason = "maintenance") {
  v1::UpdateNodeRequest r;
  r.set_action(action);
  for (auto& n : nodes) r.add_nodes(n);
  r.set_reason(reason);
  return r;
}

TEST_F(ControllerTest, OnlyRootAndOperatorsMayDrainNodes) {
  config_.operators = {"carol"};
  const Identity carol{1002, 1002, {1002}, "carol", "login1", {"carol"}};
  auto refused = ctl().UpdateNodes(NodeUpdate(v1::NODE_ACTION_DRAIN, {"node1"}), Alice(), &actions_);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].code(), v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_FALSE(NodeRec("node1").drain);

  auto ok = ctl().UpdateNodes(NodeUpdate(v1::NODE_ACTION_DRAIN, {"node1", "node2"}), carol, &actions_);
  ASSERT_EQ(ok.size(), 2u);
  EXPECT_EQ(ok[0].code(), v1::ERROR_CODE_UNSPECIFIED) << ok[0].message();
  EXPECT_TRUE(NodeRec("node1").drain);
  EXPECT_EQ(NodeRec("node1").admin_user, "carol");
  EXPECT_EQ(NodeRec("node2").admin_reason, "maintenance");

  auto unknown = ctl().UpdateNodes(NodeUpdate(v1::NODE_ACTION_DRAIN, {"node9"}), Root(), &actions_);
  EXPECT_EQ(unknown[0].code(), v1::ERROR_CODE_NOT_FOUND);
  auto no_reason = ctl().UpdateNodes(NodeUpdate(v1::NODE_ACTION_DRAIN, {"node4"}, ""), Root(), &actions_);
  EXPECT_EQ(no_reason[0].code(), v1::ERROR_CODE_INVALID_ARGUMENT);
}

TEST_F(ControllerTest, DrainedNodeGetsNoNewJobsButKeepsItsRunningOnes) {
  const uint64_t running = StartJobOnNode1();
  ctl().UpdateNodes(NodeUpdate(v1::NODE_ACTION_DRAIN, {"node1"}), Root(), &actions_);
  EXPECT_EQ(State(running), JobState::kRunning);
  const uint64_t next = SubmitOk();
  EXPECT_TRUE(Schedule().empty());
  EXPECT_EQ(State(next), JobState::kPending);
  const auto nodes = ctl().QueryNodes();
  EXPECT_EQ(nodes.nodes(0).state(), v1::NODE_STATE_DRAINING);
  EXPECT_EQ(nodes.nodes(0).reason(), "maintenance");

  ctl().UpdateNodes(NodeUpdate(v1::NODE_ACTION_RESUME, {"node1"}, ""), Root(), &actions_);
  EXPECT_FALSE(NodeRec("node1").drain);
  EXPECT_EQ(Schedule().size(), 1u);
  EXPECT_EQ(State(next), JobState::kRunning);
}

TEST_F(ControllerTest, AdminDownEndsTheNodesJobsAsNodeFailAndAsksTheNodeToKillThem) {
  const uint64_t id = StartJobOnNode1();
  ctl().UpdateNodes(NodeUpdate(v1::NODE_ACTION_DOWN, {"node1"}, "bad memory"), Root(), &actions_);
  EXPECT_EQ(State(id), JobState::kNodeFail);
  ASSERT_EQ(actions_.size(), 1u);
  EXPECT_EQ(actions_[0].job_id, id);
  EXPECT_EQ(actions_[0].signal, 0);
  EXPECT_EQ(NodeRec("node1").State(), NodeState::kDown);
  // Registering again (the node is alive) does not undo an administrator's DOWN.
  ASSERT_TRUE(Register("node1").ok());
  EXPECT_EQ(NodeRec("node1").State(), NodeState::kDown);
}

TEST_F(ControllerTest, NodeDrainIsStoredAndRestored) {
  ctl().UpdateNodes(NodeUpdate(v1::NODE_ACTION_DRAIN, {"node2"}), Root(), &actions_);
  StoreBatch batch = ctl().TakeBatch();
  ASSERT_EQ(batch.nodes.size(), 1u);
  EXPECT_EQ(batch.nodes[0].name(), "node2");
  EXPECT_TRUE(batch.nodes[0].drain());

  StoredState saved;
  saved.nodes = batch.nodes;
  Controller restarted(config_, clock_);
  restarted.Restore(saved, std::chrono::seconds(5));
  EXPECT_TRUE(restarted.FindNode("node2")->drain);
  EXPECT_EQ(restarted.FindNode("node2")->admin_reason, "maintenance");
}
TEST_F(ControllerTest, ChangesOfAFailedCommitAreWrittenWithTheNextOne) {
  const uint64_t id = StartJobOnNode1();
  (void)ctl().TakeBatch();
  ASSERT_TRUE(Finish(id, "node1", v1::JOB_STATE_COMPLETED).ok());
  StoreBatch failed = ctl().TakeBatch();
  ASSERT_EQ(failed.jobs.size(), 1u);
  ctl().CommitFailed({id}, {}, false);
  StoreBatch retry = ctl().TakeBatch();
  ASSERT_EQ(retry.jobs.size(), 1u);
  EXPECT_EQ(retry.jobs[0].state(), v1::JOB_STATE_COMPLETED);
}
}  // namespace
}  // namespace drover::ctld

namespace drover::ctld {
namespace {

// The pass runs off the strand on a snapshot: whatever changed before its plan is applied
// wins, and the caller is told to run another pass.
TEST_F(ControllerTest, PlanAppliedAfterAHoldACancelOrADrainStartsNothingStale) {
  ASSERT_TRUE(Register("node1").ok());
  const uint64_t held = SubmitOk();
  const uint64_t cancelled = SubmitOk();
  auto pass = ctl().PreparePass();
  auto plan = Controller::RunPass(pass);
  ASSERT_EQ(plan.starts.size(), 2u);
  std::vector<SignalAction> actions;
  ctl().Control(v1::CONTROL_ACTION_HOLD, {held}, {}, Alice(), &actions);
  Cancel(cancelled);
  bool stale = false;
  EXPECT_TRUE(ctl().ApplyPass(pass, std::move(plan), &stale).empty());
  EXPECT_TRUE(stale);
  EXPECT_EQ(State(held), JobState::kPending);
  EXPECT_EQ(Reason(held), "JobHeldUser");
  EXPECT_EQ(State(cancelled), JobState::kCancelled);

  const uint64_t third = SubmitOk();
  pass = ctl().PreparePass();
  plan = Controller::RunPass(pass);
  ASSERT_EQ(plan.starts.size(), 1u);
  ctl().UpdateNodes(NodeUpdate(v1::NODE_ACTION_DRAIN, {"node1"}), Root(), &actions);
  EXPECT_TRUE(ctl().ApplyPass(pass, std::move(plan), &stale).empty());
  EXPECT_TRUE(stale);
  EXPECT_EQ(State(third), JobState::kPending);
}

// An event-driven pass over a long queue considers the top of the last full pass's order and
// the jobs that came since (Slurm's default_queue_depth); a full pass sets every job's reason
// and priority.
TEST_F(ControllerTest, EventPassConsidersTheTopOfTheQueueAndNewJobs) {
  ASSERT_TRUE(Register("node1").ok());
  v1::JobSpec held = Spec();
  held.set_hold(true);
  const size_t depth = ctl().config().event_pass_depth;
  ASSERT_EQ(depth, 200u);
  const size_t queue = ctl().config().event_pass_threshold + 100;
  for (size_t i = 0; i < queue; ++i) SubmitOk(held);
  auto run = [this](bool full) {
    auto pass = ctl().PreparePass(full);
    const size_t considered = pass.snapshot.PendingCount();
    EXPECT_EQ(pass.full, full);
    auto plan = Controller::RunPass(pass);
    const size_t starts = ctl().ApplyPass(pass, std::move(plan)).size();
    return std::make_pair(considered, starts);
  };
  EXPECT_EQ(run(true), std::make_pair(queue, size_t{0}));
  EXPECT_EQ(ctl().priorities().size(), queue);

  // A new job that can run starts at once, in a pass over the top of the queue and itself.
  const uint64_t fresh = SubmitOk();
  const uint64_t fresh_held = SubmitOk(held);
  EXPECT_EQ(run(false), std::make_pair(depth + 2, size_t{1}));
  EXPECT_EQ(State(fresh), JobState::kRunning);
  EXPECT_EQ(Reason(fresh_held), "JobHeldUser");
  EXPECT_EQ(ctl().priorities().size(), queue);  // the full pass's breakdown stands

  // A job released past the top of the queue is considered by the next event pass too: it
  // need not wait for a full pass. Only once: the pass after that is the top of the queue again.
  std::vector<SignalAction> actions;
  const uint64_t last_held = fresh - 1;
  ASSERT_EQ(ctl().Control(v1::CONTROL_ACTION_RELEASE, {last_held}, {}, Alice(), &actions)[0].code(),
            v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(run(false), std::make_pair(depth + 2, size_t{1}));
  EXPECT_EQ(State(last_held), JobState::kRunning);
  EXPECT_EQ(run(false), std::make_pair(depth + 1, size_t{0}));

  // So is a requeued one, once its old run has ended.
  ASSERT_EQ(ctl().Control(v1::CONTROL_ACTION_REQUEUE, {last_held}, {}, Root(), &actions)[0].code(),
            v1::ERROR_CODE_UNSPECIFIED);
  ASSERT_TRUE(Finish(last_held, "node1", v1::JOB_STATE_CANCELLED).ok());
  ASSERT_EQ(State(last_held), JobState::kPending);
  EXPECT_EQ(run(false), std::make_pair(depth + 2, size_t{1}));
  EXPECT_EQ(State(last_held), JobState::kRunning);
}

// scheduling.event_pass_depth and event_pass_threshold bound an event pass, and a reconfigure
// changes them for the next pass.
TEST_F(ControllerTest, EventPassHonoursTheConfiguredDepthAndThreshold) {
  config_.event_pass_depth = 3;
  config_.event_pass_threshold = 10;
  ASSERT_TRUE(Register("node1").ok());
  v1::JobSpec held = Spec();
  held.set_hold(true);
  std::vector<uint64_t> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(SubmitOk(held));
  auto considered = [this](bool full) {
    auto pass = ctl().PreparePass(full);
    const size_t n = pass.snapshot.PendingCount();
    const bool was_full = pass.full;
    auto plan = Controller::RunPass(pass);
    ctl().ApplyPass(pass, std::move(plan));
    return std::make_pair(n, was_full);
  };
  // Ten pending jobs are not more than the threshold: an event pass is full.
  EXPECT_EQ(considered(false), std::make_pair(size_t{10}, true));
  for (int i = 0; i < 5; ++i) ids.push_back(SubmitOk(held));
  // Fifteen are: the 3 first of the last full order and the 3 oldest of the 5 new ones.
  EXPECT_EQ(considered(false), std::make_pair(size_t{6}, false));
  // Released jobs: at most 3 are noted for the next event pass (the first 3 released).
  std::vector<SignalAction> actions;
  std::vector<uint64_t> released(ids.begin() + 4, ids.begin() + 9);
  for (const auto& r : ctl().Control(v1::CONTROL_ACTION_RELEASE, released, {}, Alice(), &actions)) {
    ASSERT_EQ(r.code(), v1::ERROR_CODE_UNSPECIFIED) << r.message();
  }
  auto pass = ctl().PreparePass(false);
  std::set<uint64_t> in_pass;
  pass.snapshot.ForEachPending([&](const sched::PendingJob& j) { in_pass.insert(j.id); });
  EXPECT_EQ(in_pass.size(), 9u);
  for (size_t i = 4; i < 7; ++i) EXPECT_TRUE(in_pass.count(ids[i])) << ids[i];
  for (size_t i = 7; i < 9; ++i) EXPECT_FALSE(in_pass.count(ids[i])) << ids[i];
  auto plan = Controller::RunPass(pass);
  EXPECT_EQ(ctl().ApplyPass(pass, std::move(plan)).size(), 3u);
  for (size_t i = 4; i < 7; ++i) EXPECT_EQ(State(ids[i]), JobState::kRunning);
  EXPECT_EQ(State(ids[7]), JobState::kPending);

  // A reconfigure applies to the next pass.
  Config bigger = ctl().config();
  bigger.event_pass_depth = 4;
  ASSERT_TRUE(ctl().Reconfigure(bigger).ok());
  EXPECT_EQ(considered(false), std::make_pair(size_t{8}, false));
  bigger.event_pass_threshold = 100;
  ASSERT_TRUE(ctl().Reconfigure(bigger).ok());
  EXPECT_EQ(considered(false), std::make_pair(size_t{12}, true));
}

// A new job's priority breakdown is there at once (drover queue --explain), not a full pass
// later, and equals the one the full pass then gives it; a job that started since is left out.
TEST_F(ControllerTest, NewJobsHaveAPriorityRowBeforeAFullPass) {
  config_.event_pass_depth = 1;
  config_.event_pass_threshold = 2;
  ASSERT_TRUE(Register("node1").ok());
  auto rows = [this] {
    std::vector<sched::PriorityExplanation> out;
    ctl().VisitPriorities([&out](const sched::PriorityExplanation& p) { out.push_back(p); });
    return out;
  };
  auto find = [](const std::vector<sched::PriorityExplanation>& list, uint64_t id) {
    auto it = std::find_if(list.begin(), list.end(), [id](const auto& p) { return p.id == id; });
    return it == list.end() ? std::optional<sched::PriorityExplanation>() : *it;
  };
  v1::JobSpec held = Spec();
  held.set_hold(true);
  // Before any pass.
  const uint64_t first = SubmitOk(held);
  auto before = rows();
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0].id, first);
  EXPECT_DOUBLE_EQ(before[0].fairshare, 1.0);
  EXPECT_DOUBLE_EQ(before[0].job_size, 1.0 / 16);
  EXPECT_TRUE(ctl().priorities().empty());
  auto pass = ctl().PreparePass(true);
  auto plan = Controller::RunPass(pass);
  ctl().ApplyPass(pass, std::move(plan));
  ASSERT_EQ(ctl().priorities().size(), 1u);
  EXPECT_EQ(ctl().priorities()[0].priority, before[0].priority);
  EXPECT_DOUBLE_EQ(ctl().priorities()[0].fairshare, before[0].fairshare);

  // Over a long queue, after a full pass: Bob's larger job comes first, ahead of the full
  // pass's rows, and an event pass does not change that.
  SubmitOk(held);
  SubmitOk(held);
  pass = ctl().PreparePass(true);
  plan = Controller::RunPass(pass);
  ctl().ApplyPass(pass, std::move(plan));
  ASSERT_EQ(ctl().priorities().size(), 3u);
  v1::JobSpec big = held;
  big.set_cpus_per_task(4);
  const uint64_t bobs = SubmitOk(big, Bob());
  EXPECT_EQ(ctl().priorities().size(), 3u);
  auto now = rows();
  ASSERT_EQ(now.size(), 4u);
  EXPECT_EQ(now[0].id, bobs);
  EXPECT_DOUBLE_EQ(now[0].job_size, 4.0 / 16);
  pass = ctl().PreparePass(false);
  EXPECT_FALSE(pass.full);
  plan = Controller::RunPass(pass);
  ctl().ApplyPass(pass, std::move(plan));
  EXPECT_EQ(rows().size(), 4u);
  EXPECT_EQ(rows()[0].id, bobs);
  // The full pass gives it the same row (Bob counts as one more user in both).
  pass = ctl().PreparePass(true);
  plan = Controller::RunPass(pass);
  ctl().ApplyPass(pass, std::move(plan));
  ASSERT_EQ(ctl().priorities().size(), 4u);
  auto ranked = find(ctl().priorities(), bobs);
  ASSERT_TRUE(ranked.has_value());
  EXPECT_EQ(ranked->priority, now[0].priority);
  EXPECT_DOUBLE_EQ(ranked->fairshare, now[0].fairshare);

  // Released and started by an event pass: no longer listed.
  std::vector<SignalAction> actions;
  ASSERT_EQ(ctl().Control(v1::CONTROL_ACTION_RELEASE, {first}, {}, Alice(), &actions)[0].code(),
            v1::ERROR_CODE_UNSPECIFIED);
  pass = ctl().PreparePass(false);
  plan = Controller::RunPass(pass);
  EXPECT_EQ(ctl().ApplyPass(pass, std::move(plan)).size(), 1u);
  EXPECT_EQ(State(first), JobState::kRunning);
  EXPECT_EQ(ctl().priorities().size(), 4u);
  EXPECT_EQ(rows().size(), 3u);
  EXPECT_FALSE(find(rows(), first).has_value());
}

// Cores a plan gives out are checked against what is allocated when it is applied.
TEST_F(ControllerTest, PlanIsNotAppliedOverCoresTakenMeanwhile) {
  ASSERT_TRUE(Register("node1").ok());
  v1::JobSpec whole = Spec();
  whole.set_cpus_per_task(4);
  const uint64_t first = SubmitOk(whole);
  auto pass = ctl().PreparePass();
  auto plan = Controller::RunPass(pass);
  ASSERT_EQ(plan.starts.size(), 1u);
  // Meanwhile another pass gives node1's cores to a second job (the first is held then).
  std::vector<SignalAction> actions;
  ctl().Control(v1::CONTROL_ACTION_HOLD, {first}, {}, Alice(), &actions);
  const uint64_t second = SubmitOk(whole);
  EXPECT_EQ(Schedule().size(), 1u);
  EXPECT_EQ(State(second), JobState::kRunning);
  ctl().Control(v1::CONTROL_ACTION_RELEASE, {first}, {}, Alice(), &actions);
  bool stale = false;
  EXPECT_TRUE(ctl().ApplyPass(pass, std::move(plan), &stale).empty());
  EXPECT_TRUE(stale);
  EXPECT_EQ(State(first), JobState::kPending);
}

}  // namespace
}  // namespace drover::ctld

namespace drover::ctld {
namespace {

class UpdateJobTest : public ControllerTest {
 protected:
  UpdateJobTest() {
    PartitionConfig shorter;
    shorter.name = "short";
    shorter.nodes = {"node1"};
    shorter.max_time_minutes = 30;
    PartitionConfig closed;
    closed.name = "closed";
    closed.nodes = {"node2"};
    closed.allow_users = {"bob"};
    config_.partitions.push_back(shorter);
    config_.partitions.push_back(closed);
    config_.operators = {"carol"};
  }
  static Identity Carol() { return {1002, 1002, {1002}, "carol", "login1", {"carol"}}; }

  v1::CancelResult Update(uint64_t id, std::optional<uint32_t> minutes, const std::string& partition,
                          const Identity& who = Alice()) {
    v1::UpdateJobRequest request;
    request.add_job_ids(id);
    if (minutes) {
      request.set_set_time_limit(true);
      request.set_time_limit_minutes(*minutes);
    }
    request.set_partition(partition);
    auto results = ctl().UpdateJob(request, who);
    EXPECT_EQ(results.size(), 1u);
    return results.empty() ? v1::CancelResult() : results.front();
  }
};

// The owner lowers the limit of a pending job; the change is marked for the store.
TEST_F(UpdateJobTest, OwnerLowersTimeLimit) {
  const uint64_t id = SubmitOk();
  ctl().TakeBatch();
  EXPECT_EQ(Update(id, 20, "").code(), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(ctl().FindJob(id)->time_limit_minutes, 20u);
  EXPECT_FALSE(ctl().TakeBatch().jobs.empty());
  v1::QueryJobsRequest q;
  EXPECT_EQ(ctl().QueryJobs(q).jobs(0).time_limit_minutes(), 20u);
}

// Raising it (or asking for UNLIMITED) is for root and operators.
TEST_F(UpdateJobTest, OnlyOperatorsRaise) {
  auto spec = Spec();
  spec.set_time_limit_minutes(10);
  const uint64_t id = SubmitOk(spec);
  const auto denied = Update(id, 40, "");
  EXPECT_EQ(denied.code(), v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_NE(denied.message().find("operators"), std::string::npos) << denied.message();
  EXPECT_EQ(ctl().FindJob(id)->time_limit_minutes, 10u);
  EXPECT_EQ(Update(id, 40, "", Carol()).code(), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(ctl().FindJob(id)->time_limit_minutes, 40u);
  // Over the partition's maximum: refused for everybody.
  const auto over = Update(id, 61, "", Root());
  EXPECT_EQ(over.code(), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_NE(over.message().find("1:00:00"), std::string::npos) << over.message();
  EXPECT_EQ(Update(id, 5, "", Bob()).code(), v1::ERROR_CODE_PERMISSION_DENIED);
}

// TimeLimit+=N / -=N: each job's own limit moves; lowering is the owner's, raising the
// operators' (Slurm's rule); an UNLIMITED job or a decrement to nothing is an error.
TEST_F(UpdateJobTest, RelativeTimeLimit) {
  auto spec = Spec();
  spec.set_time_limit_minutes(40);
  const uint64_t a = SubmitOk(spec);
  spec.set_time_limit_minutes(20);
  const uint64_t b = SubmitOk(spec);
  v1::UpdateJobRequest r;
  r.add_job_ids(a);
  r.add_job_ids(b);
  r.set_add_time_limit(true);
  r.set_time_limit_delta_minutes(-10);
  auto res = ctl().UpdateJob(r, Alice());
  ASSERT_EQ(res.size(), 2u);
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_UNSPECIFIED) << res[0].message();
  EXPECT_EQ(res[1].code(), v1::ERROR_CODE_UNSPECIFIED) << res[1].message();
  EXPECT_EQ(ctl().FindJob(a)->time_limit_minutes, 30u);
  EXPECT_EQ(ctl().FindJob(b)->time_limit_minutes, 10u);

  r.set_time_limit_delta_minutes(15);
  res = ctl().UpdateJob(r, Alice());
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_NE(res[0].message().find("operators"), std::string::npos) << res[0].message();
  EXPECT_EQ(ctl().FindJob(a)->time_limit_minutes, 30u);
  res = ctl().UpdateJob(r, Carol());
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_UNSPECIFIED) << res[0].message();
  EXPECT_EQ(ctl().FindJob(a)->time_limit_minutes, 45u);
  EXPECT_EQ(ctl().FindJob(b)->time_limit_minutes, 25u);

  // Past the partition's MaxTime (60): refused even for root.
  r.set_time_limit_delta_minutes(20);
  res = ctl().UpdateJob(r, Root());
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(res[1].code(), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(ctl().FindJob(a)->time_limit_minutes, 45u);
  EXPECT_EQ(ctl().FindJob(b)->time_limit_minutes, 45u);

  r.set_time_limit_delta_minutes(-45);
  res = ctl().UpdateJob(r, Alice());
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_NE(res[0].message().find("cannot take"), std::string::npos) << res[0].message();
  EXPECT_EQ(ctl().FindJob(a)->time_limit_minutes, 45u);

  v1::UpdateJobRequest both = r;
  both.set_set_time_limit(true);
  both.set_time_limit_minutes(5);
  res = ctl().UpdateJob(both, Alice());
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_INVALID_ARGUMENT);
}

TEST_F(UpdateJobTest, RelativeTimeLimitOfAnUnlimitedJobIsAnError) {
  config_.partitions.front().max_time_minutes = 0;
  auto spec = Spec();
  spec.set_time_limit_minutes(kUnlimitedMinutes);
  const uint64_t id = SubmitOk(spec);
  ASSERT_EQ(ctl().FindJob(id)->time_limit_minutes, kUnlimitedMinutes);
  v1::UpdateJobRequest r;
  r.add_job_ids(id);
  r.set_add_time_limit(true);
  r.set_time_limit_delta_minutes(-10);
  auto res = ctl().UpdateJob(r, Root());
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_NE(res[0].message().find("UNLIMITED"), std::string::npos) << res[0].message();
}

// A running job's relative change reaches its nodes like an absolute one.
TEST_F(UpdateJobTest, RelativeTimeLimitOfARunningJobTellsItsNodes) {
  const uint64_t id = StartJobOnNode1();  // 60 minutes
  (void)ctl().TakeLimitUpdates();
  v1::UpdateJobRequest r;
  r.add_job_ids(id);
  r.set_add_time_limit(true);
  r.set_time_limit_delta_minutes(-15);
  auto res = ctl().UpdateJob(r, Alice());
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_UNSPECIFIED) << res[0].message();
  const auto limits = ctl().TakeLimitUpdates();
  ASSERT_EQ(limits.size(), 1u);
  EXPECT_EQ(limits[0].time_limit_minutes, 45u);
}

// Partition: must exist, admit the owner and allow the job's limit; all or nothing.
TEST_F(UpdateJobTest, PartitionRules) {
  const uint64_t id = SubmitOk();  // 60 minutes, the maximum of batch
  EXPECT_EQ(Update(id, std::nullopt, "nope").code(), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(Update(id, std::nullopt, "closed").code(), v1::ERROR_CODE_PERMISSION_DENIED);
  const auto too_long = Update(id, std::nullopt, "short");
  EXPECT_EQ(too_long.code(), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_NE(too_long.message().find("short"), std::string::npos) << too_long.message();
  EXPECT_EQ(ctl().FindJob(id)->partition, "batch");
  EXPECT_EQ(Update(id, 30, "short").code(), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(ctl().FindJob(id)->partition, "short");
  EXPECT_EQ(ctl().FindJob(id)->time_limit_minutes, 30u);
}

// A running job's limit changes (the nodes are told); its partition does not. Finished and
// unknown jobs are errors.
TEST_F(UpdateJobTest, RunningJobsChangeTheirLimitNotTheirPartition) {
  const uint64_t id = StartJobOnNode1();
  EXPECT_EQ(Update(id, 5, "").code(), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(ctl().FindJob(id)->time_limit_minutes, 5u);
  const auto moved = Update(id, 5, "short");
  EXPECT_EQ(moved.code(), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_NE(moved.message().find("pending"), std::string::npos) << moved.message();
  EXPECT_EQ(ctl().FindJob(id)->partition, "batch");
  EXPECT_EQ(Update(999, 5, "").code(), v1::ERROR_CODE_NOT_FOUND);
  ASSERT_TRUE(Finish(id, "node1", v1::JOB_STATE_COMPLETED).ok());
  EXPECT_NE(Update(id, 5, "").message().find("finished"), std::string::npos);
}

}  // namespace
}  // namespace drover::ctld

namespace drover::ctld {
namespace {

// sbatch --signal=B:10@120 with a ten-minute limit: the batch shell gets signal 10 once, about
// two minutes before the end; a job without running steps and no B: gets nothing.
TEST_F(ControllerTest, WarnSignalGoesOutOnceBeforeTheTimeLimit) {
  v1::JobSpec spec = Spec();
  spec.set_time_limit_minutes(10);
  spec.set_signal_number(10);
  spec.set_signal_time_s(120);
  spec.set_signal_batch_only(true);
  const uint64_t id = StartJobOnNode1(spec);
  (void)ctl().TakeSignals();
  EXPECT_TRUE(TickAfter(seconds(7 * 60), id).empty());
  const auto sent = TickAfter(seconds(61), id);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].node, "node1");
  EXPECT_EQ(sent[0].job_id, id);
  EXPECT_EQ(sent[0].signal, 10);
  EXPECT_TRUE(sent[0].batch_only);
  EXPECT_FALSE(sent[0].steps_only);
  EXPECT_TRUE(ctl().FindJob(id)->warn_signal_sent);
  ctl().Tick();
  EXPECT_TRUE(ctl().TakeSignals().empty());
  // Saved with the job, so that a restarted controller does not send it again.
  const StoreBatch batch = ctl().TakeBatch();
  const v1::StoredJob* saved = SavedJob(batch, id);
  ASSERT_NE(saved, nullptr);
  EXPECT_TRUE(saved->warn_signal_sent());
}

// srun --signal=USR1@120 on a step of a ten-minute job: that step's tasks (not the job's other
// steps, not the batch shell) get the signal once, two minutes before the end, on every node of
// the step; saved with the step. A lowered limit makes it due again before the new end.
TEST_F(ControllerTest, StepWarnSignalGoesToThatStepOnly) {
  v1::JobSpec spec = Spec();
  spec.set_time_limit_minutes(10);
  const uint64_t id = StartJobOnNode1(spec);
  ASSERT_TRUE(ctl().CreateStep(StepRequest(id, 1), Alice(), "k").ok());  // step 0: no signal
  auto with_signal = StepRequest(id, 1);
  with_signal.mutable_spec()->set_signal_number(10);
  with_signal.mutable_spec()->set_signal_time_s(120);
  auto step = ctl().CreateStep(with_signal, Alice(), "k");
  ASSERT_TRUE(step.ok()) << step.status().message();
  const uint32_t step_id = step->response.step_id();
  EXPECT_EQ(step_id, 1u);
  (void)ctl().TakeSignals();

  EXPECT_TRUE(TickAfter(seconds(7 * 60), id).empty());
  auto sent = TickAfter(seconds(61), id);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].node, "node1");
  EXPECT_EQ(sent[0].job_id, id);
  EXPECT_EQ(sent[0].signal, 10);
  EXPECT_FALSE(sent[0].batch_only);
  EXPECT_TRUE(sent[0].steps_only);
  ASSERT_TRUE(sent[0].step_id.has_value());
  EXPECT_EQ(*sent[0].step_id, step_id);
  EXPECT_FALSE(ctl().FindJob(id)->warn_signal_sent) << "the job itself asked for nothing";
  ctl().Tick();
  EXPECT_TRUE(ctl().TakeSignals().empty()) << "once";
  const StoreBatch batch = ctl().TakeBatch();
  const v1::StoredJob* saved = SavedJob(batch, id);
  ASSERT_NE(saved, nullptr);
  ASSERT_EQ(saved->steps_size(), 2);
  EXPECT_TRUE(saved->steps(1).warn_signal_sent());
  EXPECT_FALSE(saved->steps(0).warn_signal_sent());

  // Root raises the limit to 20 minutes: due again at 18.
  v1::UpdateJobRequest r;
  r.add_job_ids(id);
  r.set_set_time_limit(true);
  r.set_time_limit_minutes(20);
  ASSERT_EQ(ctl().UpdateJob(r, Root())[0].code(), v1::ERROR_CODE_UNSPECIFIED);
  ctl().Tick();
  EXPECT_TRUE(ctl().TakeSignals().empty());
  sent = TickAfter(seconds(10 * 60), id);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(*sent[0].step_id, step_id);

  // A finished step gets nothing.
  ASSERT_TRUE(ctl().StepFinished(StepEnd(id, step_id, "node1")).ok());
  r.set_time_limit_minutes(30);
  ASSERT_EQ(ctl().UpdateJob(r, Root())[0].code(), v1::ERROR_CODE_UNSPECIFIED);
  clock_.Advance(seconds(10 * 60));
  ASSERT_TRUE(Heartbeat("node1", {id}).ok());
  ctl().Tick();
  EXPECT_TRUE(ctl().TakeSignals().empty());
}

TEST_F(ControllerTest, RunningJobLimitOwnerLowersOperatorRaisesNodesLearnIt) {
  v1::JobSpec spec = Spec();
  spec.set_time_limit_minutes(30);
  const uint64_t id = StartJobOnNode1(spec);
  v1::UpdateJobRequest r;
  r.add_job_ids(id);
  r.set_set_time_limit(true);
  r.set_time_limit_minutes(20);
  auto res = ctl().UpdateJob(r, Alice());
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_UNSPECIFIED) << res[0].message();
  auto limits = ctl().TakeLimitUpdates();
  ASSERT_EQ(limits.size(), 1u);
  EXPECT_EQ(limits[0].node, "node1");
  EXPECT_EQ(limits[0].time_limit_minutes, 20u);
  EXPECT_EQ(limits[0].deadline, ctl().FindJob(id)->start_time + 20 * 60);
  r.set_time_limit_minutes(25);
  res = ctl().UpdateJob(r, Alice());
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_TRUE(ctl().TakeLimitUpdates().empty());
  res = ctl().UpdateJob(r, Root());
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_UNSPECIFIED) << res[0].message();
  EXPECT_EQ(ctl().TakeLimitUpdates().size(), 1u);
  v1::UpdateJobRequest p;
  p.add_job_ids(id);
  p.set_partition("batch");
  res = ctl().UpdateJob(p, Root());
  EXPECT_EQ(res[0].code(), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_NE(res[0].message().find("only a pending job can change partition"), std::string::npos);
}

}  // namespace
}  // namespace drover::ctld
