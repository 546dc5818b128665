import Aggregation
import Foundation
import Simulation
import Testing

@testable import FedSim

/// Distributed runs: the ranks of a cluster (here threads of one process, the same code path as
/// MPI ranks) share one simulation, each training and evaluating the clients it owns. Metrics,
/// summary, clients table and trace hash are the same bits as a single process's, for any
/// number of ranks and workers; a failing rank stops the others instead of leaving them waiting.
@Suite struct DistributedRunTests {
  typealias Finished = CheckpointResumeTests.Finished

  /// Runs `ranks` ranks of the scenario on their own threads; rank 0 writes `out`.
  static func runRanks(
    _ text: String, _ overrides: [String], ranks: Int, workers: Int, out: URL, workersOfRank: [Int]? = nil
  ) throws -> [Result<[String: Double], RunError>] {
    let clusters = ThreadCluster.ranks(ranks)
    let results = RankResults(count: ranks)
    let group = DispatchGroup()
    _ = try CheckpointResumeTests.runner(text, overrides, out: out, workers: workers)
    for rank in 0..<ranks {
      group.enter()
      let thread = Thread {
        defer { group.leave() }
        let own = workersOfRank?[rank] ?? workers
        guard let base = try? CheckpointResumeTests.runner(text, overrides, out: out, workers: own) else { return }
        let runner = base.distributed(over: clusters[rank])
        results.store(Result { () throws(RunError) in try runner.runAsRank(log: { _ in }, progress: { _ in }) }, at: rank)
      }
      thread.stackSize = 8 << 20
      thread.start()
    }
    group.wait()
    return results.all
  }

  static func compare(
    _ text: String, _ overrides: [String], ranks: [Int], workers: Int = 1, workersOfRank: [Int]? = nil, expecting: String? = nil
  ) throws {
    let folder = try CheckpointResumeTests.folder()
    let single = folder.appendingPathComponent("single")
    try CheckpointResumeTests.runner(text, overrides, out: single, workers: 2).run(log: { _ in }, progress: { _ in })
    let reference = try CheckpointResumeTests.read(single)
    if let expecting { #expect(reference.metrics.contains(expecting), "the run has no \(expecting)") }
    for count in ranks {
      let out = folder.appendingPathComponent("ranks-\(count)")
      let results = try runRanks(text, overrides, ranks: count, workers: workers, out: out, workersOfRank: workersOfRank)
      for (rank, result) in results.enumerated() {
        if case .failure(let error) = result { Issue.record("rank \(rank) of \(count): \(error)") }
      }
      let distributed = try CheckpointResumeTests.read(out)
      #expect(distributed.hash == reference.hash, "\(count) ranks")
      #expect(distributed.trace == reference.trace, "\(count) ranks")
      #expect(distributed.metrics == reference.metrics, "\(count) ranks")
      #expect(distributed.summary == reference.summary, "\(count) ranks")
      #expect(distributed.clients == reference.clients, "\(count) ranks")
      // Only the leader wrote a run folder.
      let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
      #expect(names.filter { $0.hasPrefix("ranks-\(count)") } == ["ranks-\(count)"])
    }
  }

  @Test func synchronousRoundsOverALossyNetworkAreTheSameBitsOnTwoAndThreeRanks() throws {
    try Self.compare(CheckpointResumeTests.quadratic, [], ranks: [2, 3])
  }

  @Test func bufferedAsynchronousRunsAreTheSameBits() throws {
    let overrides = ["schedule.mode=async", "schedule.concurrency=4", "schedule.buffer_size=2", "schedule.deadline=null"]
    try Self.compare(CheckpointResumeTests.quadratic, overrides, ranks: [2], workers: 2)
  }

  @Test func ranksWithDifferentWorkerCountsCutTheSameBatches() throws {
    // Rank 0 with 1 worker, rank 1 with 3: batches are sized for the 4 together on both.
    try Self.compare(CheckpointResumeTests.quadratic, [], ranks: [2], workers: 1, workersOfRank: [1, 3])
  }

  @Test func privateRunsCountEveryClientsReleasesOnEveryRank() throws {
    let overrides = ["privacy={clip: 1.0, sigma_cdp: 4, delta: 1.0e-5}", "aggregator.name=cdp", "aggregator.options={}"]
    try Self.compare(CheckpointResumeTests.quadratic, overrides, ranks: [2])
  }

  @Test func gossipOverALossyRingIsTheSameBits() throws {
    let overrides = ["schedule.mode=gossip", "aggregator.name=gossip", "aggregator.options={}", "schedule.deadline=null"]
    try Self.compare(CheckpointResumeTests.quadratic, overrides, ranks: [2, 3])
  }

  @Test func asynchronousGossipIsTheSameBits() throws {
    // Mixes happen one per event on the owner; their notes travel with the next batch.
    let overrides = [
      "schedule.mode=async-gossip", "aggregator.name=trust", "aggregator.options={scheme: validation, warmup_rounds: 1}",
      "schedule.deadline=null", "topology.kind=complete", "output.checkpoint_every=null",
    ]
    try Self.compare(CheckpointResumeTests.quadratic, overrides, ranks: [2, 3], expecting: "\"kind\": \"mixing\"")
  }

  @Test func trustWeightedGossipRecordsEveryRowOnTheLeader() throws {
    let overrides = [
      "schedule.mode=gossip", "aggregator.name=trust", "aggregator.options={scheme: validation, warmup_rounds: 1}",
      "schedule.deadline=null", "topology.kind=complete",
    ]
    try Self.compare(CheckpointResumeTests.quadratic, overrides, ranks: [2], expecting: "\"kind\": \"mixing\"")
  }

  @Test func aPersonalisingServerIsTheSameBits() throws {
    let overrides = ["aggregator.name=trust", "aggregator.options={placement: server, scheme: validation, warmup_rounds: 1}"]
    try Self.compare(CheckpointResumeTests.quadratic, overrides, ranks: [2, 3], expecting: "\"kind\": \"mixing\"")
  }

  @Test func decorAgreesOnEdgeKeysAcrossRanks() throws {
    // Each rank makes only its own nodes' key pairs; edge keys, noise and ε match one process.
    let overrides = [
      "schedule.mode=gossip", "aggregator.name=decor", "aggregator.options={}", "schedule.deadline=null",
      "privacy={clip: 1.0, sigma_cdp: 12, sigma_cor: 20, delta: 1.0e-5}",
    ]
    try Self.compare(CheckpointResumeTests.quadratic, overrides, ranks: [2, 3], expecting: "\"epsilon\"")
  }

  @Test func loraRunsAreTheSameBits() throws {
    try Self.compare(RunnerTests.scenarioText, ["schedule.rounds=2"], ranks: [2])
  }

  @Test func coMiGSRoutersAndExpertsAreTheSameBits() throws {
    // Generalists averaged, specialists and router kept and trained (bi-level) on their owner.
    try Self.compare(CoMiGSRunTests.text, ["output.adapters=false"], ranks: [2])
  }

  @Test func aRankHoldsTheTokensOfItsOwnClientsAndTheSizesOfAll() throws {
    let scenario = try ScenarioDecoder.decode(RunnerTests.scenarioText, file: "tiny.yaml", overrides: ["clients=6"])
    let all = try ClientData.build(scenario.data, clients: 6, seed: scenario.seed)
    let even = try ClientData.build(scenario.data, clients: 6, seed: scenario.seed, holds: { $0 % 2 == 0 })
    #expect(all.trainCounts == all.train.map(\.count) && all.validationCounts == all.validation.map(\.count))
    #expect(all.testTokensByDomain == all.testByDomain.map { $0.mapValues(\.count) })
    #expect(even.trainCounts == all.trainCounts && even.validationCounts == all.validationCounts)
    #expect(even.testTokensByDomain == all.testTokensByDomain && even.testLossFloor == all.testLossFloor)
    for client in 0..<6 {
      if client % 2 == 0 {
        #expect(even.train[client] == all.train[client] && even.validation[client] == all.validation[client])
        #expect(even.test[client] == all.test[client] && even.testByDomain[client] == all.testByDomain[client])
      } else {
        #expect(even.train[client].isEmpty && even.validation[client].isEmpty && even.test[client].isEmpty)
        #expect(all.train[client].count > 0)
      }
    }
  }

  @Test func rejectedUpdatesFoundOnOneRankAreReportedByTheLeader() throws {
    let overrides = [
      "schedule.mode=sync", "aggregator.name=fedavg", "schedule.clients_per_round=4", "schedule.rounds=12", "schedule.lr=10",
    ]
    try Self.compare(NonFiniteTests.quadratic, overrides, ranks: [2])
  }

  @Test func aStopOnNonFiniteValuesStopsEveryRankWithTheSameError() throws {
    let overrides = [
      "schedule.mode=sync", "aggregator.name=fedavg", "schedule.clients_per_round=4", "schedule.rounds=12", "schedule.lr=10",
      "faults.non_finite=stop",
    ]
    let folder = try CheckpointResumeTests.folder()
    let results = try Self.runRanks(NonFiniteTests.quadratic, overrides, ranks: 2, workers: 1, out: folder.appendingPathComponent("r"))
    let errors = results.compactMap { result -> String? in
      if case .failure(.nonFinite(let finding)) = result { return "\(finding)" }
      return nil
    }
    #expect(errors.count == 2 && errors[0] == errors[1], "\(results)")
  }

  @Test func aNonFiniteMixStopsGossipWithTheFirstNodeInNodeOrder() throws {
    // Mixing runs in parallel on threads and ranks; the error is the first odd node's either way.
    AggregatorRegistry.shared.register(NeighbourPoisoningAggregator.self)
    let overrides = [
      "schedule.mode=gossip", "aggregator.name=zz-test-neighbour-poison", "aggregator.options={from: 2}", "schedule.deadline=null",
      "faults.non_finite=stop",
    ]
    let folder = try CheckpointResumeTests.folder()
    var seen: [String] = []
    for (ranks, workers) in [(1, 1), (1, 2), (2, 1), (3, 2)] {
      let results = try Self.runRanks(
        CheckpointResumeTests.quadratic, overrides, ranks: ranks, workers: workers,
        out: folder.appendingPathComponent("r\(ranks)-\(workers)"))
      for result in results {
        guard case .failure(.nonFinite(let finding)) = result else {
          Issue.record("\(ranks) ranks × \(workers) workers: \(result)")
          continue
        }
        #expect(finding.site == .aggregate && finding.round == 2 && finding.client == 1, "\(finding)")
        seen.append("\(finding)")
      }
    }
    #expect(Set(seen).count == 1)
    // Asynchronous gossip stops on it too, with the same finding on every rank.
    let asynchronous = overrides.map { $0 == "schedule.mode=gossip" ? "schedule.mode=async-gossip" : $0 } + ["output.checkpoint_every=null"]
    var found: [String] = []
    for ranks in [1, 2] {
      let results = try Self.runRanks(
        CheckpointResumeTests.quadratic, asynchronous, ranks: ranks, workers: 1, out: folder.appendingPathComponent("async-\(ranks)"))
      for result in results {
        guard case .failure(.nonFinite(let finding)) = result else {
          Issue.record("asynchronous gossip on \(ranks) ranks did not stop: \(result)")
          continue
        }
        #expect(finding.site == .aggregate && finding.client.map { $0 % 2 == 1 } == true)
        found.append("\(finding)")
      }
    }
    #expect(Set(found).count == 1, "\(found)")
  }

  @Test func aRankThatFailsStopsTheOthers() throws {
    let folder = try CheckpointResumeTests.folder()
    let out = folder.appendingPathComponent("r")
    // The leader's output exists: it fails at once; rank 1 must not wait for it.
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    let results = try Self.runRanks(CheckpointResumeTests.quadratic, [], ranks: 2, workers: 1, out: out)
    guard case .failure(.output(let path, _)) = results[0] else {
      Issue.record("the leader did not fail on its output: \(results[0])")
      return
    }
    #expect(path == out.path)
    guard case .failure(let error) = results[1] else {
      Issue.record("rank 1 did not stop: \(results[1])")
      return
    }
    #expect(error.description.contains("rank 0 failed"), "\(error)")
  }

  @Test func whatIsNotDistributedYetIsRefusedWithTheField() throws {
    let folder = try CheckpointResumeTests.folder()
    let cases: [([String], String)] = [
      (["output.adapters=true"], "output.adapters")
    ]
    for (overrides, field) in cases {
      let out = folder.appendingPathComponent(UUID().uuidString)
      let results = try Self.runRanks(CheckpointResumeTests.quadratic, overrides, ranks: 2, workers: 1, out: out)
      for result in results {
        guard case .failure(.unsupported(let named, _, _)) = result else {
          Issue.record("\(overrides): \(result)")
          continue
        }
        #expect(named == field)
      }
    }
  }
}

/// Neighbour mixing that turns odd receivers' models non-finite from round `from` on.
struct NeighbourPoisoningAggregator: Aggregator {
  static let name = "zz-test-neighbour-poison"
  let from: Int
  init(options: AggregatorOptions) throws(AggregatorError) { from = try options.int("from", default: 1, in: 0...1000) }
  var communication: Communication { .neighbours }
  func combine(
    own: [Float], selfWeight: Double, neighbours: [(contribution: Contribution, weight: Double)], context: AggregationContext
  ) -> [Float] {
    var mixed = own
    if context.round >= from, let receiver = context.receiver, receiver % 2 == 1 { mixed[0] = .nan }
    return mixed
  }
}

/// Each rank's result, written by its thread.
final class RankResults: @unchecked Sendable {
  // @unchecked Sendable: every access goes through `lock`.
  private let lock = NSLock()
  private var results: [Result<[String: Double], RunError>?]

  init(count: Int) { results = Array(repeating: nil, count: count) }

  func store(_ result: Result<[String: Double], RunError>, at rank: Int) {
    lock.lock()
    results[rank] = result
    lock.unlock()
  }

  var all: [Result<[String: Double], RunError>] {
    lock.lock()
    defer { lock.unlock() }
    return results.map { $0 ?? .failure(.simulation("no result")) }
  }
}
